//! The lake's committed files, wherever the lake lives: listed from the directory tree of a
//! local lake, or from the Delta logs of the pinned version of a lake on object storage; read
//! from disk or fetched whole.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{Schema, SchemaRef};
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};

use crate::{Lake, LakeError, MARTS, PUBLISHED, Result, TableStats, io};

/// A committed data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeFile {
    /// Relative to the lake root, with '/': `it_event/day=2024-01-02/part-<stem>.parquet`.
    pub rel: String,
    /// When it was written (local) or committed (object storage).
    pub modified: Option<SystemTime>,
    /// Rows, when known without reading the file (object storage keeps them in the log).
    pub rows: Option<u64>,
}

/// The stem of a lake file's path (see [`LakeFile::stem`]).
pub(crate) fn stem_of(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let s = name.strip_prefix("part-").unwrap_or(name);
    let s = s.strip_suffix(".parquet").unwrap_or(s);
    match s.rsplit_once('.') {
        Some((stem, txn)) if crate::txn::is_txn_id(txn) => stem,
        _ => s,
    }
}

impl LakeFile {
    /// The stem of its name: `part-<stem>.parquet` gives `<stem>`, and so does
    /// `part-<stem>.<txn>.parquet`, the name an upload to object storage gets so that a file
    /// a lake version refers to is never overwritten.
    pub fn stem(&self) -> &str {
        stem_of(&self.rel)
    }

    /// The partition values of its `col=value` directories below `table_dir`.
    pub fn partition(&self, table_dir: &str, cols: &[&str]) -> Result<Vec<String>> {
        let rel = self
            .rel
            .strip_prefix(table_dir)
            .unwrap_or(&self.rel)
            .trim_start_matches('/');
        io::partition_values(Path::new(""), Path::new(rel), cols).map_err(|_| LakeError::Contract {
            table: table_dir.to_string(),
            problem: format!("file {} lacks a partition directory of {cols:?}", self.rel),
        })
    }
}

/// Files as a fingerprint takes them: each one's path and time, a line each, in the order given
/// (the lake lists by path). Writing a file gives it a new time, so any write changes the text.
pub fn listing<'a>(files: impl IntoIterator<Item = &'a LakeFile>) -> String {
    files
        .into_iter()
        .map(|f| {
            let nanos = f
                .modified
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{} {nanos}\n", f.rel)
        })
        .collect()
}

/// The table directory a path below the lake root belongs to: `marts/x` and `published/x` are
/// tables, anything else its first component.
pub(crate) fn table_of(rel: &str) -> &str {
    let mut parts = rel.splitn(3, '/');
    let first = parts.next().unwrap_or("");
    if first == MARTS || first == PUBLISHED {
        if let Some(second) = parts.next() {
            return &rel[..first.len() + 1 + second.len()];
        }
    }
    first
}

impl Lake {
    /// Every committed data file below a directory of the lake (relative to its root),
    /// sorted by path. On a local lake without times (`modified` is `None`): replacing a
    /// source lists whole tables, and a stat per file there would be wasted.
    pub fn files_under(&self, rel_dir: &str) -> Result<Vec<LakeFile>> {
        self.list(rel_dir, false)
    }

    /// The files of `table` named `part-<stem>[.<txn>].parquet`, in any partition.
    pub(crate) fn files_of_stem(&self, table: &str, stem: &str) -> Result<Vec<String>> {
        match &self.stems {
            Some(index) => index
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .files(table, stem, || self.files_under(table)),
            None => Ok(self
                .files_under(table)?
                .into_iter()
                .filter(|f| f.stem() == stem)
                .map(|f| f.rel)
                .collect()),
        }
    }

    /// Keeps the writer's stem index true after a local commit (see [`crate::stems`]).
    pub(crate) fn index_commit(
        &self,
        written: &[(std::path::PathBuf, std::path::PathBuf)],
        deleted: &[std::path::PathBuf],
        applied: bool,
    ) {
        if let Some(index) = &self.stems {
            let mut index = index
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if applied {
                index.committed(written, deleted);
            } else {
                index.clear();
            }
        }
    }

    /// As [`Lake::files_under`], with each file's time.
    pub fn files_with_times(&self, rel_dir: &str) -> Result<Vec<LakeFile>> {
        self.list(rel_dir, true)
    }

