//! Records → project, project_stage and project_factor batches, with quarantine.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use chrono::{Datelike, NaiveDate};
use friktion_core::quarantine::{Action, QuarantineRow, Rejection};
use friktion_core::{LakeTable, Reference};
use friktion_outcomes::stages::{Stage, check_dates};
use friktion_tabular::{ReadError, number};

use crate::json::{self, JsonError};
use crate::mapping::Mapping;

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Json(#[from] JsonError),
    #[error(
        "the export has no column '{column}' (mapping {mapping}: [columns] {field}); its columns are: {found}"
    )]
    MissingColumn {
        field: &'static str,
        column: String,
        mapping: String,
        found: String,
    },
}

/// One record of an export, whatever its format: values by column name, and stage cells.
#[derive(Debug, Clone, Default)]
pub struct RawRecord {
    pub line: i64,
    /// Column name, as written and lower-cased → index in `values`; shared by every record of
    /// a table.
    pub names: Arc<HashMap<String, usize>>,
    pub values: Vec<String>,
    pub stages: Vec<StageCell>,
}

impl RawRecord {
    /// A record with its own column names (a JSON object's keys).
    pub fn from_pairs(line: i64, pairs: Vec<(String, String)>) -> Self {
        let mut names = HashMap::with_capacity(pairs.len());
        let mut values = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            names.entry(k.to_lowercase()).or_insert(values.len());
            names.entry(k).or_insert(values.len());
            values.push(v);
        }
        Self {
            line,
            names: Arc::new(names),
            values,
            stages: vec![],
        }
    }

    /// The value of a column, named in any case.
    pub fn get(&self, column: &str) -> Option<&str> {
        let i = match self.names.get(column) {
            Some(i) => *i,
            None => *self.names.get(&column.to_lowercase())?,
        };
        self.values.get(i).map(String::as_str)
    }
}

/// A stage date as the export has it: the field it sits in, the stage label, the raw date.
#[derive(Debug, Clone)]
pub struct StageCell {
    pub field: String,
    pub label: String,
    pub date: String,
}

pub struct ProjectSource<'a> {
    pub source_file: &'a str,
    pub bytes: &'a [u8],
    /// The date the export describes: a stage dated later is an error, and projects not live
    /// by then are censored at it.
    pub data_date: NaiveDate,
}

pub struct Context<'a> {
    pub mapping: &'a Mapping,
    pub reference: &'a Reference,
}

#[derive(Debug)]
pub struct ProjectOutput {
    pub projects: RecordBatch,
    pub stages: RecordBatch,
    pub factors: RecordBatch,
    pub quarantine: Vec<QuarantineRow>,
    pub format: &'static str,
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_rejected: i64,
    pub values_nulled: i64,
    /// Projects loaded with a timeline unfit for time measures.
    pub timelines_flagged: i64,
}

#[derive(Default)]
struct Rows {
    project_id: Vec<String>,
    kommun_kod: Vec<String>,
    name: Vec<Option<String>>,
    solution: Vec<Option<String>>,
    track: Vec<Option<String>>,
    budget: Vec<Option<f64>>,
    cost: Vec<Option<f64>>,
    users_target: Vec<Option<i64>>,
    users_reached: Vec<Option<i64>>,
    status: Vec<Option<String>>,
    timeline_issue: Vec<Option<String>>,
    line: Vec<i64>,
    // project_stage
    s_project: Vec<String>,
    s_stage: Vec<&'static str>,
    s_date: Vec<i32>,
    s_line: Vec<i64>,
    // project_factor
    f_project: Vec<String>,
    f_factor: Vec<String>,
    f_score: Vec<Option<i32>>,
    f_direction: Vec<Option<String>>,
    f_line: Vec<i64>,
}

