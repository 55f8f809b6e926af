//! Which marts in the lake are still what their models would compute: those are kept, so a
//! night computes only the marts whose inputs changed (a day of logs recomputes the log mart,
//! not the survey and project marts over all their history).
//!
//! A mart is a function of its model's SQL, the tables and marts that SQL reads, and the
//! program. A run records, right after its marts commit, each mart's fingerprint: those inputs'
//! files (name and time) *and the mart's own files*. The next run computes the same fingerprint
//! over the lake as it finds it; a mart whose fingerprint some run recorded is kept, unless a
//! mart it reads is computed this night. Because the mart's own files are in it, a run that
//! committed marts and died before its record, or `friktion models run`, breaks the match. A
//! model that reads the clock is always computed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use friktion_core::LakeTable;
use friktion_lake::Lake;
use friktion_query::{Model, SessionContext, tables_read};
use sha2::{Digest, Sha256};

use crate::PipelineError;
use crate::record::RUNS_DIR;

/// Words that make a model's result depend on the day it runs.
const CLOCK: [&str; 4] = ["now(", "current_date", "current_timestamp", "today("];

/// What each model reads, as DataFusion resolves its SQL.
pub fn reads(
    ctx: &SessionContext,
    models: &[Model],
) -> Result<BTreeMap<String, Vec<String>>, PipelineError> {
    models
        .iter()
        .map(|m| Ok((m.name.clone(), tables_read(ctx, m)?)))
        .collect::<Result<_, friktion_query::QueryError>>()
        .map_err(PipelineError::from)
}

/// Each model's fingerprint over the lake as it is now; a model that reads the clock has none.
pub fn fingerprints(
    lake: &Lake,
    models: &[Model],
    reads: &BTreeMap<String, Vec<String>>,
) -> Result<BTreeMap<String, String>, PipelineError> {
    let tables: BTreeSet<&str> = LakeTable::ALL.iter().map(|t| t.def().name).collect();
    let marts: BTreeSet<&str> = models.iter().map(|m| m.name.as_str()).collect();
    let program = program();
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    let mut files = |dir: String| -> Result<String, PipelineError> {
        if let Some(l) = listed.get(&dir) {
            return Ok(l.clone());
        }
        let l = friktion_lake::listing(&lake.files_with_times(&dir)?);
        listed.insert(dir, l.clone());
        Ok(l)
    };
    let mut out = BTreeMap::new();
    for m in models {
        let sql = m.sql.to_ascii_lowercase();
        let read = reads.get(&m.name).map_or(&[][..], Vec::as_slice);
        // A model that reads the clock, or something that is neither a lake table nor a mart
        // (a published table, say), is always computed.
        if CLOCK.iter().any(|w| sql.contains(w))
            || read
                .iter()
                .any(|r| !marts.contains(r.as_str()) && !tables.contains(r.as_str()))
        {
            continue;
        }
        let mut h = Sha256::new();
        h.update(format!("{program}\nmodel {}\n{}\n", m.name, m.sql));
        h.update(files(format!("marts/{}", m.name))?);
        for r in read {
            if marts.contains(r.as_str()) {
                h.update(format!("mart {r}\n"));
                h.update(files(format!("marts/{r}"))?);
            } else {
                h.update(format!("table {r}\n"));
                h.update(files(r.clone())?);
            }
        }
        out.insert(m.name.clone(), hex::encode(h.finalize()));
    }
    Ok(out)
}

fn nanos(t: Option<std::time::SystemTime>) -> u128 {
    t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// The program: its functions and its Parquet writer shape the marts too (and its queries the
/// data tests' figures).
pub(crate) fn program() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| format!("{} {}", m.len(), nanos(m.modified().ok())));
    format!(
        "friktion {} {}",
        env!("CARGO_PKG_VERSION"),
        exe.unwrap_or_default()
    )
}

/// A mart to keep: the run that recorded its fingerprint, and the rows that run gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub run_id: String,
    pub rows: usize,
}

/// The marts to keep, in the models' order: a recorded fingerprint matches, and no mart the
/// model reads is computed this night. Records that cannot be read are passed over (they only
/// cost a recompute).
pub fn to_keep(
    lake_dir: &Path,
    models: &[Model],
    reads: &BTreeMap<String, Vec<String>>,
    now: &BTreeMap<String, String>,
) -> BTreeMap<String, Kept> {
    let recorded = recorded(lake_dir);
    let mut keep = BTreeMap::new();
    for m in models {
        let Some(fp) = now.get(&m.name) else {
            continue;
        };
        let inputs_kept = reads
            .get(&m.name)
            .into_iter()
            .flatten()
            .filter(|r| models.iter().any(|o| &o.name == *r))
            .all(|r| keep.contains_key(r));
        if let (true, Some(k)) = (inputs_kept, recorded.get(&(m.name.clone(), fp.clone()))) {
            keep.insert(m.name.clone(), k.clone());
        }
    }
    keep
}

/// Every (mart, fingerprint) the newest run record that has them names, with that run and the
/// mart's rows. The newest suffices: each run records every mart's fingerprint, computed or
/// kept, and an older record describes older mart files, which cannot match. Reading one record
/// rather than all keeps the cost flat as the nights add up. Records that cannot be read are
/// passed over (they only cost a recompute).
fn recorded(lake_dir: &Path) -> BTreeMap<(String, String), Kept> {
    let Ok(dir) = std::fs::read_dir(lake_dir.join(RUNS_DIR)) else {
        return BTreeMap::new();
    };
    let mut records: Vec<(std::time::SystemTime, std::path::PathBuf)> = dir
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    records.sort_by_key(|r| std::cmp::Reverse(r.0));
    records
        .into_iter()
        .find_map(|(_, path)| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
            let fps = v["mart_fingerprints"]
                .as_object()
                .filter(|f| !f.is_empty())?;
            let run = v["run_id"].as_str()?;
            Some(
                fps.iter()
                    .filter_map(|(mart, fp)| {
                        let rows = v["marts"][mart].as_u64()?;
                        let kept = Kept {
                            run_id: run.to_string(),
                            rows: rows as usize,
                        };
                        Some(((mart.clone(), fp.as_str()?.to_string()), kept))
                    })
                    .collect(),
            )
        })
        .unwrap_or_default()
}
