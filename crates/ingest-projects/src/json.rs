//! JSON portfolio exports, flattened into the records CSV and workbooks give.
//!
//! Projects are the objects of an array: the document itself, or the array under
//! `[json] records`. Nested objects flatten to dotted names (`faktorer.NF01`), so the mapping
//! names them like columns. A project's stage list (`[json] stage_list`, objects with a label
//! and a date) becomes its stage cells. Each record keeps the line its object starts on.

use serde_json::Value;

use crate::ingest::{RawRecord, StageCell};
use crate::mapping::JsonShape;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum JsonError {
    #[error("not valid JSON: {0}")]
    Syntax(String),
    #[error("{0}")]
    Shape(String),
}

pub fn records(text: &str, shape: &JsonShape) -> Result<Vec<RawRecord>, JsonError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| JsonError::Syntax(e.to_string()))?;
    let array = if shape.records.is_empty() {
        doc.as_array().ok_or_else(|| {
            JsonError::Shape(
                "the document is not an array of projects; name the key that holds them in [json] records"
                    .into(),
            )
        })?
    } else {
        doc.get(&shape.records)
            .and_then(Value::as_array)
            .ok_or_else(|| {
                JsonError::Shape(format!(
                    "no array of projects under the top-level key '{}' ([json] records)",
                    shape.records
                ))
            })?
    };
    let lines = element_lines(text, &shape.records);
    let mut out = Vec::with_capacity(array.len());
    for (i, v) in array.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(0);
        let Some(obj) = v.as_object() else {
            // Kept as a record without fields: ingest rejects it for want of an id, with the line.
            out.push(RawRecord::from_pairs(line, vec![]));
            continue;
        };
        let mut pairs = Vec::new();
        let mut stages = Vec::new();
        for (k, v) in obj {
            if shape.stage_list.as_deref() == Some(k.as_str()) {
                stage_cells(k, v, shape, &mut stages);
            } else {
                flatten(k, v, &mut pairs);
            }
        }
        let mut rec = RawRecord::from_pairs(line, pairs);
        rec.stages = stages;
        out.push(rec);
    }
    Ok(out)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        other => {
            out.push((prefix.to_string(), scalar(other)));
        }
    }
}

fn stage_cells(key: &str, v: &Value, shape: &JsonShape, out: &mut Vec<StageCell>) {
    let Some(list) = v.as_array() else {
        out.push(StageCell {
            field: key.to_string(),
            label: String::new(),
            date: scalar(v),
        });
        return;
    };
    for (i, s) in list.iter().enumerate() {
        out.push(StageCell {
            field: format!("{key}[{i}]"),
            label: s.get(&shape.stage_label).map(scalar).unwrap_or_default(),
            date: s.get(&shape.stage_date).map(scalar).unwrap_or_default(),
        });
    }
}

/// The 1-based line on which each element of the projects array starts, found by scanning the
/// text (serde_json keeps no positions).
fn element_lines(text: &str, records_key: &str) -> Vec<i64> {
    let want_depth = if records_key.is_empty() { 1 } else { 2 };
    let mut out = Vec::new();
    let mut stack: Vec<u8> = Vec::new();
    let mut line = 1i64;
    let mut in_str = false;
    let mut escaped = false;
    let mut string = String::new();
    // The last string read directly inside the top-level object, and whether the array being
    // entered at depth 1 is the projects array.
    let mut last_top_string = String::new();
    let mut in_records = records_key.is_empty();
    let mut expect_element = false;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_str {
            if escaped {
                escaped = false;
                string.push(c);
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
                if stack.len() == 1 && stack[0] == b'{' {
                    last_top_string = std::mem::take(&mut string);
                }
            } else {
                string.push(c);
            }
            continue;
        }
        let at_element = expect_element && stack.len() == want_depth && in_records;
        match c {
            '"' => {
                in_str = true;
                string.clear();
                if at_element {
                    out.push(line);
                    expect_element = false;
                }
            }
            '{' | '[' => {
                if at_element {
                    out.push(line);
                    expect_element = false;
                }
                if c == '[' && !records_key.is_empty() && stack.len() == 1 {
                    in_records = last_top_string == records_key;
                }
                stack.push(c as u8);
                if c == '[' && stack.len() == want_depth {
                    expect_element = true;
                }
            }
            '}' | ']' => {
                stack.pop();
            }
            ',' if stack.len() == want_depth && stack.last() == Some(&b'[') => {
                expect_element = true;
            }
            c if c.is_whitespace() => {}
            _ => {
                if at_element {
                    out.push(line);
                    expect_element = false;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_flatten_and_keep_their_lines() {
        let text = r#"{"meta": [{"x": 1}],
 "projekt": [
  {"id": "P1", "budget": 1250000, "faktorer": {"NF01": 4},
   "faser": [{"fas": "Beslut", "datum": "2020-01-02"}, {"fas": "Klar?", "datum": "x"}]},
  {"id": "P2 \"quoted\" ]", "faktorer": {"NF01": null}},
  7
 ]}"#;
        let shape = JsonShape {
            records: "projekt".into(),
            stage_list: Some("faser".into()),
            stage_label: "fas".into(),
            stage_date: "datum".into(),
        };
        let r = records(text, &shape).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 5, 6]);
        assert_eq!(r[0].get("budget"), Some("1250000"));
        assert_eq!(r[0].get("Faktorer.NF01"), Some("4"));
        assert_eq!(r[0].stages[1].label, "Klar?");
        assert_eq!(r[0].stages[1].field, "faser[1]");
        assert_eq!(r[1].get("faktorer.NF01"), Some(""));
        assert!(r[2].values.is_empty());
    }

    #[test]
    fn a_top_level_array_and_bad_documents() {
        let r = records("[\n{\"id\": 1},\n{\"id\": 2}]", &JsonShape::default()).unwrap();
        assert_eq!(r.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3]);
        assert!(matches!(
            records("{\"a\": 1}", &JsonShape::default()),
            Err(JsonError::Shape(_))
        ));
        assert!(matches!(
            records("[{\"a\": 1}", &JsonShape::default()),
            Err(JsonError::Syntax(_))
        ));
    }
}
