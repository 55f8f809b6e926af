//! Disclosure control as a stage: the marts made safe to publish, once, before any output
//! (report pages, chart CSVs, the Kolada export, the notebook, a public SQL role) reads them.

pub mod disclosure;
pub mod kolada;
pub mod marts;
mod publication;
mod tables;

pub use friktion_lake::PUBLISHED;
pub use marts::Marts;
pub use publication::{Benchmark, Publication, Shown, csv_field, log_cell_key};
pub use tables::{tables, write};

/// Why the publication could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A mart lacks a column the publication reads, or has it in another type.
    #[error("mart {mart}: column {column} is missing or not {expected}")]
    Column {
        mart: String,
        column: String,
        expected: &'static str,
    },
    #[error(transparent)]
    Lake(#[from] friktion_lake::LakeError),
    #[error("the protected rows do not make a table")]
    Arrow(#[from] arrow::error::ArrowError),
}
