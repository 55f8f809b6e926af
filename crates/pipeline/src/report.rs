//! The report stage: the publication written as the report directory, with the Kolada export,
//! the disclosure log and the notebook beside it.
//!
//! The report is written under `.<run-id>.partial/` and renamed into place when whole, so a run
//! killed while writing leaves no half report where readers look; the next run removes the
//! partial directory.

use std::path::Path;

use arrow::array::{AsArray, RecordBatch};
use friktion_core::LakeTable;
use friktion_lake::{Lake, Ledger};
use friktion_publish::Publication;
use friktion_report::html::{RunInfo, SourceLine};
use friktion_report::i18n::Lang;
use friktion_report::map::Area;

use crate::PipelineError;
use crate::summary::RunSummary;

/// The marts each section of the report draws on: declared here, checked against the models at
/// the start of a run, so that a renamed or missing model fails the run by name instead of
/// leaving a chart out in silence.
pub const INPUTS: &[(&str, &[&str])] = &[
    ("municipalities by wave", &["friction_by_kommun"]),
    ("peer groups and municipality pages", &["kommun_benchmark"]),
    (
        "national totals, areas of activity and trend",
        &["friction_by_group"],
    ),
    ("spread of minutes", &["friction_distribution"]),
    ("yearly cost", &["friction_cost"]),
    ("system logs", &["log_friction_by_system"]),
    (
        "time to implementation",
        &["time_to_go_live", "time_to_go_live_curve", "project_funnel"],
    ),
    ("key-factor heatmap", &["factor_scores_by_kommun"]),
    ("published-figure check", &["published_figure_check"]),
];

/// Every mart a report section needs must be made by a model.
pub fn check_inputs(models: &[friktion_query::Model], dir: &Path) -> Result<(), PipelineError> {
    for (section, marts) in INPUTS {
        for mart in *marts {
            if !models.iter().any(|m| m.name == *mart) {
                return Err(PipelineError::ReportInput {
                    section,
                    model: mart,
                    models: dir.to_path_buf(),
                });
            }
        }
    }
    Ok(())
}

pub struct ReportCtx<'a> {
    pub lake: &'a Lake,
    pub lake_dir: &'a Path,
    pub reports_dir: &'a Path,
    pub lang: Lang,
    pub publication: &'a Publication,
    /// The Kolada export as published (protected), when a model declares a KPI.
    pub kolada: Option<&'a RecordBatch>,
    pub areas: &'a [Area],
    pub instruments:
        &'a std::collections::BTreeMap<String, friktion_report::national::WaveInstrument>,
}

/// Removes report directories that runs killed while writing them left behind.
pub fn remove_partial(reports_dir: &Path) -> Result<(), PipelineError> {
    let Ok(entries) = std::fs::read_dir(reports_dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".partial") {
            std::fs::remove_dir_all(e.path())
                .map_err(|err| PipelineError::io("removing", e.path(), err))?;
        }
    }
    Ok(())
}

/// The sources the lake holds, each with the counts of its last load: what the report rests
/// on, whichever run loaded it.
fn lake_sources(lake: &Lake) -> Result<Vec<SourceLine>, PipelineError> {
    let ledger = Ledger::load(lake)?;
    Ok(ledger
        .known_sources()
        .into_iter()
        .filter_map(|f| ledger.last_load(f))
        .map(|e| SourceLine {
            file: e.source_file.clone(),
            rows_read: e.rows_read,
            rows_written: e.rows_written,
            rows_quarantined: e.rows_quarantined,
            values_nulled: 0,
            action: e.action,
        })
        .collect())
}