fn is_json(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    matches!(
        b.iter().find(|c| !c.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// The records of an export and its format name.
fn read(bytes: &[u8], m: &Mapping) -> Result<(Vec<RawRecord>, &'static str), ProjectError> {
    if is_json(bytes) {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| ReadError::NotUtf8(e.valid_up_to()))?
            .trim_start_matches('\u{feff}');
        let mut records = json::records(text, &m.json)?;
        // Stage dates may also be plain fields ("beslut": "2021-03-04"), as in a table.
        for r in &mut records {
            for col in &m.columns.stage_dates {
                if let Some(date) = r.get(col).map(str::to_string) {
                    r.stages.push(StageCell {
                        field: col.clone(),
                        label: col.clone(),
                        date,
                    });
                }
            }
        }
        return Ok((records, "json"));
    }
    let loaded = friktion_tabular::load(bytes, &m.source)?;
    let names: Arc<HashMap<String, usize>> = Arc::new(
        loaded
            .header
            .iter()
            .enumerate()
            .rev()
            .flat_map(|(i, h)| [(h.to_lowercase(), i), (h.clone(), i)])
            .collect(),
    );
    let c = &m.columns;
    for (field, column) in [("project_id", &c.project_id), ("kommun", &c.kommun)] {
        if !names.contains_key(&column.to_lowercase()) {
            return Err(ProjectError::MissingColumn {
                field,
                column: column.clone(),
                mapping: m.path.display().to_string(),
                found: loaded.header.join(", "),
            });
        }
    }
    let records = loaded
        .records
        .into_iter()
        .map(|r| {
            let mut rec = RawRecord {
                line: r.line,
                names: names.clone(),
                values: r.fields.iter().map(String::from).collect(),
                stages: vec![],
            };
            rec.stages = c
                .stage_dates
                .iter()
                .map(|col| StageCell {
                    field: col.clone(),
                    label: col.clone(),
                    date: rec.get(col).unwrap_or_default().to_string(),
                })
                .collect();
            rec
        })
        .collect();
    Ok((records, loaded.format))
}

/// "2021-03-04", or with a time after it as workbooks give dates ("2021-03-04 00:00:00").
pub fn parse_date(raw: &str) -> Result<Option<NaiveDate>, Rejection> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let day = t.split([' ', 'T']).next().unwrap_or(t);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| Rejection(format!("'{t}' is not a date (expected YYYY-MM-DD)")))
}

fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

