//! `friktion run`: ingest what is new, rebuild the marts, write the report.
//!
//! Sources → lake → models → report, one way. Each source file is committed on its own
//! (data, quarantine and ledger row together), so a run killed half way keeps what it finished
//! and the next run picks up the rest.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::Utc;
use friktion_core::quarantine::{self, Action};
use friktion_core::{KeyOrigin, LakeTable, PseudoKey, Pseudonymiser, Reference};
use friktion_ingest_survey::weights::Population;
use friktion_ingest_survey::{Instrument, SurveySource};
use friktion_lake::{Lake, Ledger, LedgerEntry, content_hash, ledger, source_key};
use friktion_query::{LakeSession, SessionOptions, load_models, run_models};
use friktion_report::html::SourceLine;

use crate::config::Config;
use crate::reference_tables;
use crate::run_logs::{self, LogsCtx};
use crate::run_projects::{self, ProjectsCtx};
use friktion_ingest_logs::{Catalog, PseudonymCache};

/// Bumped when ingest logic changes in a way that should reload every source.
const INGEST_VERSION: &str = "survey-ingest-1";

pub struct RunArgs {
    pub config: PathBuf,
    pub lake: Option<PathBuf>,
    pub reports: Option<PathBuf>,
    pub quiet: bool,
    /// Reload every source as if it had changed, and remove the rows of vanished ones.
    pub full: bool,
    /// The report's language.
    pub lang: friktion_report::i18n::Lang,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub run_id: String,
    pub sources: Vec<SourceLine>,
    pub failed_sources: Vec<(String, String)>,
    pub vanished: Vec<String>,
    pub tables: Vec<(String, i64)>,
    pub marts: Vec<(String, usize)>,
    /// Days of it_friction_daily recomputed (or removed) by the friction model.
    pub friction_days: usize,
    /// Every data test's result.
    pub tests: Vec<friktion_query::TestResult>,
    /// The stage each of `sources` was loaded in (same order).
    pub source_stages: Vec<&'static str>,
    /// Wall time of each stage, in order.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    pub report: Option<PathBuf>,
    /// The Kolada-shaped export of the marts (CSV; Parquet beside it).
    pub kolada: Option<PathBuf>,
    pub notebook: Option<PathBuf>,
    pub started_at: Option<chrono::DateTime<Utc>>,
    pub finished_at: Option<chrono::DateTime<Utc>>,
    /// Set once the lake is open (and locked): the run record goes there.
    pub lake_dir: Option<PathBuf>,
    /// `--full`: every source reloaded, vanished ones removed.
    pub full: bool,
    /// Sources whose rows were removed because their file is gone (`--full` only).
    pub removed: Vec<String>,
    /// Sources whose rejected share exceeds `limits.max_quarantined_share`: (file, share).
    pub over_limit: Vec<(String, f64)>,
    pub limit: f64,
}

impl Summary {
    /// 0: all well; 2: finished, but a source failed, a quarantine limit or an error-level
    /// data test failed.
    pub fn exit_code(&self) -> u8 {
        if self.failed_sources.is_empty()
            && self.over_limit.is_empty()
            && !self.tests.iter().any(|t| t.is_error())
        {
            0
        } else {
            2
        }
    }

    pub fn rows_in(&self) -> i64 {
        self.sources
            .iter()
            .filter(|s| s.action != "skipped")
            .map(|s| s.rows_read)
            .sum()
    }
    pub fn values_nulled(&self) -> i64 {
        self.sources.iter().map(|s| s.values_nulled).sum()
    }
    pub fn rows_quarantined(&self) -> i64 {
        self.sources
            .iter()
            .filter(|s| s.action != "skipped")
            .map(|s| s.rows_quarantined)
            .sum()
    }
}

/// Runs the nightly job; whatever happens once the lake is open, the run's record is written
/// to `lake/_runs/<run-id>.json`.
pub fn run(args: RunArgs) -> Result<Summary> {
    let mut s = Summary::default();
    let result = run_into(args, &mut s);
    s.finished_at = Some(Utc::now());
    if let Some(lake) = s.lake_dir.clone() {
        if let Err(e) = crate::run_record::write(&lake, &s, result.as_ref().err()) {
            tracing::error!("could not write the run record: {e:#}");
        }
    }
    result.map(|()| s)
}

