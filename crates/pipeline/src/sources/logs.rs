//! System logs into it_event, one commit per file, streamed day by day into the lake.

use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;
use friktion_core::LakeTable;
use friktion_ingest_logs::{Catalog, EventSink, LogError, LogSpec, PseudonymCache, SinkError};
use friktion_lake::{FileStat, LakeError, LoadError, Loaded, PartitionedWriter, Source, Txn};

use crate::PipelineError;
use crate::context::{RunContext, Sources};
use crate::event::{Event, Stage};
use crate::summary::SourceResult;

/// Bumped when log ingest changes in a way that should reload every log source.
const LOG_INGEST_VERSION: &str = "log-ingest-1";

/// What unfinished Parquet row groups of one source may hold in memory together.
const WRITE_BUDGET: usize = 96 << 20;

/// Every [[logs]] source's files, in the config's order, two at a time up to
/// [`SMALL_LOG_FILE`](super::together::SMALL_LOG_FILE) (see [`super::together`]).
pub fn load_all(
    ctx: &RunContext<'_>,
    catalog: &Catalog,
    out: &mut Sources<'_>,
) -> Result<(), PipelineError> {
    let cache = PseudonymCache::default();
    let mut files = Vec::new();
    for (k, spec) in ctx.cfg.logs.iter().enumerate() {
        files.extend(
            ctx.cfg
                .glob(&spec.files)?
                .into_iter()
                .map(|path| super::Named {
                    name: ctx.cfg.source_name(&path),
                    path,
                    source: k,
                }),
        );
    }
    out.seen.extend(files.iter().map(|f| f.name.clone()));
    let load = |f: &super::Named| {
        let lf = LogFile {
            path: &f.path,
            name: &f.name,
            spec: &ctx.cfg.logs[f.source],
            catalog,
            cache: &cache,
        };
        load_file(ctx, &lf)
    };
    let together = super::together::Together::logs();
    super::together::load_in_order(&files, together, load, |f, loaded| {
        match loaded? {
            Ok((r, problem)) => {
                out.loaded(ctx, r);
                if let Some(problem) = problem {
                    out.failed(ctx, &f.name, problem);
                }
            }
            Err(message) => out.failed(ctx, &f.name, message),
        }
        Ok(())
    })
}

struct LogFile<'a> {
    path: &'a Path,
    name: &'a str,
    spec: &'a LogSpec,
    catalog: &'a Catalog,
    cache: &'a PseudonymCache,
}

/// The lake as the log reader's sink: each day's batches into its partition. A lake failure is
/// kept here and handed back as the lake's, not the source's.
struct LakeSink<'t, 'l> {
    txn: &'t Txn<'l>,
    writer: PartitionedWriter,
    failed: Option<LakeError>,
}

impl EventSink for LakeSink<'_, '_> {
    fn write(&mut self, day: NaiveDate, batch: arrow::array::RecordBatch) -> Result<(), SinkError> {
        let day = day.format("%Y-%m-%d").to_string();
        super::write_streamed(
            &mut self.writer,
            self.txn,
            &[&day],
            &batch,
            &mut self.failed,
        )
    }
}

/// SHA-256 of a file, read in blocks (log files can be many gigabytes).
fn file_hash(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf)? {
            0 => break,
            n => h.update(&buf[..n]),
        }
    }
    Ok(hex::encode(h.finalize()))
}

/// One log file: its result and a problem to report if it broke off; or why it failed whole.
#[allow(clippy::type_complexity)]
fn load_file(
    ctx: &RunContext<'_>,
    f: &LogFile<'_>,
) -> Result<Result<(SourceResult, Option<String>), String>, PipelineError> {
    let cannot_read = |e: std::io::Error| format!("cannot read {}: {e}", f.path.display());
    // Everything that shapes a log file's rows is known before it is read.
    let config_hash = friktion_lake::content_hash(
        format!(
            "{LOG_INGEST_VERSION}|{:?}|{}|{}",
            f.spec,
            f.catalog.content_hash,
            ctx.key.fingerprint()
        )
        .as_bytes(),
    );
    let stat = match FileStat::of(f.path) {
        Ok(s) => s,
        Err(e) => return Ok(Err(cannot_read(e))),
    };
    if let Some(e) = ctx.unchanged_on_disk(f.name, "logs", stat, &config_hash) {
        return Ok(Ok((SourceResult::from_entry(&e, Stage::Logs, 0), None)));
    }
    // A file loaded before whose size or time moved is hashed first, to know whether it
    // changed; a new one is hashed while it is read, so that gigabytes are read once.
    let pre_hash = match ctx.ledger.last_load(f.name) {
        Some(_) => match file_hash(f.path) {
            Ok(h) => Some(h),
            Err(e) => return Ok(Err(cannot_read(e))),
        },
        None => None,
    };
    let source = Source {
        content_hash: pre_hash.clone(),
        stat: Some(stat),
        settings_hash: Some(config_hash.clone()),
        tables: &[LakeTable::ItEvent],
        quarantine: Some(LakeTable::LogQuarantine),
        ..Source::new(f.name, "logs", config_hash)
    };
    let progress = |done: u64, total: u64| {
        ctx.observer.event(Event::Progress {
            file: f.name.to_string(),
            done,
            total,
        })
    };
    let ingest_ctx = friktion_ingest_logs::Context {
        catalog: f.catalog,
        reference: ctx.reference,
        pseudonymiser: ctx.pseudonymiser,
        cache: f.cache,
        progress: Some(&progress),
        hash_content: pre_hash.is_none(),
    };
    let mut extra = (0, 0, None);
    let outcome = ctx.load_source(&source, |w| {
        let stem = w.stem().to_string();
        let mut sink = LakeSink {
            txn: w.txn(),
            writer: PartitionedWriter::new(LakeTable::ItEvent.def(), &stem, WRITE_BUDGET),
            failed: None,
        };
        let result = friktion_ingest_logs::ingest(f.path, f.name, f.spec, &ingest_ctx, &mut sink);
        let (writer, failed) = (sink.writer, sink.failed);
        let out = match (result, failed) {
            (_, Some(lake)) => return Err(LoadError::Lake(lake)),
            (Err(e), None) => return Err(LoadError::Source(e)),
            (Ok(out), None) => out,
        };
        writer.finish(w.txn())?;
        let content_hash = match (&pre_hash, &out.content_sha256) {
            (Some(h), _) | (None, Some(h)) => h.clone(),
            // Read only in part (it broke off): hash the file as it is on disk.
            (None, None) => {
                file_hash(f.path).map_err(|e| LoadError::Source(LogError::io(f.path, e)))?
            }
        };
        w.quarantine(&out.quarantine)?;
        extra = (
            out.values_nulled,
            out.events_without_system,
            out.truncated.clone(),
        );
        if out.events_without_system > 0 {
            ctx.warn(
                Some(f.name),
                format!(
                    "{}: {} of {} events match no system in the catalogue (system_id left empty)",
                    f.name, out.events_without_system, out.events
                ),
            );
        }
        // Records, not physical lines: blank lines and W3C directives are neither.
        Ok(Loaded {
            rows_read: out.events + out.lines_rejected,
            rows_written: out.events,
            rows_quarantined: out.lines_rejected,
            content_hash: Some(content_hash),
        })
    })?;
    Ok(super::result(outcome, Stage::Logs, extra.0).map(|r| (r, extra.2)))
}
