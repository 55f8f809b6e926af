//! `friktion scheduler`: Ballista's scheduler, planning with friktion's functions and tables.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::extension::{
    SessionConfigExt, ballista_aggregate_functions, ballista_scalar_functions,
    ballista_window_functions,
};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionConfig;
use friktion_lake::StoreSettings;

use crate::ClusterError;
use crate::codec::FriktionCodec;
use crate::stores::LakeStores;

#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Where its gRPC service listens (clients and executors connect here).
    pub bind: SocketAddr,
    /// The host name executors and clients reach it by, when not the bind address.
    pub external_host: Option<String>,
    /// How the object stores a plan names are reached.
    pub store: StoreSettings,
}

/// A session state that plans friktion's queries: DataFusion's and Ballista's functions,
/// friktion's aggregates, and object stores built from `store`.
pub fn planning_state(
    config: SessionConfig,
    store: &StoreSettings,
) -> datafusion::error::Result<datafusion::execution::SessionState> {
    let runtime = RuntimeEnvBuilder::new()
        .with_object_store_registry(Arc::new(LakeStores::new(store.clone())))
        .build_arc()?;
    let mut aggregates = ballista_aggregate_functions();
    aggregates.extend(
        friktion_query::survival::aggregates()
            .into_iter()
            .map(Arc::new),
    );
    Ok(SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_optimizer_rules(ballista_core::optimizer::ballista_default_optimizer_rules())
        .with_scalar_functions(ballista_scalar_functions())
        .with_aggregate_functions(aggregates)
        .with_window_functions(ballista_window_functions())
        .build())
}

/// Runs the scheduler until the process is stopped.
pub async fn run_scheduler(opts: SchedulerOptions) -> Result<(), ClusterError> {
    let codec = Arc::new(FriktionCodec::default());
    let store = opts.store.clone();
    let config = SchedulerConfig {
        bind_host: opts.bind.ip().to_string(),
        bind_port: opts.bind.port(),
        external_host: opts
            .external_host
            .clone()
            .unwrap_or_else(|| opts.bind.ip().to_string()),
        override_config_producer: Some(Arc::new(|| {
            SessionConfig::new_with_ballista()
                .with_ballista_logical_extension_codec(Arc::new(FriktionCodec::default()))
        })),
        override_session_builder: Some(Arc::new(move |config: SessionConfig| {
            planning_state(config, &store)
        })),
        override_logical_codec: Some(codec),
        ..Default::default()
    };
    let ballista = |source| ClusterError::Ballista {
        role: "scheduler",
        source,
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(ballista)?;
    start_server(cluster, opts.bind, Arc::new(config))
        .await
        .map_err(ballista)
}
