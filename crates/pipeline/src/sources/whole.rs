//! Sources that become whole lake tables: the SCB reference with SKR's kommungrupper, the cost
//! assumptions and the key-factor catalogue. Each is reloaded through the ledger when its bytes change, its tables
//! replaced whole, in one commit with the ledger row.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray, Float64Array, Int32Array, Int64Array, StringArray};
use friktion_core::reference::{COUNTY_FILE, MUNICIPALITY_FILE};
use friktion_core::{ContractError, LakeTable, PeerGroup, PeerGroups, Reference};
use friktion_lake::{LoadError, Loaded, Outcome, Source, content_hash};
use friktion_outcomes::factors::{CatalogueError, KeyFactors};
use serde::Deserialize;

use crate::PipelineError;
use crate::context::RunContext;
use crate::event::Stage;
use crate::summary::SourceResult;

/// Why a whole table's new version could not be built (the old one stays).
#[derive(Debug, thiserror::Error)]
pub enum TableSourceError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cost assumptions {path} are not valid")]
    AssumptionsSyntax {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("{path}: {problem}")]
    Assumptions { path: PathBuf, problem: String },
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Kolada(#[from] friktion_ingest_kolada::KoladaError),
    #[error(transparent)]
    Contract(#[from] ContractError),
}

/// A source that is one or more whole tables.
struct WholeSource<'a> {
    name: &'a str,
    kind: &'a str,
    bytes: &'a [u8],
    /// Bumped when the way the source becomes tables changes.
    version: &'a str,
    /// The file stem its tables' files get.
    stem: &'a str,
    tables: &'a [LakeTable],
}

/// Loads the source unless its bytes and version are what the ledger last loaded. `build`
/// makes the tables (only when they are needed) and says how many records the source held.
fn load(
    ctx: &RunContext<'_>,
    w: &WholeSource<'_>,
    stage: Stage,
    build: impl FnOnce() -> Result<(i64, Vec<(LakeTable, arrow::array::RecordBatch)>), TableSourceError>,
) -> Result<Result<SourceResult, TableSourceError>, PipelineError> {
    let source = Source {
        content_hash: Some(content_hash(w.bytes)),
        tables: w.tables,
        stem: w.stem.to_string(),
        ..Source::new(w.name, w.kind, content_hash(w.version.as_bytes()))
    };
    let outcome = ctx.load_source(&source, |sw| {
        let (records, built) = build().map_err(LoadError::Source)?;
        for (t, b) in built {
            sw.write_whole(t, b)?;
        }
        Ok(Loaded {
            rows_read: records,
            rows_written: records,
            ..Loaded::default()
        })
    })?;
    Ok(match outcome {
        Outcome::Loaded(e) | Outcome::Skipped(e) => Ok(SourceResult::from_entry(&e, stage, 0)),
        Outcome::Failed(e) => Err(e),
    })
}

fn read(path: &Path) -> Result<Vec<u8>, TableSourceError> {
    std::fs::read(path).map_err(|source| TableSourceError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn strings<'a>(v: impl IntoIterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(v))
}

fn opt_strings<'a>(v: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(v))
}

