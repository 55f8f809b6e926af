//! Loading one source file into the lake, written once for every kind of source.
//!
//! [`Lake::load_source`] is the whole life of a source in one run:
//!
//! 1. **Decide.** The ledger's last load of the source is compared with its content hash and
//!    config hash: unchanged means *skipped* (nothing is loaded), a source loaded before means
//!    *replaced*, otherwise *ingested*. Skips are not committed one by one: the run records
//!    them together ([`Lake::record_skips`]), one ledger file a night rather than one per
//!    retained source. A run killed before that loses only the record of what it skipped.
//! 2. **Load.** The caller's loader writes the source's rows and quarantine through a
//!    [`SourceWriter`]; every file the source gave before, in each of its tables, is replaced.
//! 3. **Commit.** Data, quarantine and the ledger row become visible together, or not at all.
//!
//! A loader that fails says the source is unusable as a whole. Then what earlier versions of it
//! gave is taken out (the lake never mixes versions of a file), the reason is written to its
//! quarantine table as one whole-file row, and no ledger row is written, so the next run tries
//! it again and reports it again. A source without a quarantine table (a whole table such as
//! the SCB reference) is left as it was instead.

use arrow::array::RecordBatch;
use chrono::{DateTime, Utc};
use friktion_core::{LakeTable, LedgerAction, quarantine};

use crate::{FileStat, Lake, LakeError, Ledger, LedgerEntry, Result, Txn, ledger, source_key};

/// A source about to be loaded.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// Its name in lineage (relative to the project root, with '/').
    pub name: &'a str,
    /// The ledger's source_kind: survey, logs, projects, reference, …
    pub kind: &'a str,
    /// SHA-256 of its bytes, when known before loading. `None` when the loader hashes the
    /// bytes as it reads them (a new log file of gigabytes): such a source is never skipped.
    pub content_hash: Option<String>,
    /// Hash of everything besides its bytes that shapes its rows (instrument, mapping, key
    /// fingerprint, ingest version).
    pub config_hash: String,
    /// The tables its rows go to; what it gave them before is replaced.
    pub tables: &'a [LakeTable],
    /// Where a whole-file failure is recorded; `None` for whole tables, which are left as they
    /// were when their new version cannot be built.
    pub quarantine: Option<LakeTable>,
    /// The stem of the files it writes (`part-<stem>.parquet`): by default the source's key.
    pub stem: String,
    /// The file's size and time as the loader found it, kept in the ledger so that the next
    /// run can skip it unread ([`crate::Ledger::unchanged_on_disk`]).
    pub stat: Option<FileStat>,
    /// Hash of the settings known before the file is read; with `stat`, what lets the next run
    /// skip it unread. `config_hash` may also depend on what is in the file (a survey's
    /// header), so it cannot serve.
    pub settings_hash: Option<String>,
}

impl<'a> Source<'a> {
    /// A source whose files are named by its key, so that it replaces exactly its own rows.
    pub fn new(name: &'a str, kind: &'a str, config_hash: String) -> Self {
        Self {
            name,
            kind,
            content_hash: None,
            config_hash,
            tables: &[],
            quarantine: None,
            stem: source_key(name),
            stat: None,
            settings_hash: None,
        }
    }
}

/// What a loader read and wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_quarantined: i64,
    /// The content hash, when the loader computed it while reading.
    pub content_hash: Option<String>,
}

/// Why a loader stopped: the source is unusable (the run goes on without it), or the lake
/// failed (the run stops).
#[derive(Debug)]
pub enum LoadError<E> {
    Source(E),
    Lake(LakeError),
}

impl<E> From<LakeError> for LoadError<E> {
    fn from(e: LakeError) -> Self {
        LoadError::Lake(e)
    }
}

impl Loaded {
    /// A loader's counts; the content hash as the source said it.
    pub fn counts(rows_read: i64, rows_written: i64, rows_quarantined: i64) -> Self {
        Self {
            rows_read,
            rows_written,
            rows_quarantined,
            content_hash: None,
        }
    }
}

