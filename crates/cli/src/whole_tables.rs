//! Sources that become whole lake tables (the SCB reference, the key-factor catalogue, the cost
//! assumptions): reloaded through the ledger when their bytes change, their tables replaced
//! whole, in one commit with the ledger row.

use anyhow::Result;
use arrow::array::RecordBatch;
use chrono::{DateTime, Utc};
use friktion_core::LakeTable;
use friktion_lake::{Lake, Ledger, LedgerEntry, content_hash, ledger, source_key};

pub struct WholeSource<'a> {
    /// The source's name in lineage (relative to the root).
    pub name: &'a str,
    /// The ledger's source_kind.
    pub kind: &'a str,
    pub bytes: &'a [u8],
    /// Bumped when the way the source becomes tables changes.
    pub version: &'a str,
    /// The file stem the tables' files get.
    pub stem: &'a str,
}

/// Loads the source unless its bytes and version are what the ledger last loaded. `tables`
/// builds the batches (only when they are needed) and says how many records the source held.
pub fn load(
    lake: &Lake,
    ledger: &Ledger,
    src: &WholeSource<'_>,
    run_id: &str,
    now: DateTime<Utc>,
    tables: impl FnOnce() -> Result<(i64, Vec<(LakeTable, RecordBatch)>)>,
) -> Result<LedgerEntry> {
    let mut e = LedgerEntry::new(
        src.name,
        src.kind,
        content_hash(src.bytes),
        content_hash(src.version.as_bytes()),
        run_id,
        now,
    );
    let last = ledger.last_load(src.name);
    let mut txn = lake.begin()?;
    if last.is_some_and(|l| l.content_hash == e.content_hash && l.config_hash == e.config_hash) {
        e.action = "skipped".into();
    } else {
        if last.is_some() {
            e.action = "replaced".into();
        }
        let (records, built) = tables()?;
        e.rows_read = records;
        e.rows_written = e.rows_read;
        for (t, b) in built {
            txn.write_table(&t.def(), &[], src.stem, &[b])?;
        }
    }
    txn.write_table(
        &LakeTable::Ledger.def(),
        &[],
        &format!("{run_id}-{}", source_key(src.name)),
        &[ledger::to_batch(std::slice::from_ref(&e))],
    )?;
    txn.commit()?;
    Ok(e)
}
