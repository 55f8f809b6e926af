//! The ingestion ledger: one row per source file and run, kept in the lake as `_ledger`.
//!
//! It is how a nightly run knows what it has already loaded: a source whose content hash and
//! config hash match its last load is skipped, and the skip itself is recorded. A file whose
//! size, modification time and settings match its last sighting is skipped without being read
//! at all ([`Ledger::unchanged_on_disk`]), so a night's cost follows what is new, not what the
//! lake has kept.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::TimestampMicrosecondType;
use chrono::{DateTime, Utc};
use friktion_core::{LakeTable, LedgerAction};

use crate::{Lake, LakeError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub source_file: String,
    pub source_kind: String,
    pub content_hash: String,
    pub config_hash: String,
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_quarantined: i64,
    pub action: LedgerAction,
    pub run_id: String,
    pub ingested_at: DateTime<Utc>,
    /// The file as it was on disk when this entry was made (None for sources that are not
    /// files of their own, and in entries from before it was kept).
    pub stat: Option<FileStat>,
    /// Hash of the settings known before the file is read (see [`crate::Source`]).
    pub settings_hash: Option<String>,
}

/// A file's size and modification time (to the microsecond, as the ledger keeps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub bytes: i64,
    pub modified: DateTime<Utc>,
}

/// How long before a run a file must have been written for its modification time to be
/// trusted: a file written in the same tick of the file system's clock as it was read could
/// change again without its time moving (git's "racily clean" entries).
const RACY_SECONDS: i64 = 2;

impl FileStat {
    /// The file at `path` as it is now.
    pub fn of(path: &std::path::Path) -> std::io::Result<Self> {
        let m = std::fs::metadata(path)?;
        let modified: DateTime<Utc> = m.modified()?.into();
        Ok(Self {
            bytes: i64::try_from(m.len()).unwrap_or(i64::MAX),
            modified: DateTime::from_timestamp_micros(modified.timestamp_micros())
                .unwrap_or(modified),
        })
    }
}

impl LedgerEntry {
    /// A source about to be loaded: ingested, no rows yet; [`Lake::load_source`] fills in the
    /// counts, or marks it replaced or skipped.
    pub fn new(
        source_file: &str,
        source_kind: &str,
        content_hash: String,
        config_hash: String,
        run_id: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            source_file: source_file.to_string(),
            source_kind: source_kind.to_string(),
            content_hash,
            config_hash,
            rows_read: 0,
            rows_written: 0,
            rows_quarantined: 0,
            action: LedgerAction::Ingested,
            run_id: run_id.to_string(),
            ingested_at: now,
            stat: None,
            settings_hash: None,
        }
    }
}

/// Every ledger row in the lake, with the last load of each source at hand.
#[derive(Debug, Default)]
pub struct Ledger {
    entries: Vec<LedgerEntry>,
    last_load: HashMap<String, usize>,
    /// The newest entry of each source that is loaded, skips included.
    last_seen: HashMap<String, usize>,
}

impl Ledger {
    pub fn load(lake: &Lake) -> Result<Self> {
        let def = LakeTable::Ledger.def();
        let mut entries = Vec::new();
        for b in lake.read_table(&def)? {
            entries.extend(from_batch(&b).map_err(|problem| LakeError::Contract {
                table: def.name.into(),
                problem,
            })?);
        }
        entries.sort_by(|a, b| (a.ingested_at, &a.run_id).cmp(&(b.ingested_at, &b.run_id)));
        let mut last_load = HashMap::new();
        let mut last_seen = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if e.action == LedgerAction::Removed {
                // Its rows were taken out (`friktion run --full` after its file vanished).
                last_load.remove(&e.source_file);
                last_seen.remove(&e.source_file);
                continue;
            }
            if e.action != LedgerAction::Skipped {
                last_load.insert(e.source_file.clone(), i);
            }
            last_seen.insert(e.source_file.clone(), i);
        }
        Ok(Self {
            entries,
            last_load,
            last_seen,
        })
    }

    /// The last load of a source whose file is, by its size and modification time, the one
    /// seen last, read with the same settings: the file need not be read to know it is
    /// unchanged. None when anything differs, when the ledger has no size and time for it, or
    /// when the file was written too close to the run that saw it for its time to be trusted.
    pub fn unchanged_on_disk(
        &self,
        source_file: &str,
        stat: FileStat,
        settings_hash: &str,
    ) -> Option<&LedgerEntry> {
        let (load, seen) = self.sighted_with(source_file, settings_hash)?;
        let trusted = seen.stat.is_some_and(|s| {
            s == stat && s.modified < seen.ingested_at - chrono::Duration::seconds(RACY_SECONDS)
        });
        (trusted && !load.content_hash.is_empty()).then_some(load)
    }

    /// The last load of a source whose bytes hash to `content_hash` and whose settings are
    /// those of its last sighting: unchanged, known without parsing it (a survey's config hash
    /// depends on its header, which the same bytes and the same instrument give again).
    pub fn unchanged_content(
        &self,
        source_file: &str,
        content_hash: &str,
        settings_hash: &str,
    ) -> Option<&LedgerEntry> {
        let (load, _) = self.sighted_with(source_file, settings_hash)?;
        (load.content_hash == content_hash && !content_hash.is_empty()).then_some(load)
    }

    /// The last load of a source and its last sighting, when that sighting had these settings.
    fn sighted_with(
        &self,
        source_file: &str,
        settings_hash: &str,
    ) -> Option<(&LedgerEntry, &LedgerEntry)> {
        let load = self.last_load(source_file)?;
        let seen = &self.entries[*self.last_seen.get(source_file)?];
        (seen.settings_hash.as_deref() == Some(settings_hash)).then_some((load, seen))
    }

    /// The last time this source was actually loaded (not skipped).
    pub fn last_load(&self, source_file: &str) -> Option<&LedgerEntry> {
        self.last_load.get(source_file).map(|&i| &self.entries[i])
    }

    /// Forgets what every source's content was, so each is loaded again as changed (its old
    /// rows replaced): `friktion run --full`.
    pub fn forget_contents(&mut self) {
        for e in &mut self.entries {
            e.content_hash.clear();
            e.stat = None;
            e.settings_hash = None;
        }
    }

    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    /// Sources loaded at some time, in name order.
    pub fn known_sources(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.last_load.keys().map(String::as_str).collect();
        v.sort();
        v
    }
}

