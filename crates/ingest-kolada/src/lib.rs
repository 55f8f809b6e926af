//! Kolada's published KPI values as analysts download them (the API's JSON and the CSV export)
//! → `kolada_value`, and Kolada's KPI definitions → `kolada_kpi`. Cite "Källa: Kolada".
//!
//! A value row is kpi × municipality × period × gender: `{"kpi": "U21340", "municipality":
//! "0180", "period": 2022, "values": [{"gender": "T", "count": 1, "status": "", "value":
//! 87.5}]}` in JSON, and the same fields as columns in CSV (`,` or `;`, decimal point or comma).

mod definitions;
mod values;

pub use definitions::{Definitions, is_kolada_id};
pub use values::{KoladaFile, KoladaValue, read};

/// Why a Kolada file cannot be read at all (a bad row is quarantined instead).
#[derive(Debug, thiserror::Error)]
pub enum KoladaError {
    #[error("{file} is not Kolada JSON: {problem}")]
    Json { file: String, problem: String },
    #[error("{file}: {source}")]
    Table {
        file: String,
        #[source]
        source: friktion_tabular::ReadError,
    },
    #[error(
        "{file} has no column '{column}' (Kolada's CSV has kpi, municipality, period, gender, value, count, status)"
    )]
    Column { file: String, column: &'static str },
    #[error("{path}: {problem}")]
    Definitions { path: String, problem: String },
}
