//! SQL over the lake with DataFusion: a session with every lake table and mart registered, and
//! the model runner that turns `pipelines/models/*.sql` into marts.
//!
//! This is the only crate (with those built on it) that links DataFusion.

pub mod model;
pub mod session;
pub mod survival;

pub use model::{Model, ModelError, ModelRun, load_models, run_models};
pub use session::{LakeSession, SessionOptions};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error(transparent)]
    Lake(#[from] friktion_lake::LakeError),
    #[error(transparent)]
    Model(#[from] ModelError),
}