pub fn ingest(src: &ProjectSource<'_>, ctx: &Context<'_>) -> Result<ProjectOutput, ProjectError> {
    let m = ctx.mapping;
    let (records, format) = read(src.bytes, m)?;
    let mut q: Vec<QuarantineRow> = Vec::new();
    let mut rows = Rows::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut rejected = 0i64;
    let mut flagged = 0i64;
    let c = &m.columns;
    for rec in &records {
        let get = |column: &str| rec.get(column);
        let text = |column: &Option<String>| {
            column
                .as_deref()
                .and_then(|c| get(c).map(str::trim).filter(|v| !v.is_empty()))
                .map(str::to_string)
        };
        let line = rec.line;
        let mut reject = |field: &str, raw: Option<&str>, why: String| {
            q.push(QuarantineRow::new(
                Some(line),
                Some(field),
                raw,
                why,
                Action::RowRejected,
            ));
        };
        let id = get(&c.project_id).map(str::trim).unwrap_or("");
        if id.is_empty() {
            reject(&c.project_id, None, "no project id".into());
            rejected += 1;
            continue;
        }
        if !seen.insert(id.to_string()) {
            reject(
                &c.project_id,
                Some(id),
                format!("project '{id}' appears more than once in the file; the first is kept"),
            );
            rejected += 1;
            continue;
        }
        let raw_kommun = get(&c.kommun).unwrap_or("");
        let kommun = match ctx.reference.resolve(raw_kommun) {
            Ok(k) => k,
            Err(e) => {
                reject(&c.kommun, Some(raw_kommun), e.to_string());
                rejected += 1;
                continue;
            }
        };
        // Stage dates: unknown labels and unreadable dates are nulled, the rest checked.
        let mut dates: BTreeMap<Stage, NaiveDate> = BTreeMap::new();
        let mut stage_line: HashMap<Stage, (String, String)> = HashMap::new();
        for cell in &rec.stages {
            if cell.date.trim().is_empty() && cell.label.trim().is_empty() {
                continue;
            }
            let Some(stage) = m.stages.stage(&cell.label) else {
                null(
                    &mut q,
                    line,
                    &cell.field,
                    &cell.label,
                    unknown_stage(&cell.label, m),
                );
                continue;
            };
            match parse_date(&cell.date) {
                Ok(Some(d)) => {
                    if let Some(prev) = dates.insert(stage, d).filter(|p| *p != d) {
                        // Two dates for one stage: the earlier is when it was entered.
                        dates.insert(stage, prev.min(d));
                    }
                    stage_line.insert(stage, (cell.field.clone(), cell.date.clone()));
                }
                Ok(None) => {}
                Err(why) => null(&mut q, line, &cell.field, &cell.date, why),
            }
        }
        let (kept, issues) = check_dates(&dates, src.data_date);
        let mut timeline_issue = Vec::new();
        for issue in &issues {
            use friktion_outcomes::stages::DateIssue;
            match issue {
                DateIssue::Future { stage, .. } => {
                    let (field, raw) = stage_line.get(stage).cloned().unwrap_or_default();
                    null(
                        &mut q,
                        line,
                        &field,
                        &raw,
                        format!("{issue} (data date {})", src.data_date),
                    );
                }
                _ => timeline_issue.push(issue.to_string()),
            }
        }
        let timeline_issue = (!timeline_issue.is_empty()).then(|| timeline_issue.join("; "));
        if let Some(why) = &timeline_issue {
            flagged += 1;
            q.push(QuarantineRow::new(
                Some(line),
                None,
                None,
                format!("timeline left out of time measures: {why}"),
                Action::RowFlagged,
            ));
        }
        let track = text(&c.track).and_then(|t| match m.track(&t) {
            Some(v) => Some(v.to_string()),
            None => {
                null(
                    &mut q,
                    line,
                    c.track.as_deref().unwrap_or(""),
                    &t,
                    format!(
                        "unknown track '{t}' (add it to [tracks] in {})",
                        m.path.display()
                    ),
                );
                None
            }
        });
        let status = text(&c.status).and_then(|s| match m.stages.stage(&s) {
            Some(v) => Some(v.as_str().to_string()),
            None => {
                null(
                    &mut q,
                    line,
                    c.status.as_deref().unwrap_or(""),
                    &s,
                    format!("unknown status '{s}': {}", known_labels(m)),
                );
                None
            }
        });
        let mut amount = |column: &Option<String>, what: &str| -> Option<f64> {
            let raw = text(column)?;
            match number(&raw) {
                Ok(Some(v)) if v >= 0.0 => Some(v),
                Ok(Some(_)) => {
                    null(
                        &mut q,
                        line,
                        column.as_deref().unwrap_or(""),
                        &raw,
                        format!("{what} cannot be negative"),
                    );
                    None
                }
                Ok(None) => None,
                Err(why) => {
                    null(&mut q, line, column.as_deref().unwrap_or(""), &raw, why);
                    None
                }
            }
        };
        let budget = amount(&c.budget_planned_sek, "a budget");
        let cost = amount(&c.cost_actual_sek, "a cost");
        let target = amount(&c.users_target, "a number of users").map(|v| v.round() as i64);
        let reached = amount(&c.users_reached, "a number of users").map(|v| v.round() as i64);
        for (column, factor) in &m.factors {
            let Some(raw) = get(column).map(str::trim).filter(|v| !v.is_empty()) else {
                continue;
            };
            let (score, direction) = match number(raw) {
                Ok(Some(v)) if v.fract() == 0.0 && (1.0..=5.0).contains(&v) => {
                    (Some(v as i32), None)
                }
                _ => match m.direction(raw) {
                    Some(d) => (None, Some(d.to_string())),
                    None => {
                        null(
                            &mut q,
                            line,
                            column,
                            raw,
                            format!("'{raw}' is neither a score 1–5 nor främjande/hämmande"),
                        );
                        continue;
                    }
                },
            };
            rows.f_project.push(id.to_string());
            rows.f_factor.push(factor.clone());
            rows.f_score.push(score);
            rows.f_direction.push(direction);
            rows.f_line.push(line);
        }
        for (stage, d) in &kept {
            rows.s_project.push(id.to_string());
            rows.s_stage.push(stage.as_str());
            rows.s_date.push(days(*d));
            rows.s_line.push(line);
        }
        rows.project_id.push(id.to_string());
        rows.kommun_kod.push(kommun.kommun_kod.clone());
        rows.name.push(text(&c.name));
        rows.solution.push(text(&c.solution));
        rows.track.push(track);
        rows.budget.push(budget);
        rows.cost.push(cost);
        rows.users_target.push(target);
        rows.users_reached.push(reached);
        rows.status.push(status);
        rows.timeline_issue.push(timeline_issue);
        rows.line.push(line);
    }
    let values_nulled = q.iter().filter(|r| r.action == Action::ValueNulled).count() as i64;
    let written = rows.project_id.len() as i64;
    Ok(ProjectOutput {
        projects: project_batch(&rows, src),
        stages: stage_batch(&rows, src),
        factors: factor_batch(&rows, src),
        quarantine: q,
        format,
        rows_read: records.len() as i64,
        rows_written: written,
        rows_rejected: rejected,
        values_nulled,
        timelines_flagged: flagged,
    })
}

