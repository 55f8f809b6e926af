//! `friktion executor`: Ballista's executor, running plans with friktion's functions and
//! reading the lake's bucket itself.

use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::extension::SessionConfigExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionConfig;
use friktion_lake::StoreSettings;

use crate::codec::FriktionCodec;
use crate::scheduler::planning_state;
use crate::stage::WithoutOperatorMetrics;
use crate::stores::LakeStores;
use crate::{ClusterError, SchedulerUrl};

#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    pub scheduler: SchedulerUrl,
    /// The address its services listen on.
    pub bind_host: String,
    /// The host name the scheduler and other executors reach it by.
    pub external_host: Option<String>,
    /// Arrow Flight: where other executors and clients fetch its results.
    pub flight_port: u16,
    /// gRPC: where the scheduler sends it tasks.
    pub grpc_port: u16,
    /// Tasks it runs at once.
    pub concurrent_tasks: usize,
    /// Where shuffle files and spills go (a temporary directory when unset).
    pub work_dir: Option<PathBuf>,
    /// Memory all its tasks share, spilling beyond it (Ballista's default when unset: a share
    /// of the machine's memory).
    pub memory_bytes: Option<u64>,
    /// How the object stores a plan names are reached.
    pub store: StoreSettings,
}

/// Registers with the scheduler and runs tasks until the process is stopped.
pub async fn run_executor(opts: ExecutorOptions) -> Result<(), ClusterError> {
    let store = opts.store.clone();
    let functions = BallistaFunctionRegistry::from(&planning_state(
        SessionConfig::new_with_ballista(),
        &store,
    )?);
    let spill_dir = opts.work_dir.clone();
    let config = ExecutorProcessConfig {
        bind_host: opts.bind_host.clone(),
        external_host: opts.external_host.clone(),
        port: opts.flight_port,
        grpc_port: opts.grpc_port,
        scheduler_host: opts.scheduler.host.clone(),
        scheduler_port: opts.scheduler.port,
        // Wait for a scheduler that starts after its executors, as under a service manager.
        scheduler_connect_timeout_seconds: 60,
        vcores: opts.concurrent_tasks.max(1),
        work_dir: opts.work_dir.as_ref().map(|p| p.display().to_string()),
        memory_pool_size: opts.memory_bytes,
        override_function_registry: Some(Arc::new(functions)),
        // Ballista's own engine, but see `stage`: without it some jobs never finish.
        override_execution_engine: Some(Arc::new(WithoutOperatorMetrics::default())),
        override_runtime_producer: Some(Arc::new(move |_: &SessionConfig| {
            let mut b = RuntimeEnvBuilder::new()
                .with_object_store_registry(Arc::new(LakeStores::new(store.clone())));
            if let Some(d) = &spill_dir {
                b = b.with_temp_file_path(d.clone());
            }
            b.build_arc()
        })),
        override_config_producer: Some(Arc::new(|| {
            SessionConfig::new_with_ballista()
                .with_ballista_logical_extension_codec(Arc::new(FriktionCodec::default()))
        })),
        override_logical_codec: Some(Arc::new(FriktionCodec::default())),
        ..Default::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|source| ClusterError::Ballista {
            role: "executor",
            source,
        })
}
