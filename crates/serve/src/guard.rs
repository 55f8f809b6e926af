//! Queries only, over the wire: the first hook every statement meets. What a client may send
//! is decided on the parsed statement (queries, EXPLAIN, SHOW, transactions and cursors, which
//! change nothing, and the few SET commands clients send at connect); anything else is
//! refused before it is planned. A query is then planned here and checked again on its plan
//! with DataFusion's `SQLOptions` (no DDL, no DML, no statements), so a write can get through
//! neither the parser's nor the planner's door. Tables outside the user's role are simply not
//! in the session; a name that is one of them, or none at all, is "relation does not exist".

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::ParamValues;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{Set, Statement};
use datafusion_postgres::QueryHook;
use datafusion_postgres::arrow_pg::datatypes::df::encode_dataframe;
use datafusion_postgres::hooks::HookClient;
use pgwire::api::ClientInfo;
use pgwire::api::portal::Format;
use pgwire::api::results::{Response, Tag};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::types::format::FormatOptions;

/// SQLSTATEs of the refusals, so the audit log can tell a refusal from a failure.
pub mod sqlstate {
    /// A write on a read-only server.
    pub const READ_ONLY: &str = "25006";
    /// A setting the server fixes.
    pub const FIXED_SETTING: &str = "55P02";
    /// A file path instead of a table.
    pub const PRIVILEGE: &str = "42501";
    pub const NO_SUCH_RELATION: &str = "42P01";
    pub const TOO_MANY: &str = "53300";
    pub const CANCELED: &str = "57014";
    pub const OUT_OF_MEMORY: &str = "53200";
    pub const REFUSALS: [&str; 5] = [
        READ_ONLY,
        FIXED_SETTING,
        PRIVILEGE,
        NO_SUCH_RELATION,
        TOO_MANY,
    ];
}

pub fn error(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        code.into(),
        message.into(),
    )))
}

/// What clients set at connect and while they work (psql, psycopg, JDBC/DBeaver, R's DBI):
/// presentation only. The engine's own settings (`datafusion.*`) stay as the server set them.
const CLIENT_SETTINGS: [&str; 12] = [
    "application_name",
    "client_encoding",
    "datestyle",
    "extra_float_digits",
    "intervalstyle",
    "bytea_output",
    "search_path",
    "statement_timeout",
    "timezone",
    "client_min_messages",
    "standard_conforming_strings",
    "lc_messages",
];

