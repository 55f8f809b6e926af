//! The log friction model's stage: it_friction_daily recomputed for every day whose events
//! changed, in one commit.

use std::path::Path;
use std::time::SystemTime;

use arrow::array::RecordBatch;
use chrono::NaiveDate;
use friktion_core::LakeTable;
use friktion_ingest_logs::{Catalog, LogError, friction};
use friktion_lake::Lake;
use rayon::prelude::*;

use crate::PipelineError;

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Recomputes it_friction_daily for every day whose events are newer than its friction rows
/// (or that has one and not the other). Deciding by the files rather than by what this run
/// ingested means a run killed between ingest and model is caught up by the next one.
/// Returns the days recomputed or removed.
pub fn run(lake: &Lake, catalog: &Catalog) -> Result<usize, PipelineError> {
    let ev = LakeTable::ItEvent.def();
    let fd = LakeTable::ItFrictionDaily.def();
    let fdir = lake.table_dir(&fd);
    let mut stale = Vec::new();
    let event_days: Vec<String> = lake
        .partitions(&ev)?
        .into_iter()
        .filter_map(|p| p.into_iter().next())
        .collect();
    for day in &event_days {
        let files = lake.partition_files(&ev, &[day])?;
        let newest = files
            .iter()
            .filter_map(|f| mtime(f))
            .chain(files.first().and_then(|f| f.parent()).and_then(mtime))
            .max();
        let done = mtime(&fdir.join(format!("part-{day}.parquet")));
        if done.is_none() || newest > done {
            stale.push(day.clone());
        }
    }
    let mut orphans = Vec::new();
    for f in friktion_lake::io::parquet_files(&fdir)? {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().trim_start_matches("part-").to_string())
            .unwrap_or_default();
        if !event_days.contains(&stem) {
            orphans.push(stem);
        }
    }
    if stale.is_empty() && orphans.is_empty() {
        return Ok(0);
    }
    let results: Vec<Result<(String, RecordBatch), PipelineError>> = stale
        .par_iter()
        .map(|day| Ok((day.clone(), one_day(lake, catalog, day)?)))
        .collect();
    let mut txn = lake.begin()?;
    for r in results {
        let (day, batch) = r?;
        txn.write_table(&fd, &[], &day, &[batch])?;
    }
    for day in &orphans {
        txn.replace_source(&fd, day)?;
    }
    txn.commit()?;
    Ok(stale.len() + orphans.len())
}

fn one_day(lake: &Lake, catalog: &Catalog, day: &str) -> Result<RecordBatch, PipelineError> {
    let model = PipelineError::FrictionModel;
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| {
        model(LogError::Model(format!(
            "it_event partition day={day} is not a date"
        )))
    })?;
    let files = lake.partition_files(&LakeTable::ItEvent.def(), &[day])?;
    let mut events = friction::DayEvents::default();
    let mut bad = None;
    friktion_lake::io::for_each_batch(&files, &friction::INPUT_COLUMNS, |b| {
        if bad.is_none() {
            bad = events.add(&b).err();
        }
        Ok(())
    })?;
    if let Some(e) = bad {
        return Err(model(e));
    }
    events.finish(d, catalog).map_err(model)
}
