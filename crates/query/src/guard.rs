//! Queries only: what researchers may run through `friktion sql` (and later the Postgres wire).
//!
//! A statement is parsed and classified before anything is planned: SELECT, WITH, VALUES,
//! EXPLAIN of those, SHOW TABLES and SHOW COLUMNS pass; DDL (CREATE EXTERNAL TABLE, CREATE
//! VIEW, DROP), DML (INSERT, UPDATE, DELETE), COPY … TO and SET are refused with a message that
//! says so. Every table a query names must be a lake table or mart: a file path is refused
//! before DataFusion could be asked to read it (URL tables also stay off in the session). The
//! planned query is checked once more with DataFusion's own `SQLOptions`.

use datafusion::dataframe::DataFrame;
use datafusion::execution::context::SQLOptions;
use datafusion::sql::parser::{DFParserBuilder, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::Statement;

use crate::{LakeSession, QueryError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("friktion sql runs queries only: {what} is refused ({why})")]
    NotAQuery { what: String, why: &'static str },
    #[error(
        "'{0}' is a file path: friktion sql reads only the lake's tables and marts (\\d lists them)"
    )]
    FilePath(String),
    #[error("there is no table '{name}' in the lake (\\d lists the tables and marts)")]
    UnknownTable { name: String },
    #[error("no SQL statement was given")]
    Empty,
}

/// The words a refused statement starts with, for the message ("CREATE EXTERNAL TABLE").
fn head(stmt: &str, words: usize) -> String {
    stmt.split_whitespace()
        .take(words)
        .map(str::to_uppercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn classify(s: &DFStatement) -> Result<(), Refusal> {
    let refuse = |words: usize, why: &'static str| {
        Err(Refusal::NotAQuery {
            what: head(&s.to_string(), words),
            why,
        })
    };
    match s {
        DFStatement::Statement(inner) => match inner.as_ref() {
            Statement::Query(_) | Statement::ShowTables { .. } | Statement::ShowColumns { .. } => {
                Ok(())
            }
            Statement::Explain { statement, .. } => {
                classify(&DFStatement::Statement(statement.clone()))
            }
            Statement::Set(_) => refuse(
                1,
                "the session's settings, memory limit and timeout are fixed",
            ),
            Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Merge { .. } => refuse(1, "the lake is written only by `friktion run`"),
            Statement::Copy { .. } => refuse(
                1,
                "write results with --format csv|json|parquet and --output",
            ),
            _ => refuse(2, "the lake is written only by `friktion run`"),
        },
        DFStatement::CreateExternalTable(_) => refuse(
            3,
            "it would read files outside the lake; the lake's tables and marts are already there",
        ),
        DFStatement::CopyTo(_) => Err(Refusal::NotAQuery {
            what: "COPY … TO".into(),
            why: "write results with --format csv|json|parquet and --output",
        }),
        DFStatement::Explain(e) => classify(&e.statement),
        DFStatement::Reset(_) => refuse(1, "the session's settings are fixed"),
    }
}

/// A name a user meant as a file rather than a table.
pub fn looks_like_a_path(name: &str) -> bool {
    name.contains('/')
        || name.contains('\\')
        || name.contains("://")
        || [
            ".csv", ".parquet", ".json", ".ndjson", ".txt", ".tsv", ".avro", ".arrow",
        ]
        .iter()
        .any(|ext| name.to_lowercase().ends_with(ext))
}

impl LakeSession {
    /// The statements of a script (the shell and `-f` run several), parsed, not yet checked.
    pub fn parse(&self, sql: &str) -> Result<Vec<DFStatement>, QueryError> {
        Ok(DFParserBuilder::new(sql)
            .build()?
            .parse_statements()?
            .into())
    }

    /// Plans one statement if it is a query over the lake's tables, or says why not.
    pub async fn safe_query(&self, sql: &str) -> Result<DataFrame, QueryError> {
        let mut statements = self.parse(sql)?;
        if statements.len() > 1 {
            return Err(QueryError::Refused(Refusal::NotAQuery {
                what: "more than one statement".into(),
                why: "run them one at a time",
            }));
        }
        let statement = statements
            .pop()
            .ok_or(QueryError::Refused(Refusal::Empty))?;
        self.safe_statement(statement).await
    }

    /// Plans a parsed statement if it is a query over the lake's tables, or says why not.
    pub async fn safe_statement(&self, statement: DFStatement) -> Result<DataFrame, QueryError> {
        let state = self.context().state();
        classify(&statement).map_err(QueryError::Refused)?;
        for r in state.resolve_table_references(&statement)? {
            let name = r.table().to_string();
            if self.context().table_exist(r.clone())? {
                continue;
            }
            // information_schema's views are there when the schema is named.
            if r.schema() == Some("information_schema") {
                continue;
            }
            return Err(QueryError::Refused(if looks_like_a_path(&name) {
                Refusal::FilePath(name)
            } else {
                Refusal::UnknownTable {
                    name: r.to_string(),
                }
            }));
        }
        let plan = state.statement_to_plan(statement).await?;
        SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false)
            .verify_plan(&plan)?;
        Ok(DataFrame::new(state, plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_told_from_table_names() {
        for p in [
            "/etc/passwd",
            "data.csv",
            "s3://bucket/x",
            "C:\\x",
            "x.parquet",
        ] {
            assert!(looks_like_a_path(p), "{p}");
        }
        for t in ["survey_response", "friction_by_kommun", "it_event"] {
            assert!(!looks_like_a_path(t), "{t}");
        }
    }
}
