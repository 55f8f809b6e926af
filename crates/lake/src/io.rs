//! Parquet files in and out: zstd, statistics, hive partition directories.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::{LakeError, Result};

/// Writer settings for every lake file. Page statistics let DuckDB, polars and DataFusion skip
/// pages by kommun_kod or date. zstd(1): on 4 million log events level 3 was 10 % slower
/// to write and 1 % smaller (benches/RESULTS.md).
pub fn writer_properties() -> WriterProperties {
    let mut b = WriterProperties::builder();
    // Pseudonyms, session ids and free text: min/max statistics of them prune nothing, and
    // computing them compares every string. A session id is unique per session, so a
    // dictionary of them only costs time.
    for c in [
        "user_key",
        "session_id",
        "message",
        "path",
        "host",
        "respondent_key",
        "source_file",
        "source_format",
    ] {
        b = b.set_column_statistics_enabled(ColumnPath::from(c), EnabledStatistics::None);
    }
    b.set_column_dictionary_enabled(ColumnPath::from("session_id"), false)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).expect("valid level"),
        ))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(256 * 1024))
        .build()
}

/// Writes `batches` to a new file at `path` and makes its contents durable before returning.
pub fn write_parquet(path: &Path, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<u64> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| LakeError::io(dir, e))?;
    }
    let file = File::create(path).map_err(|e| LakeError::io(path, e))?;
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(writer_properties()))
        .map_err(|e| LakeError::parquet(path, e))?;
    let mut rows = 0;
    for b in batches {
        rows += b.num_rows() as u64;
        w.write(b).map_err(|e| LakeError::parquet(path, e))?;
    }
    let file = w.into_inner().map_err(|e| LakeError::parquet(path, e))?;
    file.sync_all().map_err(|e| LakeError::io(path, e))?;
    Ok(rows)
}

/// Every `*.parquet` file below `dir`, sorted, skipping names that start with `_` or `.`
/// (the convention Spark and DuckDB use for metadata and temporary files).
pub fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in std::fs::read_dir(dir).map_err(|e| LakeError::io(dir, e))? {
        let e = e.map_err(|e| LakeError::io(dir, e))?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let p = e.path();
        // The entry's type comes with the directory listing on most file systems; a stat is
        // needed only for symlinks (followed, as before) and where the type is unknown.
        let is_dir = match e.file_type() {
            Ok(t) if !t.is_symlink() => t.is_dir(),
            _ => p.is_dir(),
        };
        if is_dir {
            walk(&p, out)?;
        } else if name.ends_with(".parquet") {
            out.push(p);
        }
    }
    Ok(())
}

/// Partition values of a file, from its `col=value` directories between `root` and the file.
pub fn partition_values(root: &Path, file: &Path, cols: &[&str]) -> Result<Vec<String>> {
    let rel = file.strip_prefix(root).unwrap_or(file);
    let dirs: Vec<String> = rel
        .parent()
        .map(|p| p.iter().map(|s| s.to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    cols.iter()
        .map(|c| {
            dirs.iter()
                .find_map(|d| d.strip_prefix(&format!("{c}=")).map(decode_partition_value))
                .ok_or_else(|| LakeError::Contract {
                    table: root.display().to_string(),
                    problem: format!("file {} has no {c}= directory", file.display()),
                })
        })
        .collect()
}

/// Hive escapes: `%XX` for anything outside `[A-Za-z0-9._-]`, as Spark and DuckDB write them.
pub fn encode_partition_value(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

pub fn decode_partition_value(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_values_round_trip_through_hive_escapes() {
        for v in ["vision-2019", "2019/10", "Göteborg stad", "a=b%c"] {
            let e = encode_partition_value(v);
            assert!(!e.contains('/') && !e.contains('=') && !e.contains(' '));
            assert_eq!(decode_partition_value(&e), v);
        }
        assert_eq!(encode_partition_value("vision-2019"), "vision-2019");
    }
}
