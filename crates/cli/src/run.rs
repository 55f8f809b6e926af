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
use friktion_ingest_survey::{Instrument, SurveySource, ingest};
use friktion_lake::{Lake, Ledger, LedgerEntry, content_hash, ledger, source_key};
use friktion_query::{LakeSession, SessionOptions, load_models, run_models};
use friktion_report::html::{RunInfo, SourceLine};

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
    /// Wall time of each stage, in order.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    pub report: Option<PathBuf>,
    /// The Kolada-shaped export of the marts (CSV; Parquet beside it).
    pub kolada: Option<PathBuf>,
}

impl Summary {
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

pub fn run(args: RunArgs) -> Result<Summary> {
    let cfg = Config::load(&args.config)?;
    let lake_dir = args.lake.unwrap_or_else(|| cfg.lake.clone());
    let reports_dir = args.reports.unwrap_or_else(|| cfg.reports.clone());
    let key = PseudoKey::resolve(cfg.privacy.key_file.as_deref(), cfg.privacy.allow_demo_key)
        .context("pseudonymisation key")?;
    if *key.origin() == KeyOrigin::Demo {
        eprintln!(
            "warning: using the public demo pseudonymisation key (allowed by {}). \
             Set FRIKTION_PSEUDO_KEY or privacy.key_file before loading real data.",
            cfg.path.display()
        );
    }
    let reference = Reference::load(&cfg.reference)
        .with_context(|| format!("reference data in {}", cfg.reference.display()))?;
    let lake = Lake::open(&lake_dir).with_context(|| format!("lake at {}", lake_dir.display()))?;
    let ledger = Ledger::load(&lake).context("reading the ingestion ledger")?;
    let now = Utc::now();
    let mut clock = std::time::Instant::now();
    let mut lap = |s: &mut Summary, stage: &'static str| {
        s.timings.push((stage, clock.elapsed()));
        clock = std::time::Instant::now();
    };
    let mut s = Summary {
        run_id: new_run_id(&reports_dir, now),
        ..Summary::default()
    };

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
                quiet: args.quiet,
                now,
            };
            match survey_file(&ctx, &file, &name, &wave) {
                Ok(line) => s.sources.push(line),
                Err(e) => {
                    let msg = crate::describe(&e);
                    if !args.quiet {
                        eprintln!("error: {name}: {msg}");
                    }
                    s.failed_sources.push((name, msg));
                }
            }
        }
    }
    lap(&mut s, "surveys");
    if !cfg.logs.is_empty() {
        let systems = cfg
            .systems
            .as_ref()
            .expect("checked when the config was loaded");
        let catalog = Catalog::load(systems)?;
        let cache = PseudonymCache::default();
        let lctx = LogsCtx {
            lake: &lake,
            ledger: &ledger,
            reference: &reference,
            pseudonymiser: &pseudonymiser,
            cache: &cache,
            catalog: &catalog,
            key: &key,
            run_id: &s.run_id,
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
                            if !args.quiet {
                                eprintln!("error: {name}: {problem}");
                            }
                            s.failed_sources.push((name, problem));
                        }
                    }
                    Err(e) => {
                        // Log errors name their file already.
                        let msg = crate::describe(&e);
                        let msg = msg
                            .strip_prefix(&format!("{name}: "))
                            .map(str::to_string)
                            .unwrap_or(msg);
                        if !args.quiet {
                            eprintln!("error: {name}: {msg}");
                        }
                        s.failed_sources.push((name, msg));
                    }
                }
            }
        }
        lap(&mut s, "logs");
        s.friction_days =
            run_logs::friction_model(&lake, &catalog).context("the log friction model")?;
        lap(&mut s, "log model");
    }
    let run_id = s.run_id.clone();
    let pctx = ProjectsCtx {
        lake: &lake,
        ledger: &ledger,
        reference: &reference,
        run_id: &run_id,
        quiet: args.quiet,
        now,
    };
    if run_projects::all(&pctx, &cfg, &mut s, &mut seen)? {
        lap(&mut s, "projects");
    }
    s.vanished = ledger
        .known_sources()
        .into_iter()
        .filter(|k| !seen.iter().any(|s| s == k))
        .map(str::to_string)
        .collect();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the query runtime")?;
    let models = load_models(&cfg.models)?;
    let (runs, session) = rt.block_on(async {
        let mut session = LakeSession::open(&lake, &SessionOptions::default()).await?;
        let runs = run_models(&mut session, &lake, &models).await?;
        Ok::<_, friktion_query::QueryError>((runs, session))
    })?;
    s.marts = runs.iter().map(|r| (r.name.clone(), r.rows)).collect();
    lap(&mut s, "sql models");
    s.tests = rt.block_on(crate::run_tests::run(
        &session, &lake, &cfg, &models, &s.run_id, now,
    ))?;
    let kolada = rt.block_on(friktion_query::kolada::export(
        &session,
        &models,
        cfg.privacy.min_cell,
    ))?;
    if !s.tests.is_empty() {
        lap(&mut s, "data tests");
    }
    s.tables = lake
        .table_stats()?
        .into_iter()
        .map(|st| (st.name, st.rows))
        .collect();

    let out = reports_dir.join(&s.run_id);
    let rows = friktion_report::kommun_friction(&lake.read_mart("friction_by_kommun")?)?;
    let info = RunInfo {
        run_id: s.run_id.clone(),
        data_label: rows
            .iter()
            .map(|r| r.wave_id.clone())
            .max()
            .unwrap_or_default(),
        sources: s.sources.clone(),
        min_cell: cfg.privacy.min_cell,
        lang: args.lang,
    };
    // A mart that no model made reads as empty, and its section is left out.
    let ttg = friktion_report::outcomes::time_to_go_live(&lake.read_mart("time_to_go_live")?)?;
    let published =
        friktion_report::published::published_checks(&lake.read_mart("published_figure_check")?)?;
    let groups = friktion_report::survey::group_friction(&lake.read_mart("friction_by_group")?)?;
    let national = friktion_report::national_friction(&groups);
    let bands = friktion_report::survey::distribution(&lake.read_mart("friction_distribution")?)?;
    let cost = friktion_report::survey::friction_cost(&lake.read_mart("friction_cost")?)?;
    let logs = friktion_report::logs::log_friction(&lake.read_mart("log_friction_by_system")?)?;
    let factors =
        friktion_report::factors::factor_scores(&lake.read_mart("factor_scores_by_kommun")?)?;
    let benchmark = friktion_report::kommun_benchmark(&lake.read_mart("kommun_benchmark")?)?;
    let areas = map_areas(&lake)?;
    let funnel = friktion_report::outcomes::funnel(&lake.read_mart("project_funnel")?)?;
    let curve = friktion_report::outcomes::curve(&lake.read_mart("time_to_go_live_curve")?)?;
    let costs = friktion_report::methods::cost_assumptions(
        &lake.read_table(&LakeTable::CostAssumption.def())?,
    )?;
    let written = friktion_report::write_index(
        &out,
        &info,
        &friktion_report::html::IndexData {
            friction: &rows,
            national: &national,
            benchmark: &benchmark,
            time_to_go_live: &ttg,
            published: &published,
            costs: &costs,
            areas: &areas,
            curve: &curve,
            funnel: &funnel,
            groups: &groups,
            bands: &bands,
            cost: &cost,
            logs: &logs,
            factors: &factors,
        },
    )?;
    friktion_report::notebook::write(&out, &lake_dir, &s.run_id, cfg.privacy.min_cell, args.lang)?;
    s.report = Some(written.index.clone());
    s.kolada = crate::kolada::write(&out, &kolada, cfg.privacy.min_cell, &written.hidden)?;
    lap(&mut s, "report");
    Ok(s)
}