/// How a source's load ended.
#[derive(Debug)]
pub enum Outcome<E> {
    /// Loaded (ingested or replaced) and committed with its ledger row.
    Loaded(LedgerEntry),
    /// Unchanged since its last load; nothing is committed: hand the entry to
    /// [`Lake::record_skips`].
    Skipped(LedgerEntry),
    /// Unusable as a whole: the loader's error. Its earlier rows are out and the reason is in
    /// quarantine (when the source has a quarantine table); no ledger row.
    Failed(E),
}

/// The door through which a loader writes a source's rows into the open transaction.
pub struct SourceWriter<'t, 'l> {
    txn: &'t mut Txn<'l>,
    stem: &'t str,
    name: &'t str,
    run_id: &'t str,
    quarantine: Option<LakeTable>,
}

impl<'l> SourceWriter<'_, 'l> {
    /// Stages the source's rows of `table` in one partition (empty batches write nothing).
    pub fn write(
        &mut self,
        table: LakeTable,
        partition: &[&str],
        batches: &[RecordBatch],
    ) -> Result<()> {
        if batches.iter().all(|b| b.num_rows() == 0) {
            return Ok(());
        }
        self.txn
            .write_table(&table.def(), partition, self.stem, batches)?;
        Ok(())
    }

    /// Stages a whole table's one file, even empty: the file is the table's whole content.
    pub fn write_whole(&mut self, table: LakeTable, batch: RecordBatch) -> Result<()> {
        self.txn
            .write_table(&table.def(), &[], self.stem, &[batch])?;
        Ok(())
    }

    /// Stages the source's quarantine rows (none: nothing written).
    pub fn quarantine(&mut self, rows: &[quarantine::QuarantineRow]) -> Result<()> {
        let Some(table) = self.quarantine else {
            return Ok(());
        };
        if rows.is_empty() {
            return Ok(());
        }
        let batch = quarantine::to_batch(self.name, self.run_id, rows);
        self.txn
            .write_table(&table.def(), &[], self.stem, &[batch])?;
        Ok(())
    }

    /// The stem of this source's files, for writers that stream (see `PartitionedWriter`).
    pub fn stem(&self) -> &str {
        self.stem
    }

    /// The transaction itself, for writers that stream.
    pub fn txn(&mut self) -> &mut Txn<'l> {
        self.txn
    }
}

