//! SQL over the lake with DataFusion: a session with every lake table and mart registered, and
//! the model runner that turns `pipelines/models/*.sql` into marts.
//!
//! This is the only crate (with those built on it) that links DataFusion.

pub mod datatest;
pub mod guard;
pub mod kolada;
pub mod model;
pub mod pinned;
pub mod session;
pub mod survival;

/// The DataFusion context a caller may hand to a [`LakeSession`] (a cluster's, say).
pub use datafusion::prelude::SessionContext;
/// A parsed SQL statement, as `LakeSession::parse` gives it.
pub use datafusion::sql::parser::Statement;
pub use datatest::{
    DataTest, TestFileError, TestMemory, TestResult, TestRun, UnitCounts, load_tests, run_tests,
};
pub use guard::Refusal;
pub use model::{
    Model, ModelError, ModelRun, evaluate, load_models, run_models, run_models_keeping, tables_read,
};
pub use session::{
    LakeSession, SessionOptions, TableKind, config, local_context, register_functions, runtime,
    runtime_builder,
};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error(transparent)]
    Lake(#[from] friktion_lake::LakeError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Refused(Refusal),
    #[error(transparent)]
    TestFile(#[from] TestFileError),
    #[error(
        "the query needs more than its memory limit of {limit_mib} MiB (raise it with --memory-mb, or narrow the query): {detail}"
    )]
    Memory { limit_mib: usize, detail: String },
    #[error("the query ran longer than {secs} s and was stopped ({flag})")]
    Timeout { secs: u64, flag: &'static str },
    #[error("Kolada export: {0}")]
    Kolada(String),
    #[error("cannot start the query runtime: {0}")]
    Runtime(String),
}
