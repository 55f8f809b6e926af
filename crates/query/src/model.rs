//! SQL models: `pipelines/models/<name>.sql`, each a SELECT whose result becomes the mart
//! `lake/marts/<name>/`.
//!
//! A model starts with a header of `-- key: value` lines (name, description, unit, grain).
//! Dependencies are read from the SQL itself: a model that names another model as a table runs
//! after it. Each mart is committed atomically as one sorted file, so identical inputs give
//! byte-identical marts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use friktion_lake::Lake;

use crate::{LakeSession, QueryError};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read models in {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: header line '-- {key}: …' is missing (every model states name, description, unit and grain)"
    )]
    MissingHeader { path: PathBuf, key: &'static str },
    #[error("{path}: the header names the model '{name}', but the file is {stem}.sql")]
    NameMismatch {
        path: PathBuf,
        name: String,
        stem: String,
    },
    #[error("models depend on each other in a cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
    #[error("model {name} ({path}) failed")]
    Run {
        name: String,
        path: PathBuf,
        source: Box<QueryError>,
    },
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub description: String,
    pub unit: String,
    pub grain: String,
    pub sql: String,
    pub path: PathBuf,
    pub depends_on: Vec<String>,
}

/// What one model produced.
#[derive(Debug, Clone)]
pub struct ModelRun {
    pub name: String,
    pub rows: usize,
    pub columns: Vec<String>,
}

fn header(sql: &str, key: &str) -> Option<String> {
    sql.lines()
        .take_while(|l| l.trim_start().starts_with("--") || l.trim().is_empty())
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .filter_map(|l| {
            l.trim()
                .strip_prefix(key)?
                .strip_prefix(':')
                .map(|v| v.trim().to_string())
        })
        .next()
}

fn parse(path: &Path) -> Result<Model, ModelError> {
    let sql = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let need = |key: &'static str| {
        header(&sql, key).ok_or(ModelError::MissingHeader {
            path: path.to_path_buf(),
            key,
        })
    };
    let name = need("name")?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name != stem {
        return Err(ModelError::NameMismatch {
            path: path.to_path_buf(),
            name,
            stem,
        });
    }
    Ok(Model {
        description: need("description")?,
        unit: need("unit")?,
        grain: need("grain")?,
        name,
        sql,
        path: path.to_path_buf(),
        depends_on: vec![],
    })
}

/// Identifiers in the SQL, outside comments and string literals.
fn identifiers(sql: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in sql.lines() {
        let code = line.split("--").next().unwrap_or("");
        let mut in_str = false;
        let mut word = String::new();
        for c in code.chars().chain(std::iter::once(' ')) {
            if c == '\'' {
                in_str = !in_str;
            }
            if !in_str && (c.is_alphanumeric() || c == '_') {
                word.push(c.to_ascii_lowercase());
            } else if !word.is_empty() {
                out.insert(std::mem::take(&mut word));
            }
        }
    }
    out
}

/// Every model in `dir`, in an order where each runs after the models it reads.
pub fn load_models(dir: &Path) -> Result<Vec<Model>, ModelError> {
    let io = |source| ModelError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    paths.sort();
    let mut models: BTreeMap<String, Model> = BTreeMap::new();
    for p in paths {
        let m = parse(&p)?;
        models.insert(m.name.clone(), m);
    }
    let names: BTreeSet<String> = models.keys().cloned().collect();
    for m in models.values_mut() {
        let ids = identifiers(&m.sql);
        m.depends_on = names
            .iter()
            .filter(|n| **n != m.name && ids.contains(n.as_str()))
            .cloned()
            .collect();
    }
    // Depth-first topological order; the path so far detects cycles.
    let mut order = Vec::new();
    let mut done = BTreeSet::new();
    fn visit(
        n: &str,
        models: &BTreeMap<String, Model>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
        order: &mut Vec<String>,
    ) -> Result<(), ModelError> {
        if done.contains(n) {
            return Ok(());
        }
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut cycle = path[i..].to_vec();
            cycle.push(n.to_string());
            return Err(ModelError::Cycle(cycle));
        }
        path.push(n.to_string());
        for d in &models[n].depends_on {
            visit(d, models, done, path, order)?;
        }
        path.pop();
        done.insert(n.to_string());
        order.push(n.to_string());
        Ok(())
    }
    for n in models.keys() {
        visit(n, &models, &mut done, &mut vec![], &mut order)?;
    }
    Ok(order.into_iter().map(|n| models[&n].clone()).collect())
}

