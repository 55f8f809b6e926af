//! The run's report stage: the marts read from the lake and written as the report directory.
//!
//! The report is written under `.<run-id>.partial/` and renamed into place when whole, so a run
//! killed while writing leaves no half report where readers look; the next run removes the
//! partial directory.

use std::path::Path;

use anyhow::{Context, Result};
use friktion_core::LakeTable;
use friktion_lake::{Lake, Ledger};
use friktion_report::html::{RunInfo, SourceLine};

use crate::run::Summary;

pub struct ReportCtx<'a> {
    pub lake: &'a Lake,
    pub lake_dir: &'a Path,
    pub reports_dir: &'a Path,
    pub min_cell: i64,
    pub lang: friktion_report::i18n::Lang,
    pub kolada: &'a [arrow::array::RecordBatch],
}

/// Removes report directories that runs killed while writing them left behind.
pub fn remove_partial(reports_dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(reports_dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".partial") {
            std::fs::remove_dir_all(e.path())
                .with_context(|| format!("removing {}", e.path().display()))?;
        }
    }
    Ok(())
}

/// The sources the lake holds, each with the counts of its last load: what the report rests
/// on, whichever run loaded it.
fn lake_sources(lake: &Lake) -> Result<Vec<SourceLine>> {
    let ledger = Ledger::load(lake).context("reading the ingestion ledger")?;
    Ok(ledger
        .known_sources()
        .into_iter()
        .filter_map(|f| ledger.last_load(f))
        .map(crate::run::line)
        .collect())
}

pub fn write(c: &ReportCtx<'_>, s: &mut Summary) -> Result<()> {
    let out = c.reports_dir.join(&s.run_id);
    let partial = c.reports_dir.join(format!(".{}.partial", s.run_id));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?;
    }
    let rows = friktion_report::kommun_friction(&c.lake.read_mart("friction_by_kommun")?)?;
    let info = RunInfo {
        run_id: s.run_id.clone(),
        data_label: rows
            .iter()
            .map(|r| r.wave_id.clone())
            .max()
            .unwrap_or_default(),
        sources: lake_sources(c.lake)?,
        min_cell: c.min_cell,
        lang: c.lang,
    };
    // A mart that no model made reads as empty, and its section is left out.
    let ttg = friktion_report::outcomes::time_to_go_live(&c.lake.read_mart("time_to_go_live")?)?;
    let published =
        friktion_report::published::published_checks(&c.lake.read_mart("published_figure_check")?)?;
    let groups = friktion_report::survey::group_friction(&c.lake.read_mart("friction_by_group")?)?;
    let national = friktion_report::national_friction(&groups);
    let bands = friktion_report::survey::distribution(&c.lake.read_mart("friction_distribution")?)?;
    let cost = friktion_report::survey::friction_cost(&c.lake.read_mart("friction_cost")?)?;
    let logs = friktion_report::logs::log_friction(&c.lake.read_mart("log_friction_by_system")?)?;
    let factors =
        friktion_report::factors::factor_scores(&c.lake.read_mart("factor_scores_by_kommun")?)?;
    let benchmark = friktion_report::kommun_benchmark(&c.lake.read_mart("kommun_benchmark")?)?;
    let areas = map_areas(c.lake)?;
    let funnel = friktion_report::outcomes::funnel(&c.lake.read_mart("project_funnel")?)?;
    let curve = friktion_report::outcomes::curve(&c.lake.read_mart("time_to_go_live_curve")?)?;
    let costs = friktion_report::methods::cost_assumptions(
        &c.lake.read_table(&LakeTable::CostAssumption.def())?,
    )?;
    let written = friktion_report::write_index(
        &partial,
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
    s.notebook = Some(out.join("friktion.ipynb"));
    friktion_report::notebook::write(&partial, c.lake_dir, &s.run_id, c.min_cell, c.lang)?;
    s.kolada = crate::kolada::write(&partial, c.kolada, c.min_cell, &written.hidden)?;
    s.report = Some(out.join("index.html"));
    if let Some(k) = &s.kolada {
        s.kolada = Some(out.join(k.strip_prefix(&partial).unwrap_or(k)));
    }
    std::fs::rename(&partial, &out)
        .with_context(|| format!("moving the report into {}", out.display()))?;
    Ok(())
}

/// Every municipality's outline from the lake's municipality table, for the report's map.
pub(crate) fn map_areas(lake: &Lake) -> Result<Vec<friktion_report::map::Area>> {
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