    fn list(&self, rel_dir: &str, times: bool) -> Result<Vec<LakeFile>> {
        let rel_dir = rel_dir.trim_end_matches('/');
        if let Some(remote) = &self.remote {
            let table = table_of(rel_dir);
            let prefix = format!("{rel_dir}/");
            return Ok(remote
                .files(table)?
                .iter()
                .filter(|f| f.rel.starts_with(&prefix))
                .map(|f| LakeFile {
                    rel: f.rel.clone(),
                    modified: Some(
                        SystemTime::UNIX_EPOCH + Duration::from_millis(f.modified_ms.max(0) as u64),
                    ),
                    rows: f.rows,
                })
                .collect());
        }
        let dir = self.root.join(rel_dir);
        io::parquet_files(&dir)?
            .into_iter()
            .map(|p| {
                let rel = p
                    .strip_prefix(&self.root)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                let modified = times
                    .then(|| std::fs::metadata(&p).and_then(|m| m.modified()).ok())
                    .flatten();
                Ok(LakeFile {
                    rel,
                    modified,
                    rows: None,
                })
            })
            .collect()
    }

    /// A file's bytes, for readers that need a reader rather than batches.
    fn source(&self, rel: &str) -> Result<Source> {
        match &self.remote {
            Some(r) => Ok(Source::Bytes(r.get(rel)?)),
            None => {
                let p = self.root.join(rel);
                std::fs::File::open(&p)
                    .map(Source::File)
                    .map_err(|e| LakeError::io(&p, e))
            }
        }
    }

    fn label(&self, rel: &str) -> std::path::PathBuf {
        match &self.remote {
            Some(r) => r.key(rel).to_string().into(),
            None => self.root.join(rel),
        }
    }

    /// A file's bytes, whole.
    pub fn read_bytes(&self, f: &LakeFile) -> Result<Vec<u8>> {
        match &self.remote {
            Some(r) => Ok(r.get(&f.rel)?.to_vec()),
            None => {
                let p = self.root.join(&f.rel);
                std::fs::read(&p).map_err(|e| LakeError::io(&p, e))
            }
        }
    }

    /// Every batch of one file, as it is.
    pub fn read_file(&self, f: &LakeFile) -> Result<Vec<RecordBatch>> {
        let label = self.label(&f.rel);
        match self.source(&f.rel)? {
            Source::File(x) => batches(x, &label, None),
            Source::Bytes(x) => batches(x, &label, None),
        }
    }

    /// Calls `each` with each batch of the named columns of the given files (partition
    /// columns are not in files), in order, holding one batch at a time.
    pub fn for_each_batch(
        &self,
        files: &[LakeFile],
        columns: &[&str],
        mut each: impl FnMut(RecordBatch) -> Result<()>,
    ) -> Result<()> {
        for f in files {
            let label = self.label(&f.rel);
            let out = match self.source(&f.rel)? {
                Source::File(x) => batches(x, &label, Some(columns))?,
                Source::Bytes(x) => batches(x, &label, Some(columns))?,
            };
            for b in out {
                each(b)?;
            }
        }
        Ok(())
    }

