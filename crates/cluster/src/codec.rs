//! How friktion's tables cross the wire to a scheduler: Ballista's own codec, plus a pinned
//! table of a lake on object storage (by its files: any node reads them from the bucket) and
//! an in-memory table (the empty stand-in for a table a lake version lacks) by its rows as
//! Arrow IPC. Marts being built are pinned tables over their uploaded files, never rows: a
//! plan must stay under gRPC's 16 MiB message limit whatever the marts' size.
//! The first byte of each encoding says which.

use std::sync::Arc;

use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use ballista_core::serde::BallistaLogicalExtensionCodec;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Extension, LogicalPlan};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use friktion_query::pinned::{PinnedFiles, PinnedTable};

const BALLISTA: u8 = b'B';
const PINNED: u8 = b'P';
const ROWS: u8 = b'R';

#[derive(Debug, Default)]
pub struct FriktionCodec {
    ballista: BallistaLogicalExtensionCodec,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Internal(format!(
        "cannot decode {what} sent by a friktion client: {e}"
    ))
}

impl LogicalExtensionCodec for FriktionCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        match buf.split_first() {
            Some((&PINNED, rest)) => {
                let files: PinnedFiles =
                    serde_json::from_slice(rest).map_err(|e| corrupt("a pinned table", e))?;
                Ok(Arc::new(PinnedTable::try_new(schema, files)?))
            }
            Some((&ROWS, rest)) => {
                let reader =
                    StreamReader::try_new(rest, None).map_err(|e| corrupt("a table's rows", e))?;
                let batches = reader
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| corrupt("a table's rows", e))?;
                Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
            }
            Some((&BALLISTA, rest)) => self
                .ballista
                .try_decode_table_provider(rest, table_ref, schema, ctx),
            _ => Err(corrupt(
                "a table",
                format!("unknown encoding of {table_ref}"),
            )),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        if let Some(p) = node.downcast_ref::<PinnedTable>() {
            buf.push(PINNED);
            return serde_json::to_writer(buf, p.files())
                .map_err(|e| DataFusionError::Internal(format!("encoding {table_ref}: {e}")));
        }
        if let Some(m) = node.downcast_ref::<MemTable>() {
            buf.push(ROWS);
            let mut w = StreamWriter::try_new(buf, &m.schema())?;
            for partition in &m.batches {
                // Nothing writes a friktion session's in-memory tables; a lock held would
                // be a bug, said as such rather than waited for inside the runtime.
                let rows = partition
                    .try_read()
                    .map_err(|e| DataFusionError::Internal(format!("encoding {table_ref}: {e}")))?;
                for b in rows.iter() {
                    w.write(b)?;
                }
            }
            return Ok(w.finish()?);
        }
        buf.push(BALLISTA);
        self.ballista
            .try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.ballista.try_encode_file_format(buf, node)
    }
}