fn run_into(args: RunArgs, s: &mut Summary) -> Result<()> {
    let cfg = Config::load(&args.config)?;
    let lake_dir = args.lake.unwrap_or_else(|| cfg.lake.clone());
    let reports_dir = args.reports.unwrap_or_else(|| cfg.reports.clone());
    let key = PseudoKey::resolve(cfg.privacy.key_file.as_deref(), cfg.privacy.allow_demo_key)
        .context("pseudonymisation key")?;
    if *key.origin() == KeyOrigin::Demo {
        tracing::warn!(
            "using the public demo pseudonymisation key (allowed by {}). \
             Set FRIKTION_PSEUDO_KEY or privacy.key_file before loading real data.",
            cfg.path.display()
        );
    }
    let reference = Reference::load(&cfg.reference)
        .with_context(|| format!("reference data in {}", cfg.reference.display()))?;
    let lake = Lake::open(&lake_dir).with_context(|| format!("lake at {}", lake_dir.display()))?;
    if let Some(owner) = lake.took_over_lock() {
        tracing::warn!(
            "took over the lake's lock from a run that is no longer running ({owner}); \
             what it left half done is rolled forward or discarded now"
        );
    }
    crate::run_report::remove_partial(&reports_dir)?;
    let mut ledger = Ledger::load(&lake).context("reading the ingestion ledger")?;
    let now = Utc::now();
    let mut clock = std::time::Instant::now();
    let mut logged = 0;
    // Ends a stage: its time, and an event per source it loaded (for --log-format json).
    let mut lap = |s: &mut Summary, stage: &'static str| {
        let took = clock.elapsed();
        for x in &s.sources[logged..] {
            tracing::info!(
                stage,
                file = %x.file,
                action = %x.action,
                rows_read = x.rows_read,
                rows_written = x.rows_written,
                rows_quarantined = x.rows_quarantined,
                "source"
            );
        }
        logged = s.sources.len();
        s.source_stages.resize(logged, stage);
        tracing::info!(stage, seconds = took.as_secs_f64(), "stage finished");
        crate::obs::status(&format!("friktion run: {stage} done"));
        s.timings.push((stage, took));
        clock = std::time::Instant::now();
    };
    s.run_id = new_run_id(&reports_dir, &lake_dir, now);
    s.started_at = Some(now);
    s.lake_dir = Some(lake_dir.clone());
    s.full = args.full;
    crate::run_record::write(&lake_dir, s, None).context("writing the run record")?;
    if args.full {
        ledger.forget_contents();
    }

    let mut seen = Vec::new();
    let entry = reference_tables::load(&lake, &ledger, &cfg, &reference, &s.run_id, now)?;
    seen.push(entry.source_file.clone());
    s.sources.push(line(&entry));
    if let Some(path) = &cfg.assumptions {
        let e = crate::assumptions::load(&lake, &ledger, &cfg, path, &s.run_id, now)?;
        seen.push(e.source_file.clone());
        s.sources.push(line(&e));
    }
    let pseudonymiser = Pseudonymiser::new(&key);
    for src in &cfg.survey {
        let ins_path = cfg.dir.join(&src.instrument);
        let instrument = Instrument::load(&ins_path)?;
        let population = match &src.population {
            Some(p) => Some(Population::load(&cfg.root.join(p))?),
            None => None,
        };
        for file in cfg.survey_files(src)? {
            let name = cfg.source_name(&file);
            seen.push(name.clone());
            let wave = src.wave_id.clone().unwrap_or_else(|| {
                file.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            let ctx = SurveyCtx {
                lake: &lake,
                ledger: &ledger,
                reference: &reference,
                pseudonymiser: &pseudonymiser,
                instrument: &instrument,
                population: population.as_ref(),
                key: &key,
                run_id: &s.run_id,
                now,
            };
            match survey_file(&ctx, &file, &name, &wave) {
                Ok(line) => s.sources.push(line),
                Err(e) => source_failed(s, name, crate::describe(&e)),
            }
        }
    }
    lap(s, "surveys");
    if !cfg.logs.is_empty() {
        let systems = cfg
            .systems
            .as_ref()
            .expect("checked when the config was loaded");
        let catalog = Catalog::load(systems)?;
        let cache = PseudonymCache::default();
        let run_id = s.run_id.clone();
        let lctx = LogsCtx {
            lake: &lake,
            ledger: &ledger,
            reference: &reference,
            pseudonymiser: &pseudonymiser,
            cache: &cache,
            catalog: &catalog,
            key: &key,
            run_id: &run_id,
            quiet: args.quiet,
            now,
        };
        for spec in &cfg.logs {
            for file in cfg.glob(&spec.files)? {
                let name = cfg.source_name(&file);
                seen.push(name.clone());
                match run_logs::log_file(&lctx, spec, &file, &name) {
                    Ok(f) => {
                        s.sources.push(f.line);
                        if let Some(problem) = f.problem {
                            source_failed(s, name, problem);
                        }
                    }
                    Err(e) => {
                        // Log errors name their file already.
                        let msg = crate::describe(&e);
                        let msg = msg
                            .strip_prefix(&format!("{name}: "))
                            .map(str::to_string)
                            .unwrap_or(msg);
                        source_failed(s, name, msg);
                    }
                }
            }
        }
        lap(s, "logs");
        s.friction_days =
            run_logs::friction_model(&lake, &catalog).context("the log friction model")?;
        lap(s, "log model");
    }
    let run_id = s.run_id.clone();
    let pctx = ProjectsCtx {
        lake: &lake,
        ledger: &ledger,
        reference: &reference,
        run_id: &run_id,
        now,
    };
    if run_projects::all(&pctx, &cfg, s, &mut seen)? {
        lap(s, "projects");
    }
    s.vanished = ledger
        .known_sources()
        .into_iter()
        .filter(|k| !seen.iter().any(|s| s == k))
        .map(str::to_string)
        .collect();
    if args.full {
        let gone = std::mem::take(&mut s.vanished);
        s.removed = remove_sources(&lake, &ledger, &gone, &s.run_id, now)?;
        if !s.removed.is_empty() && !cfg.logs.is_empty() {
            let catalog = Catalog::load(cfg.systems.as_ref().expect("checked at load"))?;
            s.friction_days +=
                run_logs::friction_model(&lake, &catalog).context("the log friction model")?;
        }
    }
    for v in &s.vanished {
        tracing::warn!(file = %v, "{v}: loaded before, no longer among the sources; its rows are kept (friktion run --full removes them)");
    }
    s.limit = cfg.limits.max_quarantined_share;
    s.over_limit = s
        .sources
        .iter()
        // A share of a handful of rows says little: one bad row of four is not an export
        // that changed shape.
        .filter(|x| x.action != "skipped" && x.rows_read >= 20)
        .map(|x| {
            (
                x.file.clone(),
                x.rows_quarantined as f64 / x.rows_read as f64,
            )
        })
        .filter(|(_, share)| *share > s.limit)
        .collect();
    for (f, share) in &s.over_limit {
        tracing::error!(file = %f, "{f}: {:.1} % of its rows were rejected, more than the limit of {:.1} % (limits.max_quarantined_share); see the *_quarantine tables", share * 100.0, s.limit * 100.0);
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the query runtime")?;
    let models = load_models(&cfg.models)?;
    let (runs, session) = rt.block_on(async {
        // One partition: parallel partial sums add floats in a different order each time, and
        // the marts must come out byte for byte the same from the same lake.
        let opts = SessionOptions {
            target_partitions: 1,
            ..SessionOptions::default()
        };
        let mut session = LakeSession::open(&lake, &opts).await?;
        let runs = run_models(&mut session, &lake, &models).await?;
        Ok::<_, friktion_query::QueryError>((runs, session))
    })?;
    s.marts = runs.iter().map(|r| (r.name.clone(), r.rows)).collect();
    lap(s, "sql models");
    s.tests = rt.block_on(crate::run_tests::run(
        &session, &lake, &cfg, &models, &s.run_id, now,
    ))?;
    let kolada = rt.block_on(friktion_query::kolada::export(
        &session,
        &models,
        cfg.privacy.min_cell,
    ))?;
    if !s.tests.is_empty() {
        lap(s, "data tests");
    }
    s.tables = lake
        .table_stats()?
        .into_iter()
        .map(|st| (st.name, st.rows))
        .collect();

    crate::run_report::write(
        &crate::run_report::ReportCtx {
            lake: &lake,
            lake_dir: &lake_dir,
            reports_dir: &reports_dir,
            min_cell: cfg.privacy.min_cell,
            lang: args.lang,
            kolada: &kolada,
        },
        s,
    )?;
    lap(s, "report");
    Ok(())
}

/// Takes the rows of sources whose files are gone out of every table, and records each as
/// "removed" in the ledger, all in one commit.
fn remove_sources(
    lake: &Lake,
    ledger: &Ledger,
    gone: &[String],
    run_id: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<String>> {
    if gone.is_empty() {
        return Ok(vec![]);
    }
    let mut txn = lake.begin()?;
    let mut entries = Vec::new();
    for name in gone {
        let key = source_key(name);
        for t in LakeTable::ALL {
            if !matches!(t, LakeTable::Ledger | LakeTable::TestResult) {
                txn.replace_source(&t.def(), &key)?;
            }
        }
        let kind = ledger
            .last_load(name)
            .map_or("", |l| l.source_kind.as_str());
        let mut e = LedgerEntry::new(name, kind, String::new(), String::new(), run_id, now);
        e.action = "removed".into();
        entries.push(e);
        tracing::warn!(file = %name, "{name}: its file is gone; its rows are removed (--full)");
    }
    txn.write_table(
        &LakeTable::Ledger.def(),
        &[],
        &format!("{run_id}-removed"),
        &[ledger::to_batch(&entries)],
    )?;
    txn.commit()?;
    Ok(gone.to_vec())
}

/// A source file that could not be loaded: said on stderr (or in the JSON log) and kept for
/// the summary; the run goes on with the others.
pub(crate) fn source_failed(s: &mut Summary, name: String, msg: String) {
    // Library errors often name their file already.
    let msg = msg
        .strip_prefix(&format!("{name}: "))
        .map(str::to_string)
        .unwrap_or(msg);
    if msg.starts_with(&name) {
        tracing::error!(file = %name, "{msg}");
    } else {
        tracing::error!(file = %name, "{name}: {msg}");
    }
    s.failed_sources.push((name, msg));
}

/// `20261123T231502Z`, made unique among the report directories and the lake's run records.
fn new_run_id(reports: &Path, lake: &Path, now: chrono::DateTime<Utc>) -> String {
    let base = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut id = base.clone();
    let mut i = 2;
    let runs = lake.join(crate::run_record::RUNS_DIR);
    while reports.join(&id).exists() || runs.join(format!("{id}.json")).exists() {
        id = format!("{base}-{i}");
        i += 1;
    }
    id
}

struct SurveyCtx<'a> {
    lake: &'a Lake,
    ledger: &'a Ledger,
    reference: &'a Reference,
    pseudonymiser: &'a Pseudonymiser,
    instrument: &'a Instrument,
    population: Option<&'a Population>,
    key: &'a PseudoKey,
    run_id: &'a str,
    now: chrono::DateTime<Utc>,
}

fn survey_file(c: &SurveyCtx<'_>, file: &Path, name: &str, wave: &str) -> Result<SourceLine> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let hash = content_hash(&bytes);
    let src = SurveySource {
        source_file: name,
        bytes: &bytes,
        wave_id: wave,
    };
    // Read once: the header decides whether the file needs loading, the table is loaded.
    let loaded = friktion_ingest_survey::load(&src, c.instrument);
    // The instrument as it applies to this file's columns: an item added for a column only
    // newer exports have leaves the older files' loads standing. An unreadable file has no
    // header; it is never skipped (it was never loaded) and fails below with its reason.
    let applied = loaded
        .as_ref()
        .map_or_else(|_| String::new(), |l| c.instrument.hash_for(&l.header));
    let config_hash = content_hash(
        format!(
            "{INGEST_VERSION}|{}|{}|{wave}|{}|{}",
            c.instrument.id,
            applied,
            c.key.fingerprint(),
            c.population.map_or("", |p| p.content_hash())
        )
        .as_bytes(),
    );
    let last = c.ledger.last_load(name);
    let mut entry = LedgerEntry::new(
        name,
        "survey",
        hash.clone(),
        config_hash.clone(),
        c.run_id,
        c.now,
    );
    let key = source_key(name);
    if last.is_some_and(|l| l.content_hash == hash && l.config_hash == config_hash) {
        entry.action = "skipped".into();
        let mut txn = c.lake.begin()?;
        txn.write_table(
            &LakeTable::Ledger.def(),
            &[],
            &format!("{}-{key}", c.run_id),
            &[ledger::to_batch(&[entry.clone()])],
        )?;
        txn.commit()?;
        return Ok(line(&entry));
    }
    if last.is_some() {
        entry.action = "replaced".into();
    }
    let ctx = friktion_ingest_survey::Context {
        instrument: c.instrument,
        reference: c.reference,
        pseudonymiser: c.pseudonymiser,
        population: c.population,
    };
    let ingested = loaded.and_then(|l| friktion_ingest_survey::ingest_loaded(&src, &l, &ctx));
    let (responses, answers, quarantine, counts) = match ingested {
        Ok(out) => {
            for w in &out.warnings {
                tracing::warn!(file = %name, "{name}: {w}");
            }
            let counts = (out.rows_read, out.rows_written, out.rows_rejected);
            (
                Some(out.responses),
                Some(out.answers),
                out.quarantine,
                counts,
            )
        }
        // The whole file is unusable: say why in quarantine, load nothing of it, and replace
        // what an earlier version of it gave, so the lake never mixes versions.
        Err(e) => {
            let mut txn = c.lake.begin()?;
            replace_survey_source(&mut txn, &key)?;
            txn.write_table(
                &LakeTable::SurveyQuarantine.def(),
                &[],
                &key,
                &[quarantine::whole_file(name, c.run_id, e.to_string())],
            )?;
            txn.commit()?;
            return Err(anyhow::Error::new(e));
        }
    };
    entry.rows_read = counts.0;
    entry.rows_written = counts.1;
    entry.rows_quarantined = counts.2;
    let mut txn = c.lake.begin()?;
    replace_survey_source(&mut txn, &key)?;
    if let Some(r) = responses.filter(|r| r.num_rows() > 0) {
        txn.write_table(&LakeTable::SurveyResponse.def(), &[wave], &key, &[r])?;
    }
    if let Some(a) = answers.filter(|a| a.num_rows() > 0) {
        txn.write_table(&LakeTable::SurveyAnswer.def(), &[wave], &key, &[a])?;
    }
    if !quarantine.is_empty() {
        txn.write_table(
            &LakeTable::SurveyQuarantine.def(),
            &[],
            &key,
            &[quarantine::to_batch(name, c.run_id, &quarantine)],
        )?;
    }
    txn.write_table(
        &LakeTable::Ledger.def(),
        &[],
        &format!("{}-{key}", c.run_id),
        &[ledger::to_batch(&[entry.clone()])],
    )?;
    txn.commit()?;
    let nulled = quarantine
        .iter()
        .filter(|q| q.action == Action::ValueNulled)
        .count() as i64;
    Ok(SourceLine {
        values_nulled: nulled,
        ..line(&entry)
    })
}

/// Marks every file a survey source gave, in each of its tables, for replacement.
fn replace_survey_source(txn: &mut friktion_lake::Txn<'_>, key: &str) -> Result<()> {
    for t in [
        LakeTable::SurveyResponse,
        LakeTable::SurveyAnswer,
        LakeTable::SurveyQuarantine,
    ] {
        txn.replace_source(&t.def(), key)?;
    }
    Ok(())
}

pub fn line(e: &LedgerEntry) -> SourceLine {
    SourceLine {
        file: e.source_file.clone(),
        rows_read: e.rows_read,
        rows_written: e.rows_written,
        rows_quarantined: e.rows_quarantined,
        values_nulled: 0,
        action: e.action.clone(),
    }
}
