//! The mapping file: how one portfolio export's columns and labels map into the lake.
//!
//! ```toml
//! [source]                      # as in survey instruments: delimiter, encoding, header_row, sheet
//! [columns]
//! project_id = "Projekt-ID"
//! kommun = "Kommun"             # a name ("Sollentuna") or a code ("0163")
//! track = "Spår"
//! status = "Status"
//! stage_dates = ["Idé", "Beslut", "Driftsatt", "Avbrutet"]   # each header is a stage label
//! [stages]                      # label → stage
//! "Driftsatt" = "go_live"
//! [tracks]                      # label → omsorg, skola or annan
//! "Vård och omsorg" = "omsorg"
//! [factors]                     # column → key-factor id
//! "NF01" = "ledarskap"
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use friktion_outcomes::stages::{Stage, StageLabels};
use friktion_tabular::SourceFormat;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("project mapping {path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

/// Column names in the export. Only `project_id` and `kommun` are required.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub project_id: String,
    pub kommun: String,
    pub name: Option<String>,
    pub solution: Option<String>,
    pub track: Option<String>,
    pub status: Option<String>,
    pub budget_planned_sek: Option<String>,
    pub cost_actual_sek: Option<String>,
    pub users_target: Option<String>,
    pub users_reached: Option<String>,
    /// Columns that hold the date a stage was entered; each header is a label in [stages].
    #[serde(default)]
    pub stage_dates: Vec<String>,
}

/// Where a JSON export keeps its projects and their stage lists.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonShape {
    /// Key of the array of projects at the top level; empty when the document is the array.
    #[serde(default)]
    pub records: String,
    /// Key, in each project, of a list of {label, date} objects.
    pub stage_list: Option<String>,
    #[serde(default = "label")]
    pub stage_label: String,
    #[serde(default = "date")]
    pub stage_date: String,
}

fn label() -> String {
    "label".into()
}
fn date() -> String {
    "date".into()
}

