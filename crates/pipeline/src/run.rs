//! `Pipeline::run`: sources → lake → models → data tests → publication → report, one way.
//!
//! Each source file is committed on its own (data, quarantine and ledger row together), so a run
//! killed half way keeps what it finished and the next run picks up the rest. Every mart of a run
//! is committed in one transaction.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use friktion_core::{KeyOrigin, PseudoKey, Pseudonymiser, Reference};
use friktion_lake::{Lake, Ledger};
use friktion_publish::{Marts, Publication};
use friktion_query::{
    LakeSession, SessionContext, SessionOptions, load_models, run_models_keeping,
};
use friktion_report::i18n::Lang;

use crate::config::{Config, KoladaSource, ProjectSource, SurveySource};
use crate::context::{RunContext, Sources};
use crate::event::{Event, Observer, Silent, Stage};
use crate::summary::RunSummary;
use crate::{PipelineError, record, report};
use friktion_ingest_logs::LogSpec;

/// How one run differs from what the config says.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Use this lake instead of the config's.
    pub lake: Option<friktion_lake::LakeLocation>,
    /// Write reports under this directory instead of the config's.
    pub reports: Option<PathBuf>,
    /// Reload every source as if it had changed, and remove the rows of vanished ones.
    pub full: bool,
    /// Hash every source file, even one whose size and modification time are those the
    /// ledger saw last: a file rewritten with the same size and an old time (`cp -p`, a
    /// restored backup) is caught only so.
    pub verify: bool,
    /// The report's language.
    pub lang: Lang,
    /// This run's id instead of one made from the clock (reproducible reruns, tests).
    pub run_id: Option<String>,
    /// The run's clock instead of the wall clock: every timestamp the run writes.
    pub now: Option<DateTime<Utc>>,
    /// Stop a model, data test or export query that runs longer than this, failing the run.
    pub query_timeout: Option<std::time::Duration>,
}

/// The nightly job over one config.
pub struct Pipeline<'o> {
    cfg: Config,
    observer: &'o dyn Observer,
    /// The caller's DataFusion context for the models and tests; a local one when None.
    context: Option<SessionContext>,
    /// Load the sources and stop (`friktion ingest`): no models, tests, publication or
    /// report, and sources the config names but this run does not are left alone.
    sources_only: bool,
}

/// Named files for `friktion ingest`, each read as a config block of its kind would read it.
#[derive(Debug, Clone)]
pub enum OneOff {
    Logs(Vec<LogSpec>),
    Survey(Vec<SurveySource>),
    Projects(Vec<ProjectSource>),
    Kolada(Vec<KoladaSource>),
}

impl Pipeline<'static> {
    /// The pipeline of a config file (`pipelines/nightly.toml`), telling no one what it does.
    pub fn load(config: &Path) -> Result<Self, PipelineError> {
        Ok(Self {
            cfg: Config::load(config)?,
            observer: &Silent,
            context: None,
            sources_only: false,
        })
    }
}

