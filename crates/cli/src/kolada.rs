//! Writes the Kolada-shaped export of the marts (friktion-query's `kolada`) beside the report.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow::array::RecordBatch;

/// `kolada.csv` and `kolada.parquet` under `dir`; None when no model declares a KPI.
pub fn write(dir: &Path, batches: &[RecordBatch]) -> Result<Option<PathBuf>> {
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let csv = dir.join("kolada.csv");
    let f =
        std::fs::File::create(&csv).with_context(|| format!("cannot create {}", csv.display()))?;
    let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(f);
    for b in batches {
        w.write(b)?;
    }
    let pq = dir.join("kolada.parquet");
    let f =
        std::fs::File::create(&pq).with_context(|| format!("cannot create {}", pq.display()))?;
    let mut w = parquet::arrow::ArrowWriter::try_new(f, first.schema(), None)?;
    for b in batches {
        w.write(b)?;
    }
    w.close()?;
    Ok(Some(csv))
}
