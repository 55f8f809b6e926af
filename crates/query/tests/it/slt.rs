use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use friktion_core::LakeTable;
use friktion_query::{Model, config, evaluate, load_models, register_functions};
use sqllogictest::{DBOutput, DefaultColumnType};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Debug)]
struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

struct ModelDb {
    ctx: SessionContext,
    rt: tokio::runtime::Runtime,
    models: BTreeMap<String, Model>,
    loaded: Vec<String>,
}

impl ModelDb {
    fn new() -> Self {
        // Two partitions, as on the machines that run the pipeline; results must not depend on it.
        let ctx = SessionContext::new_with_config(config(2));
        register_functions(&ctx);
        for t in LakeTable::ALL {
            let def = t.def();
            let table = MemTable::try_new(def.schema(), vec![vec![]]).unwrap();
            ctx.register_table(def.name, Arc::new(table)).unwrap();
        }
        let models = load_models(&workspace().join("pipelines/models"))
            .unwrap()
            .into_iter()
            .map(|m| (m.name.clone(), m))
            .collect();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        Self {
            ctx,
            rt,
            models,
            loaded: vec![],
        }
    }

    /// Evaluates a model, after the models it reads, and registers its rows under its name.
    fn load(&mut self, name: &str) -> Result<u64, Error> {
        if self.loaded.iter().any(|l| l == name) {
            return Ok(0);
        }
        let m = self
            .models
            .get(name)
            .cloned()
            .ok_or_else(|| Error(format!("no model {name} in pipelines/models")))?;
        for d in &m.depends_on {
            self.load(d)?;
        }
        let batch = self
            .rt
            .block_on(evaluate(&self.ctx, &m))
            .map_err(|e| Error(format!("model {name}: {e}")))?;
        let rows = batch.num_rows() as u64;
        let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
        self.ctx.deregister_table(name).unwrap();
        self.ctx.register_table(name, Arc::new(table)).unwrap();
        self.loaded.push(name.to_string());
        Ok(rows)
    }
}

/// A value as the .slt files pin it. Floats are rounded to 9 decimals: a parallel sum may
/// differ in the last bits from run to run, and no indicator is published to 9 decimals.
fn cell(a: &dyn Array, i: usize) -> String {
    if a.is_null(i) {
        return "NULL".into();
    }
    match a.data_type() {
        DataType::Float64 | DataType::Float32 => {
            let v = arrow::compute::cast(&a.slice(i, 1), &DataType::Float64).unwrap();
            let v = v
                .as_any()
                .downcast_ref::<arrow::array::Float64Array>()
                .unwrap()
                .value(0);
            let s = format!("{v:.9}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".into() } else { s.to_string() }
        }
        _ => {
            let f = ArrayFormatter::try_new(a, &FormatOptions::default()).unwrap();
            let s = f.value(i).to_string();
            if s.is_empty() { "(empty)".into() } else { s }
        }
    }
}

fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            out.push(b.columns().iter().map(|c| cell(c.as_ref(), i)).collect());
        }
    }
    out
}

impl sqllogictest::DB for ModelDb {
    type Error = Error;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, Error> {
        let trimmed = sql.trim();
        if let Some(name) = trimmed.strip_prefix("LOAD MODEL ") {
            return self.load(name.trim()).map(DBOutput::StatementComplete);
        }
        let first = trimmed
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_uppercase();
        let batches = self
            .rt
            .block_on(async { self.ctx.sql(sql).await?.collect().await })
            .map_err(|e| Error(e.to_string()))?;
        if matches!(first.as_str(), "SELECT" | "WITH" | "VALUES") {
            let width = batches.first().map_or(0, |b| b.num_columns());
            Ok(DBOutput::Rows {
                types: vec![DefaultColumnType::Any; width],
                rows: rows(&batches),
            })
        } else {
            Ok(DBOutput::StatementComplete(0))
        }
    }
}

fn slt_files() -> Vec<PathBuf> {
    let dir = workspace().join("pipelines/tests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    files
}

fn run_file(path: &Path) -> Result<(), String> {
    let mut runner = sqllogictest::Runner::new(|| async { Ok(ModelDb::new()) });
    runner
        .run_file(path)
        .map_err(|e| e.display(false).to_string())
}

#[test]
fn every_model_is_pinned_by_an_slt_file_and_every_file_passes() {
    let files = slt_files();
    let mut failures = Vec::new();
    for f in &files {
        if let Err(e) = run_file(f) {
            failures.push(format!("{}:\n{e}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Every model is loaded by some file.
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let models = load_models(&workspace().join("pipelines/models")).unwrap();
    let unpinned: Vec<&str> = models
        .iter()
        .map(|m| m.name.as_str())
        .filter(|n| !text.contains(&format!("LOAD MODEL {n}\n")))
        .collect();
    assert!(
        unpinned.is_empty(),
        "models without an .slt file: {unpinned:?}"
    );
}

#[test]
fn a_changed_model_output_fails_its_file() {
    // The same check against a pinned result that is off by one row value.
    let dir = std::env::temp_dir().join(format!("friktion-slt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("changed.slt");
    std::fs::write(
        &f,
        "statement ok\nINSERT INTO key_factor VALUES ('a', 1, 'A', 'A', 'd', 'd', NULL, NULL, NULL, NULL)\n\n\
         query TI\nSELECT factor_id, position FROM key_factor\n----\na 2\n",
    )
    .unwrap();
    let e = run_file(&f).unwrap_err();
    assert!(e.contains("query result mismatch"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
