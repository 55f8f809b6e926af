//! Project-portfolio exports into `project`, `project_stage` and `project_factor`.
//!
//! A mapping file (`pipelines/projects/*.toml`, see [`Mapping`]) names the export's columns,
//! turns its Swedish labels ("Beslut", "Driftsatt", "Avbrutet", "Vård och omsorg") into the
//! stage and track vocabularies, and its factor columns into the key-factor catalogue's ids.
//! CSV and workbooks are read by friktion-tabular; JSON exports ([`json`]) are flattened into
//! the same records, so one path checks every format.
//!
//! Nothing is dropped silently: a row without an id or kommun is rejected, an unreadable value
//! is nulled, and a timeline that cannot be measured (dates out of order, live without a
//! decision) is loaded but flagged, each with a quarantine record naming line, field and reason.
//! No DataFusion here: bytes in, Arrow batches and quarantine records out.

pub mod ingest;
pub mod json;
pub mod mapping;

pub use ingest::{ProjectError, ProjectOutput, ProjectSource, ingest};
pub use mapping::{Mapping, MappingError};
