//! The run's record, `lake/_runs/<run-id>.json`: what a scheduler or an analyst reading the
//! morning after needs to know without the terminal output. Written whether the run finished
//! or failed, once the lake was open; and first when the run starts, as "running", which also
//! keeps its run id taken (a ledger file is named by it).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use crate::PipelineError;
use crate::summary::RunSummary;

pub const RUNS_DIR: &str = "_runs";

pub fn record(s: &RunSummary, error: Option<&PipelineError>) -> Value {
    let status = match (error, s.exit_code()) {
        (Some(_), _) => "failed",
        // Written when the run starts; a record still saying so is a run that was killed.
        (None, _) if s.finished_at.is_none() => "running",
        (None, 0) => "ok",
        (None, _) => "finished_with_problems",
    };
    let exit_code = if error.is_some() { 1 } else { s.exit_code() };
    let seconds = match (s.started_at, s.finished_at) {
        (Some(a), Some(b)) => (b - a).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    let tests = &s.tests;
    let passed = tests.iter().filter(|t| t.status == "pass").count();
    let failed = tests.iter().filter(|t| t.is_error()).count();
    let per_stage: BTreeMap<String, Value> = s
        .timings
        .iter()
        .map(|(name, d)| {
            let (read, written, quarantined) = s.stage_rows(*name);
            (
                name.as_str().to_string(),
                json!({"seconds": d.as_secs_f64(), "rows_read": read, "rows_written": written,
                       "rows_quarantined": quarantined}),
            )
        })
        .collect();
    json!({
        "run_id": s.run_id,
        "status": status,
        "exit_code": exit_code,
        "error": error.map(|e| friktion_core::error_chain(e)),
        "started_at": s.started_at.map(|t| t.to_rfc3339()),
        "finished_at": s.finished_at.map(|t| t.to_rfc3339()),
        "seconds": seconds,
        "full": s.full,
        "stages": per_stage,
        "stage_order": s.timings.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        "sources": s.sources.iter().map(|x| json!({
            "file": x.file, "stage": x.stage.as_str(), "action": x.action.as_str(),
            "rows_read": x.rows_read,
            "rows_written": x.rows_written, "rows_quarantined": x.rows_quarantined,
            "values_nulled": x.values_nulled,
        })).collect::<Vec<_>>(),
        "failed_sources": s.failed_sources.iter()
            .map(|f| json!({"file": f.file, "error": f.message}))
            .collect::<Vec<_>>(),
        "over_quarantine_limit": s.over_limit.iter().map(|o| json!({
            "file": o.file, "share_rejected": o.share_rejected, "limit": s.limit}))
            .collect::<Vec<_>>(),
        "vanished": s.vanished,
        "removed": s.removed,
        "tables": s.tables.iter().cloned().collect::<BTreeMap<_, _>>(),
        "marts": s.marts.iter().cloned().collect::<BTreeMap<_, _>>(),
        "mart_fingerprints": s.mart_fingerprints,
        "marts_kept": s.marts_kept,
        "log_model_days": s.friction_days,
        "data_tests": {
            "units_queried": s.test_units.queried,
            "units_kept": s.test_units.kept,
            "passed": passed,
            "warned": tests.len() - passed - failed,
            "failed": failed,
            "not_passed": tests.iter().filter(|t| t.status != "pass").map(|t| json!({
                "target": t.target, "test": t.test, "status": t.status,
                "message": t.message})).collect::<Vec<_>>(),
        },
        "outputs": {
            "report": s.report,
            "kolada": s.kolada,
            "notebook": s.notebook,
        },
    })
}

/// Writes the record beside the lake's tables, whole or not at all.
pub fn write(
    lake: &Path,
    s: &RunSummary,
    error: Option<&PipelineError>,
) -> Result<(), PipelineError> {
    let text = serde_json::to_string_pretty(&record(s, error)).expect("a record serialises");
    write_whole(
        &lake.join(RUNS_DIR).join(format!("{}.json", s.run_id)),
        format!("{text}\n").as_bytes(),
        "writing the run record",
    )
}

/// Writes a file of the lake's own (a run record, the data tests' figures) whole or not at
/// all: a temp file beside it, fsync, rename.
pub fn write_whole(path: &Path, bytes: &[u8], doing: &'static str) -> Result<(), PipelineError> {
    let dir = path.parent().expect("a file in the lake");
    std::fs::create_dir_all(dir).map_err(|e| PipelineError::io("creating", dir, e))?;
    let name = path.file_name().expect("a file name").to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp"));
    let io = |e| PipelineError::io(doing, &tmp, e);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| PipelineError::io(doing, path, e))?;
    Ok(())
}
