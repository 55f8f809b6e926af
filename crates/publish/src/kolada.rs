//! The Kolada-shaped export protected like the report: within each KPI and period the kommun
//! cells get primary and complementary suppression, and every friction value the report hid is
//! hidden here too, so the export and a published total together cannot give a hidden cell away.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};

use crate::PublishError;
use crate::disclosure::{Cell, is_suppressed, suppress};

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

/// The export's columns as published.
fn published_schema() -> Arc<Schema> {
    let f = |n: &str, t: DataType| Field::new(n, t, true);
    Arc::new(Schema::new(vec![
        f("kpi_id", DataType::Utf8),
        f("kommun_kod", DataType::Utf8),
        f("period", DataType::Utf8),
        f("gender", DataType::Utf8),
        f("value", DataType::Float64),
        f("n", DataType::Int64),
        f("status", DataType::Utf8),
        // "kolada" for an indicator published under Kolada's own id, "friktion" for ours.
        f("source", DataType::Utf8),
    ]))
}

/// Protects the export's rows (kpi_id, kommun_kod, period, gender, value, n, counted: whether
/// the KPI has a count behind it, source: kolada or friktion). `report_hidden` holds, per wave, the kommuner the report hid.
/// None when no model declares a KPI.
pub fn protect(
    batches: &[RecordBatch],
    min_cell: i64,
    report_hidden: &BTreeMap<String, Vec<String>>,
) -> Result<Option<RecordBatch>, PublishError> {
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let b = concat_batches(&first.schema(), batches)?;
    let types = [
        DataType::Utf8,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Utf8,
        DataType::Float64,
        DataType::Int64,
        DataType::Boolean,
        DataType::Utf8,
    ];
    let cols = b
        .columns()
        .iter()
        .zip(types.iter())
        .map(|(c, t)| arrow::compute::cast(c, t))
        .collect::<Result<Vec<_>, _>>()?;
    let kpi = cols[0].as_string::<i32>();
    let kommun = cols[1].as_string::<i32>();
    let period = cols[2].as_string::<i32>();
    let value = cols[4].as_primitive::<Float64Type>();
    let n = cols[5].as_primitive::<Int64Type>();
    let counted = cols[6].as_boolean();
    let also: Vec<(String, String)> = report_hidden
        .iter()
        .filter_map(|(wave, ks)| Some((period_of(wave)?, ks)))
        .flat_map(|(p, ks)| ks.iter().map(move |k| (k.clone(), p.clone())))
        .collect();
    // The survey's friction KPIs (the projects' are FRIKTION_INFORANDE_…): the report's
    // hidden cells are per survey wave.
    let by_report = |i: usize| {
        kpi.value(i).starts_with("FRIKTION_")
            && !kpi.value(i).starts_with("FRIKTION_INFORANDE_")
            && also
                .iter()
                .any(|(k, p)| k == kommun.value(i) && p == period.value(i))
    };
    // Primary: a value with a count behind it needs min_cell of them.
    let primary = |i: usize| counted.value(i) && (n.is_null(i) || n.value(i) < min_cell);
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
    let hide = |i: usize| primary(i) || is_suppressed(&hidden, &i.to_string());
    let values: Float64Array = (0..b.num_rows())
        .map(|i| (!hide(i) && !value.is_null(i)).then(|| value.value(i)))
        .collect();
    let statuses: StringArray = (0..b.num_rows())
        .map(|i| Some(if hide(i) { ".." } else { "" }))
        .collect();
    let mut out: Vec<ArrayRef> = cols[..6].to_vec();
    out[4] = Arc::new(values);
    out.push(Arc::new(statuses));
    out.push(cols[7].clone());
    Ok(Some(RecordBatch::try_new(published_schema(), out)?))
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
