//! Kolada's KPI definitions (`kolada/kpi.csv` in the reference directory: the API's /kpi).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use friktion_core::{ContractError, LakeTable};

use crate::KoladaError;

/// One KPI's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    pub title: String,
    pub operating_area: String,
    /// K (kommun), L (region), A (both).
    pub municipality_type: String,
}

/// Every KPI Kolada defines, by id.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    pub kpis: BTreeMap<String, Kpi>,
    /// Which revision of the definitions this is (the caller's hash of the file): the files
    /// checked against them are loaded again when it changes.
    pub revision: String,
    rows: Vec<Vec<String>>,
}

pub use friktion_core::codes::is_kolada_kpi_id as is_kolada_id;

const COLUMNS: [&str; 12] = [
    "id",
    "title",
    "description",
    "is_divided_by_gender",
    "municipality_type",
    "auspice",
    "operating_area",
    "perspective",
    "prel_publication_date",
    "publication_date",
    "publ_period",
    "has_ou_data",
];

impl Definitions {
    pub fn load(path: &Path) -> Result<Self, KoladaError> {
        let bad = |problem: String| KoladaError::Definitions {
            path: path.display().to_string(),
            problem,
        };
        let mut r = csv::ReaderBuilder::new()
            .from_path(path)
            .map_err(|e| bad(e.to_string()))?;
        let header = r.headers().map_err(|e| bad(e.to_string()))?.clone();
        let at: Vec<usize> = COLUMNS
            .iter()
            .map(|c| {
                header
                    .iter()
                    .position(|h| h.trim_start_matches('\u{feff}') == *c)
                    .ok_or_else(|| bad(format!("no column '{c}'")))
            })
            .collect::<Result<_, _>>()?;
        let mut d = Definitions::default();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| bad(format!("record {}: {e}", i + 1)))?;
            let row: Vec<String> = at
                .iter()
                .map(|&j| rec.get(j).unwrap_or("").to_string())
                .collect();
            if !is_kolada_id(&row[0]) {
                return Err(bad(format!(
                    "record {}: '{}' is not a Kolada KPI id",
                    i + 1,
                    row[0]
                )));
            }
            d.kpis.insert(
                row[0].clone(),
                Kpi {
                    title: row[1].clone(),
                    operating_area: row[6].clone(),
                    municipality_type: row[4].clone(),
                },
            );
            d.rows.push(row);
        }
        Ok(d)
    }

    pub fn get(&self, id: &str) -> Option<&Kpi> {
        self.kpis.get(id)
    }

    /// The definitions as the `kolada_kpi` table.
    pub fn batch(&self) -> Result<RecordBatch, ContractError> {
        let col = |i: usize| -> ArrayRef {
            Arc::new(StringArray::from_iter(self.rows.iter().map(|r| {
                let v = r[i].trim();
                (!v.is_empty()).then_some(v)
            })))
        };
        let flag = |i: usize| -> ArrayRef {
            Arc::new(BooleanArray::from_iter(self.rows.iter().map(|r| {
                match r[i].trim().to_ascii_lowercase().as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                }
            })))
        };
        LakeTable::KoladaKpi.def().batch(vec![
            ("kpi_id", col(0)),
            ("title", col(1)),
            ("description", col(2)),
            ("is_divided_by_gender", flag(3)),
            ("municipality_type", col(4)),
            ("auspice", col(5)),
            ("operating_area", col(6)),
            ("perspective", col(7)),
            ("prel_publication_date", col(8)),
            ("publication_date", col(9)),
            ("publ_period", col(10)),
            ("has_ou_data", flag(11)),
        ])
    }
}
