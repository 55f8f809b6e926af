//! A table of a lake on object storage read straight from the Parquet files one lake version
//! names: no listing, no Delta log at query time, and a plan any node can run, because the
//! table is only its store, its files and their partition values (see `friktion-cluster`'s
//! codec, which sends it to a Ballista scheduler).

use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{ScalarValue, Statistics, project_schema};
use datafusion::datasource::TableType;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::object_store::ObjectStoreUrl;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder};
use datafusion::datasource::table_schema::TableSchemaBuilder;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion_datasource::compute_all_files_statistics;
use serde::{Deserialize, Serialize};

/// One data file: its key in the store, its size, and its values of the partition columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedFile {
    pub key: String,
    pub size: u64,
    pub partition: Vec<String>,
}

/// What a [`PinnedTable`] is beside its schema: enough to rebuild it anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedFiles {
    /// The store every key is in: `s3://bucket`.
    pub store_url: String,
    /// The last columns of the schema, one value per file, never null.
    pub partition_cols: Vec<String>,
    pub files: Vec<PinnedFile>,
}

/// A table over a fixed set of Parquet files.
#[derive(Debug, Clone)]
pub struct PinnedTable {
    schema: SchemaRef,
    files: PinnedFiles,
    /// Each file's footer statistics, read at the first scan: the files never change, and a
    /// night's models scan a table many times.
    stats: Arc<tokio::sync::OnceCell<Vec<Arc<Statistics>>>>,
}

impl PinnedTable {
    /// `schema` is the file columns followed by `files.partition_cols` (plain strings).
    pub fn try_new(schema: SchemaRef, files: PinnedFiles) -> Result<Self> {
        let n = schema.fields().len();
        let p = files.partition_cols.len();
        let tail_matches = n >= p
            && schema.fields()[n - p..]
                .iter()
                .zip(&files.partition_cols)
                .all(|(f, c)| f.name() == c);
        if !tail_matches {
            return Err(DataFusionError::Plan(format!(
                "a pinned table's partition columns {:?} must be the last of its columns {:?}",
                files.partition_cols,
                schema.fields().iter().map(|f| f.name()).collect::<Vec<_>>()
            )));
        }
        if let Some(f) = files.files.iter().find(|f| f.partition.len() != p) {
            return Err(DataFusionError::Plan(format!(
                "file {} has {} partition values, the table {p} partition columns",
                f.key,
                f.partition.len()
            )));
        }
        ObjectStoreUrl::parse(&files.store_url)?;
        Ok(Self {
            schema,
            files,
            stats: Arc::default(),
        })
    }

    pub fn files(&self) -> &PinnedFiles {
        &self.files
    }

    /// The files in `target_partitions` groups of consecutive files, as a ListingTable splits
    /// a local lake's (sorted by path), each with the statistics of its Parquet footer when the
    /// session collects them: the same plans, so the same marts, as over a local lake.
    async fn file_groups(
        &self,
        state: &dyn Session,
        format: &ParquetFormat,
        file_schema: &SchemaRef,
    ) -> Result<Vec<FileGroup>> {
        let mut files: Vec<PartitionedFile> = self
            .files
            .files
            .iter()
            .map(|f| self.partitioned(f))
            .collect();
        if state.config().collect_statistics() {
            let stats = self
                .stats
                .get_or_try_init(|| async {
                    let store = state
                        .runtime_env()
                        .object_store(ObjectStoreUrl::parse(&self.files.store_url)?)?;
                    let mut stats = Vec::with_capacity(files.len());
                    // Eight footers at a time: a store answers each in a round trip.
                    for some in files.chunks(8) {
                        let reads = some.iter().map(|f| {
                            format.infer_stats(state, &store, file_schema.clone(), &f.object_meta)
                        });
                        stats.extend(
                            futures::future::try_join_all(reads)
                                .await?
                                .into_iter()
                                .map(Arc::new),
                        );
                    }
                    Ok::<_, DataFusionError>(stats)
                })
                .await?;
            files = files
                .into_iter()
                .zip(stats.iter().cloned())
                .map(|(f, s)| f.with_statistics(s))
                .collect();
        }
        files.sort_by(|a, b| a.path().cmp(b.path()));
        let n = state
            .config()
            .target_partitions()
            .clamp(1, files.len().max(1));
        let chunk = files.len().div_ceil(n).max(1);
        Ok(files
            .chunks(chunk)
            .map(|c| FileGroup::new(c.to_vec()))
            .collect())
    }

    fn partitioned(&self, f: &PinnedFile) -> PartitionedFile {
        {
            let mut pf = PartitionedFile::new(f.key.clone(), f.size);
            // The key is a store path already: `new` would encode it a second time.
            pf.object_meta.location = object_store::path::Path::parse(&f.key)
                .unwrap_or_else(|_| object_store::path::Path::from(f.key.as_str()));
            pf.partition_values = f
                .partition
                .iter()
                .map(|v| ScalarValue::Utf8(Some(v.clone())))
                .collect();
            pf
        }
    }
}

#[async_trait::async_trait]
impl TableProvider for PinnedTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if self.files.files.is_empty() {
            let schema = project_schema(&self.schema, projection)?;
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        let n_file = self.schema.fields().len() - self.files.partition_cols.len();
        let file_schema = Arc::new(Schema::new(self.schema.fields()[..n_file].to_vec()));
        let table_schema = TableSchemaBuilder::new(file_schema.clone())
            .with_table_partition_cols(self.schema.fields()[n_file..].to_vec())
            .build();
        let format = ParquetFormat::default();
        let groups = self.file_groups(state, &format, &file_schema).await?;
        let (groups, statistics) = compute_all_files_statistics(
            groups,
            self.schema.clone(),
            state.config().collect_statistics(),
            false,
        )?;
        let config = FileScanConfigBuilder::new(
            ObjectStoreUrl::parse(&self.files.store_url)?,
            format.file_source(table_schema),
        )
        .with_file_groups(groups)
        .with_statistics(statistics)
        .with_projection_indices(projection.cloned())?
        .with_limit(limit)
        .build();
        format.create_physical_plan(state, config).await
    }
}
