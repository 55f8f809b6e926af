use std::path::{Path, PathBuf};

/// Why a log source, the catalogue or the model could not be processed at all. Problems with
/// single lines are not errors: they go to quarantine and the source goes on.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("systems catalogue {path}: {problem}")]
    Catalog { path: PathBuf, problem: String },
    #[error("{file}: {problem}")]
    Source { file: String, problem: String },
    #[error("{file}: the lake refused a batch")]
    Sink {
        file: String,
        #[source]
        source: crate::ingest::SinkError,
    },
    #[error("friction model: {0}")]
    Model(String),
}

impl LogError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