impl Lake {
    /// Loads one source: skip, replace or ingest; whole-file quarantine on failure; data,
    /// quarantine and ledger row in one commit. See the module documentation.
    ///
    /// The outer `Result` is the lake's own failure (a disk error, also from inside the loader);
    /// the source's own failure ([`LoadError::Source`]) is [`Outcome::Failed`], after which the
    /// run goes on with other sources.
    pub fn load_source<E: std::error::Error + 'static>(
        &self,
        ledger: &Ledger,
        src: &Source<'_>,
        run_id: &str,
        now: DateTime<Utc>,
        load: impl FnOnce(&mut SourceWriter<'_, '_>) -> std::result::Result<Loaded, LoadError<E>>,
    ) -> Result<Outcome<E>> {
        let last = ledger.last_load(src.name);
        let mut entry = LedgerEntry::new(
            src.name,
            src.kind,
            src.content_hash.clone().unwrap_or_default(),
            src.config_hash.clone(),
            run_id,
            now,
        );
        entry.stat = src.stat;
        entry.settings_hash = src.settings_hash.clone();
        let ledger_stem = format!("{run_id}-{}", source_key(src.name));
        let unchanged = last.is_some_and(|l| {
            src.content_hash.as_ref() == Some(&l.content_hash) && l.config_hash == src.config_hash
        });
        if unchanged {
            entry.action = LedgerAction::Skipped;
            return Ok(Outcome::Skipped(entry));
        }
        if last.is_some() {
            entry.action = LedgerAction::Replaced;
        }
        let mut txn = self.begin()?;
        self.replace_tables(&mut txn, src)?;
        let mut writer = SourceWriter {
            txn: &mut txn,
            stem: &src.stem,
            name: src.name,
            run_id,
            quarantine: src.quarantine,
        };
        let loaded = match load(&mut writer) {
            Ok(l) => l,
            Err(LoadError::Lake(e)) => return Err(e),
            Err(LoadError::Source(e)) => {
                // Whatever the loader staged is dropped with its transaction.
                drop(txn);
                if let Some(q) = src.quarantine {
                    let mut txn = self.begin()?;
                    self.replace_tables(&mut txn, src)?;
                    txn.write_table(
                        &q.def(),
                        &[],
                        &src.stem,
                        &[quarantine::whole_file(
                            src.name,
                            run_id,
                            friktion_core::error_chain(&e),
                        )],
                    )?;
                    txn.commit()?;
                }
                return Ok(Outcome::Failed(e));
            }
        };
        entry.rows_read = loaded.rows_read;
        entry.rows_written = loaded.rows_written;
        entry.rows_quarantined = loaded.rows_quarantined;
        if let Some(h) = loaded.content_hash {
            entry.content_hash = h;
        }
        write_ledger(&mut txn, &ledger_stem, &entry)?;
        txn.commit()?;
        Ok(Outcome::Loaded(entry))
    }

    /// Records a run's skipped sources in the ledger, in one file and one commit.
    pub fn record_skips(&self, skipped: &[LedgerEntry], run_id: &str) -> Result<()> {
        if skipped.is_empty() {
            return Ok(());
        }
        let mut txn = self.begin()?;
        txn.write_table(
            &LakeTable::Ledger.def(),
            &[],
            &format!("{run_id}-skipped"),
            &[ledger::to_batch(skipped)],
        )?;
        txn.commit()
    }

    /// Rewrites the ledger as one file when it has grown past `max_files` (every load adds
    /// one, so a year of nightly log files is ~100 000), in one commit: the rows are those
    /// [`Ledger::load`] read, in its order, so what the ledger says does not change, only what
    /// loading it costs. Returns the number of files replaced (0 when under the limit).
    pub fn compact_ledger(&self, run_id: &str, max_files: usize) -> Result<usize> {
        let def = LakeTable::Ledger.def();
        let files = self.files_under(def.name)?;
        if files.len() <= max_files {
            return Ok(0);
        }
        let ledger = Ledger::load(self)?;
        let mut txn = self.begin()?;
        txn.replace_table(&def)?;
        txn.write_table(
            &def,
            &[],
            &format!("{run_id}-compacted"),
            &[ledger::to_batch(ledger.entries())],
        )?;
        txn.commit()?;
        Ok(files.len())
    }

    /// Takes the rows of sources whose files are gone out of every table, and records each as
    /// removed in the ledger, all in one commit.
    pub fn remove_sources(
        &self,
        ledger: &Ledger,
        gone: &[String],
        run_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if gone.is_empty() {
            return Ok(());
        }
        let mut txn = self.begin()?;
        let mut entries = Vec::new();
        for name in gone {
            let key = source_key(name);
            for t in LakeTable::ALL {
                if !matches!(t, LakeTable::Ledger | LakeTable::TestResult) {
                    txn.replace_source(&t.def(), &key)?;
                }
            }
            let kind = ledger
                .last_load(name)
                .map_or("", |l| l.source_kind.as_str());
            let mut e = LedgerEntry::new(name, kind, String::new(), String::new(), run_id, now);
            e.action = LedgerAction::Removed;
            entries.push(e);
        }
        txn.write_table(
            &LakeTable::Ledger.def(),
            &[],
            &format!("{run_id}-removed"),
            &[ledger::to_batch(&entries)],
        )?;
        txn.commit()
    }

    fn replace_tables(&self, txn: &mut Txn<'_>, src: &Source<'_>) -> Result<()> {
        for t in src.tables.iter().chain(src.quarantine.iter()) {
            txn.replace_source(&t.def(), &src.stem)?;
        }
        Ok(())
    }
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
