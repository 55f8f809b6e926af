//! Every flag of `friktion`, defined once. `main` turns them into settings and dispatches.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Measures time lost to IT friction in Swedish municipal welfare services, and how fast
/// digital solutions get implemented; from staff surveys, system logs and project records.
#[derive(Parser)]
#[command(name = "friktion", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Ingest new or changed sources, rebuild the marts and write the report (the nightly job).
    ///
    /// Exit status: 0 when everything ran; 2 when the run finished but some source files could
    /// not be loaded, a file's rejected rows passed limits.max_quarantined_share (see the
    /// *_quarantine tables) or an error-level data test failed (see lake/_tests); 1 when the
    /// run failed (another run holds the lake's lock, say). Every run's record:
    /// lake/_runs/<run-id>.json.
    Run(RunArgs),
    /// Write realistic, seeded sample inputs (surveys, logs, project records).
    Synth(crate::synth::SynthArgs),
    /// Work with survey instruments (the mappings in pipelines/instruments/).
    Instrument {
        #[command(subcommand)]
        command: InstrumentCommand,
    },
    /// The SQL models in pipelines/models/: list them, run them alone, or document them.
    Models {
        #[command(subcommand)]
        command: crate::models::ModelsCommand,
    },
    /// Query every lake table and mart with SQL: an interactive shell, or one-shot with -e or -f.
    ///
    /// Only queries run: CREATE, INSERT, COPY, SET and reading files outside the lake are
    /// refused. Each query has a memory limit and a timeout.
    Sql(crate::sql::SqlArgs),
    /// Inspect the lake.
    Lake {
        #[command(subcommand)]
        command: LakeCommand,
    },
}

/// The flags of `friktion run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The pipeline config.
    #[arg(long, short, default_value = "pipelines/nightly.toml")]
    pub config: PathBuf,
    /// Use this lake directory instead of the config's.
    #[arg(long)]
    pub lake: Option<PathBuf>,
    /// Write reports under this directory instead of the config's.
    #[arg(long)]
    pub reports: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Reload every source as if it had changed, and take out the rows of sources whose
    /// files are gone: a rebuild from the sources.
    #[arg(long)]
    pub full: bool,
    /// How log events are written on stderr: text (warnings and errors) or json (one object
    /// per line, every stage and source event too).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// The report's language.
    #[arg(long, value_enum, default_value = "sv")]
    pub lang: LangArg,
    /// Name the run (its report directory and record) instead of taking the clock's time.
    #[arg(long, hide = true)]
    pub run_id: Option<String>,
    /// The run's clock (RFC 3339) instead of the wall clock, for reproducible runs.
    #[arg(long, hide = true)]
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The report's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LangArg {
    /// Swedish.
    Sv,
    /// English.
    En,
}

impl From<LangArg> for friktion_report::i18n::Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::Sv => Self::Sv,
            LangArg::En => Self::En,
        }
    }
}

#[derive(Subcommand)]
pub enum InstrumentCommand {
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
pub enum LakeCommand {
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
