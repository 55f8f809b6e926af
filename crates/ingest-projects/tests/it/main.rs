//! Project ingest against exports shaped like a portfolio tool's, with the shipped mapping.

mod formats;
mod quarantine;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Date32Type, Float64Type, Int32Type, Int64Type};
use chrono::NaiveDate;
use friktion_core::Reference;
use friktion_ingest_projects::ingest::Context;
use friktion_ingest_projects::{Mapping, ProjectError, ProjectOutput, ProjectSource, ingest};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

static REFERENCE: LazyLock<Reference> =
    LazyLock::new(|| Reference::load(&root().join("sample-data/reference")).unwrap());
pub static MAPPING: LazyLock<Mapping> =
    LazyLock::new(|| Mapping::load(&root().join("pipelines/projects/portfolio.toml")).unwrap());

pub fn data_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

pub fn load_with(bytes: &[u8], mapping: &Mapping) -> Result<ProjectOutput, ProjectError> {
    ingest(
        &ProjectSource {
            source_file: "projects/export.csv",
            bytes,
            data_date: data_date(),
        },
        &Context {
            mapping,
            reference: &REFERENCE,
        },
    )
}

pub fn load(bytes: &[u8]) -> ProjectOutput {
    load_with(bytes, &MAPPING).unwrap()
}

pub fn mapping(text: &str) -> Mapping {
    Mapping::parse(text, Path::new("test-mapping.toml")).unwrap()
}

/// One row of a batch as text, column by column, for comparisons across formats.
pub fn rows(b: &RecordBatch, skip: &[&str]) -> Vec<Vec<String>> {
    (0..b.num_rows())
        .map(|i| {
            b.schema()
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| !skip.contains(&f.name().as_str()))
                .map(|(j, _)| cell(b.column(j).as_ref(), i))
                .collect()
        })
        .collect()
}

pub fn cell(a: &dyn Array, i: usize) -> String {
    use arrow::datatypes::DataType::*;
    if a.is_null(i) {
        return "∅".into();
    }
    match a.data_type() {
        Utf8 => a.as_string::<i32>().value(i).to_string(),
        Float64 => a.as_primitive::<Float64Type>().value(i).to_string(),
        Int64 => a.as_primitive::<Int64Type>().value(i).to_string(),
        Int32 => a.as_primitive::<Int32Type>().value(i).to_string(),
        Date32 => a
            .as_primitive::<Date32Type>()
            .value_as_date(i)
            .unwrap()
            .to_string(),
        other => panic!("unexpected type {other}"),
    }
}

/// The values of one column, as text.
pub fn column(b: &RecordBatch, name: &str) -> Vec<String> {
    let a = b.column_by_name(name).unwrap();
    (0..b.num_rows()).map(|i| cell(a.as_ref(), i)).collect()
}