/// A model's rows as one batch, strings plain (see [`plain_strings`]). One batch, one file:
/// a mart's bytes then depend only on its rows, not on how the engine split them.
pub async fn evaluate(
    ctx: &datafusion::prelude::SessionContext,
    m: &Model,
) -> Result<RecordBatch, QueryError> {
    let df = ctx.sql(&m.sql).await?;
    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
    let batches = df
        .collect()
        .await?
        .iter()
        .map(|b| plain_strings(&schema, b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(datafusion::error::DataFusionError::from)?;
    Ok(concat_batches(&schema, &batches).map_err(datafusion::error::DataFusionError::from)?)
}

/// The tables and marts a model's SQL reads (not its CTEs), as DataFusion resolves them before
/// planning: what decides whether a kept mart is still what the model would compute.
pub fn tables_read(
    ctx: &datafusion::prelude::SessionContext,
    m: &Model,
) -> Result<Vec<String>, QueryError> {
    let state = ctx.state();
    let dialect = state.config().options().sql_parser.dialect;
    let statement = state.sql_to_statement(&m.sql, &dialect)?;
    let mut out: Vec<String> = state
        .resolve_table_references(&statement)?
        .iter()
        .map(|r| r.table().to_string())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Runs the models in order, each reading the marts before it as just computed, and
/// commits every mart in one transaction at the end: a run killed half way leaves the previous set whole,
/// never a mix of two generations.
pub async fn run_models(
    session: &mut LakeSession,
    lake: &Lake,
    models: &[Model],
) -> Result<Vec<ModelRun>, QueryError> {
    run_models_keeping(session, lake, models, &BTreeSet::new()).await
}

/// [`run_models`], leaving the marts named in `keep` as they are in the lake (the caller knows
/// nothing they read changed). Nothing is committed when every mart is kept.
pub async fn run_models_keeping(
    session: &mut LakeSession,
    lake: &Lake,
    models: &[Model],
    keep: &BTreeSet<String>,
) -> Result<Vec<ModelRun>, QueryError> {
    let mut runs = Vec::new();
    let mut txn = lake.begin()?;
    for m in models.iter().filter(|m| !keep.contains(&m.name)) {
        let fail = |source: QueryError| ModelError::Run {
            name: m.name.clone(),
            path: m.path.clone(),
            source: Box::new(source),
        };
        let run = async {
            let one = session.bounded(evaluate(session.context(), m)).await?;
            let schema = one.schema();
            txn.write_mart(&m.name, &schema, std::slice::from_ref(&one))?;
            Ok::<_, QueryError>((
                ModelRun {
                    name: m.name.clone(),
                    rows: one.num_rows(),
                    columns: schema.fields().iter().map(|f| f.name().clone()).collect(),
                },
                one,
            ))
        }
        .await
        .map_err(fail)?;
        let staged = txn.staged_mart(&m.name).map_err(|e| fail(e.into()))?;
        session.register_staged(&m.name, staged)?;
        runs.push(run.0);
    }
    if runs.is_empty() {
        return Ok(runs);
    }
    txn.commit()?;
    for r in &runs {
        session.register_mart(&r.name).await?;
    }
    Ok(runs)
}

/// The batch with string views cast to plain strings, as the schema declares: every mart then
/// stores Utf8 whatever plan made it (a union of literals and Parquet strings can yield views
/// under a logical Utf8 type), and readers and later models see one type.
fn plain_strings(
    schema: &arrow::datatypes::SchemaRef,
    b: &RecordBatch,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let cols = b
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c.clone())
            } else {
                arrow::compute::cast(c, f.data_type())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_skip_comments_and_strings() {
        let ids =
            identifiers("-- reads nothing_here\nSELECT a FROM t1 WHERE x = 'not_a_table' -- t2\n");
        assert!(ids.contains("t1") && ids.contains("a"));
        assert!(
            !ids.contains("not_a_table") && !ids.contains("t2") && !ids.contains("nothing_here")
        );
    }

    #[test]
    fn header_values_are_read() {
        let sql = "-- name: m\n-- unit: minutes per day\nSELECT 1";
        assert_eq!(header(sql, "unit").as_deref(), Some("minutes per day"));
        assert_eq!(header(sql, "grain"), None);
    }

    #[test]
    fn models_are_ordered_by_dependency_and_cycles_are_refused() {
        let dir = std::env::temp_dir().join(format!("friktion-models-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let w = |n: &str, from: &str| {
            std::fs::write(
                dir.join(format!("{n}.sql")),
                format!("-- name: {n}\n-- description: d\n-- unit: u\n-- grain: g\nSELECT * FROM {from}\n"),
            )
            .unwrap();
        };
        w("a_mart", "b_base");
        w("b_base", "survey_response");
        let order: Vec<String> = load_models(&dir)
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(order, vec!["b_base", "a_mart"]);
        w("b_base", "a_mart");
        assert!(matches!(load_models(&dir), Err(ModelError::Cycle(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
