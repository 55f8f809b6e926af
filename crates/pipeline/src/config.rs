//! The run configuration (`pipelines/nightly.toml`): where things are and what to ingest.

use std::path::{Path, PathBuf};

use friktion_ingest_logs::LogSpec;
use friktion_lake::{LakeLocation, StoreSettings};
use serde::Deserialize;

/// A config that cannot be used, named by its file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read pipeline config {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("pipeline config {path} is not valid")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("{config}: root {root} is not a directory")]
    Root { config: PathBuf, root: PathBuf },
    #[error("{config}: [[logs]] needs a systems catalogue: set systems = \"systems.toml\"")]
    LogsNeedSystems { config: PathBuf },
    #[error("{config}: privacy.min_cell must be at least 1")]
    MinCell { config: PathBuf },
    #[error("{config}: lake")]
    Lake {
        config: PathBuf,
        #[source]
        source: friktion_lake::LakeError,
    },
    #[error(
        "{config}: [object_store] {key}: credentials are never read from a config file; set \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or name a profile"
    )]
    Credentials { config: PathBuf, key: String },
    #[error(transparent)]
    Instrument(#[from] friktion_ingest_survey::InstrumentError),
    #[error(transparent)]
    Population(#[from] friktion_ingest_survey::weights::WeightError),
    #[error("systems catalogue {path}")]
    Systems {
        path: PathBuf,
        #[source]
        source: friktion_ingest_logs::LogError,
    },
    #[error("{config}: bad glob '{pattern}'")]
    Glob {
        config: PathBuf,
        pattern: String,
        #[source]
        source: glob::PatternError,
    },
}

type Result<T, E = ConfigError> = std::result::Result<T, E>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// The project root, relative to the config file. Every other path is relative to it,
    /// and source files are recorded relative to it, so lineage does not depend on the
    /// directory the run was started from.
    root: PathBuf,
    /// A directory relative to root, or `s3://bucket/prefix` (see [object_store]).
    lake: String,
    /// How to reach the object store of an `s3://` lake.
    #[serde(default)]
    object_store: StoreSettings,
    /// Where a run stages files before it uploads them to an object-store lake, relative to
    /// root; `.friktion-work` by default.
    work_dir: Option<PathBuf>,
    reports: PathBuf,
    reference: PathBuf,
    /// The kommungrupp revision kommuner are benchmarked against (the `<version>` of a
    /// `kommungrupp-<version>.csv` in the reference directory); by default the newest there.
    peer_group_version: Option<String>,
    models: PathBuf,
    #[serde(default)]
    privacy: Privacy,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    survey: Vec<SurveySource>,
    /// The systems catalogue, relative to this file; required when there are [[logs]].
    systems: Option<PathBuf>,
    #[serde(default)]
    logs: Vec<LogSpec>,
    /// The key-factor catalogue, relative to this file; required when project mappings name
    /// factors.
    key_factors: Option<PathBuf>,
    #[serde(default)]
    projects: Vec<ProjectSource>,
    /// Kolada downloads (API JSON or CSV export), checked against the KPI definitions in the
    /// reference directory's kolada/kpi.csv.
    #[serde(default)]
    kolada: Vec<KoladaSource>,
    /// Data tests on the lake's tables (freshness and the like), relative to this file. Tests
    /// of a model sit beside it as models/<model>.toml.
    sources: Option<PathBuf>,
    /// The cost model's assumptions, relative to this file.
    assumptions: Option<PathBuf>,
    /// `friktion serve`'s settings, read by the server (friktion-serve), not by the run.
    #[serde(default)]
    serve: toml::Table,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSource {
    /// A glob, relative to root.
    pub files: String,
    /// The mapping file, relative to the config's directory.
    pub mapping: PathBuf,
    /// The date the export describes. Projects not live by then are censored at it, and a
    /// stage dated later is an error. YYYY-MM-DD; by default the day the file was last modified.
    pub data_date: Option<String>,
}

/// A [[kolada]] block: Kolada values as analysts download them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KoladaSource {
    /// A glob, relative to root: JSON as the API answers, or the CSV export.
    pub files: String,
}

/// Thresholds that make a finished run report a problem (exit status 2).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// A source file whose rejected rows exceed this share of the rows read is a problem: an
    /// export that changed shape loads little and quarantines much, and nobody should find out
    /// from a thin chart. Files of fewer than 20 rows are left out of this check.
    #[serde(default = "max_quarantined_share")]
    pub max_quarantined_share: f64,
}