/// `20261123T231502Z`, made unique among the report directories.
fn new_run_id(reports: &Path, now: chrono::DateTime<Utc>) -> String {
    let base = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut id = base.clone();
    let mut i = 2;
    while reports.join(&id).exists() {
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
    quiet: bool,
    now: chrono::DateTime<Utc>,
}

fn survey_file(c: &SurveyCtx<'_>, file: &Path, name: &str, wave: &str) -> Result<SourceLine> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let hash = content_hash(&bytes);
    let config_hash = content_hash(
        format!(
            "{INGEST_VERSION}|{}|{}|{wave}|{}|{}",
            c.instrument.id,
            c.instrument.content_hash,
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
    let src = SurveySource {
        source_file: name,
        bytes: &bytes,
        wave_id: wave,
    };
    let (responses, answers, quarantine, counts) = match ingest(&src, &ctx) {
        Ok(out) => {
            if !c.quiet {
                for w in &out.warnings {
                    eprintln!("warning: {name}: {w}");
                }
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

pub(crate) fn line(e: &LedgerEntry) -> SourceLine {
    SourceLine {
        file: e.source_file.clone(),
        rows_read: e.rows_read,
        rows_written: e.rows_written,
        rows_quarantined: e.rows_quarantined,
        values_nulled: 0,
        action: e.action.clone(),
    }
}

/// Every municipality's outline from the lake's municipality table, for the report's map.
fn map_areas(lake: &Lake) -> Result<Vec<friktion_report::map::Area>> {
    use arrow::array::AsArray;
    let mut out = Vec::new();
    for b in lake.read_table(&LakeTable::Municipality.def())? {
        let codes = b
            .column_by_name("kommun_kod")
            .expect("contract")
            .as_string::<i32>();
        let names = b
            .column_by_name("name")
            .expect("contract")
            .as_string::<i32>();
        let geoms = b
            .column_by_name("geometry")
            .expect("contract")
            .as_binary::<i32>();
        for i in 0..b.num_rows() {
            let rings = friktion_report::map::rings(geoms.value(i))
                .map_err(|e| anyhow::anyhow!("the boundary of kommun {}: {e}", codes.value(i)))?;
            out.push(friktion_report::map::Area {
                kommun_kod: codes.value(i).to_string(),
                kommun_name: names.value(i).to_string(),
                rings,
            });
        }
    }
    Ok(out)
}
