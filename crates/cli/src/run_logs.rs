//! The log half of `friktion run`: each [[logs]] file into it_event (one commit per file),
//! then the friction model for every day whose events changed.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use friktion_core::quarantine;
use friktion_core::{LakeTable, PseudoKey, Pseudonymiser, Reference};
use friktion_ingest_logs::{Catalog, EventSink, LogSpec, PseudonymCache, friction};
use friktion_lake::{Lake, Ledger, LedgerEntry, PartitionedWriter, Txn, ledger, source_key};
use friktion_report::html::SourceLine;
use rayon::prelude::*;

/// Bumped when log ingest changes in a way that should reload every log source.
const LOG_INGEST_VERSION: &str = "log-ingest-1";

/// What unfinished Parquet row groups of one source may hold in memory together.
const WRITE_BUDGET: usize = 96 << 20;

pub struct LogsCtx<'a> {
    pub lake: &'a Lake,
    pub ledger: &'a Ledger,
    pub reference: &'a Reference,
    pub pseudonymiser: &'a Pseudonymiser,
    pub cache: &'a PseudonymCache,
    pub catalog: &'a Catalog,
    pub key: &'a PseudoKey,
    pub run_id: &'a str,
    pub quiet: bool,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// The result of one log file: its summary line, and a problem to report if the file was
/// unusable or broke off.
pub struct LogFile {
    pub line: SourceLine,
    pub problem: Option<String>,
}

struct LakeSink<'t, 'l> {
    txn: &'t Txn<'l>,
    writer: PartitionedWriter,
}

impl EventSink for LakeSink<'_, '_> {
    fn write(&mut self, day: NaiveDate, batch: arrow::array::RecordBatch) -> Result<(), String> {
        let day = day.format("%Y-%m-%d").to_string();
        self.writer
            .write(self.txn, &[&day], &batch)
            .map_err(|e| e.to_string())
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

fn ledger_entry(c: &LogsCtx<'_>, name: &str, hash: String, config_hash: String) -> LedgerEntry {
    LedgerEntry::new(name, "logs", hash, config_hash, c.run_id, c.now)
}

pub fn log_file(c: &LogsCtx<'_>, spec: &LogSpec, file: &Path, name: &str) -> Result<LogFile> {
    let last = c.ledger.last_load(name);
    // A file loaded before is hashed first, to know whether it changed; a new one is hashed
    // while it is read, so that gigabytes are read once.
    let pre_hash = match last {
        Some(_) => {
            Some(file_hash(file).with_context(|| format!("cannot read {}", file.display()))?)
        }
        None => None,
    };
    let config_hash = friktion_lake::content_hash(
        format!(
            "{LOG_INGEST_VERSION}|{spec:?}|{}|{}",
            c.catalog.content_hash,
            c.key.fingerprint()
        )
        .as_bytes(),
    );
    let key = source_key(name);
    let mut entry = ledger_entry(
        c,
        name,
        pre_hash.clone().unwrap_or_default(),
        config_hash.clone(),
    );
    let ledger_stem = format!("{}-{key}", c.run_id);
    if last
        .is_some_and(|l| Some(&l.content_hash) == pre_hash.as_ref() && l.config_hash == config_hash)
    {
        entry.action = "skipped".into();
        let mut txn = c.lake.begin()?;
        write_ledger(&mut txn, &ledger_stem, &entry)?;
        txn.commit()?;
        return Ok(LogFile {
            line: crate::run::line(&entry),
            problem: None,
        });
    }
    if last.is_some() {
        entry.action = "replaced".into();
    }
    let mut txn = c.lake.begin()?;
    let event_def = LakeTable::ItEvent.def();
    replace_log_source(&mut txn, &key)?;
    let progress = Progress::new(name, c.quiet);
    let cb = |done: u64, total: u64| progress.update(done, total);
    let ctx = friktion_ingest_logs::Context {
        catalog: c.catalog,
        reference: c.reference,
        pseudonymiser: c.pseudonymiser,
        cache: c.cache,
        progress: Some(&cb),
        hash_content: pre_hash.is_none(),
    };
    let mut sink = LakeSink {
        txn: &txn,
        writer: PartitionedWriter::new(event_def.clone(), &key, WRITE_BUDGET),
    };
    let result = friktion_ingest_logs::ingest(file, name, spec, &ctx, &mut sink);
    progress.finish();
    let writer = sink.writer;
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            // Unusable as a whole: say why in quarantine, and take out what an earlier version
            // of the file gave, so the lake never mixes versions.
            drop(writer);
            drop(txn);
            let mut txn = c.lake.begin()?;
            replace_log_source(&mut txn, &key)?;
            txn.write_table(
                &LakeTable::LogQuarantine.def(),
                &[],
                &key,
                &[quarantine::whole_file(name, c.run_id, e.to_string())],
            )?;
            // No ledger row: the next run tries the file again and reports it again.
            txn.commit()?;
            return Err(anyhow::Error::new(e));
        }
    };
    writer.finish(&mut txn)?;
    entry.content_hash = match (&pre_hash, &out.content_sha256) {
        (Some(h), _) | (None, Some(h)) => h.clone(),
        // Read only in part (it broke off): hash the file as it is on disk.
        (None, None) => {
            file_hash(file).with_context(|| format!("cannot read {}", file.display()))?
        }
    };
    if !out.quarantine.is_empty() {
        txn.write_table(
            &LakeTable::LogQuarantine.def(),
            &[],
            &key,
            &[quarantine::to_batch(name, c.run_id, &out.quarantine)],
        )?;
    }
    // Records, not physical lines: blank lines and W3C directives are neither.
    entry.rows_read = out.events + out.lines_rejected;
    entry.rows_written = out.events;
    entry.rows_quarantined = out.lines_rejected;
    write_ledger(&mut txn, &ledger_stem, &entry)?;
    txn.commit()?;
    if out.events_without_system > 0 {
        tracing::warn!(
            file = %name,
            "{name}: {} of {} events match no system in the catalogue (system_id left empty)",
            out.events_without_system, out.events
        );
    }
    Ok(LogFile {
        line: SourceLine {
            values_nulled: out.values_nulled,
            ..crate::run::line(&entry)
        },
        problem: out.truncated,
    })
}

