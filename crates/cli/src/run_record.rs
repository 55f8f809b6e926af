//! The run's record, `lake/_runs/<run-id>.json`: what a scheduler or an analyst reading the
//! morning after needs to know without the terminal output. Written whether the run finished
//! or failed, once the lake was open; and first when the run starts, as "running", which also
//! keeps its run id taken (a ledger file is named by it).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::run::Summary;

pub const RUNS_DIR: &str = "_runs";

pub fn record(s: &Summary, error: Option<&anyhow::Error>) -> Value {
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
    let stage = |name: &str| {
        s.sources
            .iter()
            .zip(&s.source_stages)
            .filter(|(x, st)| x.action != "skipped" && **st == name)
            .map(|(x, _)| x)
            .fold((0i64, 0i64, 0i64), |a, x| {
                (
                    a.0 + x.rows_read,
                    a.1 + x.rows_written,
                    a.2 + x.rows_quarantined,
                )
            })
    };
    let per_stage: BTreeMap<String, Value> = s
        .timings
        .iter()
        .map(|(name, d)| {
            let (read, written, quarantined) = stage(name);
            (
                name.to_string(),
                json!({"seconds": d.as_secs_f64(), "rows_read": read, "rows_written": written,
                       "rows_quarantined": quarantined}),
            )
        })
        .collect();
    json!({
        "run_id": s.run_id,
        "status": status,
        "exit_code": exit_code,
        "error": error.map(crate::describe),
        "started_at": s.started_at.map(|t| t.to_rfc3339()),
        "finished_at": s.finished_at.map(|t| t.to_rfc3339()),
        "seconds": seconds,
        "full": s.full,
        "stages": per_stage,
        "stage_order": s.timings.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "sources": s.sources.iter().zip(&s.source_stages).map(|(x, stage)| json!({
            "file": x.file, "stage": stage, "action": x.action, "rows_read": x.rows_read,
            "rows_written": x.rows_written, "rows_quarantined": x.rows_quarantined,
            "values_nulled": x.values_nulled,
        })).collect::<Vec<_>>(),
        "failed_sources": s.failed_sources.iter().map(|(f, e)| json!({"file": f, "error": e}))
            .collect::<Vec<_>>(),
        "over_quarantine_limit": s.over_limit.iter().map(|(f, share)| json!({
            "file": f, "share_rejected": share, "limit": s.limit})).collect::<Vec<_>>(),
        "vanished": s.vanished,
        "removed": s.removed,
        "tables": s.tables.iter().cloned().collect::<BTreeMap<_, _>>(),
        "marts": s.marts.iter().cloned().collect::<BTreeMap<_, _>>(),
        "log_model_days": s.friction_days,
        "data_tests": {
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

/// Writes the record beside the lake's tables, whole or not at all (temp file, fsync, rename).
pub fn write(lake: &Path, s: &Summary, error: Option<&anyhow::Error>) -> Result<()> {
    let dir = lake.join(RUNS_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{}.json", s.run_id));
    let tmp = dir.join(format!(".{}.json.tmp", s.run_id));
    let text = serde_json::to_string_pretty(&record(s, error)).expect("a record serialises");
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("{}", tmp.display()))?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("{}", path.display()))?;
    Ok(())
}
