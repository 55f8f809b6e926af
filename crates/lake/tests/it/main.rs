//! Integration tests of the lake: one binary, one module per concern.

mod atomic;
mod evolution;
mod ledger;
mod source;

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use friktion_core::LakeTable;

/// A survey_answer batch with `n` rows whose item ids start with `tag`.
pub fn answers(tag: &str, n: usize) -> RecordBatch {
    let def = LakeTable::SurveyAnswer.def();
    RecordBatch::try_new(
        def.file_schema(),
        vec![
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("r{i}")),
            )),
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("{tag}{i}")),
            )),
            Arc::new(arrow::array::Float64Array::from_iter_values(
                (0..n).map(|i| i as f64),
            )),
            Arc::new(StringArray::from(vec![None::<&str>; n])),
            Arc::new(StringArray::from_iter_values((0..n).map(|_| "src.csv"))),
            Arc::new(Int64Array::from_iter_values((0..n).map(|i| i as i64 + 2))),
        ],
    )
    .unwrap()
}

pub fn item_ids(batches: &[RecordBatch]) -> Vec<String> {
    let mut v: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name("item_id").unwrap();
            let a = a.as_any().downcast_ref::<StringArray>().unwrap();
            a.iter().map(|s| s.unwrap().to_string()).collect::<Vec<_>>()
        })
        .collect();
    v.sort();
    v
}