impl<'o> Pipeline<'o> {
    /// The same pipeline, handing its events to `observer`.
    pub fn with_observer<'p>(self, observer: &'p dyn Observer) -> Pipeline<'p> {
        Pipeline {
            cfg: self.cfg,
            observer,
            context: self.context,
            sources_only: self.sources_only,
        }
    }

    /// Runs the models and data tests in the caller's DataFusion context (a cluster's, or one
    /// with object storage registered) instead of a local one. The context needs friktion's
    /// functions (`friktion_query::register_functions`); the marts come out byte for byte the
    /// same only where it runs them on one partition, as the local one does.
    pub fn with_context(mut self, ctx: SessionContext) -> Self {
        self.context = Some(ctx);
        self
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Loads the named files into the lake through the same stages, ledger and quarantine
    /// as the nightly run, and stops there: an analyst trying a new export. The files replace
    /// the config's sources of every kind for this run; the nightly run later warns that they
    /// are not among its sources and keeps their rows (until `run --full`). Logs need the
    /// config's systems catalogue, and are followed by the log model, as at night.
    pub fn ingest(mut self, what: OneOff, opts: &RunOptions) -> Result<RunSummary, PipelineError> {
        let cfg = &mut self.cfg;
        cfg.survey.clear();
        cfg.logs.clear();
        cfg.projects.clear();
        cfg.kolada.clear();
        match what {
            OneOff::Logs(l) => {
                if cfg.systems.is_none() {
                    return Err(crate::config::ConfigError::LogsNeedSystems {
                        config: cfg.path.clone(),
                    }
                    .into());
                }
                cfg.logs = l;
            }
            OneOff::Survey(s) => cfg.survey = s,
            OneOff::Projects(p) => cfg.projects = p,
            OneOff::Kolada(k) => cfg.kolada = k,
        }
        self.sources_only = true;
        self.run(opts)
    }

    /// Runs the nightly job. Whatever happens once the lake is open, the run's record is
    /// written to `lake/_runs/<run-id>.json`.
    pub fn run(&self, opts: &RunOptions) -> Result<RunSummary, PipelineError> {
        let mut s = RunSummary::default();
        let result = self.run_into(opts, &mut s);
        s.finished_at = Some(opts.now.unwrap_or_else(Utc::now));
        if let Some(lake) = s.lake_dir.clone() {
            if let Err(e) = record::write(&lake, &s, result.as_ref().err()) {
                self.observer.event(Event::Problem {
                    file: None,
                    message: format!(
                        "could not write the run record: {}",
                        friktion_core::error_chain(&e)
                    ),
                });
            }
        }
        result.map(|()| s)
    }

    fn run_into(&self, opts: &RunOptions, s: &mut RunSummary) -> Result<(), PipelineError> {
        let cfg = &self.cfg;
        // Outputs declare the marts they read: a missing model fails now, not after ingest.
        let models = load_models(&cfg.models).map_err(friktion_query::QueryError::from)?;
        report::check_inputs(&models, &cfg.models)?;
        let location = opts.lake.clone().unwrap_or_else(|| cfg.lake.clone());
        let reports_dir = opts.reports.clone().unwrap_or_else(|| cfg.reports.clone());
        let key = PseudoKey::resolve(cfg.privacy.key_file.as_deref(), cfg.privacy.allow_demo_key)
            .map_err(PipelineError::Key)?;
        if *key.origin() == KeyOrigin::Demo {
            self.observer.event(Event::DemoKey {
                config: cfg.path.display().to_string(),
            });
        }
        let reference =
            Reference::load(&cfg.reference).map_err(|source| PipelineError::Reference {
                path: cfg.reference.clone(),
                source,
            })?;
        let lake =
            Lake::open_at(&location, &cfg.object_store, &cfg.work_dir).map_err(|source| {
                PipelineError::OpenLake {
                    path: location.to_string().into(),
                    source,
                }
            })?;
        // A local lake's directory; for a lake on object storage, the local work directory,
        // where run records stay.
        let lake_dir = lake.root().to_path_buf();
        if let Some(owner) = lake.took_over_lock() {
            self.observer.event(Event::TookOverLock {
                owner: owner.to_string(),
            });
        }
        report::remove_partial(&reports_dir)?;
        let mut ledger = Ledger::load(&lake)?;
        let now = opts.now.unwrap_or_else(Utc::now);
        s.run_id = match &opts.run_id {
            Some(id) => id.clone(),
            None => report::new_run_id(&reports_dir, &lake_dir, now),
        };
        s.started_at = Some(now);
        s.lake_dir = Some(lake_dir.clone());
        s.full = opts.full;
        record::write(&lake_dir, s, None)?;
        self.observer.event(Event::Started {
            run_id: s.run_id.clone(),
        });
        if opts.full {
            ledger.forget_contents();
        }
        let run_id = s.run_id.clone();
        let pseudonymiser = Pseudonymiser::new(&key);
        let ctx = RunContext {
            cfg,
            lake: &lake,
            ledger: &ledger,
            reference: &reference,
            key: &key,
            pseudonymiser: &pseudonymiser,
            run_id: &run_id,
            now,
            observer: self.observer,
            verify: opts.verify,
            skips: Default::default(),
        };
        let mut clock = Instant::now();
        let observer = self.observer;
        let mut lap = |s: &mut RunSummary, stage: Stage| {
            let took = clock.elapsed();
            observer.event(Event::StageFinished {
                stage,
                seconds: took.as_secs_f64(),
            });
            s.timings.push((stage, took));
            clock = Instant::now();
        };
        let mut sources = Sources {
            summary: s,
            seen: Vec::new(),
        };
        crate::sources::load(
            &ctx,
            &mut sources,
            opts.full,
            self.sources_only,
            &mut |out, stage| lap(out.summary, stage),
        )?;
        if self.sources_only {
            s.tables = lake
                .table_stats()?
                .into_iter()
                .map(|st| (st.name, st.rows))
                .collect();
            return Ok(());
        }

        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(PipelineError::Runtime)?;
        let query_timeout = opts.query_timeout;
        let full = opts.full;
        let (runs, kept, session) = rt.block_on(async {
            // One partition: parallel partial sums add floats in a different order each time,
            // and the marts must come out byte for byte the same from the same lake.
            let opts = SessionOptions {
                target_partitions: 1,
                ..SessionOptions::default()
            };
            let mut session = match &self.context {
                Some(ctx) => {
                    LakeSession::with_context(ctx.clone(), &lake, opts.memory_limit_bytes).await?
                }
                None => LakeSession::open(&lake, &opts).await?,
            };
            session.set_query_timeout(query_timeout);
            // Marts nothing they read changed since a run computed them are kept (a day of
            // logs does not recompute the survey marts over all their history).
            let reads = crate::reuse::reads(session.context(), &models)?;
            let kept = match full {
                true => Default::default(),
                false => crate::reuse::to_keep(
                    &lake_dir,
                    &models,
                    &reads,
                    &crate::reuse::fingerprints(&lake, &models, &reads)?,
                ),
            };
            let keep = kept.keys().cloned().collect();
            let runs = run_models_keeping(&mut session, &lake, &models, &keep).await?;
            Ok::<_, PipelineError>((runs, (kept, reads), session))
        })?;
        let (kept, reads) = kept;
        // In the models' order, as computed or as kept.
        s.marts = models
            .iter()
            .filter_map(|m| match kept.get(&m.name) {
                Some(k) => Some((m.name.clone(), k.rows)),
                None => runs
                    .iter()
                    .find(|r| r.name == m.name)
                    .map(|r| (m.name.clone(), r.rows)),
            })
            .collect();
        s.marts_kept = kept.into_iter().map(|(name, k)| (name, k.run_id)).collect();
        // Recorded at once: a run that dies after the marts commit still names what they were
        // computed from.
        s.mart_fingerprints = crate::reuse::fingerprints(&lake, &models, &reads)?;
        record::write(&lake_dir, s, None)?;
        lap(s, Stage::SqlModels);
        (s.tests, s.test_units) =
            rt.block_on(crate::models::data_tests(&ctx, &session, &models, full))?;
        let kolada = rt.block_on(friktion_query::kolada::export(&session, &models))?;
        if !s.tests.is_empty() {
            lap(s, Stage::DataTests);
        }
        // Publication: every output below reads the protected tables, never the marts.
        let min_cell = cfg.privacy.min_cell;
        let marts = Marts::read(&lake)?;
        let areas = report::map_areas(&lake)?;
        let names = areas
            .iter()
            .map(|a| (a.kommun_kod.clone(), a.kommun_name.clone()))
            .collect();
        let publication = Publication::compute(&marts, &names, min_cell);
        let kolada =
            friktion_publish::kolada::protect(&kolada, min_cell, &publication.hidden_kommuner)?;
        friktion_publish::write(&lake, &publication, kolada.as_ref())?;
        lap(s, Stage::Publication);
        s.tables = lake
            .table_stats()?
            .into_iter()
            .map(|st| (st.name, st.rows))
            .collect();
        report::write(
            &report::ReportCtx {
                lake: &lake,
                lake_dir: &lake_dir,
                reports_dir: &reports_dir,
                lang: opts.lang,
                publication: &publication,
                kolada: kolada.as_ref(),
                areas: &areas,
                instruments: &crate::sources::survey::wave_instruments(cfg)?,
            },
            s,
        )?;
        lap(s, Stage::Report);
        // Superseded files a lake on object storage keeps for reading earlier versions go
        // once older than the retention; the run's own commits are all in by now.
        if lake.is_remote() {
            s.vacuumed = Some(lake.vacuum(cfg.object_store.retention())?);
        }
        Ok(())
    }
}