pub fn to_batch(entries: &[LedgerEntry]) -> RecordBatch {
    let s = |f: fn(&LedgerEntry) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(entries.iter().map(f)))
    };
    let i = |f: fn(&LedgerEntry) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(entries.iter().map(f)))
    };
    let ts = TimestampMicrosecondArray::from_iter_values(
        entries.iter().map(|e| e.ingested_at.timestamp_micros()),
    )
    .with_timezone("UTC");
    let bytes = Int64Array::from_iter(entries.iter().map(|e| e.stat.map(|s| s.bytes)));
    let modified = TimestampMicrosecondArray::from_iter(
        entries
            .iter()
            .map(|e| e.stat.map(|s| s.modified.timestamp_micros())),
    )
    .with_timezone("UTC");
    let settings = StringArray::from_iter(entries.iter().map(|e| e.settings_hash.as_deref()));
    LakeTable::Ledger
        .def()
        .batch(vec![
            ("source_file", s(|e| &e.source_file)),
            ("source_kind", s(|e| &e.source_kind)),
            ("content_hash", s(|e| &e.content_hash)),
            ("config_hash", s(|e| &e.config_hash)),
            ("rows_read", i(|e| e.rows_read)),
            ("rows_written", i(|e| e.rows_written)),
            ("rows_quarantined", i(|e| e.rows_quarantined)),
            ("action", s(|e| e.action.as_str())),
            ("run_id", s(|e| &e.run_id)),
            ("ingested_at", Arc::new(ts)),
            ("source_bytes", Arc::new(bytes)),
            ("source_modified", Arc::new(modified)),
            ("settings_hash", Arc::new(settings)),
        ])
        .expect("ledger rows match the ledger contract")
}

fn from_batch(b: &RecordBatch) -> std::result::Result<Vec<LedgerEntry>, String> {
    let s = |name: &str| -> std::result::Result<&StringArray, String> {
        b.column_by_name(name)
            .and_then(|c| c.as_string_opt::<i32>())
            .ok_or_else(|| format!("column {name} missing or not a string"))
    };
    let i = |name: &str| -> std::result::Result<&Int64Array, String> {
        b.column_by_name(name)
            .and_then(|c| c.as_primitive_opt())
            .ok_or_else(|| format!("column {name} missing or not Int64"))
    };
    let (file, kind, hash, cfg, action, run) = (
        s("source_file")?,
        s("source_kind")?,
        s("content_hash")?,
        s("config_hash")?,
        s("action")?,
        s("run_id")?,
    );
    let (read, written, quarantined) =
        (i("rows_read")?, i("rows_written")?, i("rows_quarantined")?);
    let at = b
        .column_by_name("ingested_at")
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or("column ingested_at missing or not a timestamp")?;
    let bytes = i("source_bytes")?;
    let modified = b
        .column_by_name("source_modified")
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or("column source_modified missing or not a timestamp")?;
    let settings = s("settings_hash")?;
    let n = |a: &Int64Array, r| if a.is_null(r) { 0 } else { a.value(r) };
    (0..b.num_rows())
        .map(|r| {
            let word = action.value(r);
            let action = LedgerAction::parse(word)
                .ok_or_else(|| format!("row {r}: action '{word}' is not a ledger action"))?;
            Ok(LedgerEntry {
                source_file: file.value(r).to_string(),
                source_kind: kind.value(r).to_string(),
                content_hash: hash.value(r).to_string(),
                config_hash: cfg.value(r).to_string(),
                rows_read: n(read, r),
                rows_written: n(written, r),
                rows_quarantined: n(quarantined, r),
                action,
                run_id: run.value(r).to_string(),
                ingested_at: DateTime::from_timestamp_micros(at.value(r)).unwrap_or_default(),
                stat: (bytes.is_valid(r) && modified.is_valid(r))
                    .then(|| {
                        Some(FileStat {
                            bytes: bytes.value(r),
                            modified: DateTime::from_timestamp_micros(modified.value(r))?,
                        })
                    })
                    .flatten(),
                settings_hash: settings.is_valid(r).then(|| settings.value(r).to_string()),
            })
        })
        .collect()
}
