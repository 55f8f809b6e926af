//! The run context: what every stage of one run shares, built once at its start.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use friktion_core::{LedgerAction, PseudoKey, Pseudonymiser, Reference};
use friktion_lake::{
    FileStat, Lake, LakeError, Ledger, LedgerEntry, LoadError, Loaded, Outcome, Source,
    SourceWriter,
};

use crate::config::Config;
use crate::event::{Event, Observer};
use crate::summary::{RunSummary, SourceFailure, SourceResult};

pub struct RunContext<'a> {
    pub cfg: &'a Config,
    pub lake: &'a Lake,
    pub ledger: &'a Ledger,
    pub reference: &'a Reference,
    pub key: &'a PseudoKey,
    pub pseudonymiser: &'a Pseudonymiser,
    pub run_id: &'a str,
    /// The run's clock: every timestamp the run writes is this one.
    pub now: DateTime<Utc>,
    pub observer: &'a dyn Observer,
    /// Hash every file, even one whose size, time and settings say it is unchanged
    /// (`--verify`).
    pub verify: bool,
    /// The run's skipped sources, recorded in the ledger together at the end of the source
    /// stages.
    pub skips: Mutex<Vec<LedgerEntry>>,
}

impl RunContext<'_> {
    /// Loads one source into the lake (see [`Lake::load_source`]); a skip is kept for the
    /// run's one ledger record of skips.
    pub fn load_source<E: std::error::Error + 'static>(
        &self,
        src: &Source<'_>,
        load: impl FnOnce(&mut SourceWriter<'_, '_>) -> Result<Loaded, LoadError<E>>,
    ) -> Result<Outcome<E>, LakeError> {
        let outcome = self
            .lake
            .load_source(self.ledger, src, self.run_id, self.now, load)?;
        if let Outcome::Skipped(e) = &outcome {
            self.skipped(e.clone());
        }
        Ok(outcome)
    }

    /// The skip of a file whose size, modification time and settings are those of its last
    /// sighting, decided without reading it; None when it must be read (or `--verify`).
    pub fn unchanged_on_disk(
        &self,
        name: &str,
        kind: &str,
        stat: FileStat,
        settings_hash: &str,
    ) -> Option<LedgerEntry> {
        if self.verify {
            return None;
        }
        let last = self.ledger.unchanged_on_disk(name, stat, settings_hash)?;
        Some(self.skip(name, kind, last, stat, settings_hash))
    }

    /// The skip of a file whose bytes are those of its last load and whose settings are those
    /// of its last sighting, decided without parsing it (`--verify` too).
    pub fn unchanged_content(
        &self,
        name: &str,
        kind: &str,
        content_hash: &str,
        stat: FileStat,
        settings_hash: &str,
    ) -> Option<LedgerEntry> {
        let last = self
            .ledger
            .unchanged_content(name, content_hash, settings_hash)?;
        Some(self.skip(name, kind, last, stat, settings_hash))
    }

    fn skip(
        &self,
        name: &str,
        kind: &str,
        last: &LedgerEntry,
        stat: FileStat,
        settings_hash: &str,
    ) -> LedgerEntry {
        let mut e = LedgerEntry::new(
            name,
            kind,
            last.content_hash.clone(),
            last.config_hash.clone(),
            self.run_id,
            self.now,
        );
        e.action = LedgerAction::Skipped;
        e.stat = Some(stat);
        e.settings_hash = Some(settings_hash.to_string());
        self.skipped(e.clone());
        e
    }

    /// The run's skips so far (a loader that panicked elsewhere leaves them as they were).
    fn skips(&self) -> std::sync::MutexGuard<'_, Vec<LedgerEntry>> {
        self.skips
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn skipped(&self, e: LedgerEntry) {
        self.skips().push(e);
    }

    /// Writes the run's skips to the ledger in one commit.
    pub fn record_skips(&self) -> Result<(), LakeError> {
        let skips = std::mem::take(&mut *self.skips());
        self.lake.record_skips(&skips, self.run_id)
    }

    pub fn warn(&self, file: Option<&str>, message: String) {
        self.observer.event(Event::Warning {
            file: file.map(str::to_string),
            message,
        });
    }
}

/// What the source stages have done so far: results for the summary, and the names of every
/// configured source (to find vanished ones).
pub struct Sources<'s> {
    pub summary: &'s mut RunSummary,
    pub seen: Vec<String>,
}

impl Sources<'_> {
    pub fn loaded(&mut self, ctx: &RunContext<'_>, r: SourceResult) {
        ctx.observer.event(Event::Source(r.clone()));
        self.summary.sources.push(r);
    }

    /// A source file that could not be loaded: said, kept for the summary; the run goes on.
    pub fn failed(&mut self, ctx: &RunContext<'_>, file: &str, message: String) {
        // Library errors often name their file already.
        let message = message
            .strip_prefix(&format!("{file}: "))
            .map(str::to_string)
            .unwrap_or(message);
        ctx.observer.event(Event::SourceFailed {
            file: file.to_string(),
            message: message.clone(),
        });
        self.summary.failed_sources.push(SourceFailure {
            file: file.to_string(),
            message,
        });
    }
}
