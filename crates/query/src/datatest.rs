//! Data tests in the spirit of dbt, declared next to the models: `pipelines/models/<model>.toml`
//! for a mart, `pipelines/sources.toml` for the lake's tables.
//!
//! ```toml
//! [[test]]
//! not_null = ["wave_id", "kommun_kod"]
//! [[test]]
//! unique = ["wave_id", "kommun_kod"]
//! [[test]]
//! accepted_values = { column = "dimension", values = ["all", "track"] }
//! [[test]]
//! relationships = { column = "kommun_kod", to = "municipality", field = "kommun_kod" }
//! [[test]]
//! range = { column = "mean_minutes", min = 0, max = 480 }
//! [[test]]
//! row_count_change = { max_percent = 50 }     # against the last run's count
//! [[test]]
//! freshness = { column = "ts", warn_after_days = 3, error_after_days = 14 }
//! severity = "warn"                           # default "error": a failure fails the run
//! ```
//!
//! Each test is a query counting the rows that break it; every result is kept in `lake/_tests`.
//! A test is measured partition by partition and a partition's figure remembered, so a night
//! queries only the partitions whose files changed (`units`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::LakeSession;

mod units;
pub use units::{TestMemory, UnitCounts};

#[derive(Debug, thiserror::Error)]
pub enum TestFileError {
    #[error("{path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("data tests {path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    pub column: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relationship {
    pub column: String,
    pub to: String,
    pub field: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub column: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowCountChange {
    pub max_percent: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freshness {
    pub column: String,
    pub warn_after_days: Option<f64>,
    pub error_after_days: Option<f64>,
}

/// One `[[test]]`: exactly one kind, and a severity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    not_null: Option<Vec<String>>,
    unique: Option<Vec<String>>,
    accepted_values: Option<Accepted>,
    relationships: Option<Relationship>,
    range: Option<Range>,
    row_count_change: Option<RowCountChange>,
    freshness: Option<Freshness>,
    #[serde(default = "error")]
    severity: String,
}

fn error() -> String {
    "error".into()
}

#[derive(Debug, Clone)]
pub enum Kind {
    NotNull(String),
    Unique(Vec<String>),
    AcceptedValues(Accepted),
    Relationships(Relationship),
    Range(Range),
    RowCountChange(RowCountChange),
    Freshness(Freshness),
}

#[derive(Debug, Clone)]
pub struct DataTest {
    pub target: String,
    pub kind: Kind,
    /// "error" or "warn".
    pub severity: String,
}

impl DataTest {
    /// The test's name as results show it: `unique(wave_id, kommun_kod)`.
    pub fn name(&self) -> String {
        match &self.kind {
            Kind::NotNull(c) => format!("not_null({c})"),
            Kind::Unique(cs) => format!("unique({})", cs.join(", ")),
            Kind::AcceptedValues(a) => format!("accepted_values({})", a.column),
            Kind::Relationships(r) => format!("relationships({} → {}.{})", r.column, r.to, r.field),
            Kind::Range(r) => format!("range({})", r.column),
            Kind::RowCountChange(_) => "row_count_change".into(),
            Kind::Freshness(f) => format!("freshness({})", f.column),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    #[serde(default)]
    test: Vec<RawTest>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesFile {
    #[serde(default)]
    source: Vec<SourceEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceEntry {
    table: String,
    #[serde(default)]
    test: Vec<RawTest>,
}

fn ident_ok(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn convert(target: &str, raw: Vec<RawTest>, path: &Path) -> Result<Vec<DataTest>, TestFileError> {
    let bad = |problem: String| TestFileError::Invalid {
        path: path.to_path_buf(),
        problem,
    };
    let mut out = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        if t.severity != "error" && t.severity != "warn" {
            return Err(bad(format!(
                "test {}: severity is error or warn, not '{}'",
                i + 1,
                t.severity
            )));
        }
        let mut kinds: Vec<Kind> = Vec::new();
        if let Some(cs) = t.not_null {
            kinds.extend(cs.into_iter().map(Kind::NotNull));
        }
        kinds.extend(t.unique.map(Kind::Unique));
        kinds.extend(t.accepted_values.map(Kind::AcceptedValues));
        kinds.extend(t.relationships.map(Kind::Relationships));
        kinds.extend(t.range.map(Kind::Range));
        kinds.extend(t.row_count_change.map(Kind::RowCountChange));
        kinds.extend(t.freshness.map(Kind::Freshness));
        if kinds.is_empty() {
            return Err(bad(format!("test {} says nothing to check", i + 1)));
        }
        for k in kinds {
            let columns: Vec<&str> = match &k {
                Kind::NotNull(c) => vec![c],
                Kind::Unique(cs) => cs.iter().map(String::as_str).collect(),
                Kind::AcceptedValues(a) => vec![&a.column],
                Kind::Relationships(r) => vec![&r.column, &r.to, &r.field],
                Kind::Range(r) => vec![&r.column],
                Kind::RowCountChange(_) => vec![],
                Kind::Freshness(f) => vec![&f.column],
            };
            if let Some(c) = columns.iter().find(|c| !ident_ok(c)) {
                return Err(bad(format!(
                    "test {}: '{c}' is not a column or table name",
                    i + 1
                )));
            }
            out.push(DataTest {
                target: target.to_string(),
                kind: k,
                severity: t.severity.clone(),
            });
        }
    }
    Ok(out)
}

fn read(path: &Path) -> Result<String, TestFileError> {
    std::fs::read_to_string(path).map_err(|source| TestFileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The tests of every model (`<model>.toml` beside `<model>.sql`) and of the sources file.
pub fn load_tests(
    models_dir: &Path,
    model_names: &[String],
    sources: Option<&Path>,
) -> Result<Vec<DataTest>, TestFileError> {
    let mut out = Vec::new();
    for name in model_names {
        let p = models_dir.join(format!("{name}.toml"));
        if p.exists() {
            let f: ModelFile = toml::from_str(&read(&p)?).map_err(|e| TestFileError::Invalid {
                path: p.clone(),
                problem: e.to_string(),
            })?;
            out.extend(convert(name, f.test, &p)?);
        }
    }
    if let Some(p) = sources {
        let f: SourcesFile = toml::from_str(&read(p)?).map_err(|e| TestFileError::Invalid {
            path: p.to_path_buf(),
            problem: e.to_string(),
        })?;
        for s in f.source {
            out.extend(convert(&s.table, s.test, p)?);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    pub target: String,
    pub test: String,
    pub severity: String,
    /// "pass", "fail" or "error".
    pub status: String,
    pub failing_rows: Option<i64>,
    pub observed: Option<f64>,
    pub message: Option<String>,
}

impl TestResult {
    /// A failure that should fail the run.
    pub fn is_error(&self) -> bool {
        self.status != "pass" && self.severity == "error"
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The SQL counting a test's failing rows over the whole table (not for row counts and
/// freshness), for the reader to run.
fn failing_sql(t: &DataTest) -> Option<String> {
    match t.kind {
        Kind::RowCountChange(_) | Kind::Freshness(_) => None,
        _ => units::unit_sql(t, &[], None),
    }
}

/// What [`run_tests`] gives: each test's result, and what it measured for the next run.
#[derive(Debug, Clone, Default)]
pub struct TestRun {
    pub results: Vec<TestResult>,
    /// For the next run's [`run_tests`].
    pub memory: TestMemory,
    pub units: UnitCounts,
}

/// Runs every test. `previous` holds the last run's row count per target, for row-count change;
/// `earlier` what earlier runs of the same `program` measured, unit by unit (see [`units`]).
pub async fn run_tests(
    session: &LakeSession,
    tests: &[DataTest],
    previous: &BTreeMap<String, f64>,
    now: DateTime<Utc>,
    program: &str,
    earlier: &TestMemory,
) -> TestRun {
    let mut run = TestRun::default();
    let mut listed = units::Listings::default();
    for t in tests {
        let mut r = TestResult {
            target: t.target.clone(),
            test: t.name(),
            severity: t.severity.clone(),
            status: "pass".into(),
            failing_rows: None,
            observed: None,
            message: None,
        };
        if !session.tables().iter().any(|n| n == &t.target) {
            r.status = "error".into();
            r.message = Some(format!("there is no table or mart '{}'", t.target));
            run.results.push(r);
            continue;
        }
        match units::measure(
            session,
            t,
            program,
            earlier,
            &mut run.memory,
            &mut run.units,
            &mut listed,
        )
        .await
        {
            Ok(figure) => judge(t, figure, previous, now, &mut r),
            Err(e) => {
                r.status = "error".into();
                r.message = Some(e.to_string());
            }
        }
        run.results.push(r);
    }
    run
}

/// Fills in a test's result from its figure ([`units::measure`]).
fn judge(
    t: &DataTest,
    figure: Option<f64>,
    previous: &BTreeMap<String, f64>,
    now: DateTime<Utc>,
    r: &mut TestResult,
) {
    match &t.kind {
        Kind::RowCountChange(c) => {
            let n = figure.unwrap_or(0.0);
            r.observed = Some(n);
            if let Some(&before) = previous.get(&t.target) {
                let change = if before == 0.0 {
                    if n == 0.0 { 0.0 } else { f64::INFINITY }
                } else {
                    (n - before).abs() / before * 100.0
                };
                if change > c.max_percent {
                    r.status = "fail".into();
                    r.message = Some(format!(
                        "{n} rows against {before} in the last run: a change of {change:.0} %, more than {} %",
                        c.max_percent
                    ));
                }
            }
        }
        Kind::Freshness(f) => match figure {
            None => {
                r.status = "fail".into();
                r.message = Some("the table has no rows".into());
            }
            Some(micros) => {
                let days = (now.timestamp_micros() as f64 - micros) / 86_400e6;
                r.observed = Some((days * 100.0).round() / 100.0);
                let over = |limit: Option<f64>| limit.is_some_and(|l| days > l);
                if over(f.error_after_days) || over(f.warn_after_days) {
                    r.status = "fail".into();
                    if !over(f.error_after_days) {
                        r.severity = "warn".into();
                    }
                    r.message = Some(format!("the newest {} is {days:.1} days old", f.column));
                }
            }
        },
        _ => {
            // The whole table's query, for the reader to run: the figure came unit by unit.
            if let (Some(sql), Some(n)) = (failing_sql(t), figure) {
                let n = n as i64;
                r.failing_rows = Some(n);
                if n > 0 {
                    r.status = "fail".into();
                    r.message = Some(format!("{n} row(s) fail: {sql}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_file_becomes_one_test_per_check_and_bad_ones_are_refused() {
        let p = Path::new("m.toml");
        let f: ModelFile = toml::from_str(
            "[[test]]\nnot_null = ['a', 'b']\n[[test]]\nunique = ['a', 'b']\nseverity = 'warn'\n",
        )
        .unwrap();
        let t = convert("m", f.test, p).unwrap();
        let names: Vec<String> = t.iter().map(DataTest::name).collect();
        assert_eq!(names, ["not_null(a)", "not_null(b)", "unique(a, b)"]);
        assert_eq!(t[2].severity, "warn");
        let f: ModelFile = toml::from_str("[[test]]\nnot_null = ['a; DROP']\n").unwrap();
        assert!(
            convert("m", f.test, p)
                .unwrap_err()
                .to_string()
                .contains("not a column")
        );
        let f: ModelFile = toml::from_str("[[test]]\nseverity = 'warn'\n").unwrap();
        assert!(
            convert("m", f.test, p)
                .unwrap_err()
                .to_string()
                .contains("nothing to check")
        );
        assert!(toml::from_str::<ModelFile>("[[test]]\nnot_nul = ['a']\n").is_err());
    }
}
