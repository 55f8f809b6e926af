//! The project half of `friktion run`: the key-factor catalogue into key_factor tables, and each
//! [[projects]] export into project, project_stage and project_factor (one commit per file).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use arrow::array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use chrono::{DateTime, NaiveDate, Utc};
use friktion_core::quarantine;
use friktion_core::{LakeTable, Reference};
use friktion_ingest_projects::{Mapping, ProjectSource};
use friktion_lake::{Lake, Ledger, LedgerEntry, Txn, content_hash, ledger, source_key};
use friktion_outcomes::factors::KeyFactors;
use friktion_report::html::SourceLine;

use crate::config::{self, Config};
use crate::run::{Summary, line};
use crate::whole_tables::{self, WholeSource};

/// Bumped when project ingest changes in a way that should reload every export.
const PROJECT_INGEST_VERSION: &str = "project-ingest-1";

fn write_ledger(txn: &mut Txn<'_>, run_id: &str, e: &LedgerEntry) -> Result<()> {
    txn.write_table(
        &LakeTable::Ledger.def(),
        &[],
        &format!("{run_id}-{}", source_key(&e.source_file)),
        &[ledger::to_batch(std::slice::from_ref(e))],
    )?;
    Ok(())
}

/// The catalogue as the key_factor and key_factor_item tables, reloaded when the file changes.
pub fn key_factors(
    lake: &Lake,
    ledger: &Ledger,
    cfg: &Config,
    path: &Path,
    run_id: &str,
    now: DateTime<Utc>,
) -> Result<(KeyFactors, LedgerEntry)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let kf = KeyFactors::load(path)?;
    let name = cfg.source_name(path);
    let src = WholeSource {
        name: &name,
        kind: "key_factors",
        bytes: &bytes,
        version: PROJECT_INGEST_VERSION,
        stem: "catalogue",
    };
    let e = whole_tables::load(lake, ledger, &src, run_id, now, || {
        let f = &kf.factors;
        let s = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        let factors = RecordBatch::try_new(
            LakeTable::KeyFactor.def().file_schema(),
            vec![
                s(f.iter().map(|f| Some(f.id.as_str())).collect()),
                Arc::new(Int32Array::from_iter_values(1..=f.len() as i32)),
                s(f.iter().map(|f| Some(f.name_sv.as_str())).collect()),
                s(f.iter().map(|f| Some(f.name_en.as_str())).collect()),
                s(f.iter().map(|f| Some(f.description_sv.as_str())).collect()),
                s(f.iter().map(|f| Some(f.description_en.as_str())).collect()),
                s(f.iter().map(|f| f.enabling_sv.as_deref()).collect()),
                s(f.iter().map(|f| f.restricting_sv.as_deref()).collect()),
                s(f.iter().map(|f| f.enabling_en.as_deref()).collect()),
                s(f.iter().map(|f| f.restricting_en.as_deref()).collect()),
            ],
        )?;
        let pairs: Vec<(&str, &str)> = f
            .iter()
            .flat_map(|f| {
                f.survey_items
                    .iter()
                    .map(move |i| (f.id.as_str(), i.as_str()))
            })
            .collect();
        let items = RecordBatch::try_new(
            LakeTable::KeyFactorItem.def().file_schema(),
            vec![
                s(pairs.iter().map(|p| Some(p.0)).collect()),
                s(pairs.iter().map(|p| Some(p.1)).collect()),
            ],
        )?;
        Ok((
            f.len() as i64,
            vec![
                (LakeTable::KeyFactor, factors),
                (LakeTable::KeyFactorItem, items),
            ],
        ))
    })?;
    Ok((kf, e))
}

pub struct ProjectsCtx<'a> {
    pub lake: &'a Lake,
    pub ledger: &'a Ledger,
    pub reference: &'a Reference,
    pub run_id: &'a str,
    pub now: DateTime<Utc>,
}

/// The mapping of a [[projects]] source, checked against the catalogue.
/// The mapping of a [[projects]] source, checked against the catalogue. `catalogue` is the
/// configured catalogue's path, to say why factors cannot be checked when it failed to load.
pub fn mapping(
    spec: &config::ProjectSource,
    kf: Option<&KeyFactors>,
    catalogue: Option<&Path>,
) -> Result<Mapping> {
    let m = Mapping::load(&spec.mapping)?;
    match (kf, catalogue) {
        (Some(kf), _) => {
            let ids: Vec<&str> = kf.factors.iter().map(|f| f.id.as_str()).collect();
            m.check_factors(&ids)?;
        }
        (None, _) if m.factors.is_empty() => {}
        (None, Some(c)) => bail!(
            "{} maps factor columns, but the key-factor catalogue {} could not be loaded (see its error)",
            spec.mapping.display(),
            c.display()
        ),
        (None, None) => bail!(
            "{} maps factor columns, but the pipeline config names no key_factors catalogue",
            spec.mapping.display()
        ),
    }
    Ok(m)
}

fn data_date(spec: &config::ProjectSource, file: &Path) -> Result<NaiveDate> {
    match &spec.data_date {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .with_context(|| format!("[[projects]] data_date '{d}' is not a date (YYYY-MM-DD)")),
        None => {
            let modified = std::fs::metadata(file)
                .and_then(|m| m.modified())
                .with_context(|| {
                    format!("cannot read the modification time of {}", file.display())
                })?;
            Ok(DateTime::<Utc>::from(modified)
                .with_timezone(&chrono_tz::Europe::Stockholm)
                .date_naive())
        }
    }
}

