//! The municipality and county tables, from the SCB reference, through the ledger like any source.

use std::sync::Arc;

use anyhow::{Context, Result};
use arrow::array::{ArrayRef, BinaryArray, RecordBatch, StringArray};
use chrono::{DateTime, Utc};
use friktion_core::reference::{COUNTY_FILE, MUNICIPALITY_FILE};
use friktion_core::{LakeTable, Reference};
use friktion_lake::{Lake, Ledger, LedgerEntry};

use crate::config::Config;
use crate::whole_tables::{self, WholeSource};

const REFERENCE_VERSION: &str = "reference-1";

pub fn load(
    lake: &Lake,
    ledger: &Ledger,
    cfg: &Config,
    reference: &Reference,
    run_id: &str,
    now: DateTime<Utc>,
) -> Result<LedgerEntry> {
    let mut bytes = Vec::new();
    for f in [MUNICIPALITY_FILE, COUNTY_FILE] {
        let p = cfg.reference.join(f);
        bytes.extend(std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?);
    }
    let name = cfg.source_name(&cfg.reference);
    let src = WholeSource {
        name: &name,
        kind: "reference",
        bytes: &bytes,
        version: REFERENCE_VERSION,
        stem: "scb",
    };
    whole_tables::load(lake, ledger, &src, run_id, now, || {
        let (m, c) = batches(reference);
        let records = (m.num_rows() + c.num_rows()) as i64;
        Ok((
            records,
            vec![(LakeTable::Municipality, m), (LakeTable::County, c)],
        ))
    })
}

fn batches(r: &Reference) -> (RecordBatch, RecordBatch) {
    let k: Vec<_> = r.kommuner().collect();
    let lan_name = |code: &str| {
        r.lan_by_code(code)
            .map(|l| l.name.clone())
            .unwrap_or_default()
    };
    let m = RecordBatch::try_new(
        LakeTable::Municipality.def().file_schema(),
        vec![
            Arc::new(StringArray::from_iter_values(
                k.iter().map(|k| &k.kommun_kod),
            )) as ArrayRef,
            Arc::new(StringArray::from_iter_values(k.iter().map(|k| &k.name))),
            Arc::new(StringArray::from_iter_values(k.iter().map(|k| &k.lan_kod))),
            Arc::new(StringArray::from_iter_values(
                k.iter().map(|k| lan_name(&k.lan_kod)),
            )),
            Arc::new(StringArray::from(vec![None::<&str>; k.len()])),
            Arc::new(BinaryArray::from_iter_values(k.iter().map(|k| &k.geometry))),
        ],
    )
    .expect("municipality batch matches its schema");
    let l: Vec<_> = r.lan().collect();
    let c = RecordBatch::try_new(
        LakeTable::County.def().file_schema(),
        vec![
            Arc::new(StringArray::from_iter_values(l.iter().map(|l| &l.lan_kod))) as ArrayRef,
            Arc::new(StringArray::from_iter_values(l.iter().map(|l| &l.name))),
            Arc::new(BinaryArray::from_iter_values(l.iter().map(|l| &l.geometry))),
        ],
    )
    .expect("county batch matches its schema");
    (m, c)
}
