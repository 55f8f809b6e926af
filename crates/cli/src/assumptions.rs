//! The cost model's assumptions (`pipelines/assumptions.toml`) into the lake's cost_assumption
//! table, through the ledger like any source: a changed file replaces the table.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use chrono::{DateTime, Utc};
use friktion_core::LakeTable;
use friktion_lake::{Lake, Ledger, LedgerEntry};
use serde::Deserialize;

use crate::config::Config;
use crate::whole_tables::{self, WholeSource};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
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

fn batch(path: &Path, text: &str) -> Result<RecordBatch> {
    let f: File = toml::from_str(text)
        .with_context(|| format!("cost assumptions {} are not valid", path.display()))?;
    for c in &f.cost {
        let positive = [
            ("employees", c.employees),
            ("working_days_per_year", c.working_days_per_year),
            ("hours_per_month", c.hours_per_month),
            ("monthly_salary_sek", c.monthly_salary_sek),
        ];
        if let Some((what, v)) = positive.iter().find(|(_, v)| !(*v > 0.0)) {
            bail!(
                "{}: {} has {what} = {v}; it must be above 0",
                path.display(),
                c.assumption_set
            );
        }
        if !(0.0..=2.0).contains(&c.payroll_overhead) {
            bail!(
                "{}: {} has payroll_overhead = {}; it is a share (0.3915 for 39.15 %)",
                path.display(),
                c.assumption_set,
                c.payroll_overhead
            );
        }
    }
    let costs = &f.cost;
    let s = |get: &dyn Fn(&Cost) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(costs.iter().map(get)))
    };
    let n = |get: &dyn Fn(&Cost) -> Option<f64>| -> ArrayRef {
        Arc::new(Float64Array::from(
            costs.iter().map(get).collect::<Vec<_>>(),
        ))
    };
    Ok(RecordBatch::try_new(
        LakeTable::CostAssumption.def().file_schema(),
        vec![
            s(&|c| &c.assumption_set),
            Arc::new(Int64Array::from_iter_values(
                f.cost.iter().map(|c| c.version),
            )),
            s(&|c| &c.description),
            Arc::new(StringArray::from(
                costs
                    .iter()
                    .map(|c| c.description_en.as_deref())
                    .collect::<Vec<_>>(),
            )),
            n(&|c| Some(c.employees)),
            n(&|c| Some(c.working_days_per_year)),
            n(&|c| Some(c.hours_per_month)),
            n(&|c| Some(c.monthly_salary_sek)),
            n(&|c| Some(c.payroll_overhead)),
            s(&|c| &c.source),
            n(&|c| c.published_minutes_per_day),
            n(&|c| c.published_cost_sek),
        ],
    )?)
}

pub fn load(
    lake: &Lake,
    ledger: &Ledger,
    cfg: &Config,
    path: &Path,
    run_id: &str,
    now: DateTime<Utc>,
) -> Result<LedgerEntry> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = cfg.source_name(path);
    let src = WholeSource {
        name: &name,
        kind: "assumptions",
        bytes: text.as_bytes(),
        version: "assumptions-1",
        stem: "assumptions",
    };
    whole_tables::load(lake, ledger, &src, run_id, now, || {
        let b = batch(path, &text)?;
        Ok((b.num_rows() as i64, vec![(LakeTable::CostAssumption, b)]))
    })
}
