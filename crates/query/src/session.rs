//! A DataFusion session over one lake: every lake table and mart registered as a ListingTable
//! over a URL, in a SessionContext the caller may build (a local one by default; a cluster's or
//! one with object storage registered, later), so the same models run wherever the context runs
//! them. No table is ever held in memory by the session.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use friktion_core::LakeTable;
use friktion_lake::Lake;

use crate::QueryError;
use crate::pinned::{PinnedFile, PinnedFiles, PinnedTable};

#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Memory a query may hold before it spills or fails.
    pub memory_limit_bytes: usize,
    pub target_partitions: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            memory_limit_bytes: 2 << 30,
            target_partitions: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// The settings every friktion session shares (the model tests' too).
pub fn config(target_partitions: usize) -> SessionConfig {
    SessionConfig::new()
        .with_target_partitions(target_partitions)
        .with_information_schema(true)
        // Marts read back as plain Utf8, as the lake tables are declared: a model that unions a
        // mart's strings with literals would otherwise mix Utf8View and Utf8.
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        )
}

/// friktion's SQL functions: the survival aggregates.
pub fn register_functions(ctx: &SessionContext) {
    for f in crate::survival::aggregates() {
        ctx.register_udaf(f);
    }
}

/// The runtime of a local session: its memory pool, and no cached file listings.
pub fn runtime(
    opts: &SessionOptions,
) -> Result<Arc<datafusion::execution::runtime_env::RuntimeEnv>, QueryError> {
    Ok(runtime_builder(opts).build_arc()?)
}

/// [`runtime`] before it is built, for a caller that adds to it.
pub fn runtime_builder(opts: &SessionOptions) -> RuntimeEnvBuilder {
    RuntimeEnvBuilder::new()
        .with_memory_limit(opts.memory_limit_bytes, 1.0)
        // DataFusion keeps a table's file listing forever by default; a session must see each
        // commit, and listing a lake directory costs microseconds.
        .with_cache_manager(CacheManagerConfig::default().with_list_files_cache_limit(0))
}

/// The local SessionContext friktion's sessions use: the shared settings, a memory limit, and
/// friktion's SQL functions.
pub fn local_context(opts: &SessionOptions) -> Result<SessionContext, QueryError> {
    let runtime = runtime(opts)?;
    let ctx = SessionContext::new_with_config_rt(config(opts.target_partitions), runtime);
    register_functions(&ctx);
    Ok(ctx)
}

/// The schema the publication's tables are registered in.
pub const PUBLISHED_SCHEMA: &str = "published";

