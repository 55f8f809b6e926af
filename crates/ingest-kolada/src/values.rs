//! One Kolada download (JSON or CSV) into value rows, each with the line it came from, and the
//! rows that cannot be loaded into quarantine with their reason.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray};
use friktion_core::quarantine::{Action, QuarantineRow};
use friktion_core::{ContractError, LakeTable, Reference};
use serde_json::Value;

use crate::{Definitions, KoladaError, is_kolada_id};

/// Kolada's code for the whole of Sweden.
const RIKET: &str = "0000";

/// One published value: a KPI for a municipality, a year and a gender (T total, K women, M men).
#[derive(Debug, Clone, PartialEq)]
pub struct KoladaValue {
    pub kpi_id: String,
    pub kommun_kod: String,
    pub period: i32,
    pub gender: String,
    pub value: Option<f64>,
    pub count: Option<i64>,
    pub status: Option<String>,
    pub synthetic: bool,
    pub line: i64,
}

/// A file read: its values, its quarantine, and how many value records it held.
#[derive(Debug, Default)]
pub struct KoladaFile {
    pub values: Vec<KoladaValue>,
    pub quarantine: Vec<QuarantineRow>,
    pub records: i64,
    /// The file says its figures are made up (friktion synth's demo files do).
    pub synthetic: bool,
}

/// One value as the file gave it, before it is checked.
struct Raw<'a> {
    line: i64,
    kpi: Option<&'a str>,
    municipality: Option<String>,
    period: Option<String>,
    gender: Option<String>,
    value: Option<String>,
    count: Option<String>,
    status: Option<String>,
    synthetic: bool,
}

/// Reads a Kolada download, JSON or CSV (told apart by the first character that is not
/// white space). `defs` are Kolada's KPI definitions: a KPI not among them is quarantined.
pub fn read(
    file: &str,
    bytes: &[u8],
    reference: &Reference,
    defs: &Definitions,
) -> Result<KoladaFile, KoladaError> {
    let first = bytes
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xef && *b != 0xbb && *b != 0xbf);
    let mut out = KoladaFile::default();
    let raws: Vec<Raw<'_>>;
    let json;
    let table;
    if matches!(first, Some(b'{' | b'[')) {
        json = parse_json(file, bytes)?;
        out.synthetic = json.0;
        raws = json_raws(&json.1, &json.2);
    } else {
        table = friktion_tabular::load(bytes, &friktion_tabular::SourceFormat::default()).map_err(
            |source| KoladaError::Table {
                file: file.to_string(),
                source,
            },
        )?;
        raws = csv_raws(file, &table)?;
        out.synthetic = raws.iter().any(|r| r.synthetic);
    }
    out.records = raws.len() as i64;
    let mut seen = BTreeSet::new();
    for r in raws {
        match check(&r, reference, defs) {
            Ok(v) => {
                let key = (
                    v.kpi_id.clone(),
                    v.kommun_kod.clone(),
                    v.period,
                    v.gender.clone(),
                );
                if seen.insert(key) {
                    out.values.push(v);
                } else {
                    out.quarantine.push(QuarantineRow::new(
                        Some(r.line),
                        None,
                        None,
                        format!(
                            "a second value for {} {} {} {}: the first is kept",
                            v.kpi_id, v.kommun_kod, v.period, v.gender
                        ),
                        Action::RowRejected,
                    ));
                }
            }
            Err(q) => out.quarantine.push(q),
        }
    }
    Ok(out)
}

fn check(
    r: &Raw<'_>,
    reference: &Reference,
    defs: &Definitions,
) -> Result<KoladaValue, QuarantineRow> {
    let reject = |field: &str, raw: Option<&str>, reason: String| {
        QuarantineRow::new(Some(r.line), Some(field), raw, reason, Action::RowRejected)
    };
    let kpi = r.kpi.unwrap_or("").trim();
    if !is_kolada_id(kpi) {
        return Err(reject(
            "kpi",
            Some(kpi),
            "not a Kolada KPI id (a letter and five digits, like U21340)".into(),
        ));
    }
    if !defs.kpis.is_empty() && defs.get(kpi).is_none() {
        return Err(reject(
            "kpi",
            Some(kpi),
            "not among Kolada's KPI definitions (kolada/kpi.csv)".into(),
        ));
    }
    let m = r.municipality.as_deref().unwrap_or("").trim();
    let kommun_kod = if m == RIKET {
        RIKET.to_string()
    } else {
        reference
            .validate_kommun_kod(m)
            .map_err(|e| {
                reject(
                    "municipality",
                    Some(m),
                    format!("{e} (friktion keeps kommuner and the country, 0000)"),
                )
            })?
            .kommun_kod
            .clone()
    };
    let p = r.period.as_deref().unwrap_or("").trim();
    let period: i32 = p
        .parse()
        .ok()
        .filter(|y| (1990..=2100).contains(y))
        .ok_or_else(|| reject("period", Some(p), "not a year (Kolada's period)".into()))?;
    let g = r.gender.as_deref().unwrap_or("T").trim();
    if !matches!(g, "T" | "K" | "M") {
        return Err(reject(
            "gender",
            Some(g),
            "not T (total), K (women) or M (men)".into(),
        ));
    }
    let number = |field: &str, v: &Option<String>| -> Result<Option<f64>, QuarantineRow> {
        match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => friktion_tabular::number(s)
                .map_err(|why| reject(field, Some(s), format!("not a number: {why}"))),
        }
    };
    let value = number("value", &r.value)?;
    let count = match number("count", &r.count)? {
        Some(c) if c.fract() == 0.0 && c >= 0.0 => Some(c as i64),
        Some(c) => {
            return Err(reject(
                "count",
                Some(&c.to_string()),
                "not a whole number".into(),
            ));
        }
        None => None,
    };
    Ok(KoladaValue {
        kpi_id: kpi.to_string(),
        kommun_kod,
        period,
        gender: g.to_string(),
        value,
        count,
        status: r.status.clone().filter(|s| !s.trim().is_empty()),
        synthetic: r.synthetic,
        line: r.line,
    })
}