pub fn project_file(
    c: &ProjectsCtx<'_>,
    spec: &config::ProjectSource,
    m: &Mapping,
    file: &Path,
    name: &str,
) -> Result<SourceLine> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let date = data_date(spec, file)?;
    let config_hash =
        content_hash(format!("{PROJECT_INGEST_VERSION}|{}|{date}", m.content).as_bytes());
    let mut e = LedgerEntry::new(
        name,
        "projects",
        content_hash(&bytes),
        config_hash,
        c.run_id,
        c.now,
    );
    let last = c.ledger.last_load(name);
    let key = source_key(name);
    if last.is_some_and(|l| l.content_hash == e.content_hash && l.config_hash == e.config_hash) {
        e.action = "skipped".into();
        let mut txn = c.lake.begin()?;
        write_ledger(&mut txn, c.run_id, &e)?;
        txn.commit()?;
        return Ok(crate::run::line(&e));
    }
    if last.is_some() {
        e.action = "replaced".into();
    }
    let src = ProjectSource {
        source_file: name,
        bytes: &bytes,
        data_date: date,
    };
    let ctx = friktion_ingest_projects::ingest::Context {
        mapping: m,
        reference: c.reference,
    };
    let mut txn = c.lake.begin()?;
    for t in [
        LakeTable::Project,
        LakeTable::ProjectStage,
        LakeTable::ProjectFactor,
        LakeTable::ProjectQuarantine,
    ] {
        txn.replace_source(&t.def(), &key)?;
    }
    let out = match friktion_ingest_projects::ingest(&src, &ctx) {
        Ok(out) => out,
        Err(err) => {
            // Unusable as a whole: say why, take out what an earlier version gave, and write
            // no ledger row, so the next run tries it again and reports it again.
            txn.write_table(
                &LakeTable::ProjectQuarantine.def(),
                &[],
                &key,
                &[quarantine::whole_file(name, c.run_id, err.to_string())],
            )?;
            txn.commit()?;
            return Err(anyhow::Error::new(err));
        }
    };
    for (t, b) in [
        (LakeTable::Project, &out.projects),
        (LakeTable::ProjectStage, &out.stages),
        (LakeTable::ProjectFactor, &out.factors),
    ] {
        if b.num_rows() > 0 {
            txn.write_table(&t.def(), &[], &key, std::slice::from_ref(b))?;
        }
    }
    if !out.quarantine.is_empty() {
        txn.write_table(
            &LakeTable::ProjectQuarantine.def(),
            &[],
            &key,
            &[quarantine::to_batch(name, c.run_id, &out.quarantine)],
        )?;
    }
    e.rows_read = out.rows_read;
    e.rows_written = out.rows_written;
    e.rows_quarantined = out.rows_rejected;
    write_ledger(&mut txn, c.run_id, &e)?;
    txn.commit()?;
    if out.timelines_flagged > 0 {
        tracing::warn!(
            file = %name,
            "{name}: {} project(s) have stage dates that cannot be used for time to go-live (see project_quarantine)",
            out.timelines_flagged
        );
    }
    Ok(SourceLine {
        values_nulled: out.values_nulled,
        ..crate::run::line(&e)
    })
}

/// Loads the catalogue and every [[projects]] export. A bad catalogue, mapping or file fails
/// alone (reported, exit status 2) and the run goes on. True when there was anything to do.
pub fn all(
    c: &ProjectsCtx<'_>,
    cfg: &Config,
    s: &mut Summary,
    seen: &mut Vec<String>,
) -> Result<bool> {
    let fail = |s: &mut Summary, name: String, e: &anyhow::Error| {
        crate::run::source_failed(s, name, crate::describe(e));
    };
    let kf = match &cfg.key_factors {
        Some(path) => {
            seen.push(cfg.source_name(path));
            match key_factors(c.lake, c.ledger, cfg, path, c.run_id, c.now) {
                Ok((kf, e)) => {
                    s.sources.push(line(&e));
                    Some(kf)
                }
                Err(e) => {
                    fail(s, cfg.source_name(path), &e);
                    None
                }
            }
        }
        None => None,
    };
    for spec in &cfg.projects {
        let files = cfg.glob(&spec.files)?;
        let names: Vec<String> = files.iter().map(|f| cfg.source_name(f)).collect();
        seen.extend(names.iter().cloned());
        let m = match mapping(spec, kf.as_ref(), cfg.key_factors.as_deref()) {
            Ok(m) => m,
            Err(e) => {
                // Without its mapping no file of the source can be read; what they gave
                // before stays in the lake until the mapping is fixed.
                for name in names {
                    fail(s, name, &e);
                }
                continue;
            }
        };
        for (file, name) in files.iter().zip(names) {
            match project_file(c, spec, &m, file, &name) {
                Ok(l) => s.sources.push(l),
                Err(e) => fail(s, name, &e),
            }
        }
    }
    Ok(cfg.key_factors.is_some() || !cfg.projects.is_empty())
}
