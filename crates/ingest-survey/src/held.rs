//! The responses of an export while their weights wait for its last row: held in memory up to
//! a budget, the rest spilled to a temporary Arrow IPC file, so a large export is never held.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek};

use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;

#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    #[error("cannot write or read the responses' temporary file (in TMPDIR, or /tmp)")]
    Io(#[from] std::io::Error),
    #[error("cannot write or read the responses' temporary file")]
    Arrow(#[from] ArrowError),
}

pub(crate) struct Held {
    budget: usize,
    kept: Vec<RecordBatch>,
    size: usize,
    spilled: Option<StreamWriter<BufWriter<File>>>,
}

impl Held {
    pub(crate) fn new(budget: usize) -> Self {
        Held {
            budget,
            kept: Vec::new(),
            size: 0,
            spilled: None,
        }
    }

    pub(crate) fn push(&mut self, batch: RecordBatch) -> Result<(), SpillError> {
        let size = batch.get_array_memory_size();
        if self.spilled.is_none() && self.size + size <= self.budget {
            self.size += size;
            self.kept.push(batch);
            return Ok(());
        }
        let w = match &mut self.spilled {
            Some(w) => w,
            // Unlinked at once: nothing is left behind if the run is killed.
            None => self.spilled.insert(StreamWriter::try_new(
                BufWriter::new(tempfile::tempfile()?),
                &batch.schema(),
            )?),
        };
        w.write(&batch)?;
        Ok(())
    }

    /// Every batch, in the order pushed.
    pub(crate) fn batches(
        self,
    ) -> Result<impl Iterator<Item = Result<RecordBatch, SpillError>>, SpillError> {
        let spilled = match self.spilled {
            None => None,
            Some(mut w) => {
                w.finish()?;
                let mut f = w.into_inner()?.into_inner().map_err(|e| e.into_error())?;
                f.rewind()?;
                Some(StreamReader::try_new(BufReader::new(f), None)?)
            }
        };
        let spilled = spilled
            .into_iter()
            .flatten()
            .map(|b| b.map_err(SpillError::from));
        Ok(self.kept.into_iter().map(Ok).chain(spilled))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn batches_come_back_in_order_whether_kept_or_spilled() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let batch = |i: i64| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(vec![i; 100])),
                    Arc::new(StringArray::from(vec![Some("å"), None].repeat(50))),
                ],
            )
            .unwrap()
        };
        let one = batch(0).get_array_memory_size();
        // Room for two: the rest go to the file.
        let mut held = Held::new(one * 2);
        for i in 0..5 {
            held.push(batch(i)).unwrap();
        }
        assert_eq!(held.kept.len(), 2);
        assert!(held.spilled.is_some());
        let back: Vec<RecordBatch> = held.batches().unwrap().map(Result::unwrap).collect();
        assert_eq!(back, (0..5).map(batch).collect::<Vec<_>>());
    }
}
