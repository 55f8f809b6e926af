//! The source stages of a run: every configured file into the lake through
//! [`friktion_lake::Lake::load_source`], then the log friction model.

pub mod kolada;
pub mod log_model;
pub mod logs;
pub mod projects;
pub mod survey;
pub mod together;
pub mod whole;

use friktion_ingest_logs::Catalog;
use friktion_lake::Outcome;

use crate::PipelineError;
use crate::context::{RunContext, Sources};
use crate::event::{Event, Stage};
use crate::summary::{OverLimit, SourceResult};

/// A source file's bytes, or why it cannot be read (the file then fails alone).
#[derive(Debug, thiserror::Error)]
#[error("the lake could not take the batch")]
struct LakeRefused;

/// A streaming ingest's batch into its partition. A lake failure is kept in `failed`, to be
/// handed back as the lake's, not the source's; the ingest is only told to stop.
fn write_streamed(
    writer: &mut friktion_lake::PartitionedWriter,
    txn: &friktion_lake::Txn<'_>,
    partition: &[&str],
    batch: &arrow::array::RecordBatch,
    failed: &mut Option<friktion_lake::LakeError>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    writer.write(txn, partition, batch).map_err(|e| {
        *failed = Some(e);
        Box::new(LakeRefused) as _
    })
}

/// A source file with its name in the lake and the index of the config's source that names it.
struct Named {
    path: std::path::PathBuf,
    name: String,
    source: usize,
}

impl AsRef<std::path::Path> for Named {
    fn as_ref(&self) -> &std::path::Path {
        &self.path
    }
}

fn read_file(file: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
}

/// A whole-table source other sources need (a catalogue, definitions): what it gives, or None
/// when it failed, alone, with its reason in the summary.
fn needed<T>(
    ctx: &RunContext<'_>,
    out: &mut Sources<'_>,
    path: &std::path::Path,
    load: impl FnOnce(
        &RunContext<'_>,
        &std::path::Path,
    ) -> Result<Result<(T, SourceResult), whole::TableSourceError>, PipelineError>,
) -> Result<Option<T>, PipelineError> {
    let name = ctx.cfg.source_name(path);
    out.seen.push(name.clone());
    Ok(match load(ctx, path)? {
        Ok((t, r)) => {
            out.loaded(ctx, r);
            Some(t)
        }
        Err(e) => {
            out.failed(ctx, &name, friktion_core::error_chain(&e));
            None
        }
    })
}

/// A finished load as the summary's line, or the source's own failure as the text to report.
fn result<E: std::error::Error + 'static>(
    outcome: Outcome<E>,
    stage: Stage,
    values_nulled: i64,
) -> Result<SourceResult, String> {
    match outcome {
        Outcome::Loaded(e) | Outcome::Skipped(e) => {
            Ok(SourceResult::from_entry(&e, stage, values_nulled))
        }
        Outcome::Failed(e) => Err(friktion_core::error_chain(&e)),
    }
}

/// Ledger files kept before they are rewritten as one (a night of 290 kommuners' logs adds
/// about 300).
pub const LEDGER_FILES_MAX: usize = 512;

/// Loads every source, timing each stage with `lap`. `full` removes vanished sources' rows;
/// `named_only` (a one-off load of named files) leaves every other source alone.
pub fn load(
    ctx: &RunContext<'_>,
    out: &mut Sources<'_>,
    full: bool,
    named_only: bool,
    lap: &mut dyn FnMut(&mut Sources<'_>, Stage),
) -> Result<(), PipelineError> {
    let cfg = ctx.cfg;
    let r = whole::reference(ctx)?;
    out.seen.push(r.file.clone());
    out.loaded(ctx, r);
    if let Some(path) = &cfg.assumptions {
        let r = whole::assumptions(ctx, path)?;
        out.seen.push(r.file.clone());
        out.loaded(ctx, r);
    }
    survey::load_all(ctx, out)?;
    lap(out, Stage::Surveys);
    let catalog = match &cfg.systems {
        Some(path) if !cfg.logs.is_empty() => {
            Some(
                Catalog::load(path).map_err(|e| crate::config::ConfigError::Systems {
                    path: path.clone(),
                    source: e,
                })?,
            )
        }
        _ => None,
    };
    if let Some(catalog) = &catalog {
        logs::load_all(ctx, catalog, out)?;
        lap(out, Stage::Logs);
        out.summary.friction_days = log_model::run(ctx.lake, catalog)?;
        lap(out, Stage::LogModel);
    }
    if projects::load_all(ctx, out)? {
        lap(out, Stage::Projects);
    }
    if kolada::load_all(ctx, out)? {
        lap(out, Stage::Kolada);
    }
    ctx.record_skips()?;
    // Every load adds a ledger file and every night reads them all: kept to a few hundred,
    // the ledger costs the same after years of nights as after one.
    ctx.lake.compact_ledger(ctx.run_id, LEDGER_FILES_MAX)?;
    if named_only {
        check_limits(ctx, out);
        return Ok(());
    }
    let vanished: Vec<String> = ctx
        .ledger
        .known_sources()
        .into_iter()
        .filter(|k| !out.seen.iter().any(|s| s == k))
        .map(str::to_string)
        .collect();
    if full {
        ctx.lake
            .remove_sources(ctx.ledger, &vanished, ctx.run_id, ctx.now)?;
        for name in &vanished {
            ctx.warn(
                Some(name),
                format!("{name}: its file is gone; its rows are removed (--full)"),
            );
        }
        if let (false, Some(catalog)) = (vanished.is_empty(), &catalog) {
            out.summary.friction_days += log_model::run(ctx.lake, catalog)?;
        }
        out.summary.removed = vanished;
    } else {
        for v in &vanished {
            ctx.warn(
                Some(v),
                format!(
                    "{v}: loaded before, no longer among the sources; its rows are kept (friktion run --full removes them)"
                ),
            );
        }
        out.summary.vanished = vanished;
    }
    check_limits(ctx, out);
    Ok(())
}

/// Sources whose rejected share exceeds `limits.max_quarantined_share`: an export that changed
/// shape loads little and quarantines much, and nobody should find out from a thin chart.
fn check_limits(ctx: &RunContext<'_>, out: &mut Sources<'_>) {
    let limit = ctx.cfg.limits.max_quarantined_share;
    let s = &mut *out.summary;
    s.limit = limit;
    s.over_limit = s
        .sources
        .iter()
        // A share of a handful of rows says little: one bad row of four is not an export
        // that changed shape.
        .filter(|x| x.action != friktion_core::LedgerAction::Skipped && x.rows_read >= 20)
        .map(|x| OverLimit {
            file: x.file.clone(),
            share_rejected: x.rows_quarantined as f64 / x.rows_read as f64,
        })
        .filter(|o| o.share_rejected > limit)
        .collect();
    for o in &s.over_limit {
        ctx.observer.event(Event::Problem {
            file: Some(o.file.clone()),
            message: format!(
                "{}: {:.1} % of its rows were rejected, more than the limit of {:.1} % (limits.max_quarantined_share); see the *_quarantine tables",
                o.file,
                o.share_rejected * 100.0,
                limit * 100.0
            ),
        });
    }
}
