//! The ingestion ledger: one row per source file and run, kept in the lake as `_ledger`.
//!
//! It is how a nightly run knows what it has already loaded: a source whose content hash and
//! config hash match its last load is skipped, and the skip itself is recorded.

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
        }
    }
}

/// Every ledger row in the lake, with the last load of each source at hand.
#[derive(Debug, Default)]
pub struct Ledger {
    entries: Vec<LedgerEntry>,
    last_load: HashMap<String, usize>,
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
        for (i, e) in entries.iter().enumerate() {
            if e.action == LedgerAction::Removed {
                // Its rows were taken out (`friktion run --full` after its file vanished).
                last_load.remove(&e.source_file);
            } else if e.action != LedgerAction::Skipped {
                last_load.insert(e.source_file.clone(), i);
            }
        }
        Ok(Self { entries, last_load })
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
            })
        })
        .collect()
}
