//! `friktion`: the command line of the IT-friction and implementation-outcome pipeline. Flags,
//! printing and the SQL shell; the work is done by the library crates.

mod cluster;
mod describe;
mod flags;
mod ingest;
mod instrument;
mod models;
mod obs;
mod print;
mod serve;
mod sql;
mod synth;

use std::process::ExitCode;

use clap::Parser;
use flags::{Cli, Command, InstrumentCommand, LakeCommand, RunArgs};
use friktion_pipeline::{Pipeline, RunOptions};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Ingest { command } => ingest::run(command),
        Command::Synth(args) => synth::run(args).map(|()| ExitCode::SUCCESS),
        Command::Sql(args) => sql::run(args).map(|()| ExitCode::SUCCESS),
        Command::Models { command } => models::run(command).map(|()| ExitCode::SUCCESS),
        Command::Instrument {
            command:
                InstrumentCommand::Check {
                    file,
                    instrument,
                    reference,
                },
        } => instrument::run(&file, &instrument, &reference).map(|()| ExitCode::SUCCESS),
        Command::Lake {
            command: LakeCommand::Describe { lake, json },
        } => describe::run(&lake, json).map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Scheduler(args) => cluster::scheduler(args).map(|()| ExitCode::SUCCESS),
        Command::Executor(args) => cluster::executor(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            obs::status_done();
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

fn run(a: RunArgs) -> anyhow::Result<ExitCode> {
    let observer = obs::init(a.log_format, a.quiet);
    let opts = RunOptions {
        lake: a.lake,
        reports: a.reports,
        full: a.full,
        verify: a.verify,
        lang: a.lang.into(),
        run_id: a.run_id,
        now: a.clock,
        query_timeout: Some(a.deadline.limit()),
    };
    let mut pipeline = Pipeline::load(&a.config)?.with_observer(&observer);
    if let engine @ friktion_cluster::Engine::Ballista { .. } =
        a.engine.engine().map_err(anyhow::Error::msg)?
    {
        pipeline = pipeline.with_context(cluster_context(&engine)?);
    }
    let summary = pipeline.run(&opts)?;
    obs::status_done();
    if !a.quiet {
        print::summary(&summary);
    }
    Ok(ExitCode::from(summary.exit_code()))
}

/// A context on a cluster for the models and data tests, with the settings the local engine
/// gets (memory limit) and the cluster's partitions.
fn cluster_context(
    engine: &friktion_cluster::Engine,
) -> anyhow::Result<friktion_query::SessionContext> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(rt.block_on(engine.context(&friktion_query::SessionOptions::default()))?)
}

/// The error and its causes, each said once.
pub fn describe(e: &anyhow::Error) -> String {
    friktion_core::error_chain(e.as_ref())
}
