//! What a run tells whoever watches it. The library prints nothing: it hands each event to the
//! caller's [`Observer`], and the caller (the CLI) decides what a terminal, a JSON log or a quiet
//! cron job shows.

use crate::summary::SourceResult;

/// The stages of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The reference, the cost assumptions and the survey exports.
    Surveys,
    Logs,
    LogModel,
    /// The key-factor catalogue and the portfolio exports.
    Projects,
    /// Kolada's KPI definitions and downloaded values.
    Kolada,
    SqlModels,
    DataTests,
    /// Disclosure control over the marts, into the protected tables every output reads.
    Publication,
    Report,
}

impl Stage {
    /// The stage's name in logs and run records.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Surveys => "surveys",
            Stage::Logs => "logs",
            Stage::LogModel => "log model",
            Stage::Projects => "projects",
            Stage::Kolada => "kolada",
            Stage::SqlModels => "sql models",
            Stage::DataTests => "data tests",
            Stage::Publication => "publication",
            Stage::Report => "report",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing that happened in a run.
#[derive(Debug, Clone)]
pub enum Event {
    /// The run holds the lake and has its id.
    Started { run_id: String },
    /// The run is using the public demo pseudonymisation key, as `config` allows.
    DemoKey { config: String },
    /// The lake's lock was taken over from a writer that is gone.
    TookOverLock { owner: String },
    /// A source was loaded, replaced or skipped.
    Source(SourceResult),
    /// A source could not be loaded; the run goes on with the others.
    SourceFailed { file: String, message: String },
    /// Bytes of a large source read so far.
    Progress { file: String, done: u64, total: u64 },
    /// Something the analyst should know; the run goes on.
    Warning {
        file: Option<String>,
        message: String,
    },
    /// A problem that makes the run's exit status 2; the run goes on.
    Problem {
        file: Option<String>,
        message: String,
    },
    /// A stage ended.
    StageFinished { stage: Stage, seconds: f64 },
}

/// Receives a run's events, from any thread.
pub trait Observer: Sync {
    fn event(&self, e: Event);
}

impl<F: Fn(Event) + Sync> Observer for F {
    fn event(&self, e: Event) {
        self(e)
    }
}

/// An observer that ignores everything (tests, embedding).
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: Event) {}
}
