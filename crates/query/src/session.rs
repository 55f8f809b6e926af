//! A DataFusion session over one lake.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use friktion_core::LakeTable;
use friktion_lake::Lake;

use crate::QueryError;

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

/// A session in which every table present in the lake, and every mart, is a SQL table.
pub struct LakeSession {
    ctx: SessionContext,
    lake: Lake,
    tables: Vec<String>,
    memory_limit_bytes: usize,
}

impl LakeSession {
    pub async fn open(lake: &Lake, opts: &SessionOptions) -> Result<Self, QueryError> {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(opts.memory_limit_bytes, 1.0)
            .build_arc()?;
        let ctx = SessionContext::new_with_config_rt(config(opts.target_partitions), runtime);
        register_functions(&ctx);
        let mut s = Self {
            ctx,
            lake: lake.clone(),
            tables: vec![],
            memory_limit_bytes: opts.memory_limit_bytes,
        };
        for t in LakeTable::ALL {
            let def = t.def();
            let dir = lake.table_dir(&def);
            if has_parquet(&dir) {
                let parts = def
                    .partition_cols
                    .iter()
                    .map(|c| (c.to_string(), DataType::Utf8))
                    .collect();
                s.register(def.name, &dir, parts, Some(def.file_schema()))
                    .await?;
            } else {
                // A table no source has filled yet is empty, not missing: a model over it
                // gives no rows instead of failing a run that has no projects (or no logs).
                let empty = datafusion::datasource::MemTable::try_new(def.schema(), vec![vec![]])?;
                s.ctx.register_table(def.name, Arc::new(empty))?;
                s.tables.push(def.name.to_string());
            }
        }
        for m in lake.marts()? {
            s.register_mart(&m).await?;
        }
        Ok(s)
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

    /// Registers a mart from its rows in memory, before they are committed: later models read
    /// it while the whole set of marts is still one uncommitted transaction.
    pub fn register_rows(&mut self, name: &str, batch: RecordBatch) -> Result<(), QueryError> {
        let table = datafusion::datasource::MemTable::try_new(batch.schema(), vec![vec![batch]])?;
        let _ = self.ctx.deregister_table(name)?;
        self.ctx.register_table(name, Arc::new(table))?;
        self.tables.retain(|t| t != name);
        self.tables.push(name.to_string());
        Ok(())
    }

    /// (Re)registers a mart after it has been written, so later models can read it.
    pub async fn register_mart(&mut self, name: &str) -> Result<(), QueryError> {
        let dir = self.lake.mart_dir(name);
        self.register(name, &dir, vec![], None).await
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

    /// Runs one query and collects its result.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, QueryError> {
        Ok(self.ctx.sql(sql).await?.collect().await?)
    }
}

fn has_parquet(dir: &std::path::Path) -> bool {
    friktion_lake::io::parquet_files(dir).is_ok_and(|f| !f.is_empty())
}