fn null(q: &mut Vec<QuarantineRow>, line: i64, field: &str, raw: &str, why: impl Into<String>) {
    q.push(QuarantineRow::new(
        Some(line),
        Some(field),
        Some(raw),
        why,
        Action::ValueNulled,
    ));
}

fn unknown_stage(label: &str, m: &Mapping) -> String {
    format!(
        "unknown stage label '{}': {}",
        label.trim(),
        known_labels(m)
    )
}

fn known_labels(m: &Mapping) -> String {
    format!(
        "the mapping {} knows {}",
        m.path.display(),
        m.stage_label_list.join(", ")
    )
}

fn lineage(src: &ProjectSource<'_>, lines: &[i64]) -> [ArrayRef; 2] {
    [
        Arc::new(StringArray::from(vec![src.source_file; lines.len()])),
        Arc::new(Int64Array::from(lines.to_vec())),
    ]
}

fn project_batch(r: &Rows, src: &ProjectSource<'_>) -> RecordBatch {
    let n = r.project_id.len();
    let [source_file, source_line] = lineage(src, &r.line);
    LakeTable::Project
        .def()
        .batch(vec![
            (
                "project_id",
                Arc::new(StringArray::from(r.project_id.clone())) as ArrayRef,
            ),
            (
                "kommun_kod",
                Arc::new(StringArray::from(r.kommun_kod.clone())),
            ),
            ("name", Arc::new(StringArray::from(r.name.clone()))),
            ("solution", Arc::new(StringArray::from(r.solution.clone()))),
            ("track", Arc::new(StringArray::from(r.track.clone()))),
            (
                "budget_planned_sek",
                Arc::new(Float64Array::from(r.budget.clone())),
            ),
            (
                "cost_actual_sek",
                Arc::new(Float64Array::from(r.cost.clone())),
            ),
            (
                "users_target",
                Arc::new(Int64Array::from(r.users_target.clone())),
            ),
            (
                "users_reached",
                Arc::new(Int64Array::from(r.users_reached.clone())),
            ),
            ("status", Arc::new(StringArray::from(r.status.clone()))),
            (
                "data_date",
                Arc::new(Date32Array::from(vec![days(src.data_date); n])),
            ),
            (
                "timeline_issue",
                Arc::new(StringArray::from(r.timeline_issue.clone())),
            ),
            ("source_file", source_file),
            ("source_line", source_line),
        ])
        .expect("projects match the project contract")
}

fn stage_batch(r: &Rows, src: &ProjectSource<'_>) -> RecordBatch {
    let [source_file, source_line] = lineage(src, &r.s_line);
    LakeTable::ProjectStage
        .def()
        .batch(vec![
            (
                "project_id",
                Arc::new(StringArray::from(r.s_project.clone())) as ArrayRef,
            ),
            ("stage", Arc::new(StringArray::from(r.s_stage.clone()))),
            ("entered_on", Arc::new(Date32Array::from(r.s_date.clone()))),
            ("source_file", source_file),
            ("source_line", source_line),
        ])
        .expect("stages match the project_stage contract")
}

fn factor_batch(r: &Rows, src: &ProjectSource<'_>) -> RecordBatch {
    let n = r.f_project.len();
    let [source_file, source_line] = lineage(src, &r.f_line);
    LakeTable::ProjectFactor
        .def()
        .batch(vec![
            (
                "project_id",
                Arc::new(StringArray::from(r.f_project.clone())) as ArrayRef,
            ),
            ("factor_id", Arc::new(StringArray::from(r.f_factor.clone()))),
            ("score", Arc::new(Int32Array::from(r.f_score.clone()))),
            (
                "direction",
                Arc::new(StringArray::from(r.f_direction.clone())),
            ),
            // Exports give no assessment date, and none is invented.
            (
                "assessed_on",
                Arc::new(Date32Array::from(vec![None::<i32>; n])),
            ),
            ("source_file", source_file),
            ("source_line", source_line),
        ])
        .expect("factor scores match the project_factor contract")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_with_or_without_a_time() {
        let d = NaiveDate::from_ymd_opt(2021, 3, 4).unwrap();
        assert_eq!(parse_date("2021-03-04"), Ok(Some(d)));
        assert_eq!(parse_date(" 2021-03-04 00:00:00"), Ok(Some(d)));
        assert_eq!(parse_date(""), Ok(None));
        assert!(parse_date("4/3/2021").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_date("2021-02-30").is_err());
        assert_eq!(days(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
    }
}
