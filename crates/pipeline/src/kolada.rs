//! The Kolada-shaped export as files beside the report: `kolada.csv` and `kolada.parquet`, from
//! the publication's protected rows.

use std::path::Path;

use arrow::array::RecordBatch;

use crate::PipelineError;

/// Writes `kolada.csv` and `kolada.parquet` under `dir`.
pub fn write(dir: &Path, batch: &RecordBatch) -> Result<(), PipelineError> {
    let create =
        |p: &Path| std::fs::File::create(p).map_err(|e| PipelineError::io("cannot create", p, e));
    std::fs::create_dir_all(dir).map_err(|e| PipelineError::io("cannot create", dir, e))?;
    let csv = dir.join("kolada.csv");
    let mut w = arrow::csv::WriterBuilder::new()
        .with_header(true)
        .build(create(&csv)?);
    w.write(batch)?;
    let pq = dir.join("kolada.parquet");
    let parquet = |e| PipelineError::Parquet {
        path: pq.clone(),
        source: e,
    };
    let mut w = parquet::arrow::ArrowWriter::try_new(create(&pq)?, batch.schema(), None)
        .map_err(parquet)?;
    w.write(batch).map_err(parquet)?;
    w.close().map_err(parquet)?;
    Ok(())
}
