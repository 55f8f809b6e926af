//! What each role sees: a session per connection holding only the role's tables, so a table
//! outside the role is not hidden but absent (not in `\d`, not in information_schema or
//! pg_catalog, "relation does not exist" when named).

use std::sync::Arc;

use datafusion::prelude::SessionContext;
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;
use friktion_lake::Lake;
use friktion_query::{LakeSession, SessionOptions, TableKind};

use crate::{Role, ServeConfig, ServeError};

impl Role {
    /// The disclosure rules: the published tables are the same cells the reports show; every
    /// mart and the pseudonymised tables are for researchers; the quarantine keeps raw input
    /// text and is for analysts.
    pub fn sees(self, t: TableKind) -> bool {
        match (self, t) {
            (Role::Analyst, _) => true,
            (Role::Researcher, TableKind::Lake(t)) => !t.holds_raw_input(),
            (Role::Researcher, _) => true,
            (Role::Public, TableKind::Published(_)) => true,
            (Role::Public, _) => false,
        }
    }
}

/// A session over the lake as it is now, with the role's tables and the Postgres catalog
/// clients read: built once per role and commit, shared by the role's connections.
pub async fn context(
    lake: &Lake,
    role: Role,
    config: &ServeConfig,
) -> Result<SessionContext, ServeError> {
    let opts = SessionOptions {
        memory_limit_bytes: config.query_memory_mib << 20,
        target_partitions: config.query_threads,
    };
    let engine = config.engine.context(&opts).await?;
    let session =
        LakeSession::with_tables(engine, lake, opts.memory_limit_bytes, |t| role.sees(t)).await?;
    let ctx = session.context().clone();
    let catalog = ctx
        .copied_config()
        .options()
        .catalog
        .default_catalog
        .clone();
    setup_pg_catalog(&ctx, &catalog, EmptyContextProvider).map_err(|e| ServeError::Catalog(*e))?;
    ctx.register_udf(version());
    ctx.register_udf(to_regtype());
    Ok(ctx)
}

/// `version()` as PostgreSQL words it: clients (SQLAlchemy, DBeaver) read the server's major
/// version from it to pick their SQL. 16, as the protocol layer announces in server_version.
fn version() -> datafusion::logical_expr::ScalarUDF {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
    use datafusion::scalar::ScalarValue;
    let text = format!(
        "PostgreSQL 16.6 (friktion serve {}, Apache DataFusion {})",
        env!("CARGO_PKG_VERSION"),
        datafusion::DATAFUSION_VERSION
    );
    create_udf(
        "version",
        vec![],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(move |_| Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text.clone()))))),
    )
}

/// `to_regtype(name)`: the server has PostgreSQL's built-in types only, so no name it is asked
/// for is an extension type (hstore, …), which is what clients (psycopg's TypeInfo.fetch, under
/// SQLAlchemy) ask it: NULL.
fn to_regtype() -> datafusion::logical_expr::ScalarUDF {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
    use datafusion::scalar::ScalarValue;
    create_udf(
        "to_regtype",
        vec![DataType::Utf8],
        DataType::Int32,
        Volatility::Immutable,
        Arc::new(|_| Ok(ColumnarValue::Scalar(ScalarValue::Int32(None)))),
    )
}

/// A connection's own session on a role's shared one: the same tables and functions, and a
/// memory pool of its own. A connection runs one query at a time, so the pool bounds each
/// query.
pub fn for_connection(
    base: &SessionContext,
    config: &ServeConfig,
) -> Result<SessionContext, ServeError> {
    // A pool of its own, and the role's object stores (a lake on object storage's bucket).
    let runtime = friktion_query::runtime_builder(&SessionOptions {
        memory_limit_bytes: config.query_memory_mib << 20,
        target_partitions: config.query_threads,
    })
    .with_object_store_registry(base.runtime_env().object_store_registry.clone())
    .build_arc()
    .map_err(friktion_query::QueryError::from)?;
    let state = datafusion::execution::SessionStateBuilder::new_from_existing(base.state())
        .with_runtime_env(runtime)
        .build();
    Ok(SessionContext::new_with_state(state))
}

/// An empty session, for a connection that has not logged in yet.
pub fn empty() -> Arc<SessionContext> {
    Arc::new(SessionContext::new())
}
