//! Writes the Kolada-shaped export of the marts (friktion-query's `kolada`) beside the report,
//! with the report's disclosure control: within each KPI and period the kommun cells follow the
//! same primary and complementary suppression as the page, so the export and a published total
//! together cannot give a hidden cell away.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use friktion_report::disclosure::{Cell, is_suppressed, suppress};

/// The period Kolada files a wave under: its last year-like number (as the export's SQL does).
fn period_of(wave: &str) -> Option<String> {
    let b = wave.as_bytes();
    (0..b.len().saturating_sub(3))
        .rev()
        .find(|&i| {
            b[i..i + 4].iter().all(u8::is_ascii_digit)
                && (b[i..i + 2] == *b"19" || b[i..i + 2] == *b"20")
        })
        .map(|i| wave[i..i + 4].to_string())
}

/// Applies complementary suppression per KPI × period (primary suppression is the query's), and
/// hides every friction value the report hid: the two publications must hide the same cells,
/// or together they would give a hidden one away.
fn protect(
    b: &RecordBatch,
    min_cell: i64,
    report_hidden: &BTreeMap<String, Vec<String>>,
) -> Result<RecordBatch> {
    let also: Vec<(String, String)> = report_hidden
        .iter()
        .filter_map(|(wave, ks)| Some((period_of(wave)?, ks)))
        .flat_map(|(p, ks)| ks.iter().map(move |k| (k.clone(), p.clone())))
        .collect();
    // Plain strings and the declared number types, whatever the plan produced.
    let types = [
        DataType::Utf8,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Float64,
        DataType::Int64,
        DataType::Utf8,
    ];
    let cols = b
        .columns()
        .iter()
        .zip(types.iter())
        .map(|(c, t)| arrow::compute::cast(c, t))
        .collect::<Result<Vec<_>, _>>()?;
    let fields: Vec<Field> = b
        .schema()
        .fields()
        .iter()
        .zip(types.iter())
        .map(|(f, t)| Field::new(f.name(), t.clone(), true))
        .collect();
    let b = &RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?;
    let kpi = b.column(0).as_string::<i32>();
    let kommun = b.column(1).as_string::<i32>();
    let period = b.column(2).as_string::<i32>();
    let value = b.column(4).as_primitive::<Float64Type>();
    let n = b.column(5).as_primitive::<Int64Type>();
    let status = b.column(6).as_string::<i32>();
    let by_report = |i: usize| {
        kpi.value(i).starts_with("FRIKTION_")
            && also
                .iter()
                .any(|(k, p)| k == kommun.value(i) && p == period.value(i))
    };
    // Cells the report hid count as hidden from the start (n 0), so complementary suppression
    // here builds on the report's rather than hiding more.
    let cells: Vec<Cell> = (0..b.num_rows())
        .filter(|&i| kommun.value(i) != "0000" && !n.is_null(i))
        .map(|i| Cell {
            key: i.to_string(),
            groups: vec![format!("{} {}", kpi.value(i), period.value(i))],
            n: if by_report(i) { 0 } else { n.value(i) },
        })
        .collect();
    let hidden = suppress(&cells, min_cell);
    let hide = |i: usize| status.value(i) == ".." || is_suppressed(&hidden, &i.to_string());
    let values: Float64Array = (0..b.num_rows())
        .map(|i| (!hide(i) && !value.is_null(i)).then(|| value.value(i)))
        .collect();
    let statuses: StringArray = (0..b.num_rows())
        .map(|i| Some(if hide(i) { ".." } else { "" }))
        .collect();
    let mut cols: Vec<ArrayRef> = b.columns().to_vec();
    cols[4] = Arc::new(values);
    cols[6] = Arc::new(statuses);
    Ok(RecordBatch::try_new(b.schema(), cols)?)
}

/// `kolada.csv` and `kolada.parquet` under `dir`; None when no model declares a KPI.
pub fn write(
    dir: &Path,
    batches: &[RecordBatch],
    min_cell: i64,
    report_hidden: &BTreeMap<String, Vec<String>>,
) -> Result<Option<PathBuf>> {
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let one = protect(
        &concat_batches(&first.schema(), batches)?,
        min_cell,
        report_hidden,
    )?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let csv = dir.join("kolada.csv");
    let f =
        std::fs::File::create(&csv).with_context(|| format!("cannot create {}", csv.display()))?;
    let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(f);
    w.write(&one)?;
    let pq = dir.join("kolada.parquet");
    let f =
        std::fs::File::create(&pq).with_context(|| format!("cannot create {}", pq.display()))?;
    let mut w = parquet::arrow::ArrowWriter::try_new(f, one.schema(), None)?;
    w.write(&one)?;
    w.close()?;
    Ok(Some(csv))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_wave_is_filed_under_its_last_year() {
        assert_eq!(super::period_of("vision-2019").as_deref(), Some("2019"));
        assert_eq!(
            super::period_of("medarbetarenkat-0163-2025").as_deref(),
            Some("2025")
        );
        assert_eq!(super::period_of("omgang-a"), None);
    }
}
