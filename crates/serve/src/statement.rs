//! One statement's bounds and its audit record: refused on its first word if it is a write,
//! then a slot of its user's concurrent queries, the lake's read gate from planning to its last
//! row (so it sees one commit whole), a deadline and the connection's cancel token. Its result
//! stream counts rows and bytes; when the last row has gone, or it failed or was refused, one
//! audit record says so.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use datafusion_postgres::DfSessionService;
use friktion_lake::gate::ReadGuard;
use futures::Stream;
use pgwire::api::results::Response;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::copy::CopyData;
use pgwire::messages::data::DataRow;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::audit::{Kind, Outcome, Record};
use crate::conn::{Conn, Shared};
use crate::guard::{error, sqlstate};

/// Statements that are never queries, refused on their first word even if the parser would
/// not understand the rest (CREATE EXTERNAL TABLE is not PostgreSQL).
const WRITES: [&str; 20] = [
    "CREATE", "DROP", "ALTER", "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "GRANT",
    "REVOKE", "CALL", "DO", "LOAD", "VACUUM", "REINDEX", "CLUSTER", "LOCK", "COMMENT", "REFRESH",
    "IMPORT",
];

fn first_word(sql: &str) -> String {
    let mut s = sql.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    s.split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_uppercase()
}

pub(crate) fn prefilter(sql: &str) -> PgWireResult<()> {
    let w = first_word(sql);
    if WRITES.contains(&w.as_str()) {
        return Err(error(
            sqlstate::READ_ONLY,
            format!(
                "friktion serve is read-only: {w} is refused (the lake is written only by `friktion run`)"
            ),
        ));
    }
    Ok(())
}

pub(crate) fn outcome_of(e: &PgWireError) -> (Outcome, String) {
    match e {
        PgWireError::UserError(info) => (
            if sqlstate::REFUSALS.contains(&info.code.as_str()) {
                Outcome::Refused
            } else {
                Outcome::Failed
            },
            info.message.clone(),
        ),
        PgWireError::ApiError(e) => (Outcome::Failed, friktion_core::error_chain(e.as_ref())),
        other => (Outcome::Failed, other.to_string()),
    }
}

fn timed_out(timeout: Duration) -> PgWireError {
    error(
        sqlstate::CANCELED,
        format!(
            "canceling statement due to statement timeout (friktion serve stops queries after {} s)",
            timeout.as_secs()
        ),
    )
}

fn canceled() -> PgWireError {
    error(
        sqlstate::CANCELED,
        "canceling statement due to user request",
    )
}

/// One statement's record, written when the last holder lets go.
pub(crate) struct Tally {
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    record: Mutex<Record>,
    started: Instant,
    rows: AtomicU64,
    bytes: AtomicU64,
    gate: Mutex<Option<ReadGuard>>,
    _slot: OwnedSemaphorePermit,
    /// The task that lets the gate go if the client never reads the result to its end.
    timer: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Tally {
    /// The record of a statement that got its slot and the gate; counts it as running.
    pub(crate) fn new(
        shared: Arc<Shared>,
        conn: Arc<Conn>,
        record: Record,
        started: Instant,
        gate: ReadGuard,
        slot: OwnedSemaphorePermit,
    ) -> Self {
        conn.busy.fetch_add(1, Ordering::Relaxed);
        Self {
            shared,
            conn,
            record: Mutex::new(record),
            started,
            rows: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            gate: Mutex::new(Some(gate)),
            _slot: slot,
            timer: Mutex::new(None),
        }
    }

    pub(crate) fn stop_with(&self, timer: tokio::task::AbortHandle) {
        *self.timer.lock().unwrap_or_else(|p| p.into_inner()) = Some(timer);
    }

    fn fail(&self, e: &PgWireError) {
        let (outcome, reason) = outcome_of(e);
        let mut r = self.record.lock().unwrap_or_else(|p| p.into_inner());
        if r.outcome.is_none_or(|o| o == Outcome::Ok) {
            r.outcome = Some(outcome);
            r.reason = Some(reason);
        }
    }

    pub(crate) fn release_gate(&self) {
        self.gate.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        let mut r = self
            .record
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        r.outcome.get_or_insert(Outcome::Ok);
        r.rows = Some(self.rows.load(Ordering::Relaxed));
        r.bytes = Some(self.bytes.load(Ordering::Relaxed));
        r.duration_ms = Some(self.started.elapsed().as_secs_f64() * 1e3);
        self.release_gate();
        if let Some(t) = self.timer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            t.abort();
        }
        self.shared.audit(&r);
        self.conn.busy.fetch_sub(1, Ordering::Relaxed);
        self.conn.touch();
    }
}

