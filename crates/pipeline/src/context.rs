//! The run context: what every stage of one run shares, built once at its start.

use chrono::{DateTime, Utc};
use friktion_core::{PseudoKey, Pseudonymiser, Reference};
use friktion_lake::{Lake, Ledger};

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
}

impl RunContext<'_> {
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
