//! The log friction model's stage: it_friction_daily recomputed for every day whose events
//! changed, in one commit.

use arrow::array::RecordBatch;
use chrono::NaiveDate;
use friktion_core::LakeTable;
use friktion_ingest_logs::{Catalog, LogError, friction};
use friktion_lake::Lake;
use rayon::prelude::*;

use crate::PipelineError;

/// Recomputes it_friction_daily for every day whose events are newer than its friction rows
/// (or that has one and not the other). Deciding by the files rather than by what this run
/// ingested means a run killed between ingest and model is caught up by the next one.
/// Returns the days recomputed or removed.
pub fn run(lake: &Lake, catalog: &Catalog) -> Result<usize, PipelineError> {
    let ev = LakeTable::ItEvent.def();
    let fd = LakeTable::ItFrictionDaily.def();
    let friction_files = lake.files_with_times(fd.name)?;
    let mut stale = Vec::new();
    let event_days: Vec<String> = lake
        .partitions(&ev)?
        .into_iter()
        .filter_map(|p| p.into_iter().next())
        .collect();
    for day in &event_days {
        // A day's events changed if a file of it is newer than its friction rows; on a local
        // lake a removed file shows only in its directory's time.
        let files = lake.partition_files(&ev, &[day])?;
        let dir_time = lake.partition_removed_at(&ev, &[day])?;
        let newest = files
            .iter()
            .filter_map(|f| f.modified)
            .chain(dir_time)
            .max();
        let done = friction_files
            .iter()
            .find(|f| f.stem() == day.as_str())
            .and_then(|f| f.modified);
        if done.is_none() || newest > done {
            stale.push(day.clone());
        }
    }
    let mut orphans = Vec::new();
    for f in &friction_files {
        let stem = f.stem().to_string();
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
    // A national day is hundreds of files: they are decoded by groups on every core and the
    // groups joined in file order, which gives what reading them one by one would.
    let group = files
        .len()
        .div_ceil(4 * rayon::current_num_threads())
        .max(1);
    let parts = files
        .par_chunks(group)
        .map(|files| {
            let mut events = friction::DayEvents::default();
            let mut bad = None;
            lake.for_each_batch(files, &friction::INPUT_COLUMNS, |b| {
                if bad.is_none() {
                    bad = events.add(&b).err();
                }
                Ok(())
            })?;
            match bad {
                Some(e) => Err(model(e)),
                None => Ok(events),
            }
        })
        .collect::<Result<Vec<_>, PipelineError>>()?;
    friction::DayEvents::merge(parts)
        .finish(d, catalog)
        .map_err(model)
}
