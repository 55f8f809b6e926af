//! What can go wrong reaching or running a cluster.

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("'{url}' is not a Ballista scheduler's address: {problem} (write df://host:50050)")]
    SchedulerUrl { url: String, problem: String },
    #[error(
        "cannot reach the Ballista scheduler at {url} ({problem}); is `friktion scheduler` running there?"
    )]
    Unreachable { url: String, problem: String },
    #[error("{what} '{value}' is not a host:port to listen on")]
    Address { what: &'static str, value: String },
    #[error("the Ballista {role} stopped: {source}")]
    Ballista {
        role: &'static str,
        source: ballista_core::error::BallistaError,
    },
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error(transparent)]
    Query(#[from] friktion_query::QueryError),
}
