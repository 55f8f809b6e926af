//! `friktion serve`: researchers' SQL over the Postgres wire protocol, on the lake friktion
//! builds: SCRAM-SHA-256 accounts, TLS, a role per user deciding which tables exist, queries
//! only, bounded, and every connection and statement in an audit log.

pub mod accounts;
pub mod audit;
mod auth;
pub mod config;
mod conn;
mod copy;
pub mod guard;
mod handlers;
mod roles;
pub mod scram;
mod server;
mod statement;
pub mod tls;

pub use accounts::{Account, Accounts, AccountsError, Role};
pub use audit::{AuditError, AuditLog};
pub use config::{ConfigError, ServeConfig};
pub use scram::{Verifier, VerifierError};
pub use server::Server;
pub use tls::TlsError;

/// Why the server could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Lake(#[from] friktion_lake::LakeError),
    #[error(transparent)]
    Query(#[from] friktion_query::QueryError),
    #[error(transparent)]
    Cluster(#[from] friktion_cluster::ClusterError),
    #[error("waiting for the lake's read gate failed")]
    Gate(#[source] std::io::Error),
    #[error("cannot set up the Postgres catalog")]
    Catalog(#[source] datafusion::error::DataFusionError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}