/// A table a session may register, for a caller that shows only some of them.
#[derive(Debug, Clone, Copy)]
pub enum TableKind<'a> {
    Lake(LakeTable),
    Mart(&'a str),
    Published(&'a str),
}

/// A session in which every lake table and every mart is a SQL table, and every published
/// table one in the schema `published`.
pub struct LakeSession {
    ctx: SessionContext,
    lake: Lake,
    tables: Vec<String>,
    memory_limit_bytes: usize,
    /// How long one query of the night may run ([`LakeSession::bounded`]).
    query_timeout: Option<std::time::Duration>,
}

impl LakeSession {
    /// A session on a local context made from `opts`.
    pub async fn open(lake: &Lake, opts: &SessionOptions) -> Result<Self, QueryError> {
        Self::with_context(local_context(opts)?, lake, opts.memory_limit_bytes).await
    }

    /// A session on the caller's context, which must have friktion's functions registered
    /// ([`register_functions`]) for the models that use them. `memory_limit_bytes` is what the
    /// context's runtime allows, for the message when a query runs out of it.
    pub async fn with_context(
        ctx: SessionContext,
        lake: &Lake,
        memory_limit_bytes: usize,
    ) -> Result<Self, QueryError> {
        Self::with_tables(ctx, lake, memory_limit_bytes, |_| true).await
    }

    /// A session with only the tables `visible` admits: the others do not exist in it (the SQL
    /// server's roles).
    pub async fn with_tables(
        ctx: SessionContext,
        lake: &Lake,
        memory_limit_bytes: usize,
        visible: impl Fn(TableKind) -> bool,
    ) -> Result<Self, QueryError> {
        let mut s = Self {
            ctx,
            lake: lake.clone(),
            tables: vec![],
            memory_limit_bytes,
            query_timeout: None,
        };
        // A lake on object storage is read from its bucket by this session's own engine; a
        // cluster's executors reach the bucket with theirs.
        if let Some((bucket, store)) = lake.object_store() {
            s.ctx.register_object_store(&bucket, store);
        }
        for t in LakeTable::ALL {
            if !visible(TableKind::Lake(t)) {
                continue;
            }
            let def = t.def();
            let parts = def
                .partition_cols
                .iter()
                .map(|c| (c.to_string(), DataType::Utf8))
                .collect();
            // A table no source has filled yet lists no files: it is empty, not missing, so a
            // model over it gives no rows instead of failing a run without projects or logs.
            if lake.is_remote() {
                s.register_pinned(def.name, def.name, Some(def.schema()))
                    .await?;
                continue;
            }
            s.register(
                def.name,
                &lake.table_dir(&def),
                parts,
                Some(def.file_schema()),
            )
            .await?;
        }
        for m in lake.marts()? {
            if visible(TableKind::Mart(&m)) {
                s.register_mart(&m).await?;
            }
        }
        s.register_published(&visible).await?;
        Ok(s)
    }

    /// The publication's tables (`lake/published/`, disclosure-protected) as the schema
    /// `published`: `SELECT * FROM published.friction_by_kommun` gives what the report shows.
    async fn register_published(
        &mut self,
        visible: &impl Fn(TableKind) -> bool,
    ) -> Result<(), QueryError> {
        let catalog_name = self
            .ctx
            .copied_config()
            .options()
            .catalog
            .default_catalog
            .clone();
        let Some(catalog) = self.ctx.catalog(&catalog_name) else {
            return Ok(());
        };
        if catalog.schema(PUBLISHED_SCHEMA).is_none() {
            catalog.register_schema(
                PUBLISHED_SCHEMA,
                Arc::new(datafusion::catalog::MemorySchemaProvider::new()),
            )?;
        }
        for name in self.lake.published()? {
            if !visible(TableKind::Published(&name)) {
                continue;
            }
            let reference =
                datafusion::common::TableReference::partial(PUBLISHED_SCHEMA, name.as_str());
            if self.lake.is_remote() {
                self.register_pinned(
                    reference,
                    &format!("{}/{name}", friktion_lake::PUBLISHED),
                    None,
                )
                .await?;
                continue;
            }
            let dir = self.lake.published_dir(&name);
            let opts = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(".parquet");
            let url = format!(
                "{}/",
                std::path::absolute(&dir).unwrap_or(dir.clone()).display()
            );
            let _ = self.ctx.deregister_table(reference.clone())?;
            self.ctx
                .register_listing_table(reference, url, opts, None, None)
                .await?;
            self.tables.push(format!("{PUBLISHED_SCHEMA}.{name}"));
        }
        Ok(())
    }

    async fn register(
        &mut self,
        name: &str,
        dir: &std::path::Path,
        partition_cols: Vec<(String, DataType)>,
        schema: Option<arrow::datatypes::SchemaRef>,
    ) -> Result<(), QueryError> {
        let opts = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(partition_cols);
        let url = format!(
            "{}/",
            std::path::absolute(dir)
                .unwrap_or(dir.to_path_buf())
                .display()
        );
        let _ = self.ctx.deregister_table(name)?;
        self.ctx
            .register_listing_table(name, url, opts, schema, None)
            .await?;
        self.tables.retain(|t| t != name);
        self.tables.push(name.to_string());
        Ok(())
    }

    /// Registers a table of a lake on object storage: the files of the lake version the lake
    /// reads ([`PinnedTable`]), or, when that version has none, an empty table of
    /// `empty_schema`.
    async fn register_pinned(
        &mut self,
        name: impl Into<datafusion::common::TableReference>,
        rel_dir: &str,
        empty_schema: Option<arrow::datatypes::SchemaRef>,
    ) -> Result<(), QueryError> {
        let name = name.into();
        let provider: Arc<dyn datafusion::catalog::TableProvider> =
            match self.lake.table_objects(rel_dir)? {
                Some(t) => Arc::new(pinned_table(t)?),
                None => match empty_schema {
                    Some(schema) => Arc::new(datafusion::datasource::MemTable::try_new(
                        schema,
                        vec![vec![]],
                    )?),
                    None => return Ok(()),
                },
            };
        let _ = self.ctx.deregister_table(name.clone())?;
        self.ctx.register_table(name.clone(), provider)?;
        let shown = name.to_string();
        self.tables.retain(|t| t != &shown);
        self.tables.push(shown);
        Ok(())
    }

    /// Registers a mart a model has just computed, before its transaction commits: later
    /// models read it where the transaction staged it ([`friktion_lake::Txn::staged_mart`]),
    /// by its file, so that a cluster's executors read it from the bucket as they read every
    /// other table. (As rows inside the plan, a mart of national size outgrew gRPC's 16 MiB
    /// message limit on the way to the scheduler.)
    pub fn register_staged(
        &mut self,
        name: &str,
        staged: friktion_lake::TableObjects,
    ) -> Result<(), QueryError> {
        let table = pinned_table(staged)?;
        let _ = self.ctx.deregister_table(name)?;
        self.ctx.register_table(name, Arc::new(table))?;
        self.tables.retain(|t| t != name);
        self.tables.push(name.to_string());
        Ok(())
    }

    /// (Re)registers a mart after it has been written, so later models can read it.
    pub async fn register_mart(&mut self, name: &str) -> Result<(), QueryError> {
        if self.lake.is_remote() {
            return self
                .register_pinned(name, &format!("{}/{name}", friktion_lake::MARTS), None)
                .await;
        }
        let dir = self.lake.mart_dir(name);
        self.register(name, &dir, vec![], None).await
    }

    /// The lake the session's tables are read from.
    pub fn lake(&self) -> &Lake {
        &self.lake
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The registered table names.
    pub fn tables(&self) -> &[String] {
        &self.tables
    }

    /// A query's error, with running out of the memory limit said as such.
    pub fn query_error(&self, e: datafusion::error::DataFusionError) -> QueryError {
        match e.find_root() {
            datafusion::error::DataFusionError::ResourcesExhausted(_) => QueryError::Memory {
                limit_mib: self.memory_limit_bytes >> 20,
                detail: e.to_string(),
            },
            _ => QueryError::from(e),
        }
    }

    /// Stops every later query ([`LakeSession::query`], the models) that runs longer than
    /// `limit` with [`QueryError::Timeout`]: on a cluster a scheduler-side failure can leave
    /// a job waiting forever, and the night must end with an error instead.
    pub fn set_query_timeout(&mut self, limit: Option<std::time::Duration>) {
        self.query_timeout = limit;
    }

    /// `work` (one query), stopped if it outlasts the session's query timeout. Stopping drops
    /// the query's streams: the local engine frees its memory; a Ballista client stops
    /// waiting, though the cluster finishes the job (Ballista 55 does not cancel it).
    pub async fn bounded<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, QueryError>>,
    ) -> Result<T, QueryError> {
        match self.query_timeout {
            None => work.await,
            Some(limit) => {
                tokio::time::timeout(limit, work)
                    .await
                    .unwrap_or(Err(QueryError::Timeout {
                        secs: limit.as_secs(),
                        flag: "--query-timeout",
                    }))
            }
        }
    }

    /// Runs one query and collects its result.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, QueryError> {
        self.bounded(async { Ok(self.ctx.sql(sql).await?.collect().await?) })
            .await
    }
}

/// A table over the files [`friktion_lake::Lake::table_objects`] or
/// [`friktion_lake::Txn::staged_mart`] name.
fn pinned_table(t: friktion_lake::TableObjects) -> Result<PinnedTable, QueryError> {
    let files = PinnedFiles {
        store_url: t.store_url,
        partition_cols: t.partition_cols,
        files: t
            .files
            .into_iter()
            .map(|f| PinnedFile {
                key: f.key,
                size: f.size,
                partition: f.partition,
            })
            .collect(),
    };
    Ok(PinnedTable::try_new(t.schema, files)?)
}
