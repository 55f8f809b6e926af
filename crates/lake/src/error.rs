use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("{path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{path}")]
    Arrow {
        path: PathBuf,
        source: arrow::error::ArrowError,
    },
    #[error(
        "refusing to write {table}: {problem} (the lake contract is in friktion-core's schema/)"
    )]
    Contract { table: String, problem: String },
    #[error(transparent)]
    Batch(#[from] friktion_core::ContractError),
    #[error("journal {path} is unreadable: {problem}")]
    Journal { path: PathBuf, problem: String },
    #[error(
        "another friktion run is writing to this lake ({owner}); {path} is locked. Try again when it has finished"
    )]
    Locked { path: PathBuf, owner: String },
    #[error("lake {location}: {problem}")]
    Location { location: String, problem: String },
    #[error("object store {location}: {problem}")]
    Store { location: String, problem: String },
    #[error("Delta table {table}: {problem}")]
    Delta { table: String, problem: String },
    #[error("lake {location}: {problem}")]
    Conflict { location: String, problem: String },
    #[error("failure injected at {0}")]
    Injected(String),
}

impl LakeError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn parquet(path: &Path, source: parquet::errors::ParquetError) -> Self {
        Self::Parquet {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn arrow(path: &Path, source: arrow::error::ArrowError) -> Self {
        Self::Arrow {
            path: path.to_path_buf(),
            source,
        }
    }
}
