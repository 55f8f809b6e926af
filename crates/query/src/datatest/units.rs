//! A data test measured unit by unit, each unit's figure kept with its files' fingerprint, so a
//! night tests what changed: a day of logs added to a year is one day's partition queried.
//!
//! A unit is one partition of a partitioned lake table (a day of `it_event`, a wave of
//! `survey_response`), or the whole table: a mart, an unpartitioned table, or a `unique` test
//! whose columns leave out a partition column (its duplicates could span partitions). Failing
//! rows and row counts add up over units and freshness takes the newest, so the figure from
//! kept and newly queried units is the figure one query over the whole table gives. A unit's
//! fingerprint is the program, the test, its files (name and time) and, for `relationships`,
//! every file of the table it points to: any change there queries the unit again.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, TimeUnit};
use datafusion::error::DataFusionError;
use friktion_core::LakeTable;
use friktion_lake::{Lake, LakeFile, listing};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{DataTest, Kind, quote};
use crate::{LakeSession, QueryError};

/// What earlier runs measured, by test and unit. Kept by the caller between runs; one that is
/// lost or stale only costs queries, since a figure is used only where its fingerprint matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestMemory {
    tests: BTreeMap<String, BTreeMap<String, UnitFigure>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UnitFigure {
    fingerprint: String,
    figure: Option<f64>,
}

/// Each directory's files, listed once in a run however many tests read it.
#[derive(Debug, Default)]
pub(super) struct Listings(BTreeMap<String, Vec<LakeFile>>);

impl Listings {
    fn files(&mut self, lake: &Lake, dir: &str) -> Result<&[LakeFile], QueryError> {
        if !self.0.contains_key(dir) {
            self.0.insert(dir.to_string(), lake.files_with_times(dir)?);
        }
        Ok(&self.0[dir])
    }
}

/// How many units a run queried and how many it took from memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitCounts {
    pub queried: usize,
    pub kept: usize,
}

/// Measures one test unit by unit: the failing rows, the row count (`row_count_change`) or the
/// newest value in microseconds (`freshness`; `None` when the table has no rows). `None` also
/// for a test that checks nothing (a range without bounds).
pub(super) async fn measure(
    session: &LakeSession,
    t: &DataTest,
    program: &str,
    earlier: &TestMemory,
    next: &mut TestMemory,
    counts: &mut UnitCounts,
    listed: &mut Listings,
) -> Result<Option<f64>, QueryError> {
    let (dir, partition_cols) = layout(t);
    let lake = session.lake();
    let pointed_to = match &t.kind {
        Kind::Relationships(r) => listing(listed.files(lake, &layout_of(&r.to).0)?),
        _ => String::new(),
    };
    let mut units: BTreeMap<Vec<String>, Vec<&LakeFile>> = BTreeMap::new();
    for f in listed.files(lake, &dir)? {
        let key = match partition_cols.is_empty() {
            true => vec![],
            false => f.partition(&dir, &partition_cols)?,
        };
        units.entry(key).or_default().push(f);
    }
    let test_id = hash(&[program, &t.target, &format!("{:?}", t.kind)]);
    let remembered = earlier.tests.get(&test_id);
    let mut figures: BTreeMap<Vec<String>, UnitFigure> = BTreeMap::new();
    let mut stale = Vec::new();
    for (key, files) in &units {
        let fingerprint = hash(&[&test_id, &pointed_to, &listing(files.iter().copied())]);
        match remembered.and_then(|m| m.get(&unit_name(&partition_cols, key))) {
            Some(u) if u.fingerprint == fingerprint => {
                counts.kept += 1;
                figures.insert(key.clone(), u.clone());
            }
            _ => {
                stale.push(key.clone());
                figures.insert(
                    key.clone(),
                    UnitFigure {
                        fingerprint,
                        figure: None,
                    },
                );
            }
        }
    }
    if !stale.is_empty() {
        // Every unit stale (a first night): no filter, the plain query over the table.
        let only = (stale.len() < units.len()).then_some(&stale[..]);
        let Some(sql) = unit_sql(t, &partition_cols, only) else {
            return Ok(None);
        };
        counts.queried += stale.len();
        let found = by_unit(&session.query(&sql).await?, partition_cols.len())?;
        let zero = !matches!(t.kind, Kind::Freshness(_));
        for key in &stale {
            let figure = found.get(key).copied().flatten();
            let u = figures.get_mut(key).expect("every stale unit has a figure");
            u.figure = figure.or(zero.then_some(0.0));
        }
    }
    let total = match t.kind {
        Kind::Freshness(_) => figures.values().filter_map(|u| u.figure).reduce(f64::max),
        _ => Some(figures.values().filter_map(|u| u.figure).sum()),
    };
    next.tests.insert(
        test_id,
        figures
            .into_iter()
            .map(|(k, u)| (unit_name(&partition_cols, &k), u))
            .collect(),
    );
    Ok(total)
}

/// The target's directory in the lake, and the partition columns that make its units.
fn layout(t: &DataTest) -> (String, Vec<&'static str>) {
    let (dir, cols) = layout_of(&t.target);
    let cols = match &t.kind {
        Kind::Unique(cs) if !cols.iter().all(|p| cs.iter().any(|c| c.as_str() == *p)) => vec![],
        _ => cols,
    };
    (dir, cols)
}