/// A running statement's bounds.
pub(crate) struct Running {
    pub(crate) tally: Arc<Tally>,
    pub(crate) token: CancellationToken,
    pub(crate) deadline: tokio::time::Instant,
    pub(crate) service: Arc<DfSessionService>,
}

impl Running {
    pub(crate) async fn bounded<T>(
        &self,
        work: impl std::future::Future<Output = PgWireResult<T>>,
    ) -> PgWireResult<T> {
        let timeout = self.tally.shared.config.query_timeout();
        let r = tokio::select! {
            r = tokio::time::timeout_at(self.deadline, work) => r.unwrap_or_else(|_| Err(timed_out(timeout))),
            _ = self.token.cancelled() => Err(canceled()),
        };
        if let Err(e) = &r {
            self.tally.fail(e);
        }
        r
    }

    fn guard<T: WireSize>(
        &self,
        inner: Pin<Box<dyn Stream<Item = PgWireResult<T>> + Send>>,
    ) -> Guarded<T> {
        Guarded {
            inner,
            tally: Some(self.tally.clone()),
            deadline: Box::pin(tokio::time::sleep_until(self.deadline)),
            cancel: Box::pin(self.token.clone().cancelled_owned()),
            timeout: self.tally.shared.config.query_timeout(),
        }
    }

    pub(crate) fn wrap(&self, r: Response) -> Response {
        match r {
            Response::Query(mut q) => {
                let rows = std::mem::replace(&mut q.data_rows, Box::pin(futures::stream::empty()));
                q.data_rows = Box::pin(self.guard(rows));
                Response::Query(q)
            }
            Response::CopyOut(mut c) => {
                let rows =
                    std::mem::replace(&mut c.data_stream, Box::pin(futures::stream::empty()));
                c.data_stream = Box::pin(self.guard(rows));
                Response::CopyOut(c)
            }
            other => other,
        }
    }
}

/// What a streamed item weighs on the wire.
trait WireSize: Send + 'static {
    fn wire_len(&self) -> usize;
}

impl WireSize for DataRow {
    fn wire_len(&self) -> usize {
        self.data.len()
    }
}

impl WireSize for CopyData {
    fn wire_len(&self) -> usize {
        self.data.len()
    }
}

/// A result stream that counts what it sends and stops at the deadline or on cancel.
struct Guarded<T> {
    inner: Pin<Box<dyn Stream<Item = PgWireResult<T>> + Send>>,
    tally: Option<Arc<Tally>>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    cancel: Pin<Box<WaitForCancellationFutureOwned>>,
    timeout: Duration,
}

impl<T: WireSize> Stream for Guarded<T> {
    type Item = PgWireResult<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(tally) = self.tally.clone() else {
            return Poll::Ready(None);
        };
        let stop = if self.cancel.as_mut().poll(cx).is_ready() {
            Some(canceled())
        } else if self.deadline.as_mut().poll(cx).is_ready() {
            Some(timed_out(self.timeout))
        } else {
            None
        };
        if let Some(e) = stop {
            tally.fail(&e);
            self.tally = None;
            return Poll::Ready(Some(Err(e)));
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(item))) => {
                tally.rows.fetch_add(1, Ordering::Relaxed);
                tally
                    .bytes
                    .fetch_add(item.wire_len() as u64, Ordering::Relaxed);
                Poll::Ready(Some(Ok(item)))
            }
            Poll::Ready(Some(Err(e))) => {
                tally.fail(&e);
                self.tally = None;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                // The statement is over: its record is written and the gate let go now, not
                // when the client closes the portal.
                self.tally = None;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The audit record of a statement, before its outcome is known.
pub(crate) fn statement_record(conn: &Conn, text: &str) -> Record {
    let mut record = Record::new(Kind::Statement, conn.addr);
    if let Some((user, role, pid)) = conn.user() {
        record.user = Some(user.to_string());
        record.role = Some(role.as_str().to_string());
        record.connection = Some(pid);
    }
    record.statement = Some(text.to_string());
    record.tls = Some(conn.is_tls());
    record
}

/// Writes the record of a statement that ended before it ran.
pub(crate) fn refused(shared: &Shared, mut r: Record, started: Instant, e: &PgWireError) {
    let (outcome, reason) = outcome_of(e);
    r.outcome = Some(outcome);
    r.reason = Some(reason);
    r.duration_ms = Some(started.elapsed().as_secs_f64() * 1e3);
    shared.audit(&r);
}
