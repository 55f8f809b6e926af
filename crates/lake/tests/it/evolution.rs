//! The contract can grow: a file written before a nullable column was added reads with that
//! column null, and the lake is not rewritten for it.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Schema;
use friktion_core::LakeTable;
use friktion_lake::Lake;

use crate::answers;

/// An answers file as an older contract wrote it: without `value_num` (nullable now).
fn without(batch: &RecordBatch, column: &str) -> RecordBatch {
    let keep: Vec<usize> = (0..batch.num_columns())
        .filter(|&i| batch.schema().field(i).name() != column)
        .collect();
    batch.project(&keep).unwrap()
}

#[test]
fn a_file_from_before_a_new_nullable_column_reads_with_it_null() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().join("lake")).unwrap();
    let def = LakeTable::SurveyAnswer.def();
    // Today's file, through the contract.
    let mut t = lake.begin().unwrap();
    t.write_table(&def, &["w2"], "new", &[answers("new", 2)])
        .unwrap();
    t.commit().unwrap();
    // Yesterday's file, as it lies in the lake: one column fewer.
    let old = without(&answers("old", 3), "value_num");
    let path = lake.table_dir(&def).join("wave_id=w1/part-old.parquet");
    let schema: Arc<Schema> = old.schema();
    friktion_lake::io::write_parquet(&path, &schema, &[old]).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let batches = lake.read_table(&def).unwrap();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 5);
    let values: Vec<Option<f64>> = batches
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name("value_num")
                .unwrap()
                .as_primitive::<arrow::datatypes::Float64Type>();
            (0..a.len())
                .map(|i| (!a.is_null(i)).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect();
    // Today's two rows keep their values; yesterday's three have none.
    assert_eq!(
        values.iter().filter(|v| v.is_none()).count(),
        3,
        "{values:?}"
    );
    assert_eq!(
        values.iter().filter(|v| v.is_some()).count(),
        2,
        "{values:?}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the old file is left as it was"
    );

    // A required column missing is an error that names the file and the column.
    let broken = without(&answers("bad", 1), "item_id");
    let path = lake.table_dir(&def).join("wave_id=w3/part-bad.parquet");
    friktion_lake::io::write_parquet(&path, &broken.schema(), &[broken]).unwrap();
    let e = lake.read_table(&def).unwrap_err().to_string();
    assert!(
        e.contains("part-bad.parquet") && e.contains("required column item_id is missing"),
        "{e}"
    );
}