/// A lake table's directory and partition columns; anything else is a mart.
fn layout_of(name: &str) -> (String, Vec<&'static str>) {
    match LakeTable::ALL
        .iter()
        .map(|t| t.def())
        .find(|d| d.name == name)
    {
        Some(def) => (def.name.to_string(), def.partition_cols.to_vec()),
        None => (format!("{}/{name}", friktion_lake::MARTS), vec![]),
    }
}

fn unit_name(cols: &[&str], key: &[String]) -> String {
    cols.iter()
        .zip(key)
        .map(|(c, v)| format!("{c}={v}"))
        .collect::<Vec<_>>()
        .join("/")
}

fn hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..12])
}

/// The query giving each unit's figure: the partition columns' values, then the figure, one
/// row per unit that has one; only the units `only` names when it is given.
pub(super) fn unit_sql(
    t: &DataTest,
    cols: &[&str],
    only: Option<&[Vec<String>]>,
) -> Option<String> {
    let tb = &t.target;
    let keys = |alias: &str| -> String {
        cols.iter()
            .map(|c| format!("{alias}.{c}, "))
            .collect::<String>()
    };
    let group = |alias: &str| match cols.is_empty() {
        true => String::new(),
        false => format!(
            " GROUP BY {}",
            cols.iter()
                .map(|c| format!("{alias}.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let units = only.map(|keys| {
        keys.iter()
            .map(|key| {
                let eq: Vec<String> = cols
                    .iter()
                    .zip(key)
                    .map(|(c, v)| format!("t.{c} = {}", quote(v)))
                    .collect();
                format!("({})", eq.join(" AND "))
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    });
    let within = |cond: &str| match &units {
        None => cond.to_string(),
        Some(u) => format!("({u}) AND ({cond})"),
    };
    let rows_where = |cond: &str| {
        format!(
            "SELECT {}COUNT(*) FROM {tb} t WHERE {}{}",
            keys("t"),
            within(cond),
            group("t")
        )
    };
    let all_units = units
        .as_ref()
        .map_or(String::new(), |u| format!(" WHERE {u}"));
    Some(match &t.kind {
        Kind::NotNull(c) => rows_where(&format!("t.{c} IS NULL")),
        Kind::AcceptedValues(a) => rows_where(&format!(
            "t.{c} IS NOT NULL AND t.{c} NOT IN ({vals})",
            c = a.column,
            vals = a
                .values
                .iter()
                .map(|v| quote(v))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Kind::Range(r) => {
            let mut conds = Vec::new();
            if let Some(min) = r.min {
                conds.push(format!("t.{} < {min}", r.column));
            }
            if let Some(max) = r.max {
                conds.push(format!("t.{} > {max}", r.column));
            }
            if conds.is_empty() {
                return None;
            }
            rows_where(&conds.join(" OR "))
        }
        Kind::Relationships(r) => format!(
            "SELECT {}COUNT(*) FROM {tb} t LEFT JOIN (SELECT DISTINCT {f} AS k FROM {to}) p \
             ON t.{c} = p.k WHERE {}{}",
            keys("t"),
            within(&format!("t.{c} IS NOT NULL AND p.k IS NULL", c = r.column)),
            group("t"),
            f = r.field,
            to = r.to,
            c = r.column
        ),
        Kind::Unique(cs) => format!(
            "SELECT {}COUNT(*) FROM (SELECT {cs} FROM {tb} t{all_units} GROUP BY {cs} \
             HAVING COUNT(*) > 1) d{}",
            keys("d"),
            group("d"),
            cs = cs
                .iter()
                .map(|c| format!("t.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Kind::RowCountChange(_) => format!(
            "SELECT {}COUNT(*) FROM {tb} t{all_units}{}",
            keys("t"),
            group("t")
        ),
        Kind::Freshness(f) => format!(
            "SELECT {}MAX(t.{}) FROM {tb} t{all_units}{}",
            keys("t"),
            f.column,
            group("t")
        ),
    })
}

/// Each unit's figure from [`unit_sql`]'s rows.
fn by_unit(
    batches: &[RecordBatch],
    n_keys: usize,
) -> Result<BTreeMap<Vec<String>, Option<f64>>, QueryError> {
    let mut out = BTreeMap::new();
    for b in batches {
        let keys = (0..n_keys)
            .map(|i| arrow::compute::cast(b.column(i), &DataType::Utf8))
            .collect::<Result<Vec<_>, _>>()
            .map_err(DataFusionError::from)?;
        let figures = as_f64(b.column(n_keys))?;
        let figures = figures.as_primitive::<Float64Type>();
        for row in 0..b.num_rows() {
            let key = keys
                .iter()
                .map(|k| k.as_string::<i32>().value(row).to_string())
                .collect();
            out.insert(key, (!figures.is_null(row)).then(|| figures.value(row)));
        }
    }
    Ok(out)
}

/// A figure as f64: counts as they are, times as microseconds since 1970.
fn as_f64(col: &ArrayRef) -> Result<ArrayRef, QueryError> {
    let col = match col.data_type() {
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => {
            arrow::compute::cast(col, &DataType::Timestamp(TimeUnit::Microsecond, None))
                .and_then(|c| arrow::compute::cast(&c, &DataType::Int64))
                .map_err(DataFusionError::from)?
        }
        _ => col.clone(),
    };
    Ok(arrow::compute::cast(&col, &DataType::Float64).map_err(DataFusionError::from)?)
}
