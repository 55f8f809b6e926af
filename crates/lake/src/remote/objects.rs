//! A table of the pinned lake version as a query engine reads it without Delta: its columns,
//! its partition columns, and each data file's key in the bucket, size and partition values.
//! A plan built from this runs on any node that can reach the bucket (a Ballista executor).

use arrow::datatypes::SchemaRef;

use super::Remote;
use super::delta::{delta_error, list_files};
use crate::Result;

/// A table's files in one lake version.
#[derive(Debug, Clone)]
pub struct TableObjects {
    /// The bucket every key is in: `s3://bucket`.
    pub store_url: String,
    /// The file columns, then the partition columns (plain strings).
    pub schema: SchemaRef,
    pub partition_cols: Vec<String>,
    pub files: Vec<TableObject>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableObject {
    /// The object's key in the bucket.
    pub key: String,
    pub size: u64,
    /// The values of the partition columns, in their order.
    pub partition: Vec<String>,
}

impl Remote {
    /// `table` (a directory below the lake's root) in the pinned version; `None` when that
    /// version has no such table.
    pub fn objects(&self, table: &str) -> Result<Option<TableObjects>> {
        let Some(t) = self.table_at_pinned(table)? else {
            return Ok(None);
        };
        let snapshot = t.snapshot().map_err(|e| delta_error(table, e))?;
        let schema = snapshot.snapshot().arrow_schema();
        let partition_cols = snapshot.metadata().partition_columns().to_vec();
        let prefix = format!("{table}/");
        let files = list_files(table, &t)?
            .into_iter()
            .map(|f| {
                let within = f.rel.strip_prefix(&prefix).unwrap_or(&f.rel);
                Ok(TableObject {
                    key: self.key(&f.rel).to_string(),
                    size: f.size,
                    partition: partition_values(table, within, &partition_cols)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut bucket = self.url().clone();
        bucket.set_path("");
        Ok(Some(TableObjects {
            store_url: bucket.to_string().trim_end_matches('/').to_string(),
            schema,
            partition_cols,
            files,
        }))
    }
}

/// The values of `cols` in a path's `col=value/` directories (decoded), in the order of `cols`:
/// as a local lake's files give them.
fn partition_values(table: &str, path: &str, cols: &[String]) -> Result<Vec<String>> {
    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
    crate::io::partition_values(
        std::path::Path::new(table),
        &std::path::Path::new(table).join(path),
        &cols,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_values_follow_the_columns_order() {
        let cols = vec!["kommun_kod".to_string(), "day".to_string()];
        let v = partition_values(
            "t",
            "day=2024-01-02/kommun_kod=0180/part-a.b.parquet",
            &cols,
        );
        assert_eq!(v.unwrap(), vec!["0180", "2024-01-02"]);
        let missing = partition_values("t", "day=2024-01-02/part-a.parquet", &cols);
        assert!(missing.unwrap_err().to_string().contains("kommun_kod"));
    }
}
