//! Static HTML reports with inline plotters SVG charts, for policymakers.
//!
//! Reads nothing but the marts it is given: no DataFusion, no network. Pages are
//! self-contained (inline CSS, SVG and their embedded font) so they can be mailed, archived and
//! printed, and look the same on every machine.

pub mod chart;
pub mod disclosure;
pub mod factors;
pub mod figure;
pub mod fonts;
pub mod format;
pub mod html;
pub mod i18n;
pub mod kommun;
pub mod logs;
pub mod map;
pub mod methods;
pub mod notebook;
pub mod outcomes;
pub mod published;
pub mod survey;

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};

pub use html::{RunInfo, write_index};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("mart {mart}: column {column} is missing or not {expected}")]
    Column {
        mart: String,
        column: String,
        expected: &'static str,
    },
    #[error("chart {0}: {1}")]
    Chart(String, String),
}

/// One row of the friction-by-kommun mart, as the report needs it.
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

/// The wave's total over all respondents: the `all` row of friction_by_group.
pub type NationalFriction = survey::GroupFriction;

/// One row of `kommun_benchmark`: a kommun against its peer group and the country.
#[derive(Debug, Clone, PartialEq)]
pub struct KommunBenchmark {
    pub wave_id: String,
    pub kommun_kod: String,
    pub peer_group: String,
    pub peer_mean_minutes: Option<f64>,
    pub national_mean_minutes: Option<f64>,
    pub rank_national: Option<i64>,
    pub kommuner_national: Option<i64>,
}

pub fn kommun_benchmark(batches: &[RecordBatch]) -> Result<Vec<KommunBenchmark>, ReportError> {
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
        let (pm, nm) = (
            m.floats("peer_mean_minutes")?,
            m.floats("national_mean_minutes")?,
        );
        let (rank, of) = (m.ints("rank_national")?, m.ints("kommuner_national")?);
        for i in 0..b.num_rows() {
            out.push(KommunBenchmark {
                wave_id: waves[i].clone().unwrap_or_default(),
                kommun_kod: codes[i].clone().unwrap_or_default(),
                peer_group: peers[i].clone().unwrap_or_default(),
                peer_mean_minutes: pm[i],
                national_mean_minutes: nm[i],
                rank_national: rank[i],
                kommuner_national: of[i],
            });
        }
    }
    Ok(out)
}

/// The `all` rows of `friction_by_group`: each wave's total over all respondents.
pub fn national_friction(groups: &[survey::GroupFriction]) -> Vec<NationalFriction> {
    groups
        .iter()
        .filter(|g| g.dimension == "all")
        .cloned()
        .collect()
}

/// Reads the rows of `friction_by_kommun`, whatever batch layout the engine gave.
pub fn kommun_friction(batches: &[RecordBatch]) -> Result<Vec<KommunFriction>, ReportError> {
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
pub(crate) struct Mart<'a> {
    pub name: &'static str,
    pub batch: &'a RecordBatch,
}

impl Mart<'_> {
    fn err(&self, column: &str, expected: &'static str) -> ReportError {
        ReportError::Column {
            mart: self.name.into(),
            column: column.into(),
            expected,
        }
    }

    pub(crate) fn strings(&self, c: &str) -> Result<Vec<Option<String>>, ReportError> {
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

    pub(crate) fn ints(&self, c: &str) -> Result<Vec<Option<i64>>, ReportError> {
        let a = self
            .batch
            .column_by_name(c)
            .ok_or_else(|| self.err(c, "an integer"))?;
        let a = arrow::compute::cast(a, &DataType::Int64).map_err(|_| self.err(c, "an integer"))?;
        Ok(a.as_primitive::<Int64Type>().iter().collect())
    }

    /// n, n_eff, mean_minutes, ci_low and ci_high: the estimate columns of the friction marts.
    #[allow(clippy::type_complexity)]
    pub(crate) fn estimates(
        &self,
    ) -> Result<
        (
            Vec<Option<i64>>,
            Vec<Option<f64>>,
            Vec<Option<f64>>,
            Vec<Option<f64>>,
            Vec<Option<f64>>,
        ),
        ReportError,
    > {
        Ok((
            self.ints("n")?,
            self.floats("n_eff")?,
            self.floats("mean_minutes")?,
            self.floats("ci_low")?,
            self.floats("ci_high")?,
        ))
    }

    pub(crate) fn floats(&self, c: &str) -> Result<Vec<Option<f64>>, ReportError> {
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

pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)
}