    /// Reads every file of a table directory and appends its partition columns, giving
    /// `logical` batches.
    ///
    /// Columns are matched by name, so a file written before the contract gained a nullable
    /// column reads with that column null: the contract can grow without rewriting the lake.
    /// A file that lacks a required column, or holds a column of another type, is an error.
    pub(crate) fn read_logical(
        &self,
        rel_dir: &str,
        logical: &SchemaRef,
        partition_cols: &[&str],
    ) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        let in_file: Vec<&arrow::datatypes::FieldRef> = logical
            .fields()
            .iter()
            .filter(|f| !partition_cols.contains(&f.name().as_str()))
            .collect();
        for file in self.files_under(rel_dir)? {
            let values = file.partition(rel_dir, partition_cols)?;
            let label = self.label(&file.rel);
            for b in self.read_file(&file)? {
                let mut cols: Vec<ArrayRef> = Vec::with_capacity(logical.fields().len());
                for f in &in_file {
                    match b.column_by_name(f.name()) {
                        Some(c) => cols.push(c.clone()),
                        None if f.is_nullable() => {
                            cols.push(arrow::array::new_null_array(f.data_type(), b.num_rows()))
                        }
                        None => {
                            return Err(LakeError::Contract {
                                table: label.display().to_string(),
                                problem: format!("required column {} is missing", f.name()),
                            });
                        }
                    }
                }
                for v in &values {
                    cols.push(Arc::new(StringArray::from(vec![v.as_str(); b.num_rows()])));
                }
                out.push(
                    RecordBatch::try_new(logical.clone(), cols)
                        .map_err(|e| LakeError::arrow(&label, e))?,
                );
            }
        }
        Ok(out)
    }

    /// Reads every file below a directory as it is.
    pub(crate) fn read_any(&self, rel_dir: &str) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        for f in self.files_under(rel_dir)? {
            out.extend(self.read_file(&f)?);
        }
        Ok(out)
    }

    /// Files, rows (from the Parquet footers, or the Delta log) and logical column names of a
    /// table directory.
    pub fn stats_of(
        &self,
        rel_dir: &str,
        name: &str,
        partition_cols: &[&str],
    ) -> Result<TableStats> {
        let files = self.files_under(rel_dir)?;
        let mut rows = 0i64;
        let mut columns: Option<Vec<String>> = None;
        for f in &files {
            if let (Some(n), Some(_)) = (f.rows, &columns) {
                rows += n as i64;
                continue;
            }
            let label = self.label(&f.rel);
            let meta = match self.source(&f.rel)? {
                Source::File(x) => footer(x, &label)?,
                Source::Bytes(x) => footer(x, &label)?,
            };
            rows += meta.0;
            if columns.is_none() {
                let mut c: Vec<String> = meta.1.fields().iter().map(|f| f.name().clone()).collect();
                c.extend(partition_cols.iter().map(|s| s.to_string()));
                columns = Some(c);
            }
        }
        Ok(TableStats {
            name: name.to_string(),
            files: files.len(),
            rows,
            columns: columns.unwrap_or_default(),
        })
    }
}

enum Source {
    File(std::fs::File),
    Bytes(Bytes),
}

fn batches<R: ChunkReader + 'static>(
    r: R,
    label: &Path,
    columns: Option<&[&str]>,
) -> Result<Vec<RecordBatch>> {
    let mut builder =
        ParquetRecordBatchReaderBuilder::try_new(r).map_err(|e| LakeError::parquet(label, e))?;
    if let Some(columns) = columns {
        let mut roots = Vec::with_capacity(columns.len());
        for c in columns {
            let i = builder
                .schema()
                .index_of(c)
                .map_err(|_| LakeError::Contract {
                    table: label.display().to_string(),
                    problem: format!("no column {c}"),
                })?;
            roots.push(i);
        }
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        builder = builder.with_projection(mask);
    }
    let reader = builder.build().map_err(|e| LakeError::parquet(label, e))?;
    let mut out = Vec::new();
    for b in reader {
        let b = b.map_err(|e| LakeError::arrow(label, e))?;
        let b = match columns {
            // Columns come back in file order; put them in the order asked for.
            Some(columns) => {
                let idx: Vec<usize> = columns
                    .iter()
                    .map(|c| b.schema().index_of(c).expect("projected"))
                    .collect();
                b.project(&idx).map_err(|e| LakeError::arrow(label, e))?
            }
            None => b,
        };
        out.push(b);
    }
    Ok(out)
}

fn footer<R: ChunkReader + 'static>(r: R, label: &Path) -> Result<(i64, Schema)> {
    let r = SerializedFileReader::new(r).map_err(|e| LakeError::parquet(label, e))?;
    let meta = r.metadata().file_metadata();
    let schema =
        parquet::arrow::parquet_to_arrow_schema(meta.schema_descr(), meta.key_value_metadata())
            .map_err(|e| LakeError::parquet(label, e))?;
    Ok((meta.num_rows(), schema))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_tables_of_paths() {
        let f = |rel: &str| LakeFile {
            rel: rel.into(),
            modified: None,
            rows: None,
        };
        assert_eq!(
            f("it_event/day=2024-01-02/part-ab12.parquet").stem(),
            "ab12"
        );
        assert_eq!(
            f("it_event/day=2024-01-02/part-ab12.01764488400000000000-12-3.parquet").stem(),
            "ab12"
        );
        assert_eq!(
            f("_ledger/part-20261130T0200Z-ab12.parquet").stem(),
            "20261130T0200Z-ab12"
        );
        assert_eq!(f("_ledger/part-run.1-ab12.parquet").stem(), "run.1-ab12");
        assert_eq!(
            table_of("marts/friction_by_kommun/part-0.parquet"),
            "marts/friction_by_kommun"
        );
        assert_eq!(table_of("it_event/day=2024-01-02/x.parquet"), "it_event");
        assert_eq!(table_of("published/kolada"), "published/kolada");
    }
}
