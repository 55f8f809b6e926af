//! `friktion scheduler` and `friktion executor`: the two processes of a Ballista cluster.

use anyhow::{Context, Result};
use friktion_cluster::{ExecutorOptions, SchedulerOptions};
use friktion_lake::StoreSettings;

use crate::flags::{ExecutorArgs, SchedulerArgs};

/// `[object_store]` of the config, or the environment's settings.
fn store(config: Option<&std::path::Path>) -> Result<StoreSettings> {
    Ok(match config {
        Some(c) => friktion_pipeline::Config::load(c)?.object_store,
        None => StoreSettings::default().with_env(),
    })
}

/// Ballista's own log lines on stderr: warnings and errors unless RUST_LOG says otherwise.
fn log() {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .try_init();
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn scheduler(a: SchedulerArgs) -> Result<()> {
    log();
    let opts = SchedulerOptions {
        bind: a.listen,
        external_host: a.external_host,
        store: store(a.config.as_deref())?,
    };
    eprintln!("friktion scheduler: listening on df://{}", a.listen);
    runtime()?.block_on(friktion_cluster::run_scheduler(opts))?;
    Ok(())
}

pub fn executor(a: ExecutorArgs) -> Result<()> {
    log();
    let tasks = a
        .tasks
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let opts = ExecutorOptions {
        scheduler: a.scheduler.clone(),
        bind_host: a.bind_host.clone(),
        external_host: a.external_host,
        flight_port: a.flight_port,
        grpc_port: a.grpc_port,
        concurrent_tasks: tasks,
        work_dir: a.work_dir,
        memory_bytes: a.memory_mb.map(|m| m << 20),
        store: store(a.config.as_deref())?,
    };
    eprintln!(
        "friktion executor: {tasks} task(s) at once on {}:{} (flight) and :{} (grpc), scheduler {}",
        a.bind_host, a.flight_port, a.grpc_port, a.scheduler
    );
    runtime()?.block_on(friktion_cluster::run_executor(opts))?;
    Ok(())
}
