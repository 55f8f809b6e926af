//! What the ledger says a run did with a source file.

use std::fmt;

/// A source file's fate in one run, as the ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LedgerAction {
    /// Loaded for the first time.
    Ingested,
    /// Loaded again because its bytes or its config changed; its earlier rows were replaced.
    Replaced,
    /// Unchanged since its last load: nothing read.
    Skipped,
    /// Its file is gone and its rows were taken out (`friktion run --full`).
    Removed,
}

impl LedgerAction {
    pub const ALL: [LedgerAction; 4] = [
        LedgerAction::Ingested,
        LedgerAction::Replaced,
        LedgerAction::Skipped,
        LedgerAction::Removed,
    ];

    /// The word stored in the ledger's `action` column.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerAction::Ingested => "ingested",
            LedgerAction::Replaced => "replaced",
            LedgerAction::Skipped => "skipped",
            LedgerAction::Removed => "removed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for LedgerAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