/// Marks every file a log source gave, in its tables, for replacement.
fn replace_log_source(txn: &mut Txn<'_>, key: &str) -> Result<()> {
    for t in [LakeTable::ItEvent, LakeTable::LogQuarantine] {
        txn.replace_source(&t.def(), key)?;
    }
    Ok(())
}

fn write_ledger(txn: &mut Txn<'_>, stem: &str, entry: &LedgerEntry) -> Result<()> {
    txn.write_table(
        &LakeTable::Ledger.def(),
        &[],
        stem,
        &[ledger::to_batch(std::slice::from_ref(entry))],
    )?;
    Ok(())
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Recomputes it_friction_daily for every day whose events are newer than its friction rows
/// (or that has one and not the other). Deciding by the files rather than by what this run
/// ingested means a run killed between ingest and model is caught up by the next one.
/// Returns the days recomputed.
pub fn friction_model(lake: &Lake, catalog: &Catalog) -> Result<usize> {
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
    let results: Vec<Result<(String, arrow::array::RecordBatch)>> = stale
        .par_iter()
        .map(|day| {
            let d = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .with_context(|| format!("it_event partition day={day} is not a date"))?;
            let files = lake.partition_files(&ev, &[day])?;
            let mut events = friction::DayEvents::default();
            let mut bad = None;
            friktion_lake::io::for_each_batch(&files, &friction::INPUT_COLUMNS, |b| {
                if bad.is_none() {
                    bad = events.add(&b).err();
                }
                Ok(())
            })?;
            if let Some(e) = bad {
                return Err(e.into());
            }
            Ok((day.clone(), events.finish(d, catalog)?))
        })
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

/// A progress bar on stderr, only when it is a terminal and the run is not quiet.
struct Progress {
    name: String,
    enabled: bool,
    start: Instant,
    last: Mutex<Option<Instant>>,
}

impl Progress {
    fn new(name: &str, quiet: bool) -> Self {
        Self {
            name: name.to_string(),
            enabled: !quiet && std::io::stderr().is_terminal(),
            start: Instant::now(),
            last: Mutex::new(None),
        }
    }

    fn update(&self, done: u64, total: u64) {
        if !self.enabled {
            return;
        }
        let mut last = self.last.lock().expect("not poisoned");
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(200)) {
            return;
        }
        *last = Some(Instant::now());
        let frac = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let width = 30;
        let filled = ((frac * width as f64) as usize).min(width);
        let secs = self.start.elapsed().as_secs_f64().max(1e-3);
        eprint!(
            "\r  {} [{}{}] {:>3.0}%  {:.0} MB/s ",
            self.name,
            "#".repeat(filled),
            " ".repeat(width - filled),
            frac * 100.0,
            done as f64 / 1e6 / secs
        );
        let _ = std::io::stderr().flush();
    }

    fn finish(&self) {
        if self.enabled && self.last.lock().expect("not poisoned").is_some() {
            eprint!("\r{}\r", " ".repeat(self.name.len() + 60));
            let _ = std::io::stderr().flush();
        }
    }
}
