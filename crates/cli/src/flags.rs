//! Every flag of `friktion`, each defined once, here. `main` turns them into settings and
//! dispatches; the subcommands' modules only read them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use friktion_cluster::{Engine, SchedulerUrl};
use friktion_lake::LakeLocation;

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
    /// Load named files into the lake now, through the same code as the nightly run (the same
    /// summary, ledger and quarantine), without models or report: for trying a new export.
    ///
    /// The files need not be among the config's sources; the nightly run keeps their rows
    /// (and says they are not among its sources) until `run --full`. Exit status as for run.
    Ingest {
        #[command(subcommand)]
        command: IngestCommand,
    },
    /// Write realistic, seeded sample inputs (surveys, logs, project records).
    Synth(SynthArgs),
    /// Work with survey instruments (the mappings in pipelines/instruments/).
    Instrument {
        #[command(subcommand)]
        command: InstrumentCommand,
    },
    /// The SQL models in pipelines/models/: list them, run them alone, or document them.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Query every lake table and mart with SQL: an interactive shell, or one-shot with -e or -f.
    ///
    /// Only queries run: CREATE, INSERT, COPY, SET and reading files outside the lake are
    /// refused. Each query has a memory limit and a timeout.
    Sql(SqlArgs),
    /// The SQL server for researchers: the Postgres wire protocol over the lake, for psql,
    /// Python, R and DBeaver, with accounts, roles, TLS and an audit log (docs/SERVE.md).
    ///
    /// Without a subcommand it serves until stopped (Ctrl-C or SIGTERM). Settings come from
    /// [serve] in the pipeline config; each flag overrides its setting.
    Serve(ServeArgs),
    /// A Ballista scheduler for `--engine ballista`: plans queries with friktion's functions
    /// and tables and hands their stages to the executors (docs/SCALE.md). Runs until stopped.
    Scheduler(SchedulerArgs),
    /// A Ballista executor: registers with a scheduler and runs query stages, reading a lake
    /// on object storage from its bucket (as [object_store] and the environment say). Runs
    /// until stopped.
    Executor(ExecutorArgs),
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
    /// Use this lake instead of the config's: a directory or s3://bucket/prefix.
    #[arg(long, value_parser = lake_location)]
    pub lake: Option<LakeLocation>,
    /// Write reports under this directory instead of the config's.
    #[arg(long)]
    pub reports: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineFlags,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Reload every source as if it had changed, and take out the rows of sources whose
    /// files are gone: a rebuild from the sources.
    #[arg(long)]
    pub full: bool,
    /// Hash every source file. Without it a file whose size and modification time are those
    /// the ledger saw last is skipped unread; a file rewritten with the same size and its old
    /// time (`cp -p`, a restored backup) is caught only with --verify.
    #[arg(long)]
    pub verify: bool,
    /// How log events are written on stderr: text (warnings and errors) or json (one object
    /// per line, every stage and source event too).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// The report's language.
    #[arg(long, value_enum, default_value = "sv")]
    pub lang: LangArg,
    #[command(flatten)]
    pub deadline: DeadlineFlags,
    /// Name the run (its report directory and record) instead of taking the clock's time.
    #[arg(long, hide = true)]
    pub run_id: Option<String>,
    /// The run's clock (RFC 3339) instead of the wall clock, for reproducible runs.
    #[arg(long, hide = true)]
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
}

/// What `friktion ingest` loads.
#[derive(Subcommand)]
pub enum IngestCommand {
    /// System logs (any format `friktion run` reads; detected from the first lines unless
    /// --format says), then the log model.
    Logs(IngestLogsArgs),
    /// Survey exports (CSV, XLSX, XLS, ODS) read through an instrument.
    Survey(IngestSurveyArgs),
    /// Project-portfolio exports (CSV, workbooks, JSON) read through a mapping.
    Projects(IngestProjectsArgs),
    /// Kolada downloads: the API's JSON or the CSV export (kpi, municipality, period, gender,
    /// value, count, status), checked against Kolada's KPI definitions.
    Kolada(IngestKoladaArgs),
}