/// The municipality, county and peer-group tables, from the SCB reference and SKR's
/// kommungrupper (every `kommungrupp-<version>.csv` beside it). A reference that cannot be read
/// stops the run: nothing can be placed without it.
pub fn reference(ctx: &RunContext<'_>) -> Result<SourceResult, PipelineError> {
    let cfg = ctx.cfg;
    let mut bytes = Vec::new();
    for f in [MUNICIPALITY_FILE, COUNTY_FILE] {
        bytes.extend(read(&cfg.reference.join(f))?);
    }
    let reference_error = |source| PipelineError::Reference {
        path: cfg.reference.clone(),
        source,
    };
    let revisions = PeerGroups::load_dir(&cfg.reference, ctx.reference).map_err(reference_error)?;
    for r in &revisions {
        bytes.extend(read(&r.path)?);
    }
    let current = match &cfg.peer_group_version {
        Some(v) => Some(revisions.iter().find(|r| &r.version == v).ok_or_else(|| {
            reference_error(friktion_core::ReferenceError::Invalid {
                path: cfg.reference.clone(),
                problem: format!(
                    "peer_group_version = \"{v}\" but there is no kommungrupp-{v}.csv (found: {})",
                    revisions
                        .iter()
                        .map(|r| r.version.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
        })?),
        None => revisions.last(),
    };
    if current.is_none() {
        ctx.warn(
            None,
            format!(
                "no kommungrupp-<version>.csv in {}: kommuner are benchmarked against their county",
                cfg.reference.display()
            ),
        );
    }
    bytes.extend(current.map_or("", |c| c.version.as_str()).as_bytes());
    let name = cfg.source_name(&cfg.reference);
    let w = WholeSource {
        name: &name,
        kind: "reference",
        bytes: &bytes,
        version: "reference-2",
        stem: "scb",
        tables: &[
            LakeTable::Municipality,
            LakeTable::County,
            LakeTable::PeerGroup,
            LakeTable::PeerGroupMember,
        ],
    };
    Ok(load(ctx, &w, Stage::Surveys, || {
        let r: &Reference = ctx.reference;
        let k: Vec<_> = r.kommuner().collect();
        let lan_name = |code: &str| r.lan_by_code(code).map_or("", |l| l.name.as_str());
        let group = |kod: &str| current.and_then(|c| c.members.get(kod)).map(String::as_str);
        let m = LakeTable::Municipality.def().batch(vec![
            (
                "kommun_kod",
                strings(k.iter().map(|k| k.kommun_kod.as_str())),
            ),
            ("name", strings(k.iter().map(|k| k.name.as_str()))),
            ("lan_kod", strings(k.iter().map(|k| k.lan_kod.as_str()))),
            ("lan_name", strings(k.iter().map(|k| lan_name(&k.lan_kod)))),
            (
                "peer_group",
                opt_strings(k.iter().map(|k| group(&k.kommun_kod))),
            ),
            (
                "peer_group_version",
                opt_strings(k.iter().map(|_| current.map(|c| c.version.as_str()))),
            ),
            (
                "geometry",
                Arc::new(BinaryArray::from_iter_values(k.iter().map(|k| &k.geometry))),
            ),
        ])?;
        let l: Vec<_> = r.lan().collect();
        let c = LakeTable::County.def().batch(vec![
            ("lan_kod", strings(l.iter().map(|l| l.lan_kod.as_str()))),
            ("name", strings(l.iter().map(|l| l.name.as_str()))),
            (
                "geometry",
                Arc::new(BinaryArray::from_iter_values(l.iter().map(|l| &l.geometry))),
            ),
        ])?;
        let (groups, members) = peer_group_batches(&revisions)?;
        let records = (m.num_rows() + c.num_rows() + members.num_rows()) as i64;
        Ok((
            records,
            vec![
                (LakeTable::Municipality, m),
                (LakeTable::County, c),
                (LakeTable::PeerGroup, groups),
                (LakeTable::PeerGroupMember, members),
            ],
        ))
    })??)
}

fn peer_group_batches(
    revisions: &[PeerGroups],
) -> Result<(arrow::array::RecordBatch, arrow::array::RecordBatch), TableSourceError> {
    let g: Vec<(&str, &PeerGroup, i64)> = revisions
        .iter()
        .flat_map(|r| {
            let sizes = r.sizes();
            r.groups.values().map(move |g| {
                let n = sizes.get(g.code.as_str()).copied().unwrap_or(0) as i64;
                (r.version.as_str(), g, n)
            })
        })
        .collect();
    let s = |f: fn(&PeerGroup) -> &str| strings(g.iter().map(|x| f(x.1)));
    let groups = LakeTable::PeerGroup.def().batch(vec![
        ("version", strings(g.iter().map(|x| x.0))),
        ("gruppkod", s(|g| &g.code)),
        ("name", s(|g| &g.name)),
        ("name_en", s(|g| &g.name_en)),
        ("main_group", s(|g| &g.main_group)),
        ("main_group_name", s(|g| &g.main_group_name)),
        ("main_group_name_en", s(|g| &g.main_group_name_en)),
        (
            "kolada_group_id",
            opt_strings(g.iter().map(|x| x.1.kolada_group_id.as_deref())),
        ),
        (
            "kommuner",
            Arc::new(Int64Array::from_iter_values(g.iter().map(|x| x.2))),
        ),
    ])?;
    let m: Vec<(&str, &str, &str)> = revisions
        .iter()
        .flat_map(|r| {
            r.members
                .iter()
                .map(move |(k, c)| (r.version.as_str(), k.as_str(), c.as_str()))
        })
        .collect();
    let members = LakeTable::PeerGroupMember.def().batch(vec![
        ("version", strings(m.iter().map(|x| x.0))),
        ("kommun_kod", strings(m.iter().map(|x| x.1))),
        ("gruppkod", strings(m.iter().map(|x| x.2))),
    ])?;
    Ok((groups, members))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssumptionsFile {
    cost: Vec<Cost>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cost {
    assumption_set: String,
    version: i64,
    description: String,
    description_en: Option<String>,
    employees: f64,
    working_days_per_year: f64,
    hours_per_month: f64,
    monthly_salary_sek: f64,
    payroll_overhead: f64,
    source: String,
    published_minutes_per_day: Option<f64>,
    published_cost_sek: Option<f64>,
}

fn assumptions_batch(
    path: &Path,
    text: &str,
) -> Result<arrow::array::RecordBatch, TableSourceError> {
    let f: AssumptionsFile =
        toml::from_str(text).map_err(|source| TableSourceError::AssumptionsSyntax {
            path: path.to_path_buf(),
            source,
        })?;
    let bad = |problem: String| TableSourceError::Assumptions {
        path: path.to_path_buf(),
        problem,
    };
    for c in &f.cost {
        let positive = [
            ("employees", c.employees),
            ("working_days_per_year", c.working_days_per_year),
            ("hours_per_month", c.hours_per_month),
            ("monthly_salary_sek", c.monthly_salary_sek),
        ];
        if let Some((what, v)) = positive.iter().find(|(_, v)| !(*v > 0.0)) {
            return Err(bad(format!(
                "{} has {what} = {v}; it must be above 0",
                c.assumption_set
            )));
        }
        if !(0.0..=2.0).contains(&c.payroll_overhead) {
            return Err(bad(format!(
                "{} has payroll_overhead = {}; it is a share (0.3915 for 39.15 %)",
                c.assumption_set, c.payroll_overhead
            )));
        }
    }
    let c = &f.cost;
    let n = |get: fn(&Cost) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(c.iter().map(get).collect::<Vec<_>>()))
    };
    Ok(LakeTable::CostAssumption.def().batch(vec![
        (
            "assumption_set",
            strings(c.iter().map(|c| c.assumption_set.as_str())),
        ),
        (
            "version",
            Arc::new(Int64Array::from_iter_values(c.iter().map(|c| c.version))),
        ),
        (
            "description",
            strings(c.iter().map(|c| c.description.as_str())),
        ),
        (
            "description_en",
            opt_strings(c.iter().map(|c| c.description_en.as_deref())),
        ),
        ("employees", n(|c| Some(c.employees))),
        (
            "working_days_per_year",
            n(|c| Some(c.working_days_per_year)),
        ),
        ("hours_per_month", n(|c| Some(c.hours_per_month))),
        ("monthly_salary_sek", n(|c| Some(c.monthly_salary_sek))),
        ("payroll_overhead", n(|c| Some(c.payroll_overhead))),
        ("source", strings(c.iter().map(|c| c.source.as_str()))),
        (
            "published_minutes_per_day",
            n(|c| c.published_minutes_per_day),
        ),
        ("published_cost_sek", n(|c| c.published_cost_sek)),
    ])?)
}

/// The cost model's assumptions into cost_assumption. Invalid assumptions stop the run: every
/// cost figure rests on them.
pub fn assumptions(ctx: &RunContext<'_>, path: &Path) -> Result<SourceResult, PipelineError> {
    let bytes = read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let name = ctx.cfg.source_name(path);
    let w = WholeSource {
        name: &name,
        kind: "assumptions",
        bytes: &bytes,
        version: "assumptions-1",
        stem: "assumptions",
        tables: &[LakeTable::CostAssumption],
    };
    Ok(load(ctx, &w, Stage::Surveys, || {
        let b = assumptions_batch(path, &text)?;
        Ok((b.num_rows() as i64, vec![(LakeTable::CostAssumption, b)]))
    })??)
}

/// Bumped when the catalogue's tables change shape (shared with project ingest's version).
pub const CATALOGUE_VERSION: &str = "project-ingest-1";

/// The key-factor catalogue as the key_factor and key_factor_item tables. A catalogue that
/// cannot be read fails alone: the projects that name factors fail with it, the rest goes on.
pub fn key_factors(
    ctx: &RunContext<'_>,
    path: &Path,
) -> Result<Result<(KeyFactors, SourceResult), TableSourceError>, PipelineError> {
    let bytes = match read(path) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    let kf = match KeyFactors::load(path) {
        Ok(kf) => kf,
        Err(e) => return Ok(Err(e.into())),
    };
    let name = ctx.cfg.source_name(path);
    let w = WholeSource {
        name: &name,
        kind: "key_factors",
        bytes: &bytes,
        version: CATALOGUE_VERSION,
        stem: "catalogue",
        tables: &[LakeTable::KeyFactor, LakeTable::KeyFactorItem],
    };
    let result = load(ctx, &w, Stage::Projects, || {
        let f = &kf.factors;
        let factors = LakeTable::KeyFactor.def().batch(vec![
            ("factor_id", strings(f.iter().map(|f| f.id.as_str()))),
            (
                "position",
                Arc::new(Int32Array::from_iter_values(1..=f.len() as i32)),
            ),
            ("name_sv", strings(f.iter().map(|f| f.name_sv.as_str()))),
            ("name_en", strings(f.iter().map(|f| f.name_en.as_str()))),
            (
                "description_sv",
                strings(f.iter().map(|f| f.description_sv.as_str())),
            ),
            (
                "description_en",
                strings(f.iter().map(|f| f.description_en.as_str())),
            ),
            (
                "enabling_sv",
                opt_strings(f.iter().map(|f| f.enabling_sv.as_deref())),
            ),
            (
                "restricting_sv",
                opt_strings(f.iter().map(|f| f.restricting_sv.as_deref())),
            ),
            (
                "enabling_en",
                opt_strings(f.iter().map(|f| f.enabling_en.as_deref())),
            ),
            (
                "restricting_en",
                opt_strings(f.iter().map(|f| f.restricting_en.as_deref())),
            ),
        ])?;
        let pairs: Vec<(&str, &str)> = f
            .iter()
            .flat_map(|f| {
                f.survey_items
                    .iter()
                    .map(move |i| (f.id.as_str(), i.as_str()))
            })
            .collect();
        let items = LakeTable::KeyFactorItem.def().batch(vec![
            ("factor_id", strings(pairs.iter().map(|p| p.0))),
            ("item_id", strings(pairs.iter().map(|p| p.1))),
        ])?;
        Ok((
            f.len() as i64,
            vec![
                (LakeTable::KeyFactor, factors),
                (LakeTable::KeyFactorItem, items),
            ],
        ))
    })?;
    Ok(result.map(|r| (kf, r)))
}

/// Kolada's KPI definitions as the kolada_kpi table, reloaded when the file changes. Definitions
/// that cannot be read fail alone: the Kolada files fail with them, the rest goes on.
pub fn kolada_kpi(
    ctx: &RunContext<'_>,
    path: &Path,
) -> Result<
    Result<(friktion_ingest_kolada::Definitions, SourceResult), TableSourceError>,
    PipelineError,
> {
    let bytes = match read(path) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    let defs = match friktion_ingest_kolada::Definitions::load(path) {
        Ok(mut d) => {
            d.revision = content_hash(&bytes);
            d
        }
        Err(e) => return Ok(Err(e.into())),
    };
    let name = ctx.cfg.source_name(path);
    let w = WholeSource {
        name: &name,
        kind: "kolada_kpi",
        bytes: &bytes,
        version: "kolada-kpi-1",
        stem: "kolada",
        tables: &[LakeTable::KoladaKpi],
    };
    let result = load(ctx, &w, Stage::Kolada, || {
        let b = defs.batch()?;
        Ok((b.num_rows() as i64, vec![(LakeTable::KoladaKpi, b)]))
    })?;
    Ok(result.map(|r| (defs, r)))
}