/// The statement's first words, for a refusal ("DROP TABLE").
fn head(s: &Statement, words: usize) -> String {
    s.to_string()
        .split_whitespace()
        .take(words)
        .map(str::to_uppercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Savepoints, which clients (psycopg, SQLAlchemy) wrap around statements: on a read-only
/// server there is nothing to keep or roll back, so they are acknowledged and that is all.
fn savepoint_tag(s: &Statement) -> Option<&'static str> {
    match s {
        Statement::Savepoint { .. } => Some("SAVEPOINT"),
        Statement::ReleaseSavepoint { .. } => Some("RELEASE"),
        Statement::Rollback {
            savepoint: Some(_), ..
        } => Some("ROLLBACK"),
        _ => None,
    }
}

fn nothing() -> LogicalPlan {
    LogicalPlan::EmptyRelation(datafusion::logical_expr::EmptyRelation {
        produce_one_row: false,
        schema: Arc::new(datafusion::common::DFSchema::empty()),
    })
}

/// How a statement is treated.
enum Kind {
    /// Planned and checked here.
    Query,
    /// Left to the protocol's own hooks (SHOW, SET of a client setting, transactions,
    /// cursors): none of them reads or writes the lake.
    Harmless,
}

fn classify(s: &Statement) -> PgWireResult<Kind> {
    use sqlstate::*;
    let read_only = |words, why: &str| {
        Err(error(
            READ_ONLY,
            format!(
                "friktion serve is read-only: {} is refused ({why})",
                head(s, words)
            ),
        ))
    };
    match s {
        Statement::Query(_) | Statement::Explain { .. } => Ok(Kind::Query),
        Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Declare { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Deallocate { .. }
        | Statement::Discard { .. } => Ok(Kind::Harmless),
        Statement::Set(set) => match set {
            Set::SingleAssignment { variable, .. }
                if CLIENT_SETTINGS.contains(&variable.to_string().to_lowercase().as_str()) =>
            {
                Ok(Kind::Harmless)
            }
            Set::SetTimeZone { .. } | Set::SetNames { .. } | Set::SetNamesDefault {} => {
                Ok(Kind::Harmless)
            }
            Set::SetTransaction { .. } => Ok(Kind::Harmless),
            _ => Err(error(
                FIXED_SETTING,
                format!(
                    "{s} is refused: the server fixes the engine's settings, its memory limit \
                     and timeout; clients may set only {}",
                    CLIENT_SETTINGS.join(", ")
                ),
            )),
        },
        Statement::Copy { to: false, .. } => {
            read_only(2, "the lake is written only by `friktion run`")
        }
        Statement::Copy { .. } => read_only(
            1,
            "COPY writes files on the server; fetch the rows with SELECT, or with psql's \\copy",
        ),
        Statement::Insert(_)
        | Statement::Update { .. }
        | Statement::Delete(_)
        | Statement::Merge { .. } => read_only(1, "the lake is written only by `friktion run`"),
        Statement::CreateTable(t) if t.location.is_some() => read_only(
            3,
            "it would read files outside the lake; the lake's tables are already here",
        ),
        _ => read_only(2, "the lake is written only by `friktion run`"),
    }
}

/// A name the planner could not find, said as PostgreSQL says it; other errors as they are.
fn planning_error(e: DataFusionError) -> PgWireError {
    let text = e.find_root().to_string();
    if let Some(rest) = text.split("table '").nth(1)
        && let Some((name, tail)) = rest.split_once('\'')
        && tail.trim_start().starts_with("not found")
    {
        let short = name.rsplit('.').next().unwrap_or(name);
        return error(
            sqlstate::NO_SUCH_RELATION,
            format!("relation \"{short}\" does not exist"),
        );
    }
    PgWireError::ApiError(Box::new(e))
}

/// Plans a query in the user's session, refusing file paths by name first, and checks the plan.
pub(crate) async fn plan(statement: &Statement, ctx: &SessionContext) -> PgWireResult<LogicalPlan> {
    let state = ctx.state();
    let statement = DFStatement::Statement(Box::new(statement.clone()));
    for r in state
        .resolve_table_references(&statement)
        .map_err(planning_error)?
    {
        if friktion_query::guard::looks_like_a_path(r.table()) {
            return Err(error(
                sqlstate::PRIVILEGE,
                format!(
                    "'{}' is a file path: friktion serve reads only the lake's tables",
                    r.table()
                ),
            ));
        }
    }
    let plan = state
        .statement_to_plan(statement)
        .await
        .map_err(planning_error)?;
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(&plan)
        .map_err(|e| {
            error(
                sqlstate::READ_ONLY,
                format!("friktion serve is read-only: {}", e.find_root()),
            )
        })?;
    Ok(plan)
}

/// The hook; put it first.
#[derive(Debug, Default)]
pub struct ReadOnly;

#[async_trait]
impl QueryHook for ReadOnly {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        if let Some(tag) = savepoint_tag(statement) {
            return Some(Ok(Response::Execution(Tag::new(tag))));
        }
        if let Some(copy) = crate::copy::to_stdout(statement) {
            return Some(match copy {
                Ok(copy) => crate::copy::run(copy, ctx).await,
                Err(e) => Err(e),
            });
        }
        match classify(statement) {
            Err(e) => Some(Err(e)),
            Ok(Kind::Harmless) => None,
            Ok(Kind::Query) => Some(
                async {
                    let plan = plan(statement, ctx).await?;
                    let df = DataFrame::new(ctx.state(), plan);
                    let opts = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
                    Ok(Response::Query(
                        encode_dataframe(df, &Format::UnifiedText, Some(opts)).await?,
                    ))
                }
                .await,
            ),
        }
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        if savepoint_tag(statement).is_some() {
            return Some(Ok(nothing()));
        }
        match classify(statement) {
            Err(e) => Some(Err(e)),
            Ok(Kind::Harmless) => None,
            Ok(Kind::Query) => Some(plan(statement, ctx).await),
        }
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        // Everything else was checked when it was parsed: only a plan that passed gets here.
        savepoint_tag(statement).map(|tag| Ok(Response::Execution(Tag::new(tag))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

    fn kind(sql: &str) -> Result<&'static str, String> {
        let s = PostgresCompatibilityParser::new()
            .parse(sql)
            .unwrap()
            .remove(0);
        match classify(&s) {
            Ok(Kind::Query) => Ok("query"),
            Ok(Kind::Harmless) => Ok("harmless"),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn writes_and_engine_settings_are_refused_and_client_settings_pass() {
        for sql in [
            "DROP TABLE survey_response",
            "CREATE TABLE x (a int)",
            "INSERT INTO municipality VALUES (1)",
            "DELETE FROM municipality",
            "COPY municipality FROM '/tmp/x.csv'",
            "COPY (SELECT 1) TO '/tmp/out.csv'",
            "SET datafusion.execution.target_partitions = 64",
        ] {
            assert!(kind(sql).is_err(), "{sql} passed");
        }
        for sql in [
            "SET application_name = 'DBeaver'",
            "SET extra_float_digits = 3",
            "SET TIME ZONE 'UTC'",
            "BEGIN",
            "SHOW search_path",
        ] {
            assert_eq!(kind(sql), Ok("harmless"), "{sql}");
        }
        assert_eq!(kind("SELECT 1"), Ok("query"));
    }
}