/// What every `friktion ingest` takes.
#[derive(clap::Args)]
pub struct IngestCommon {
    /// The pipeline config: its lake, reference, key and (for logs) systems catalogue.
    #[arg(long, short, default_value = "pipelines/nightly.toml")]
    pub config: PathBuf,
    /// Use this lake instead of the config's: a directory or s3://bucket/prefix.
    #[arg(long, value_parser = lake_location)]
    pub lake: Option<LakeLocation>,
    /// Load the files even if the ledger says they are unchanged.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// How log events are written on stderr: text or json.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

#[derive(clap::Args)]
pub struct IngestLogsArgs {
    /// The log files (.gz and .zst read as they are).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// ndjson, syslog, w3c, clf, csv or errorlog; detected from the first lines by default.
    #[arg(long)]
    pub format: Option<String>,
    /// The kommun of events that neither the line, its host nor the systems catalogue place.
    #[arg(long)]
    pub kommun_kod: Option<String>,
    /// The system (an id in the systems catalogue) of events the catalogue does not place.
    #[arg(long)]
    pub system_id: Option<String>,
    /// The zone of times written without one (default Europe/Stockholm).
    #[arg(long)]
    pub timezone: Option<String>,
    /// Year-less syslog: the date the files end by (default: each file's modification time).
    #[arg(long)]
    pub syslog_ends: Option<String>,
    /// A CSV log's delimiter, where it is not the one of , ; tab | its header has most of.
    #[arg(long)]
    pub csv_delimiter: Option<char>,
    /// The unit of response times the format does not state: ms, s, us or ns.
    #[arg(long)]
    pub latency_unit: Option<String>,
    /// Which key or column holds an event field, as [logs.fields] says it: `user=Anvandare`,
    /// `ts=Tid`. Repeat for more fields.
    #[arg(long = "field", value_name = "FIELD=NAME")]
    pub fields: Vec<String>,
    #[command(flatten)]
    pub common: IngestCommon,
}

#[derive(clap::Args)]
pub struct IngestSurveyArgs {
    /// The survey exports.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The instrument that maps their columns (pipelines/instruments/*.toml).
    #[arg(long)]
    pub instrument: PathBuf,
    /// The wave of every file; by default each file's name without extension.
    #[arg(long)]
    pub wave: Option<String>,
    /// Population totals to weight each file's responses to.
    #[arg(long)]
    pub population: Option<PathBuf>,
    #[command(flatten)]
    pub common: IngestCommon,
}

#[derive(clap::Args)]
pub struct IngestProjectsArgs {
    /// The portfolio exports.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The mapping of their columns and labels (pipelines/projects/*.toml).
    #[arg(long)]
    pub mapping: PathBuf,
    /// The date the export describes (YYYY-MM-DD); by default each file's modification day.
    #[arg(long)]
    pub data_date: Option<String>,
    #[command(flatten)]
    pub common: IngestCommon,
}

#[derive(clap::Args)]
pub struct IngestKoladaArgs {
    /// The Kolada files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub common: IngestCommon,
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
        /// The lake: a directory or s3://bucket/prefix (reached as the environment says:
        /// AWS_ENDPOINT_URL, AWS_REGION, AWS_ALLOW_HTTP, AWS_PROFILE, credentials).
        #[arg(long, default_value = "lake", value_parser = lake_location)]
        lake: LakeLocation,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
pub struct SynthArgs {
    /// Directory to write survey/, logs/ and projects/ into.
    #[arg(long)]
    pub out: PathBuf,
    /// The SCB reference (municipalities.geoparquet, counties.geoparquet).
    #[arg(long, default_value = "sample-data/reference")]
    pub reference: PathBuf,
    /// Seed: the same seed and settings give the same files, byte for byte.
    #[arg(long, default_value_t = 41)]
    pub seed: u64,
    /// Municipalities taking part (1–290), drawn by the seed.
    #[arg(long, default_value_t = 12)]
    pub kommuner: usize,
    /// Mean survey respondents per municipality and wave.
    #[arg(long, default_value_t = 40)]
    pub respondents: usize,
    /// Survey waves (years), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2014,2019")]
    pub waves: Vec<u16>,
    /// Share of survey rows with a realistic defect, to exercise quarantine.
    #[arg(long, default_value_t = 0.01)]
    pub dirty_rate: f64,
    /// Municipalities that also get their own staff survey as an XLSX export.
    #[arg(long, default_value_t = 2)]
    pub staff_surveys: usize,
    /// Working days of system logs (0: no logs).
    #[arg(long, default_value_t = 5)]
    pub log_days: u32,
    /// Users per municipality in the logs.
    #[arg(long, default_value_t = 12)]
    pub log_users: usize,
    /// Municipalities that send logs (0: all taking part).
    #[arg(long, default_value_t = 3)]
    pub log_kommuner: usize,
    /// Also write the web front ends' events as syslog (logs/webapps.syslog), for benchmarks.
    #[arg(long)]
    pub log_web_syslog: bool,
    /// Write each kommun's logs to files of its own (logs/webapps-<kommun_kod>.ndjson and
    /// logs/auth-<kommun_kod>.syslog), a kommun at a time: for national days of many GB.
    #[arg(long)]
    pub log_file_per_kommun: bool,
    /// Implementation projects per municipality (0: none).
    #[arg(long, default_value_t = 20)]
    pub projects: usize,
    /// Leave out the Kolada-shaped welfare-technology values (kolada/*-synthetic.*), which are
    /// made up and say so in the file.
    #[arg(long)]
    pub no_kolada: bool,
}

#[derive(clap::Subcommand)]
pub enum ModelsCommand {
    /// The models in run order, with grain, unit and what each reads.
    List {
        #[arg(long, short, default_value = "pipelines/nightly.toml")]
        config: PathBuf,
    },
    /// Rebuild every mart from the lake as it is, without ingesting anything (to try a model).
    Run {
        #[arg(long, short, default_value = "pipelines/nightly.toml")]
        config: PathBuf,
        /// Use this lake instead of the config's: a directory or s3://bucket/prefix.
        #[arg(long, value_parser = lake_location)]
        lake: Option<LakeLocation>,
        #[command(flatten)]
        engine: EngineFlags,
        #[command(flatten)]
        deadline: DeadlineFlags,
    },
    /// Markdown documentation of every model: header, dependencies and columns.
    Docs {
        #[arg(long, short, default_value = "pipelines/nightly.toml")]
        config: PathBuf,
        /// Use this lake instead of the config's (for the marts' columns).
        #[arg(long, value_parser = lake_location)]
        lake: Option<LakeLocation>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Parquet,
}

#[derive(clap::Args)]
pub struct SqlArgs {
    /// The lake: a directory or s3://bucket/prefix (reached as the environment says:
    /// AWS_ENDPOINT_URL, AWS_REGION, AWS_ALLOW_HTTP, AWS_PROFILE, credentials).
    #[arg(long, default_value = "lake", value_parser = lake_location)]
    pub lake: LakeLocation,
    /// Read the lake as of this version (a lake on object storage: the version a report
    /// names), to recompute a published figure from the data it came from.
    #[arg(long)]
    pub as_of: Option<u64>,
    /// Run this statement and exit (repeatable).
    #[arg(long, short = 'e')]
    pub execute: Vec<String>,
    /// Run the statements in this file and exit.
    #[arg(long, short = 'f')]
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write results to this file instead of standard output (required for parquet).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Stop a query that runs longer than this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Memory a query may use, in MiB, before it fails.
    #[arg(long, default_value_t = 2048)]
    pub memory_mb: usize,
    /// Print each query's time.
    #[arg(long)]
    pub timing: bool,
    #[command(flatten)]
    pub engine: EngineFlags,
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub command: Option<ServeCommand>,
    #[command(flatten)]
    pub server: ServerFlags,
}

/// The flags of `friktion serve` itself.
#[derive(clap::Args)]
pub struct ServerFlags {
    /// The pipeline config: its lake and its [serve] settings (default pipelines/nightly.toml
    /// when it exists).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Serve this lake instead of the config's: a directory or s3://bucket/prefix.
    #[arg(long, value_parser = lake_location)]
    pub lake: Option<LakeLocation>,
    /// Address and port to listen on (default 127.0.0.1:5433). Off loopback, TLS is required.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// The accounts file (see `friktion serve user`).
    #[arg(long, env = "FRIKTION_ACCOUNTS")]
    pub accounts: Option<PathBuf>,
    /// PEM certificate chain for TLS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Make a self-signed certificate and key in this directory and use them (tests, trials).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["tls_cert", "tls_key"])]
    pub dev_cert: Option<PathBuf>,
    /// Connections open at once.
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Queries one user may run at once.
    #[arg(long)]
    pub queries_per_user: Option<usize>,
    /// Stop a query after this many seconds.
    #[arg(long)]
    pub query_timeout: Option<u64>,
    /// Memory one query may use, in MiB.
    #[arg(long)]
    pub query_memory_mb: Option<usize>,
    /// Threads one query may use.
    #[arg(long)]
    pub query_threads: Option<usize>,
    /// Close a connection idle for this many seconds.
    #[arg(long)]
    pub idle_timeout: Option<u64>,
    #[command(flatten)]
    pub engine: EngineFlags,
}

/// How long one query of a night may run.
#[derive(clap::Args, Clone)]
pub struct DeadlineFlags {
    /// Seconds one model, data test or export query may run before the run stops with an
    /// error (on a cluster, a job the scheduler cannot finish would otherwise be waited for
    /// forever). A national night's longest model takes seconds on one machine.
    #[arg(long, value_name = "SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub query_timeout: u64,
}

impl DeadlineFlags {
    pub fn limit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.query_timeout)
    }
}

/// Where the models' and queries' SQL runs.
#[derive(clap::Args, Clone)]
pub struct EngineFlags {
    /// local: in this process (the default); ballista: on a Ballista cluster (give
    /// --scheduler; docs/SCALE.md).
    #[arg(long, value_enum, default_value = "local")]
    pub engine: EngineKind,
    /// The cluster's scheduler, for --engine ballista: df://host:port.
    #[arg(long, value_parser = scheduler_url)]
    pub scheduler: Option<SchedulerUrl>,
    /// Tasks each stage of a query is split into on the cluster (--engine ballista). More
    /// than one adds floating-point sums in a varying order: marts then equal the local
    /// engine's to about 1e-12 rather than byte for byte.
    #[arg(long, default_value_t = 4)]
    pub partitions: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
    Local,
    Ballista,
}

impl EngineFlags {
    /// The engine the flags name; a scheduler without --engine ballista, or the other way
    /// round, is refused rather than ignored.
    pub fn engine(&self) -> Result<Engine, String> {
        match (self.engine, &self.scheduler) {
            (EngineKind::Local, None) => Ok(Engine::Local),
            (EngineKind::Local, Some(s)) => Err(format!(
                "--scheduler {s} is for --engine ballista; without it the SQL runs here"
            )),
            (EngineKind::Ballista, None) => {
                Err("--engine ballista needs --scheduler df://host:port".into())
            }
            (EngineKind::Ballista, Some(s)) => Ok(Engine::Ballista {
                scheduler: s.clone(),
                partitions: self.partitions,
            }),
        }
    }
}

/// The flags of `friktion scheduler`.
#[derive(clap::Args)]
pub struct SchedulerArgs {
    /// Address and port to listen on for clients and executors.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub listen: std::net::SocketAddr,
    /// The host name executors and clients reach it by, when not the listen address.
    #[arg(long)]
    pub external_host: Option<String>,
    /// A pipeline config whose [object_store] says how to reach the lake's bucket (else the
    /// environment: AWS_ENDPOINT_URL, AWS_REGION, AWS_ALLOW_HTTP, AWS_PROFILE, credentials).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

/// The flags of `friktion executor`.
#[derive(clap::Args)]
pub struct ExecutorArgs {
    /// The scheduler to register with: df://host:port.
    #[arg(long, value_parser = scheduler_url, default_value = "df://127.0.0.1:50050")]
    pub scheduler: SchedulerUrl,
    /// The address its services listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_host: String,
    /// The host name the scheduler and other executors reach it by, when not --bind-host.
    #[arg(long)]
    pub external_host: Option<String>,
    /// Arrow Flight port: where results and shuffle data are fetched.
    #[arg(long, default_value_t = 50051)]
    pub flight_port: u16,
    /// gRPC port: where the scheduler sends tasks.
    #[arg(long, default_value_t = 50052)]
    pub grpc_port: u16,
    /// Tasks it runs at once (default: one per core).
    #[arg(long)]
    pub tasks: Option<usize>,
    /// Where shuffle files and spills go (default: a temporary directory).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Memory its tasks share, in MiB, spilling beyond it (default: Ballista's share of the
    /// machine's memory).
    #[arg(long)]
    pub memory_mb: Option<u64>,
    /// A pipeline config whose [object_store] says how to reach the lake's bucket (else the
    /// environment, as for the scheduler).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum ServeCommand {
    /// The server's accounts: each a role and a SCRAM-SHA-256 verifier, never a password.
    User {
        /// The accounts file (readable by its owner only).
        #[arg(
            long,
            env = "FRIKTION_ACCOUNTS",
            default_value = "/etc/friktion/accounts.toml",
            global = true
        )]
        accounts: PathBuf,
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Summarise the audit log (lake/_audit/): per user, logins, failed logins, statements,
    /// refusals, rows and bytes; then the latest refusals.
    Audit {
        /// The lake directory.
        #[arg(long, default_value = "lake")]
        lake: PathBuf,
        /// Only from this day (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        /// How many of the latest refusals to list.
        #[arg(long, default_value_t = 20)]
        refusals: usize,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from standard input when it is not a terminal (its
    /// first line), else asked for twice without echo; never from an argument.
    Add {
        name: String,
        /// analyst (everything), researcher (no quarantine tables) or public (published only).
        #[arg(long, value_parser = ["analyst", "researcher", "public"])]
        role: String,
    },
    /// Remove a user.
    Remove { name: String },
    /// List the users and their roles.
    List,
}

/// `--scheduler`: a Ballista scheduler's df:// address.
fn scheduler_url(s: &str) -> Result<SchedulerUrl, String> {
    SchedulerUrl::parse(s).map_err(|e| e.to_string())
}

/// `--lake`: a directory, or a URL with a scheme friktion honours.
fn lake_location(s: &str) -> Result<LakeLocation, String> {
    LakeLocation::parse(s).map_err(|e| e.to_string())
}
