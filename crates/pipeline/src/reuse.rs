//! Whether the marts in the lake are what the models would compute again: then a night with
//! nothing new does not rebuild every mart from all history.
//!
//! The marts are a function of the lake's tables, the models' SQL and the program. A run that
//! computes them records, right after their commit, a fingerprint of all three *and of the mart
//! files that commit wrote*: the next run computes the same fingerprint over the lake as it
//! finds it. They are equal only when no table file, no model and no mart file changed since,
//! so a later run that committed marts and died before its record, or `friktion models run`,
//! makes them differ and the marts are computed. A model that reads the clock is never reused.

use std::path::Path;

use friktion_core::LakeTable;
use friktion_lake::Lake;
use friktion_query::Model;
use sha2::{Digest, Sha256};

use crate::PipelineError;
use crate::record::RUNS_DIR;

/// Words that make a model's result depend on the day it runs.
const CLOCK: [&str; 4] = ["now(", "current_date", "current_timestamp", "today("];

/// The fingerprint of what the marts in `lake` were computed from, or None when a model reads
/// the clock (its mart may differ tomorrow from the same inputs).
pub fn fingerprint(lake: &Lake, models: &[Model]) -> Result<Option<String>, PipelineError> {
    let mut h = Sha256::new();
    for m in models {
        let sql = m.sql.to_ascii_lowercase();
        if CLOCK.iter().any(|w| sql.contains(w)) {
            return Ok(None);
        }
        h.update(format!("model {}\n{}\n", m.name, m.sql));
    }
    let tables = LakeTable::ALL
        .iter()
        // Written by every run (skips, test results) and read by no model.
        .filter(|t| !matches!(t, LakeTable::Ledger | LakeTable::TestResult))
        .map(|t| t.def().name.to_string());
    let marts = lake.marts()?.into_iter().map(|m| format!("marts/{m}"));
    for dir in tables.chain(marts) {
        let mut files = lake.files_with_times(&dir)?;
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        for f in files {
            let t = f
                .modified
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            h.update(format!("{} {t}\n", f.rel));
        }
    }
    // The program: its functions and its Parquet writer shape the marts too.
    h.update(env!("CARGO_PKG_VERSION"));
    if let Some(m) = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
    {
        let t = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        h.update(format!("exe {} {t}\n", m.len()));
    }
    Ok(Some(hex::encode(h.finalize())))
}

/// The run whose record carries `fingerprint`, and the rows of each mart it left. Any such
/// record will do: the fingerprint covers the mart files, so a match means the lake is as that
/// run's marts commit left it. Records that cannot be read are passed over (they only cost a
/// recompute).
pub fn computed_by(lake_dir: &Path, fingerprint: &str) -> Option<(String, Vec<(String, usize)>)> {
    let dir = std::fs::read_dir(lake_dir.join(RUNS_DIR)).ok()?;
    dir.flatten().find_map(|entry| {
        let text = std::fs::read_to_string(entry.path()).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        if v["marts_fingerprint"].as_str()? != fingerprint {
            return None;
        }
        let marts = v["marts"]
            .as_object()?
            .iter()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0) as usize))
            .collect();
        Some((v["run_id"].as_str()?.to_string(), marts))
    })
}
