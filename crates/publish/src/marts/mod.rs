//! The marts as the publication reads them: one typed row per mart row, each column found by
//! name (a missing or mistyped column names its mart and column).

mod outcomes;
mod survey;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use friktion_core::LakeTable;
use friktion_lake::Lake;

use crate::PublishError;

pub use outcomes::*;
pub use survey::*;

/// Every mart the publication protects, read from the lake. A mart that no model made reads as
/// empty.
#[derive(Debug, Clone, Default)]
pub struct Marts {
    pub friction: Vec<KommunFriction>,
    pub benchmark: Vec<KommunBenchmark>,
    pub groups: Vec<GroupFriction>,
    pub bands: Vec<Band>,
    pub cost: Vec<Cost>,
    pub logs: Vec<LogFriction>,
    pub factors: Vec<FactorScore>,
    pub time_to_go_live: Vec<TimeToGoLive>,
    pub curve: Vec<CurvePoint>,
    pub funnel: Vec<FunnelStage>,
    pub published: Vec<PublishedCheck>,
    pub assumptions: Vec<CostAssumption>,
}

impl Marts {
    pub fn read(lake: &Lake) -> Result<Self, PublishError> {
        let mart = |name: &str| lake.read_mart(name);
        Ok(Self {
            friction: kommun_friction(&mart("friction_by_kommun")?)?,
            benchmark: kommun_benchmark(&mart("kommun_benchmark")?)?,
            groups: group_friction(&mart("friction_by_group")?)?,
            bands: distribution(&mart("friction_distribution")?)?,
            cost: friction_cost(&mart("friction_cost")?)?,
            logs: log_friction(&mart("log_friction_by_system")?)?,
            factors: factor_scores(&mart("factor_scores_by_kommun")?)?,
            time_to_go_live: time_to_go_live(&mart("time_to_go_live")?)?,
            curve: curve(&mart("time_to_go_live_curve")?)?,
            funnel: funnel(&mart("project_funnel")?)?,
            published: published_checks(&mart("published_figure_check")?)?,
            assumptions: cost_assumptions(&lake.read_table(&LakeTable::CostAssumption.def())?)?,
        })
    }
}

/// The wave's total over all respondents: the `all` row of friction_by_group.
pub type NationalFriction = GroupFriction;

// One row of the friction-by-kommun mart, as the report needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct KommunFriction {
    pub wave_id: String,
    pub kommun_kod: String,
    pub kommun_name: String,
    pub lan_name: String,
    pub n: i64,
    /// Kish's effective number of respondents, n_eff = (Σw)² / Σw².
    pub n_eff: Option<f64>,
    pub mean_minutes: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// One row of `kommun_benchmark`: a kommun against its peer group, its county and the country.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KommunBenchmark {
    pub wave_id: String,
    pub kommun_kod: String,
    /// The kommungrupp's code (A1 … C9), or the county's name where there is none.
    pub peer_group: String,
    pub peer_group_name: String,
    pub peer_group_name_en: String,
    pub peer_mean_minutes: Option<f64>,
    pub lan_name: String,
    pub county_mean_minutes: Option<f64>,
    pub national_mean_minutes: Option<f64>,
    pub rank_national: Option<i64>,
    pub kommuner_national: Option<i64>,
}

pub fn kommun_benchmark(batches: &[RecordBatch]) -> Result<Vec<KommunBenchmark>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "kommun_benchmark",
            batch: b,
        };
        let (waves, codes, peers) = (
            m.strings("wave_id")?,
            m.strings("kommun_kod")?,
            m.strings("peer_group")?,
        );
        let (names, names_en, lans) = (
            m.strings("peer_group_name")?,
            m.strings("peer_group_name_en")?,
            m.strings("lan_name")?,
        );
        let (pm, cm, nm) = (
            m.floats("peer_mean_minutes")?,
            m.floats("county_mean_minutes")?,
            m.floats("national_mean_minutes")?,
        );
        let (rank, of) = (m.ints("rank_national")?, m.ints("kommuner_national")?);
        for i in 0..b.num_rows() {
            out.push(KommunBenchmark {
                wave_id: waves[i].clone().unwrap_or_default(),
                kommun_kod: codes[i].clone().unwrap_or_default(),
                peer_group: peers[i].clone().unwrap_or_default(),
                peer_group_name: names[i].clone().unwrap_or_default(),
                peer_group_name_en: names_en[i].clone().unwrap_or_default(),
                peer_mean_minutes: pm[i],
                lan_name: lans[i].clone().unwrap_or_default(),
                county_mean_minutes: cm[i],
                national_mean_minutes: nm[i],
                rank_national: rank[i],
                kommuner_national: of[i],
            });
        }
    }
    Ok(out)
}

