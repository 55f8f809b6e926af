//! The data tests of a run: declared next to the models and in the sources file, run after the
//! models, kept in lake/_tests (one file per run) and summed up in the run summary.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Result;
use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{Float64Type, TimestampMicrosecondType};
use chrono::{DateTime, Utc};
use friktion_core::LakeTable;
use friktion_lake::Lake;
use friktion_query::{LakeSession, Model, TestResult, load_tests, run_tests};

use crate::config::Config;

/// Each target's row count at its last run's row_count_change test.
fn previous_counts(lake: &Lake) -> Result<BTreeMap<String, f64>> {
    let mut latest: BTreeMap<String, (i64, f64)> = BTreeMap::new();
    for b in lake.read_table(&LakeTable::TestResult.def())? {
        let target = b
            .column_by_name("target")
            .expect("contract")
            .as_string::<i32>();
        let test = b
            .column_by_name("test")
            .expect("contract")
            .as_string::<i32>();
        let status = b
            .column_by_name("status")
            .expect("contract")
            .as_string::<i32>();
        let at = b
            .column_by_name("checked_at")
            .expect("contract")
            .as_primitive::<TimestampMicrosecondType>();
        let observed = b
            .column_by_name("observed")
            .expect("contract")
            .as_primitive::<Float64Type>();
        for i in 0..b.num_rows() {
            if test.value(i) != "row_count_change"
                || status.value(i) == "error"
                || observed.is_null(i)
            {
                continue;
            }
            let e = latest
                .entry(target.value(i).to_string())
                .or_insert((i64::MIN, 0.0));
            if at.value(i) > e.0 {
                *e = (at.value(i), observed.value(i));
            }
        }
    }
    Ok(latest.into_iter().map(|(k, (_, v))| (k, v)).collect())
}

pub async fn run(
    session: &LakeSession,
    lake: &Lake,
    cfg: &Config,
    models: &[Model],
    run_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<TestResult>> {
    let names: Vec<String> = models.iter().map(|m| m.name.clone()).collect();
    let tests = load_tests(&cfg.models, &names, cfg.sources.as_deref())?;
    if tests.is_empty() {
        return Ok(vec![]);
    }
    let previous = previous_counts(lake)?;
    let results = run_tests(session, &tests, &previous, now).await;
    let n = results.len();
    let s = |f: &dyn Fn(&TestResult) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from(results.iter().map(f).collect::<Vec<_>>()))
    };
    let batch = RecordBatch::try_new(
        LakeTable::TestResult.def().file_schema(),
        vec![
            Arc::new(StringArray::from(vec![run_id; n])),
            Arc::new(
                TimestampMicrosecondArray::from(vec![now.timestamp_micros(); n])
                    .with_timezone("UTC"),
            ),
            s(&|r| Some(&r.target)),
            s(&|r| Some(&r.test)),
            s(&|r| Some(&r.severity)),
            s(&|r| Some(&r.status)),
            Arc::new(Int64Array::from(
                results.iter().map(|r| r.failing_rows).collect::<Vec<_>>(),
            )),
            Arc::new(Float64Array::from(
                results.iter().map(|r| r.observed).collect::<Vec<_>>(),
            )),
            s(&|r| r.message.as_deref()),
        ],
    )?;
    let mut txn = lake.begin()?;
    txn.write_table(&LakeTable::TestResult.def(), &[], run_id, &[batch])?;
    txn.commit()?;
    Ok(results)
}
