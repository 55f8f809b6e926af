//! The model stages: SQL models into marts, then the data tests beside them and on the sources.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{Float64Type, TimestampMicrosecondType};
use friktion_core::LakeTable;
use friktion_lake::Lake;
use friktion_query::{
    LakeSession, Model, TestMemory, TestResult, UnitCounts, load_tests, run_tests,
};

use crate::PipelineError;
use crate::context::RunContext;

/// Each target's row count at its last run's row_count_change test.
fn previous_counts(lake: &Lake) -> Result<BTreeMap<String, f64>, PipelineError> {
    let mut latest: BTreeMap<String, (i64, f64)> = BTreeMap::new();
    let def = LakeTable::TestResult.def();
    for b in lake.read_table(&def)? {
        let col = |c: &str| {
            b.column_by_name(c).ok_or_else(|| {
                PipelineError::Lake(friktion_lake::LakeError::Contract {
                    table: def.name.into(),
                    problem: format!("column {c} is missing"),
                })
            })
        };
        let (target, test, status) = (
            col("target")?.as_string::<i32>(),
            col("test")?.as_string::<i32>(),
            col("status")?.as_string::<i32>(),
        );
        let at = col("checked_at")?.as_primitive::<TimestampMicrosecondType>();
        let observed = col("observed")?.as_primitive::<Float64Type>();
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

/// Where a run leaves what its data tests measured partition by partition, for the next run:
/// beside the lake's tables, not in `_runs`, which holds run records and nothing else.
const TEST_MEMORY: &str = "_data_tests.state";

/// What earlier runs measured; none after `--full`, or when the file is missing or unreadable
/// (which only costs the queries it would have saved).
fn test_memory(lake_dir: &Path, full: bool) -> TestMemory {
    let path = lake_dir.join(TEST_MEMORY);
    match full {
        true => TestMemory::default(),
        false => std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default(),
    }
}

/// Runs every data test, keeps the results in lake/_tests (one file per run) and returns them,
/// with how many partitions were queried and how many kept from the last run's figures.
pub async fn data_tests(
    ctx: &RunContext<'_>,
    session: &LakeSession,
    models: &[Model],
    full: bool,
) -> Result<(Vec<TestResult>, UnitCounts), PipelineError> {
    let names: Vec<String> = models.iter().map(|m| m.name.clone()).collect();
    let tests = load_tests(&ctx.cfg.models, &names, ctx.cfg.sources.as_deref())
        .map_err(friktion_query::QueryError::from)?;
    if tests.is_empty() {
        return Ok((vec![], UnitCounts::default()));
    }
    let previous = previous_counts(ctx.lake)?;
    let lake_dir = ctx.lake.root();
    let earlier = test_memory(lake_dir, full);
    let run = run_tests(
        session,
        &tests,
        &previous,
        ctx.now,
        &crate::reuse::program(),
        &earlier,
    )
    .await;
    let results = run.results;
    let n = results.len();
    let s = |f: &dyn Fn(&TestResult) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from(results.iter().map(f).collect::<Vec<_>>()))
    };
    let batch = LakeTable::TestResult
        .def()
        .batch(vec![
            ("run_id", Arc::new(StringArray::from(vec![ctx.run_id; n]))),
            (
                "checked_at",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![ctx.now.timestamp_micros(); n])
                        .with_timezone("UTC"),
                ),
            ),
            ("target", s(&|r| Some(&r.target))),
            ("test", s(&|r| Some(&r.test))),
            ("severity", s(&|r| Some(&r.severity))),
            ("status", s(&|r| Some(&r.status))),
            (
                "failing_rows",
                Arc::new(Int64Array::from(
                    results.iter().map(|r| r.failing_rows).collect::<Vec<_>>(),
                )),
            ),
            (
                "observed",
                Arc::new(Float64Array::from(
                    results.iter().map(|r| r.observed).collect::<Vec<_>>(),
                )),
            ),
            ("message", s(&|r| r.message.as_deref())),
        ])
        .map_err(friktion_lake::LakeError::from)?;
    let mut txn = ctx.lake.begin()?;
    txn.write_table(&LakeTable::TestResult.def(), &[], ctx.run_id, &[batch])?;
    txn.commit()?;
    // After the results: a run killed in between measures again, it never loses a result.
    let memory = serde_json::to_vec(&run.memory).expect("figures serialise");
    crate::record::write_whole(
        &lake_dir.join(TEST_MEMORY),
        &memory,
        "writing the data tests' figures",
    )?;
    Ok((results, run.units))
}