/// The files whose Kolada-shaped figures say they are made up.
fn synthetic_sources(lake: &Lake) -> Result<Vec<String>, PipelineError> {
    let mut out = std::collections::BTreeSet::new();
    for b in lake.read_table(&LakeTable::KoladaValue.def())? {
        let (Some(f), Some(s)) = (
            b.column_by_name("source_file"),
            b.column_by_name("synthetic"),
        ) else {
            continue;
        };
        let (f, s) = (f.as_string::<i32>(), s.as_boolean());
        for i in 0..b.num_rows() {
            if s.value(i) {
                out.insert(f.value(i).to_string());
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Writes the report directory: pages, chart data, the notebook, the Kolada export and the
/// disclosure log, all from the publication.
pub fn write(c: &ReportCtx<'_>, s: &mut RunSummary) -> Result<(), PipelineError> {
    let out = c.reports_dir.join(&s.run_id);
    let partial = c.reports_dir.join(format!(".{}.partial", s.run_id));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .map_err(|e| PipelineError::io("removing", &partial, e))?;
    }
    let p = c.publication;
    let info = RunInfo {
        run_id: s.run_id.clone(),
        data_label: p
            .kommun
            .iter()
            .map(|r| r.row.wave_id.clone())
            .max()
            .unwrap_or_default(),
        sources: lake_sources(c.lake)?,
        synthetic: synthetic_sources(c.lake)?,
        min_cell: p.min_cell,
        lang: c.lang,
        lake_version: c
            .lake
            .version()
            .map(|v| (v.version, c.lake.location().to_string())),
        instruments: c.instruments.clone(),
    };
    let index = friktion_report::write_index(
        &partial,
        &info,
        &friktion_report::html::IndexData {
            publication: p,
            areas: c.areas,
        },
    )?;
    write_text(&partial.join("disclosure.csv"), &p.log)?;
    // The notebook globs a local lake's Parquet; one on object storage is read through its
    // Delta logs (docs/SCALE.md), which the notebook does not do yet.
    if !c.lake.is_remote() {
        friktion_report::notebook::write(&partial, c.lake_dir, &s.run_id, c.lang)?;
        s.notebook = Some(out.join("friktion.ipynb"));
    }
    if let Some(k) = c.kolada {
        crate::kolada::write(&partial, k)?;
        s.kolada = Some(out.join("kolada.csv"));
    }
    s.report = Some(out.join(index.strip_prefix(&partial).unwrap_or(&index)));
    std::fs::rename(&partial, &out)
        .map_err(|e| PipelineError::io("moving the report into", &out, e))?;
    Ok(())
}

fn write_text(path: &Path, text: &str) -> Result<(), PipelineError> {
    std::fs::write(path, text).map_err(|e| PipelineError::io("cannot write", path, e))
}

/// Every municipality's outline from the lake's municipality table, for the report's map.
pub fn map_areas(lake: &Lake) -> Result<Vec<Area>, PipelineError> {
    let mut out = Vec::new();
    let def = LakeTable::Municipality.def();
    for b in lake.read_table(&def)? {
        let col = |c: &str| {
            b.column_by_name(c)
                .ok_or_else(|| friktion_lake::LakeError::Contract {
                    table: def.name.into(),
                    problem: format!("column {c} is missing"),
                })
        };
        let codes = col("kommun_kod")?.as_string::<i32>();
        let names = col("name")?.as_string::<i32>();
        let geoms = col("geometry")?.as_binary::<i32>();
        for i in 0..b.num_rows() {
            let rings = friktion_report::map::rings(geoms.value(i)).map_err(|source| {
                friktion_report::ReportError::Boundary {
                    kommun_kod: codes.value(i).to_string(),
                    source,
                }
            })?;
            out.push(Area {
                kommun_kod: codes.value(i).to_string(),
                kommun_name: names.value(i).to_string(),
                rings,
            });
        }
    }
    Ok(out)
}

/// `20261123T231502Z`, made unique among the report directories and the lake's run records.
pub fn new_run_id(reports: &Path, lake: &Path, now: chrono::DateTime<chrono::Utc>) -> String {
    let base = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut id = base.clone();
    let mut i = 2;
    let runs = lake.join(crate::record::RUNS_DIR);
    while reports.join(&id).exists() || runs.join(format!("{id}.json")).exists() {
        id = format!("{base}-{i}");
        i += 1;
    }
    id
}
