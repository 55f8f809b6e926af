//! `friktion`: the command line of the IT-friction and implementation-outcome pipeline.

mod assumptions;
mod config;
mod describe;
mod instrument;
mod kolada;
mod models;
mod obs;
mod reference_tables;
mod run;
mod run_logs;
mod run_projects;
mod run_record;
mod run_report;
mod run_tests;
mod sql;
mod synth;
mod whole_tables;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Measures time lost to IT friction in Swedish municipal welfare services, and how fast
/// digital solutions get implemented; from staff surveys, system logs and project records.
#[derive(Parser)]
#[command(name = "friktion", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest new or changed sources, rebuild the marts and write the report (the nightly job).
    ///
    /// Exit status: 0 when everything ran; 2 when the run finished but some source files could
    /// not be loaded, a file's rejected rows passed limits.max_quarantined_share (see the
    /// *_quarantine tables) or an error-level data test failed (see lake/_tests); 1 when the
    /// run failed (another run holds the lake's lock, say). Every run's record:
    /// lake/_runs/<run-id>.json.
    Run {
        /// The pipeline config.
        #[arg(long, short, default_value = "pipelines/nightly.toml")]
        config: PathBuf,
        /// Use this lake directory instead of the config's.
        #[arg(long)]
        lake: Option<PathBuf>,
        /// Write reports under this directory instead of the config's.
        #[arg(long)]
        reports: Option<PathBuf>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Reload every source as if it had changed, and take out the rows of sources whose
        /// files are gone: a rebuild from the sources.
        #[arg(long)]
        full: bool,
        /// How log events are written on stderr: text (warnings and errors) or json (one object
        /// per line, every stage and source event too).
        #[arg(long, value_enum, default_value = "text")]
        log_format: obs::LogFormat,
        /// The report's language: sv (Swedish, the default) or en (English).
        #[arg(long, default_value = "sv", value_parser = ["sv", "en"])]
        lang: String,
    },
    /// Write realistic, seeded sample inputs (surveys, logs, project records).
    Synth(synth::SynthArgs),
    /// Work with survey instruments (the mappings in pipelines/instruments/).
    Instrument {
        #[command(subcommand)]
        command: InstrumentCommand,
    },
    /// The SQL models in pipelines/models/: list them, run them alone, or document them.
    Models {
        #[command(subcommand)]
        command: models::ModelsCommand,
    },
    /// Query every lake table and mart with SQL: an interactive shell, or one-shot with -e or -f.
    ///
    /// Only queries run: CREATE, INSERT, COPY, SET and reading files outside the lake are
    /// refused. Each query has a memory limit and a timeout.
    Sql(sql::SqlArgs),
    /// Inspect the lake.
    Lake {
        #[command(subcommand)]
        command: LakeCommand,
    },
}

#[derive(Subcommand)]
enum InstrumentCommand {
    /// Show how each column of FILE maps through the instrument, with sample values and what
    /// does not map, and a dry run of the load. Loads nothing.
    Check {
        /// A survey export: CSV, XLSX, XLS or ODS.
        file: PathBuf,
        /// The instrument file.
        #[arg(long, short)]
        instrument: PathBuf,
        /// The SCB reference, for resolving workplaces.
        #[arg(long, default_value = "sample-data/reference")]
        reference: PathBuf,
    },
}

#[derive(Subcommand)]
enum LakeCommand {
    /// List the tables and marts with their files, rows and columns.
    Describe {
        /// The lake directory.
        #[arg(long, default_value = "lake")]
        lake: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            config,
            lake,
            reports,
            quiet,
            full,
            log_format,
            lang,
        } => {
            obs::init(log_format, quiet);
            run::run(run::RunArgs {
                config,
                lake,
                reports,
                quiet,
                full,
                lang: friktion_report::i18n::Lang::parse(&lang).unwrap_or_default(),
            })
            .map(|s| {
                obs::status_done();
                if !quiet {
                    print_summary(&s);
                }
                ExitCode::from(s.exit_code())
            })
        }
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
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: library errors already name their source in their
/// message, and anyhow's `{:#}` would repeat it.
pub fn describe(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

fn print_summary(s: &run::Summary) {
    let count = |a: &str| s.sources.iter().filter(|x| x.action == a).count();
    println!("friktion run {}", s.run_id);
    println!(
        "  sources     {} file(s): {} ingested, {} replaced, {} skipped (unchanged), {} failed",
        s.sources.len() + s.failed_sources.len(),
        count("ingested"),
        count("replaced"),
        count("skipped"),
        s.failed_sources.len()
    );
    println!("  rows in     {}", s.rows_in());
    println!(
        "  quarantined {} row(s) rejected, {} value(s) nulled (details in the *_quarantine tables)",
        s.rows_quarantined(),
        s.values_nulled()
    );
    let tables: Vec<String> = s.tables.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("  tables      {}", tables.join(", "));
    if s.friction_days > 0 {
        println!(
            "  log model   it_friction_daily recomputed for {} day(s)",
            s.friction_days
        );
    }
    let marts: Vec<String> = s.marts.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("  marts       {}", marts.join(", "));
    for v in &s.vanished {
        println!(
            "  vanished    {v} (loaded before, no longer among the sources; its rows are kept until run --full)"
        );
    }
    for v in &s.removed {
        println!("  removed     {v} (its file is gone; its rows were taken out)");
    }
    for (f, share) in &s.over_limit {
        println!(
            "  over limit  {f}: {:.1} % of rows rejected (limit {:.1} %)",
            share * 100.0,
            s.limit * 100.0
        );
    }
    if !s.tests.is_empty() {
        let passed = s.tests.iter().filter(|t| t.status == "pass").count();
        let failed = s.tests.iter().filter(|t| t.is_error()).count();
        println!(
            "  data tests  {passed} passed, {} warned, {failed} failed (details in lake/_tests)",
            s.tests.len() - passed - failed
        );
        for t in s.tests.iter().filter(|t| t.status != "pass") {
            let word = if t.is_error() { "FAIL" } else { "warn" };
            println!(
                "    {word} {} {}: {}",
                t.target,
                t.test,
                t.message.as_deref().unwrap_or("")
            );
        }
    }
    for (f, e) in &s.failed_sources {
        println!("  failed      {f}: {e}");
    }
    if let Some(k) = &s.kolada {
        println!("  kolada      {}", k.display());
    }
    if let Some(r) = &s.report {
        println!("  report      {}", r.display());
    }
    let t: Vec<String> = s
        .timings
        .iter()
        .map(|(stage, d)| format!("{stage} {:.2} s", d.as_secs_f64()))
        .collect();
    println!("  timings     {}", t.join(", "));
}
