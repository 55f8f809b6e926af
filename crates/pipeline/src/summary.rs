//! What a run did: the value `Pipeline::run` returns and the run record is written from.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use friktion_core::LedgerAction;
use friktion_lake::LedgerEntry;

use crate::event::Stage;

/// One source file's load in this run.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceResult {
    pub file: String,
    pub stage: Stage,
    pub action: LedgerAction,
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_quarantined: i64,
    /// Values left out of rows that were loaded (an unknown label, say).
    pub values_nulled: i64,
}

impl SourceResult {
    pub(crate) fn from_entry(e: &LedgerEntry, stage: Stage, values_nulled: i64) -> Self {
        Self {
            file: e.source_file.clone(),
            stage,
            action: e.action,
            rows_read: e.rows_read,
            rows_written: e.rows_written,
            rows_quarantined: e.rows_quarantined,
            values_nulled,
        }
    }

    fn loaded(&self) -> bool {
        self.action != LedgerAction::Skipped
    }
}

/// A source file that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFailure {
    pub file: String,
    pub message: String,
}

/// A source whose rejected rows passed `limits.max_quarantined_share`.
#[derive(Debug, Clone, PartialEq)]
pub struct OverLimit {
    pub file: String,
    pub share_rejected: f64,
}

#[derive(Debug, Default)]
pub struct RunSummary {
    pub run_id: String,
    pub sources: Vec<SourceResult>,
    pub failed_sources: Vec<SourceFailure>,
    /// Sources loaded before that are no longer among the configured files.
    pub vanished: Vec<String>,
    /// Sources whose rows were removed because their file is gone (`full` only).
    pub removed: Vec<String>,
    /// Rows of every contract table that has files, after the run.
    pub tables: Vec<(String, i64)>,
    pub marts: Vec<(String, usize)>,
    /// Each mart's fingerprint after the run ([`crate::reuse`]): what it was computed from.
    pub mart_fingerprints: std::collections::BTreeMap<String, String>,
    /// The marts this run kept as they were, nothing they read having changed: mart → the run
    /// whose record vouched for them (the newest that computed or kept them).
    pub marts_kept: std::collections::BTreeMap<String, String>,
    /// Days of it_friction_daily recomputed (or removed) by the friction model.
    pub friction_days: usize,
    pub tests: Vec<friktion_query::TestResult>,
    /// Partitions the data tests queried, and those whose figures they kept from the last run.
    pub test_units: friktion_query::UnitCounts,
    /// Wall time of each stage, in order.
    pub timings: Vec<(Stage, Duration)>,
    pub report: Option<PathBuf>,
    /// The Kolada-shaped export (CSV; Parquet beside it).
    pub kolada: Option<PathBuf>,
    pub notebook: Option<PathBuf>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Set once the lake is open (and locked): the run record goes there.
    pub lake_dir: Option<PathBuf>,
    /// Every source reloaded, vanished ones removed.
    pub full: bool,
    pub over_limit: Vec<OverLimit>,
    /// Superseded files deleted from a lake on object storage at the end of the run.
    pub vacuumed: Option<usize>,
    /// `limits.max_quarantined_share`.
    pub limit: f64,
}

impl RunSummary {
    /// 0: all well; 2: finished, but a source failed, a quarantine limit or an error-level
    /// data test failed.
    pub fn exit_code(&self) -> u8 {
        if self.failed_sources.is_empty()
            && self.over_limit.is_empty()
            && !self.tests.iter().any(|t| t.is_error())
        {
            0
        } else {
            2
        }
    }

    pub fn count(&self, action: LedgerAction) -> usize {
        self.sources.iter().filter(|s| s.action == action).count()
    }

    pub fn rows_in(&self) -> i64 {
        self.sources
            .iter()
            .filter(|s| s.loaded())
            .map(|s| s.rows_read)
            .sum()
    }

    pub fn values_nulled(&self) -> i64 {
        self.sources.iter().map(|s| s.values_nulled).sum()
    }

    pub fn rows_quarantined(&self) -> i64 {
        self.sources
            .iter()
            .filter(|s| s.loaded())
            .map(|s| s.rows_quarantined)
            .sum()
    }

    /// Rows read, written and quarantined by the sources a stage loaded (skips count nothing).
    pub fn stage_rows(&self, stage: Stage) -> (i64, i64, i64) {
        self.sources
            .iter()
            .filter(|s| s.loaded() && s.stage == stage)
            .fold((0, 0, 0), |a, s| {
                (
                    a.0 + s.rows_read,
                    a.1 + s.rows_written,
                    a.2 + s.rows_quarantined,
                )
            })
    }

    /// Data tests that failed at error level.
    pub fn data_tests_failed(&self) -> usize {
        self.tests.iter().filter(|t| t.is_error()).count()
    }
}