fn max_quarantined_share() -> f64 {
    0.2
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_quarantined_share: max_quarantined_share(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// Allows the fixed, public demo key when no real key is configured (bundled demo only).
    #[serde(default)]
    pub allow_demo_key: bool,
    pub key_file: Option<PathBuf>,
    /// Published cells with fewer respondents are suppressed.
    #[serde(default = "five")]
    pub min_cell: i64,
}

fn five() -> i64 {
    5
}

impl Default for Privacy {
    fn default() -> Self {
        Self {
            allow_demo_key: false,
            key_file: None,
            min_cell: five(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveySource {
    /// A glob, relative to root.
    pub files: String,
    /// An instrument file, relative to the config's directory.
    pub instrument: PathBuf,
    /// The wave of every matched file; by default the file's name without extension.
    pub wave_id: Option<String>,
    /// Population totals (relative to root) to weight each file's responses to: cells for
    /// post-stratification, or dimension;category;population margins for raking.
    pub population: Option<PathBuf>,
}

#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub root: PathBuf,
    pub lake: LakeLocation,
    pub object_store: StoreSettings,
    /// Local staging for a lake on object storage.
    pub work_dir: PathBuf,
    pub reports: PathBuf,
    pub reference: PathBuf,
    pub peer_group_version: Option<String>,
    pub models: PathBuf,
    pub privacy: Privacy,
    pub limits: Limits,
    pub survey: Vec<SurveySource>,
    pub systems: Option<PathBuf>,
    pub logs: Vec<LogSpec>,
    pub key_factors: Option<PathBuf>,
    pub projects: Vec<ProjectSource>,
    pub kolada: Vec<KoladaSource>,
    pub sources: Option<PathBuf>,
    pub assumptions: Option<PathBuf>,
    /// The `[serve]` table, as written: friktion-serve reads it.
    pub serve: toml::Table,
    /// The directory of the config file, against which instruments are resolved.
    pub dir: PathBuf,
}

impl Config {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if let Ok(table) = text.parse::<toml::Table>()
            && let Some(toml::Value::Table(os)) = table.get("object_store")
            && let Some(key) = os.keys().find(|k| {
                let k = k.to_ascii_lowercase();
                [
                    "secret",
                    "key_id",
                    "access_key",
                    "password",
                    "token",
                    "credential",
                ]
                .iter()
                .any(|w| k.contains(w))
            })
        {
            return Err(ConfigError::Credentials {
                config: path.to_path_buf(),
                key: key.clone(),
            });
        }
        let raw: Raw = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let config = path.to_path_buf();
        let root =
            normalise(&std::path::absolute(dir.join(&raw.root)).unwrap_or(dir.join(&raw.root)));
        if !root.is_dir() {
            return Err(ConfigError::Root { config, root });
        }
        if !raw.logs.is_empty() && raw.systems.is_none() {
            return Err(ConfigError::LogsNeedSystems { config });
        }
        if raw.privacy.min_cell < 1 {
            return Err(ConfigError::MinCell { config });
        }
        let lake = LakeLocation::parse(&raw.lake)
            .map_err(|source| ConfigError::Lake {
                config: config.clone(),
                source,
            })?
            .relative_to(&root);
        Ok(Self {
            path: path.to_path_buf(),
            lake,
            object_store: raw.object_store.with_env(),
            work_dir: root.join(raw.work_dir.unwrap_or_else(|| ".friktion-work".into())),
            reports: root.join(&raw.reports),
            reference: root.join(&raw.reference),
            peer_group_version: raw.peer_group_version,
            models: dir.join(&raw.models),
            privacy: Privacy {
                key_file: raw.privacy.key_file.map(|k| root.join(k)),
                ..raw.privacy
            },
            limits: raw.limits,
            survey: raw.survey,
            systems: raw.systems.map(|s| dir.join(s)),
            logs: raw.logs,
            key_factors: raw.key_factors.map(|k| dir.join(k)),
            sources: raw.sources.map(|k| dir.join(k)),
            assumptions: raw.assumptions.map(|k| dir.join(k)),
            serve: raw.serve,
            kolada: raw.kolada,
            projects: raw
                .projects
                .into_iter()
                .map(|p| ProjectSource {
                    mapping: dir.join(&p.mapping),
                    ..p
                })
                .collect(),
            root,
            dir,
        })
    }

    /// A source file's name as lineage records it: relative to the root, with '/'.
    pub fn source_name(&self, file: &Path) -> String {
        // A file outside the root (`friktion ingest` of a download) keeps its absolute path.
        let Ok(rel) = file.strip_prefix(&self.root) else {
            return file.to_string_lossy().into_owned();
        };
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The files a survey source matches, sorted.
    pub fn survey_files(&self, s: &SurveySource) -> Result<Vec<PathBuf>> {
        self.glob(&s.files)
    }

    /// The files a glob relative to the root matches, sorted.
    pub fn glob(&self, files: &str) -> Result<Vec<PathBuf>> {
        let s = files;
        let pattern = self.root.join(s);
        let pattern = pattern.to_string_lossy();
        let mut files: Vec<PathBuf> = glob::glob(&pattern)
            .map_err(|source| ConfigError::Glob {
                config: self.path.clone(),
                pattern: s.to_string(),
                source,
            })?
            .filter_map(|r| r.ok())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        Ok(files)
    }
}

/// Removes `.` and `..` without touching the file system (the lake may not exist yet).
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}
