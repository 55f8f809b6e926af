//! What can stop a run. Each variant names what failed; its cause is its `source`, never
//! repeated in the message, so a printer that walks the chain says each thing once.

use std::path::PathBuf;

use friktion_core::ReferenceError;
use friktion_core::pseudo::KeyError;
use friktion_lake::LakeError;

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The pipeline config or a file it names is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No usable pseudonymisation key.
    #[error("pseudonymisation key")]
    Key(#[source] KeyError),
    /// The SCB reference could not be read.
    #[error("reference data in {path}")]
    Reference {
        path: PathBuf,
        #[source]
        source: ReferenceError,
    },
    /// The lake could not be opened (another run holds it, say).
    #[error("lake at {path}")]
    OpenLake {
        path: PathBuf,
        #[source]
        source: LakeError,
    },
    /// Reading or committing to the lake failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// A model, data test or export query failed.
    #[error(transparent)]
    Query(#[from] friktion_query::QueryError),
    /// Publication (disclosure control) could not be computed or written.
    #[error(transparent)]
    Publish(#[from] friktion_publish::PublishError),
    /// Writing the report failed.
    #[error(transparent)]
    Report(#[from] friktion_report::ReportError),
    /// The reference or the cost assumptions could not be made into tables.
    #[error(transparent)]
    TableSource(#[from] crate::sources::whole::TableSourceError),
    /// The log friction model failed.
    #[error("the log friction model")]
    FrictionModel(#[source] friktion_ingest_logs::LogError),
    /// A file the run needs could not be read or written.
    #[error("{what} {path}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A Parquet output could not be written.
    #[error("cannot write {path}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A report section needs a mart that no model makes.
    #[error(
        "the report's section \"{section}\" needs the model {model}, but {models} has no {model}.sql (renamed or removed?)"
    )]
    ReportInput {
        section: &'static str,
        model: &'static str,
        models: PathBuf,
    },
    /// The query runtime did not start.
    #[error("starting the query runtime")]
    Runtime(#[source] std::io::Error),
    /// Something a stage built did not fit the lake's contract.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

impl PipelineError {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