/// Reads the rows of `friction_by_kommun`, whatever batch layout the engine gave.
pub fn kommun_friction(batches: &[RecordBatch]) -> Result<Vec<KommunFriction>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "friction_by_kommun",
            batch: b,
        };
        let s = |c: &str| m.strings(c);
        let (waves, codes, names, lans) = (
            s("wave_id")?,
            s("kommun_kod")?,
            s("kommun_name")?,
            s("lan_name")?,
        );
        let (n, n_eff, mean, lo, hi) = m.estimates()?;
        for i in 0..b.num_rows() {
            out.push(KommunFriction {
                wave_id: waves[i].clone().unwrap_or_default(),
                kommun_kod: codes[i].clone().unwrap_or_default(),
                kommun_name: names[i].clone().unwrap_or_default(),
                lan_name: lans[i].clone().unwrap_or_default(),
                n: n[i].unwrap_or(0),
                n_eff: n_eff[i],
                mean_minutes: mean[i],
                ci_low: lo[i],
                ci_high: hi[i],
            });
        }
    }
    Ok(out)
}

/// A mart's batch, read column by column; a missing or mistyped column names the mart.
pub struct Mart<'a> {
    pub name: &'static str,
    pub batch: &'a RecordBatch,
}

impl Mart<'_> {
    fn err(&self, column: &str, expected: &'static str) -> PublishError {
        PublishError::Column {
            mart: self.name.into(),
            column: column.into(),
            expected,
        }
    }

    pub fn strings(&self, c: &str) -> Result<Vec<Option<String>>, PublishError> {
        let a = self
            .batch
            .column_by_name(c)
            .ok_or_else(|| self.err(c, "a string"))?;
        let a = arrow::compute::cast(a, &DataType::Utf8).map_err(|_| self.err(c, "a string"))?;
        Ok(a.as_string::<i32>()
            .iter()
            .map(|s| s.map(String::from))
            .collect())
    }

    pub fn ints(&self, c: &str) -> Result<Vec<Option<i64>>, PublishError> {
        let a = self
            .batch
            .column_by_name(c)
            .ok_or_else(|| self.err(c, "an integer"))?;
        let a = arrow::compute::cast(a, &DataType::Int64).map_err(|_| self.err(c, "an integer"))?;
        Ok(a.as_primitive::<Int64Type>().iter().collect())
    }

    /// n, n_eff, mean_minutes, ci_low and ci_high: the estimate columns of the friction marts.
    #[allow(clippy::type_complexity)]
    pub fn estimates(
        &self,
    ) -> Result<
        (
            Vec<Option<i64>>,
            Vec<Option<f64>>,
            Vec<Option<f64>>,
            Vec<Option<f64>>,
            Vec<Option<f64>>,
        ),
        PublishError,
    > {
        Ok((
            self.ints("n")?,
            self.floats("n_eff")?,
            self.floats("mean_minutes")?,
            self.floats("ci_low")?,
            self.floats("ci_high")?,
        ))
    }

    pub fn floats(&self, c: &str) -> Result<Vec<Option<f64>>, PublishError> {
        let a = self
            .batch
            .column_by_name(c)
            .ok_or_else(|| self.err(c, "a number"))?;
        let a = arrow::compute::cast(a, &DataType::Float64).map_err(|_| self.err(c, "a number"))?;
        let a = a.as_primitive::<Float64Type>();
        Ok((0..a.len())
            .map(|i| (!a.is_null(i)).then(|| a.value(i)))
            .collect())
    }
}