/// The JSON, whether it marks itself synthetic, and the line of each gender's value object.
fn parse_json(file: &str, bytes: &[u8]) -> Result<(bool, Value, Vec<i64>), KoladaError> {
    let bad = |problem: String| KoladaError::Json {
        file: file.to_string(),
        problem,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8: {e}")))?;
    let text = text.trim_start_matches('\u{feff}');
    let v: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let synthetic = v.get("synthetic").and_then(Value::as_bool).unwrap_or(false);
    let depth = if v.is_object() { 5 } else { 4 };
    let entries = match v {
        Value::Object(mut o) => o.remove("values").ok_or_else(|| {
            bad("no \"values\" array (Kolada's API answers {\"values\": [...]})".into())
        })?,
        a @ Value::Array(_) => a,
        _ => return Err(bad("neither an object nor an array".into())),
    };
    if !entries.is_array() {
        return Err(bad("\"values\" is not an array".into()));
    }
    Ok((synthetic, entries, object_lines(text, depth)))
}

/// The line each JSON object opening at `depth` starts on ({ and [ count), in document order:
/// the value objects of Kolada's answer, so a quarantined value names its line.
fn object_lines(text: &str, depth: usize) -> Vec<i64> {
    let (mut d, mut line, mut in_str, mut esc) = (0usize, 1i64, false, false);
    let mut out = Vec::new();
    for b in text.bytes() {
        if in_str {
            match b {
                _ if esc => esc = false,
                b'\\' => esc = true,
                b'"' => in_str = false,
                b'\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'\n' => line += 1,
            b'{' | b'[' => {
                d += 1;
                if b == b'{' && d == depth {
                    out.push(line);
                }
            }
            b'}' | b']' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    out
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn json_raws<'a>(entries: &'a Value, lines: &[i64]) -> Vec<Raw<'a>> {
    let mut out = Vec::new();
    let mut n = 0;
    for e in entries.as_array().into_iter().flatten() {
        let values = e.get("values").and_then(Value::as_array);
        for g in values.into_iter().flatten() {
            out.push(Raw {
                line: lines.get(n).copied().unwrap_or(0),
                kpi: e.get("kpi").and_then(Value::as_str),
                municipality: text_of(e.get("municipality")),
                period: text_of(e.get("period")),
                gender: text_of(g.get("gender")),
                value: text_of(g.get("value")),
                count: text_of(g.get("count")),
                status: text_of(g.get("status")),
                synthetic: false,
            });
            n += 1;
        }
    }
    out
}

fn csv_raws<'a>(file: &str, t: &'a friktion_tabular::Loaded) -> Result<Vec<Raw<'a>>, KoladaError> {
    let col = |name: &'static str| {
        t.header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let need = |name: &'static str| {
        col(name).ok_or_else(|| KoladaError::Column {
            file: file.to_string(),
            column: name,
        })
    };
    let (kpi, m, p, v) = (
        need("kpi")?,
        need("municipality")?,
        need("period")?,
        need("value")?,
    );
    let (g, c, s, syn) = (col("gender"), col("count"), col("status"), col("synthetic"));
    let get = |r: &'a friktion_tabular::Record, i: Option<usize>| {
        i.and_then(|i| r.fields.get(i)).map(|s| s.to_string())
    };
    Ok(t.records
        .iter()
        .map(|r| Raw {
            line: r.line,
            kpi: r.fields.get(kpi),
            municipality: get(r, Some(m)),
            period: get(r, Some(p)),
            gender: get(r, g),
            value: get(r, Some(v)),
            count: get(r, c),
            status: get(r, s),
            synthetic: get(r, syn).is_some_and(|x| x.trim().eq_ignore_ascii_case("true")),
        })
        .collect())
}

impl KoladaFile {
    /// The values as `kolada_value` rows, with the file's name as their lineage.
    pub fn batch(&self, source_file: &str) -> Result<RecordBatch, ContractError> {
        let v = &self.values;
        let s = |f: fn(&KoladaValue) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(v.iter().map(f)))
        };
        LakeTable::KoladaValue.def().batch(vec![
            ("kpi_id", s(|x| &x.kpi_id)),
            ("kommun_kod", s(|x| &x.kommun_kod)),
            (
                "period",
                Arc::new(Int32Array::from_iter_values(v.iter().map(|x| x.period))),
            ),
            ("gender", s(|x| &x.gender)),
            (
                "value",
                Arc::new(Float64Array::from_iter(v.iter().map(|x| x.value))),
            ),
            (
                "count",
                Arc::new(Int64Array::from_iter(v.iter().map(|x| x.count))),
            ),
            (
                "status",
                Arc::new(StringArray::from_iter(
                    v.iter().map(|x| x.status.as_deref()),
                )),
            ),
            (
                "synthetic",
                Arc::new(BooleanArray::from_iter(
                    v.iter().map(|x| Some(x.synthetic || self.synthetic)),
                )),
            ),
            (
                "source_file",
                Arc::new(StringArray::from_iter_values(v.iter().map(|_| source_file))),
            ),
            (
                "source_line",
                Arc::new(Int64Array::from_iter_values(v.iter().map(|x| x.line))),
            ),
        ])
    }
}
