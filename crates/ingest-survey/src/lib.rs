//! Staff-survey exports (CSV in the Swedish way: `;`, decimal comma, Swedish labels) into the
//! lake's survey_response and survey_answer tables, guided by instrument files.
//!
//! No DataFusion here: this crate turns bytes into Arrow record batches and quarantine records,
//! handed to the caller's sink as they are read, and the caller writes them to friktion-lake.

pub mod check;
mod columns;
mod held;
pub mod ingest;
pub mod instrument;
pub mod values;
pub mod weights;

// Table reading lives in friktion-tabular; these paths are kept for callers of this crate.
pub use friktion_tabular::{read, scan, sheet};

pub use held::SpillError;
pub use ingest::{
    Context, Ingested, SinkError, SurveyError, SurveyOutput, SurveySink, SurveySource, ingest,
    ingest_table, open, open_scanned,
};
pub use instrument::{Instrument, InstrumentError};
