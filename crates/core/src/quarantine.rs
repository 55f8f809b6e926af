//! Quarantine records: every input row or value that did not make it into a table, and why.
//!
//! Three actions exist. `RowRejected`: the row is not in the table (say, no respondent id).
//! `ValueNulled`: the row is, with this one value missing (say, an unknown Likert label).
//! `RowFlagged`: the row is, whole, but marked unfit for some measures.
//! Every record names the file, the line, the field and the raw text, so an analyst
//! can fix the source. Raw text is redacted and bounded, since rejected input is still input.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};

use crate::redact::redact;
use crate::schema::LakeTable;

/// Longer raw values are cut, on a character boundary, and marked with an ellipsis.
pub const RAW_VALUE_MAX_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    RowRejected,
    ValueNulled,
    /// The row is loaded as it is, but marked unfit for some measures (say, a project whose
    /// stage dates are out of order is left out of time to go-live).
    RowFlagged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::RowRejected => "row_rejected",
            Action::ValueNulled => "value_nulled",
            Action::RowFlagged => "row_flagged",
        }
    }
}

/// Why one value or one line cannot be loaded as it is: the reason its quarantine row records.
/// Parsers of single values and lines return it; the row or value goes to quarantine and the
/// source goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Rejection(pub String);

impl From<String> for Rejection {
    fn from(s: String) -> Self {
        Rejection(s)
    }
}

impl From<&str> for Rejection {
    fn from(s: &str) -> Self {
        Rejection(s.to_string())
    }
}

impl std::ops::Deref for Rejection {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<Rejection> for String {
    fn from(r: Rejection) -> Self {
        r.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRow {
    /// 1-based physical line where the record starts; None for a problem with the whole file.
    pub source_line: Option<i64>,
    pub field: Option<String>,
    pub raw_value: Option<String>,
    pub reason: String,
    pub action: Action,
}

impl QuarantineRow {
    pub fn new(
        line: Option<i64>,
        field: Option<&str>,
        raw: Option<&str>,
        reason: impl Into<String>,
        action: Action,
    ) -> Self {
        Self {
            source_line: line,
            field: field.map(str::to_string),
            raw_value: raw.map(bounded_redacted),
            reason: reason.into(),
            action,
        }
    }
}

fn bounded_redacted(raw: &str) -> String {
    let r = redact(raw);
    match r.char_indices().nth(RAW_VALUE_MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &r[..cut]),
        None => r.into_owned(),
    }
}

/// The rows as a batch of the quarantine tables' file schema (all `*_quarantine` share it).
pub fn to_batch(source_file: &str, run_id: &str, rows: &[QuarantineRow]) -> RecordBatch {
    let n = rows.len();
    LakeTable::SurveyQuarantine
        .def()
        .batch(vec![
            (
                "source_file",
                Arc::new(StringArray::from(vec![source_file; n])) as ArrayRef,
            ),
            (
                "source_line",
                Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.source_line))),
            ),
            (
                "field",
                Arc::new(StringArray::from_iter(
                    rows.iter().map(|r| r.field.as_deref()),
                )),
            ),
            (
                "raw_value",
                Arc::new(StringArray::from_iter(
                    rows.iter().map(|r| r.raw_value.as_deref()),
                )),
            ),
            (
                "reason",
                Arc::new(StringArray::from_iter_values(
                    rows.iter().map(|r| r.reason.as_str()),
                )),
            ),
            (
                "action",
                Arc::new(StringArray::from_iter_values(
                    rows.iter().map(|r| r.action.as_str()),
                )),
            ),
            ("run_id", Arc::new(StringArray::from(vec![run_id; n]))),
        ])
        .expect("quarantine rows match the quarantine contract")
}

/// One record saying a whole file could not be loaded, and why, as a quarantine batch.
pub fn whole_file(source_file: &str, run_id: &str, reason: String) -> RecordBatch {
    let q = [QuarantineRow::new(
        None,
        None,
        None,
        reason,
        Action::RowRejected,
    )];
    to_batch(source_file, run_id, &q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_are_redacted_and_bounded() {
        let q = QuarantineRow::new(
            Some(7),
            Some("kommentar"),
            Some(&format!("pnr 19801224-1234 {}", "å".repeat(500))),
            "too long",
            Action::ValueNulled,
        );
        let raw = q.raw_value.unwrap();
        assert!(!raw.contains("1234"));
        assert_eq!(raw.chars().count(), RAW_VALUE_MAX_CHARS + 1);
        assert!(raw.ends_with('…'));
        let b = to_batch(
            "f.csv",
            "run1",
            &[QuarantineRow::new(
                None,
                None,
                None,
                "x",
                Action::RowRejected,
            )],
        );
        assert_eq!(b.num_rows(), 1);
    }
}
