//! Writing a table whose input does not fit in memory: one open file per partition, with a
//! budget on what their unfinished row groups may hold together.

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use friktion_core::schema::TableDef;

use crate::{Result, TableFile, Txn};

pub struct PartitionedWriter {
    def: TableDef,
    stem: String,
    budget_bytes: usize,
    files: BTreeMap<Vec<String>, TableFile>,
}

impl PartitionedWriter {
    /// Files are named `part-<stem>.parquet` in each partition. When the buffered row groups
    /// of all open files exceed `budget_bytes`, the largest are ended early; that costs some
    /// compression and keeps peak memory flat however many partitions an input touches.
    pub fn new(def: TableDef, stem: &str, budget_bytes: usize) -> Self {
        Self {
            def,
            stem: stem.to_string(),
            budget_bytes,
            files: BTreeMap::new(),
        }
    }

    pub fn write(&mut self, txn: &Txn<'_>, partition: &[&str], batch: &RecordBatch) -> Result<()> {
        crate::failpoint("lake.stream_write")?;
        let key: Vec<String> = partition.iter().map(|s| s.to_string()).collect();
        if !self.files.contains_key(&key) {
            let f = txn.create_file(&self.def, partition, &self.stem)?;
            self.files.insert(key.clone(), f);
        }
        self.files
            .get_mut(&key)
            .expect("inserted above")
            .write(batch)?;
        self.enforce_budget()
    }

    fn enforce_budget(&mut self) -> Result<()> {
        let mut total: usize = self.files.values().map(TableFile::buffered_bytes).sum();
        while total > self.budget_bytes {
            let Some(f) = self.files.values_mut().max_by_key(|f| f.buffered_bytes()) else {
                break;
            };
            let before = f.buffered_bytes();
            if before == 0 {
                break;
            }
            f.flush()?;
            total -= before - f.buffered_bytes();
        }
        Ok(())
    }

    /// Bytes buffered across all open files.
    pub fn buffered_bytes(&self) -> usize {
        self.files.values().map(TableFile::buffered_bytes).sum()
    }

    /// Closes every file into the transaction; returns each partition with its row count.
    pub fn finish(self, txn: &mut Txn<'_>) -> Result<Vec<(Vec<String>, u64)>> {
        let mut out = Vec::with_capacity(self.files.len());
        for (k, f) in self.files {
            out.push((k, txn.close_file(f)?));
        }
        Ok(out)
    }
}