impl Default for JsonShape {
    fn default() -> Self {
        Self {
            records: String::new(),
            stage_list: None,
            stage_label: label(),
            stage_date: date(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    source: SourceFormat,
    columns: Columns,
    stages: BTreeMap<String, Stage>,
    #[serde(default)]
    tracks: BTreeMap<String, String>,
    #[serde(default)]
    factors: BTreeMap<String, String>,
    /// Labels for a factor assessed as a direction rather than a score.
    #[serde(default = "directions")]
    directions: BTreeMap<String, String>,
    #[serde(default)]
    json: JsonShape,
}

fn directions() -> BTreeMap<String, String> {
    [
        ("främjande", "främjande"),
        ("hämmande", "hämmande"),
        ("enabling", "främjande"),
        ("restricting", "hämmande"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

pub const TRACKS: [&str; 3] = ["omsorg", "skola", "annan"];
pub const DIRECTIONS: [&str; 2] = ["främjande", "hämmande"];

#[derive(Debug, Clone)]
pub struct Mapping {
    pub path: PathBuf,
    pub source: SourceFormat,
    pub columns: Columns,
    pub stages: StageLabels,
    /// Stage labels as written in the file, for messages.
    pub stage_label_list: Vec<String>,
    tracks: HashMap<String, String>,
    /// (column, factor id), in the file's order.
    pub factors: Vec<(String, String)>,
    directions: HashMap<String, String>,
    pub json: JsonShape,
    /// Hash of the file's bytes: a changed mapping reloads its sources.
    pub content: String,
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Mapping {
    pub fn load(path: &Path) -> Result<Self, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, MappingError> {
        let bad = |problem: String| MappingError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let stages = StageLabels::new(raw.stages.iter().map(|(l, s)| (l.clone(), *s)));
        for col in &raw.columns.stage_dates {
            if stages.stage(col).is_none() {
                return Err(bad(format!(
                    "stage date column '{col}' is not a label in [stages]"
                )));
            }
        }
        for (label, t) in &raw.tracks {
            if !TRACKS.contains(&t.as_str()) {
                return Err(bad(format!(
                    "[tracks] '{label}' = '{t}': a track is one of {}",
                    TRACKS.join(", ")
                )));
            }
        }
        for (label, d) in &raw.directions {
            if !DIRECTIONS.contains(&d.as_str()) {
                return Err(bad(format!(
                    "[directions] '{label}' = '{d}': a direction is främjande or hämmande"
                )));
            }
        }
        let mut tracks: HashMap<String, String> = TRACKS
            .iter()
            .map(|t| (t.to_string(), t.to_string()))
            .collect();
        tracks.extend(raw.tracks.iter().map(|(l, t)| (fold(l), t.clone())));
        Ok(Self {
            path: path.to_path_buf(),
            source: raw.source,
            columns: raw.columns,
            stage_label_list: raw.stages.keys().cloned().collect(),
            stages,
            tracks,
            factors: raw.factors.into_iter().collect(),
            directions: raw
                .directions
                .iter()
                .map(|(l, d)| (fold(l), d.clone()))
                .collect(),
            json: raw.json,
            content: format!("{:x}", fxhash64(text.as_bytes())),
        })
    }

    pub fn track(&self, label: &str) -> Option<&str> {
        self.tracks.get(&fold(label)).map(String::as_str)
    }

    pub fn direction(&self, label: &str) -> Option<&str> {
        self.directions.get(&fold(label)).map(String::as_str)
    }

    /// Checks the factor ids against the catalogue, so a typo is an error, not empty results.
    pub fn check_factors(&self, known: &[&str]) -> Result<(), MappingError> {
        for (col, id) in &self.factors {
            if !known.contains(&id.as_str()) {
                return Err(MappingError::Invalid {
                    path: self.path.clone(),
                    problem: format!(
                        "[factors] '{col}' = '{id}': no such factor in the key-factor catalogue (its ids: {})",
                        known.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }
}

/// A stable 64-bit FNV-1a hash: enough to notice a changed mapping in the ledger.
fn fxhash64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = "[columns]\nproject_id = 'Id'\nkommun = 'Kommun'\nstage_dates = ['Beslut']\n[stages]\nBeslut = 'decision'\n";

    #[test]
    fn labels_fold_case_and_space_and_defaults_apply() {
        let m = Mapping::parse(
            &format!("{MIN}[tracks]\n'Vård och omsorg' = 'omsorg'\n"),
            Path::new("m.toml"),
        )
        .unwrap();
        assert_eq!(m.track("vård  och OMSORG"), Some("omsorg"));
        assert_eq!(m.track("Skola"), Some("skola"));
        assert_eq!(m.track("Fritid"), None);
        assert_eq!(m.direction("Främjande"), Some("främjande"));
        assert_eq!(m.stages.stage(" beslut"), Some(Stage::Decision));
        assert_eq!(m.source.delimiter, "auto");
    }

    #[test]
    fn bad_mappings_say_what_is_wrong() {
        let p = Path::new("m.toml");
        let e = Mapping::parse(
            &MIN.replace("stage_dates = ['Beslut']", "stage_dates = ['Klar']"),
            p,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("'Klar' is not a label in [stages]"),
            "{e}"
        );
        let e = Mapping::parse(&MIN.replace("'decision'", "'beslutad'"), p).unwrap_err();
        assert!(e.to_string().contains("unknown variant"), "{e}");
        let e = Mapping::parse(&format!("{MIN}[tracks]\nFritid = 'fritid'\n"), p).unwrap_err();
        assert!(e.to_string().contains("omsorg, skola, annan"), "{e}");
        let m = Mapping::parse(&format!("{MIN}[factors]\nNF01 = 'ledarskapp'\n"), p).unwrap();
        let e = m.check_factors(&["ledarskap"]).unwrap_err();
        assert!(
            e.to_string().contains("'ledarskapp': no such factor"),
            "{e}"
        );
    }
}
