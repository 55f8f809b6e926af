//! `friktion synth`: sample inputs at any scale.

use std::path::PathBuf;

use anyhow::{Context, Result};
use friktion_core::Reference;
use friktion_synth::{LogSettings, ProjectSettings, Settings, SurveySettings, generate};

#[derive(clap::Args)]
pub struct SynthArgs {
    /// Directory to write survey/, logs/ and projects/ into.
    #[arg(long)]
    out: PathBuf,
    /// The SCB reference (municipalities.geoparquet, counties.geoparquet).
    #[arg(long, default_value = "sample-data/reference")]
    reference: PathBuf,
    /// Seed: the same seed and settings give the same files, byte for byte.
    #[arg(long, default_value_t = 41)]
    seed: u64,
    /// Municipalities taking part (1–290), drawn by the seed.
    #[arg(long, default_value_t = 12)]
    kommuner: usize,
    /// Mean survey respondents per municipality and wave.
    #[arg(long, default_value_t = 40)]
    respondents: usize,
    /// Survey waves (years), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2014,2019")]
    waves: Vec<u16>,
    /// Share of survey rows with a realistic defect, to exercise quarantine.
    #[arg(long, default_value_t = 0.01)]
    dirty_rate: f64,
    /// Municipalities that also get their own staff survey as an XLSX export.
    #[arg(long, default_value_t = 2)]
    staff_surveys: usize,
    /// Working days of system logs (0: no logs).
    #[arg(long, default_value_t = 5)]
    log_days: u32,
    /// Users per municipality in the logs.
    #[arg(long, default_value_t = 12)]
    log_users: usize,
    /// Municipalities that send logs (0: all taking part).
    #[arg(long, default_value_t = 3)]
    log_kommuner: usize,
    /// Also write the web front ends' events as syslog (logs/webapps.syslog), for benchmarks.
    #[arg(long)]
    log_web_syslog: bool,
    /// Implementation projects per municipality (0: none).
    #[arg(long, default_value_t = 20)]
    projects: usize,
}

pub fn run(a: SynthArgs) -> Result<()> {
    let reference = Reference::load(&a.reference)
        .with_context(|| format!("reference data in {}", a.reference.display()))?;
    if !(0.0..=1.0).contains(&a.dirty_rate) {
        anyhow::bail!("--dirty-rate must be between 0 and 1");
    }
    let settings = Settings {
        seed: a.seed,
        kommuner: a.kommuner,
        survey: SurveySettings {
            waves: a.waves,
            respondents_per_kommun: a.respondents,
            dirty_rate: a.dirty_rate,
            staff_survey_kommuner: a.staff_surveys,
            ..SurveySettings::default()
        },
        logs: LogSettings {
            days: a.log_days,
            users_per_kommun: a.log_users,
            kommuner: a.log_kommuner,
            web_syslog: a.log_web_syslog,
            ..LogSettings::default()
        },
        projects: ProjectSettings {
            per_kommun: a.projects,
            ..ProjectSettings::default()
        },
    };
    let written = generate(&reference, &settings, &a.out)?;
    for (f, size) in &written.files {
        println!("{:>10}  {}", size, a.out.join(f).display());
    }
    Ok(())
}
