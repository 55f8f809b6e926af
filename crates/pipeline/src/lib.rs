//! The nightly run as a library: sources → lake → models → data tests → publication → report,
//! for every front end (the CLI, a SQL server, a cluster) to call the same way.
//!
//! ```no_run
//! use friktion_pipeline::{Pipeline, RunOptions};
//! let summary = Pipeline::load("pipelines/nightly.toml".as_ref())?.run(&RunOptions::default())?;
//! println!("{} marts", summary.marts.len());
//! # Ok::<(), friktion_pipeline::PipelineError>(())
//! ```

pub mod config;
pub mod context;
mod error;
pub mod event;
mod kolada;
pub mod models;
pub mod record;
pub mod report;
pub mod reuse;
mod run;
pub mod sources;
pub mod summary;

pub use config::{Config, ConfigError};
pub use error::PipelineError;
pub use event::{Event, Observer, Silent, Stage};
pub use run::{OneOff, Pipeline, RunOptions};
pub use summary::{OverLimit, RunSummary, SourceFailure, SourceResult};
