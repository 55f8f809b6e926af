//! A survey export's rows gathered column by column, and made into the lake's survey_response
//! and survey_answer batches by column name.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use friktion_core::LakeTable;

use crate::ingest::Row;
use crate::values::Minutes;

#[derive(Default)]
pub(crate) struct Columns {
    pub(crate) respondent_key: Vec<String>,
    pub(crate) employer_type: Vec<Option<String>>,
    pub(crate) kommun_kod: Vec<Option<String>>,
    pub(crate) lan_kod: Vec<Option<String>>,
    pub(crate) verksamhet: Vec<Option<String>>,
    pub(crate) occupation: Vec<Option<String>>,
    pub(crate) minutes: Vec<Option<Minutes>>,
    pub(crate) involved: Vec<Option<bool>>,
    pub(crate) needs_training: Vec<Option<bool>>,
    pub(crate) is_duplicate: Vec<bool>,
    pub(crate) submitted_at: Vec<Option<i64>>,
    pub(crate) line: Vec<i64>,
}

#[derive(Default)]
pub(crate) struct AnswerColumns {
    pub(crate) respondent_key: Vec<String>,
    pub(crate) item_id: Vec<String>,
    pub(crate) value_num: Vec<Option<f64>>,
    pub(crate) value_label: Vec<Option<String>>,
    pub(crate) line: Vec<i64>,
}

pub(crate) fn push_row(c: &mut Columns, a: &mut AnswerColumns, r: Row, dup: bool, line: i64) {
    for (item, num, label) in r.answers {
        a.respondent_key.push(r.key.clone());
        a.item_id.push(item);
        a.value_num.push(num);
        a.value_label.push(label);
        a.line.push(line);
    }
    c.respondent_key.push(r.key);
    c.employer_type.push(Some(r.employer_type));
    c.kommun_kod.push(r.kommun_kod);
    c.lan_kod.push(r.lan_kod);
    c.verksamhet.push(r.verksamhet);
    c.occupation.push(r.occupation);
    c.minutes.push(r.minutes);
    c.involved.push(r.involved);
    c.needs_training.push(r.needs_training);
    c.is_duplicate.push(dup);
    c.submitted_at.push(r.submitted_at);
    c.line.push(line);
}

fn strings(v: Vec<Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}

fn lineage(file: &str, lines: Vec<i64>) -> [ArrayRef; 2] {
    [
        Arc::new(StringArray::from(vec![file; lines.len()])),
        Arc::new(Int64Array::from(lines)),
    ]
}

impl Columns {
    /// A stratifier's value for row i (see weights::STRATIFIERS).
    pub(crate) fn stratum(&self, name: &str, i: usize) -> Option<String> {
        match name {
            "employer_type" => self.employer_type[i].clone(),
            "kommun_kod" => self.kommun_kod[i].clone(),
            "lan_kod" => self.lan_kod[i].clone(),
            "verksamhet" => self.verksamhet[i].clone(),
            "occupation" => self.occupation[i].clone(),
            _ => None,
        }
    }
}

/// The responses as a survey_response batch, each column given by its name in the contract;
/// the weights are 0 until [`with_weights`] (they need every row of the file).
pub(crate) fn responses_batch(c: Columns, file: &str) -> RecordBatch {
    let unweighted = Float64Array::from(vec![0.0; c.line.len()]);
    let m = |f: fn(&Minutes) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from_iter(
            c.minutes.iter().map(|m| m.as_ref().and_then(f)),
        ))
    };
    let [source_file, source_line] = lineage(file, c.line);
    LakeTable::SurveyResponse
        .def()
        .batch(vec![
            (
                "respondent_key",
                Arc::new(StringArray::from(c.respondent_key)),
            ),
            ("employer_type", strings(c.employer_type)),
            ("kommun_kod", strings(c.kommun_kod)),
            ("lan_kod", strings(c.lan_kod)),
            ("verksamhet", strings(c.verksamhet)),
            ("occupation", strings(c.occupation)),
            ("minutes_lost", m(|m| Some(m.point))),
            ("minutes_lost_low", m(|m| Some(m.low))),
            ("minutes_lost_high", m(|m| m.high)),
            (
                "involved_in_procurement",
                Arc::new(BooleanArray::from(c.involved)),
            ),
            (
                "needs_training",
                Arc::new(BooleanArray::from(c.needs_training)),
            ),
            ("weight", Arc::new(unweighted)),
            ("is_duplicate", Arc::new(BooleanArray::from(c.is_duplicate))),
            (
                "submitted_at",
                Arc::new(TimestampMicrosecondArray::from(c.submitted_at).with_timezone("UTC")),
            ),
            ("source_file", source_file),
            ("source_line", source_line),
        ])
        .expect("responses match the survey_response contract")
}

/// A survey_response batch with its weights put in.
pub(crate) fn with_weights(b: RecordBatch, weights: Vec<f64>) -> RecordBatch {
    replaced(b, "weight", Arc::new(Float64Array::from(weights)))
}

/// A survey_response batch with its repeats marked.
pub(crate) fn with_duplicates(b: RecordBatch, dup: Vec<bool>) -> RecordBatch {
    replaced(b, "is_duplicate", Arc::new(BooleanArray::from(dup)))
}

fn replaced(b: RecordBatch, column: &str, values: ArrayRef) -> RecordBatch {
    let schema = b.schema();
    let i = schema
        .index_of(column)
        .expect("survey_response's own column");
    let mut columns = b.columns().to_vec();
    columns[i] = values;
    RecordBatch::try_new(schema, columns).expect("the same rows, the same contract")
}

/// The answers as a survey_answer batch.
pub(crate) fn answers_batch(a: AnswerColumns, file: &str) -> RecordBatch {
    let [source_file, source_line] = lineage(file, a.line);
    LakeTable::SurveyAnswer
        .def()
        .batch(vec![
            (
                "respondent_key",
                Arc::new(StringArray::from(a.respondent_key)),
            ),
            ("item_id", Arc::new(StringArray::from(a.item_id))),
            ("value_num", Arc::new(Float64Array::from(a.value_num))),
            ("value_label", strings(a.value_label)),
            ("source_file", source_file),
            ("source_line", source_line),
        ])
        .expect("answers match the survey_answer contract")
}
