//! `friktion ingest logs|survey|projects|kolada FILE…`: named files into the lake, as the nightly run
//! loads them, and nothing after.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use friktion_ingest_logs::LogSpec;
use friktion_pipeline::config::{KoladaSource, ProjectSource, SurveySource};
use friktion_pipeline::{OneOff, Pipeline, RunOptions};

use crate::flags::{IngestCommand, IngestCommon, IngestLogsArgs};
use crate::{obs, print};

pub fn run(command: IngestCommand) -> anyhow::Result<ExitCode> {
    let (common, what) = match command {
        IngestCommand::Logs(a) => {
            let specs = log_specs(&a)?;
            (a.common, OneOff::Logs(specs))
        }
        IngestCommand::Survey(a) => {
            let (instrument, population) = (absolute(&a.instrument)?, a.population);
            let population = population.map(|p| absolute(&p)).transpose()?;
            let sources = files(&a.files)?
                .into_iter()
                .map(|files| SurveySource {
                    files,
                    instrument: instrument.clone(),
                    wave_id: a.wave.clone(),
                    population: population.clone(),
                })
                .collect();
            (a.common, OneOff::Survey(sources))
        }
        IngestCommand::Projects(a) => {
            let mapping = absolute(&a.mapping)?;
            let sources = files(&a.files)?
                .into_iter()
                .map(|files| ProjectSource {
                    files,
                    mapping: mapping.clone(),
                    data_date: a.data_date.clone(),
                })
                .collect();
            (a.common, OneOff::Projects(sources))
        }
        IngestCommand::Kolada(a) => {
            let sources = files(&a.files)?
                .into_iter()
                .map(|files| KoladaSource { files })
                .collect();
            (a.common, OneOff::Kolada(sources))
        }
    };
    load(&common, what)
}

fn load(c: &IngestCommon, what: OneOff) -> anyhow::Result<ExitCode> {
    let observer = obs::init(c.log_format, c.quiet);
    let opts = RunOptions {
        lake: c.lake.clone(),
        full: c.force,
        ..RunOptions::default()
    };
    let summary = Pipeline::load(&c.config)?
        .with_observer(&observer)
        .ingest(what, &opts)?;
    obs::status_done();
    if !c.quiet {
        print::ingest_summary(&summary);
    }
    Ok(ExitCode::from(summary.exit_code()))
}

/// Each file as a glob matching it alone: a `[` in a name is a name, not a pattern.
fn files(paths: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    paths
        .iter()
        .map(|p| {
            if !p.is_file() {
                anyhow::bail!("{}: no such file", p.display());
            }
            let abs = absolute(p)?;
            Ok(glob::Pattern::escape(&abs.to_string_lossy()))
        })
        .collect()
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("{}: cannot resolve the path", p.display()))
}

/// One `[[logs]]` block per file, built from the flags the way the config's would be read, so
/// a bad value is refused with the config's own message.
fn log_specs(a: &IngestLogsArgs) -> anyhow::Result<Vec<LogSpec>> {
    let mut t = toml::Table::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            t.insert(k.into(), toml::Value::String(v.clone()));
        }
    };
    put("format", &a.format);
    put("kommun_kod", &a.kommun_kod);
    put("system_id", &a.system_id);
    put("timezone", &a.timezone);
    put("syslog_ends", &a.syslog_ends);
    put("latency_unit", &a.latency_unit);
    put("csv_delimiter", &a.csv_delimiter.map(String::from));
    let mut fields = toml::Table::new();
    for f in &a.fields {
        let (k, v) = f.split_once('=').with_context(|| {
            format!("--field {f}: say FIELD=NAME, as in --field user=Anvandare")
        })?;
        fields.insert(k.trim().into(), toml::Value::String(v.trim().into()));
    }
    if !fields.is_empty() {
        t.insert("fields".into(), toml::Value::Table(fields));
    }
    files(&a.files)?
        .into_iter()
        .map(|f| {
            let mut t = t.clone();
            t.insert("files".into(), toml::Value::String(f));
            toml::Value::Table(t)
                .try_into::<LogSpec>()
                .map_err(|e| anyhow::anyhow!("the log options: {e}"))
        })
        .collect()
}
