//! One log file, from bytes to the sink: chunks parsed in parallel, results in input order.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use arrow::array::RecordBatch;
use chrono::NaiveDate;
use chrono_tz::Tz;
use friktion_core::quarantine::{Action, QuarantineRow};
use friktion_core::{Pseudonymiser, Reference};
use sha2::Digest;

use crate::catalog::Catalog;
use crate::detect::{choose_format, syslog_reference};
use crate::formats::{ChunkState, Format, Joiner, LineParser, ParseOptions};
use crate::input::{self, Chunker, Piece};
use crate::normalise::{EventBuilder, Local, Normaliser, PseudonymCache, Sizes};
use crate::spec::LogSpec;
use crate::{LogError, time};

/// Bytes per chunk handed to a worker.
pub const CHUNK_BYTES: usize = 4 << 20;
/// Longer lines are quarantined, and skipped without being held in memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Quarantine records kept per file; beyond this only a count is kept, in one final record.
pub const QUARANTINE_CAP: usize = 10_000;

/// Why a sink refused a batch: the caller's own error, handed back in [`LogError::Sink`].
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Receives each day's events, in input order. Implemented by the caller (the lake).
pub trait EventSink: Send {
    fn write(&mut self, day: NaiveDate, batch: RecordBatch) -> Result<(), SinkError>;
}

pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub reference: &'a Reference,
    pub pseudonymiser: &'a Pseudonymiser,
    pub cache: &'a PseudonymCache,
    /// Called now and then with (bytes of the file consumed, file size).
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// Hash the file while reading it (into `content_sha256`); a caller that hashed it already
    /// says no, so a large file is not hashed twice.
    pub hash_content: bool,
}

#[derive(Debug, Default)]
pub struct LogOutcome {
    pub format: Option<Format>,
    pub lines_read: i64,
    pub events: i64,
    pub lines_rejected: i64,
    /// Events kept with a value left out (an unknown kommun).
    pub values_nulled: i64,
    /// Events the catalogue could not place in a system.
    pub events_without_system: i64,
    pub quarantine: Vec<QuarantineRow>,
    /// Bytes after decompression.
    pub bytes: u64,
    /// Set when the input broke off (a truncated or corrupt compressed file): what was read
    /// before the break is loaded.
    pub truncated: Option<String>,
    /// SHA-256 (hex) of the file's bytes as read, when it was read to its end.
    pub content_sha256: Option<String>,
}

struct Parsed {
    by_day: BTreeMap<NaiveDate, RecordBatch>,
    quarantine: Vec<QuarantineRow>,
    lines: i64,
    events: i64,
    rejected: i64,
    nulled: i64,
    without_system: i64,
    /// Rejected lines beyond the per-piece cap: counted, not listed.
    unlisted: i64,
}

/// Reads one log file into the sink. Line problems are quarantined; Err only when the file
/// cannot be read as a log at all (then nothing was written to the sink).
pub fn ingest(
    path: &Path,
    source_file: &str,
    spec: &LogSpec,
    ctx: &Context<'_>,
    sink: &mut dyn EventSink,
) -> Result<LogOutcome, LogError> {
    let src_err = |problem: String| LogError::Source {
        file: source_file.to_string(),
        problem,
    };
    let tz: Tz = match &spec.timezone {
        Some(z) => z
            .parse()
            .map_err(|_| src_err(format!("timezone '{z}' is not an IANA zone name")))?,
        None => chrono_tz::Europe::Stockholm,
    };
    let reference = syslog_reference(path, spec).map_err(src_err)?;
    let opts = ParseOptions {
        fields: spec.fields.clone(),
        latency_unit: spec.latency_unit,
        csv_delimiter: match spec.csv_delimiter {
            Some(c) if c.is_ascii() => Some(c as u8),
            Some(c) => return Err(src_err(format!("csv_delimiter '{c}' is not ASCII"))),
            None => None,
        },
        syslog_reference: reference,
    };
    let opened = input::open(path, ctx.hash_content).map_err(|e| LogError::io(path, e))?;
    let (size, consumed, hash) = (opened.size, opened.consumed.clone(), opened.hash.clone());
    let mut chunker = Chunker::new(opened.reader, CHUNK_BYTES, MAX_LINE_BYTES);
    let mut out = LogOutcome::default();
    let first = chunker.next_piece();
    let Some(first) = first else {
        if let Some(e) = chunker.error.take() {
            return Err(src_err(format!("cannot be read: {e}")));
        }
        // An empty file is a file with no events.
        out.content_sha256 = hash.map(finish_hash);
        return Ok(out);
    };
    let (format, parser) = choose_format(&first, spec, &opts).map_err(src_err)?;
    out.format = Some(format);
    let norm = Normaliser {
        catalog: ctx.catalog,
        reference: ctx.reference,
        pseudonymiser: ctx.pseudonymiser,
        cache: ctx.cache,
        tz,
        kommun_kod: spec.kommun_kod.as_deref(),
        system_id: spec.system_id.as_deref(),
        source_file,
        source_format: format.name(),
    };
    if let Some(id) = &spec.system_id {
        if ctx.catalog.by_id(id).is_none() {
            return Err(src_err(format!(
                "system_id '{id}' is not in the systems catalogue"
            )));
        }
    }
    if let Some(k) = &spec.kommun_kod {
        if ctx.reference.kommun(k).is_none() {
            return Err(src_err(format!(
                "kommun_kod '{k}' is not a kommun in the SCB reference"
            )));
        }
    }
    // Plain threads rather than rayon's pool: pieces stream through in order with bounded
    // memory, which a fork-join over groups of chunks cannot do without a barrier per group.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let locals: Mutex<Vec<Local<'_>>> = Mutex::new(Vec::new());
    let mut dropped = 0i64;
    // Pieces in flight at most: reading runs ahead of writing by this much and no more, which
    // bounds memory (a piece is at most CHUNK_BYTES) whatever the input size.
    let ahead = (workers * 3) as u64;
    let written = std::sync::atomic::AtomicU64::new(0);
    let (work_tx, work_rx) = std::sync::mpsc::sync_channel::<(u64, Piece, ChunkState)>(workers * 2);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<(u64, Parsed)>(workers * 2);
    let mut failed: Option<crate::ingest::SinkError> = None;
    let chunker = std::thread::scope(|s| {
        // One reader (and decompressor), so that lines are cut and numbered in order.
        let reader = s.spawn(|| {
            let mut pending = Some(first);
            let mut state = ChunkState::default();
            let mut seq = 0u64;
            let mut records = Records::new(parser.joiner());
            let mut send = |p: Piece| {
                while seq >= written.load(Ordering::Acquire) + ahead {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                let before = state.clone();
                if let Piece::Chunk { bytes, .. } = &p {
                    state = parser.carry(bytes, std::mem::take(&mut state));
                }
                let sent = work_tx.send((seq, p, before)).is_ok();
                seq += 1;
                sent
            };
            'read: while let Some(p) = pending.take().or_else(|| chunker.next_piece()) {
                for p in records.cut(p) {
                    if !send(p) {
                        break 'read;
                    }
                }
            }
            if let Some(p) = records.rest() {
                send(p);
            }
            drop(work_tx);
            chunker
        });
        // Workers parse pieces in any order ...
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let (work_rx, parser, norm, locals) = (&work_rx, &parser, &norm, &locals);
            s.spawn(move || {
                loop {
                    let job = work_rx.lock().expect("not poisoned").recv();
                    let Ok((seq, p, st)) = job else { break };
                    // A bug must not stall the pipeline (the writer waits for every piece in
                    // order): a piece whose parsing panics is quarantined whole.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        parse_piece(&p, st, parser, norm, locals)
                    }))
                    .unwrap_or_else(|e| panicked_piece(&p, e.as_ref()));
                    drop(p);
                    if done_tx.send((seq, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // ... and this thread puts them back in order and hands them to the sink, which
        // encodes Parquet while the workers parse.
        let mut next = 0u64;
        let mut held: BTreeMap<u64, Parsed> = BTreeMap::new();
        for (seq, r) in done_rx {
            held.insert(seq, r);
            while let Some(r) = held.remove(&next) {
                out.lines_read += r.lines;
                out.events += r.events;
                out.lines_rejected += r.rejected;
                out.values_nulled += r.nulled;
                out.events_without_system += r.without_system;
                dropped += r.unlisted;
                for q in r.quarantine {
                    if out.quarantine.len() < QUARANTINE_CAP {
                        out.quarantine.push(q);
                    } else {
                        dropped += 1;
                    }
                }
                if failed.is_none() {
                    for (day, batch) in r.by_day {
                        if let Err(e) = sink.write(day, batch) {
                            // Keep draining so that the reader and workers finish.
                            failed = Some(e);
                            break;
                        }
                    }
                }
                next += 1;
                written.store(next, Ordering::Release);
                if let Some(cb) = ctx.progress {
                    cb(consumed.load(Ordering::Relaxed), size);
                }
            }
        }
        reader.join().expect("the reader does not panic")
    });
    let mut chunker = chunker;
    if let Some(source) = failed {
        return Err(LogError::Sink {
            file: source_file.to_string(),
            source,
        });
    }
    if dropped > 0 {
        out.quarantine.push(QuarantineRow::new(
            None,
            None,
            None,
            format!(
                "{dropped} more quarantine records (rejected lines or nulled values) are counted but not listed (at most {QUARANTINE_CAP} are)"
            ),
            Action::RowRejected,
        ));
    }
    out.bytes = chunker.bytes;
    // Whole only if every byte went through the reader: a decoder may stop before the end.
    if chunker.error.is_none() && consumed.load(Ordering::Relaxed) == size {
        out.content_sha256 = hash.map(finish_hash);
    }
    if let Some(e) = chunker.error.take() {
        let msg = format!(
            "the input breaks off after {} bytes ({e}); the {} events before the break are loaded",
            chunker.bytes, out.events
        );
        out.quarantine.push(QuarantineRow::new(
            None,
            None,
            None,
            msg.clone(),
            Action::RowRejected,
        ));
        out.truncated = Some(msg);
    }
    if let Some(cb) = ctx.progress {
        cb(size, size);
    }
    Ok(out)
}

/// Re-cuts chunks at record boundaries for formats whose records span lines, so that no
/// record is split between two workers: the last record of a chunk, which may go on in the
/// next, is held back and put in front of it.
struct Records {
    joiner: Joiner,
    held: Vec<u8>,
    held_line: i64,
}

impl Records {
    fn new(joiner: Joiner) -> Self {
        Self {
            joiner,
            held: Vec::new(),
            held_line: 0,
        }
    }

    fn cut(&mut self, p: Piece) -> Vec<Piece> {
        if matches!(self.joiner, Joiner::Lines) {
            return vec![p];
        }
        let Piece::Chunk { bytes, first_line } = p else {
            // A skipped or cut line ends whatever record was open.
            return self.rest().into_iter().chain([p]).collect();
        };
        let (mut all, first) = if self.held.is_empty() {
            (bytes, first_line)
        } else {
            let mut all = std::mem::take(&mut self.held);
            all.extend_from_slice(&bytes);
            (all, self.held_line)
        };
        let cut = self.joiner.last_record_start(&all);
        // A record longer than a line may be is handed on as it is; the parser rejects it.
        if cut == 0 && all.len() <= MAX_LINE_BYTES {
            self.held = all;
            self.held_line = first;
            return vec![];
        }
        let cut = if cut == 0 { all.len() } else { cut };
        self.held = all.split_off(cut);
        self.held_line = first + memchr::memchr_iter(b'\n', &all).count() as i64;
        vec![Piece::Chunk {
            bytes: all,
            first_line: first,
        }]
    }

    fn rest(&mut self) -> Option<Piece> {
        (!self.held.is_empty()).then(|| Piece::Chunk {
            bytes: std::mem::take(&mut self.held),
            first_line: self.held_line,
        })
    }
}

fn finish_hash(h: std::sync::Arc<Mutex<sha2::Sha256>>) -> String {
    let h = std::mem::take(&mut *h.lock().expect("not poisoned"));
    hex::encode(h.finalize())
}

/// The first bytes of a line, printable: control characters escaped, invalid UTF-8 replaced.
pub fn sample(b: &[u8]) -> String {
    let b = &b[..b.len().min(input::HEAD_BYTES)];
    String::from_utf8_lossy(b)
        .chars()
        .flat_map(|c| {
            if c.is_control() && c != '\t' {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// What a piece gives when parsing it panicked: every line rejected, with one record saying so.
fn panicked_piece(p: &Piece, e: &(dyn std::any::Any + Send)) -> Parsed {
    let msg = e
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let (first, lines) = match p {
        Piece::Chunk { bytes, first_line } => (
            *first_line,
            memchr::memchr_iter(b'\n', bytes).count().max(1) as i64,
        ),
        Piece::LongLine { line, .. } | Piece::CutLine { line, .. } => (*line, 1),
    };
    Parsed {
        by_day: BTreeMap::new(),
        quarantine: vec![QuarantineRow::new(
            Some(first),
            None,
            None,
            format!(
                "internal error (a bug in friktion, please report it) while reading lines {first}–{}: {msg}; these lines are not loaded",
                first + lines - 1
            ),
            Action::RowRejected,
        )],
        lines,
        events: 0,
        rejected: lines,
        nulled: 0,
        without_system: 0,
        unlisted: 0,
    }
}

fn reject(out: &mut Parsed, line: i64, raw: &[u8], reason: impl Into<String>) {
    out.rejected += 1;
    // A piece of nothing but short bad lines must not hold millions of records either.
    if out.quarantine.len() >= QUARANTINE_CAP {
        out.unlisted += 1;
        return;
    }
    out.quarantine.push(QuarantineRow::new(
        Some(line),
        None,
        Some(&sample(raw)),
        reason,
        Action::RowRejected,
    ));
}

fn parse_piece<'n>(
    p: &Piece,
    mut st: ChunkState,
    parser: &LineParser,
    norm: &Normaliser<'n>,
    locals: &Mutex<Vec<Local<'n>>>,
) -> Parsed {
    let mut out = Parsed {
        by_day: BTreeMap::new(),
        quarantine: Vec::new(),
        lines: 0,
        events: 0,
        rejected: 0,
        nulled: 0,
        without_system: 0,
        unlisted: 0,
    };
    let (bytes, first_line) = match p {
        Piece::Chunk { bytes, first_line } => (bytes, *first_line),
        Piece::LongLine { line, head, len } => {
            out.lines = 1;
            reject(
                &mut out,
                *line,
                head,
                format!("line is {len} bytes, longer than the {MAX_LINE_BYTES} friktion reads"),
            );
            return out;
        }
        Piece::CutLine { line, head } => {
            out.lines = 1;
            reject(
                &mut out,
                *line,
                head,
                "line cut off where the input breaks off",
            );
            return out;
        }
    };
    // A worker's caches outlive its chunk: most users and hosts recur across chunks.
    let mut local = locals
        .lock()
        .expect("not poisoned")
        .pop()
        .unwrap_or_else(|| norm.local());
    let mut builders: BTreeMap<NaiveDate, EventBuilder> = BTreeMap::new();
    let mut last_day: Option<(i64, i64, NaiveDate)> = None; // (from_us, to_us, day)
    let mut line_no = first_line;
    let mut start = 0;
    let n = bytes.len();
    let mut joiner = parser.joiner();
    let spans_lines = !matches!(joiner, Joiner::Lines);
    // The next line, already read to see whether it went on the record before it.
    let mut next: Option<(usize, usize)> = None;
    while start < n || next.is_some() {
        let (rec_start, mut end) = next.take().unwrap_or_else(|| {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(n, |i| start + i);
            joiner.continues(&bytes[start..end]);
            (start, end)
        });
        start = end + 1;
        let this_line = line_no;
        line_no += 1;
        out.lines += 1;
        // A record spanning lines takes every line that goes on it; its line is its first.
        while spans_lines && start < n {
            let e = memchr::memchr(b'\n', &bytes[start..]).map_or(n, |i| start + i);
            if !joiner.continues(&bytes[start..e]) {
                next = Some((start, e));
                break;
            }
            end = e;
            start = e + 1;
            line_no += 1;
            out.lines += 1;
        }
        let mut raw = &bytes[rec_start..end];
        if let [rest @ .., b'\r'] = raw {
            raw = rest;
        }
        if raw.len() > MAX_LINE_BYTES {
            reject(
                &mut out,
                this_line,
                raw,
                format!(
                    "line is {} bytes, longer than the {MAX_LINE_BYTES} friktion reads",
                    raw.len()
                ),
            );
            continue;
        }
        if memchr::memchr(0, raw).is_some() {
            reject(
                &mut out,
                this_line,
                raw,
                "binary data (NUL bytes) in a text log",
            );
            continue;
        }
        let decoded;
        let line: &str = match std::str::from_utf8(raw) {
            Ok(s) => s,
            Err(_) => {
                // Older Windows services write Windows-1252; anything else fails to parse
                // below and is quarantined with its reason.
                decoded = encoding_rs::WINDOWS_1252.decode_without_bom_handling(raw).0;
                &decoded
            }
        };
        let ev = match parser.parse(line, &mut st) {
            Ok(Some(ev)) => ev,
            Ok(None) => continue,
            Err(reason) => {
                reject(&mut out, this_line, raw, reason);
                continue;
            }
        };
        let Some(ts) = ev.ts.and_then(|t| t.to_micros(norm.tz)) else {
            reject(&mut out, this_line, raw, "no timestamp");
            continue;
        };
        // 1990–2100: outside that a clock or a parser is wrong, not a municipality.
        if !(631_152_000_000_000..4_102_444_800_000_000).contains(&ts) {
            reject(
                &mut out,
                this_line,
                raw,
                "timestamp before 1990 or after 2100",
            );
            continue;
        }
        let day = match last_day {
            Some((from, to, d)) if (from..to).contains(&ts) => d,
            _ => {
                let Some(d) = time::local_day(chrono_tz::Europe::Stockholm, ts) else {
                    reject(&mut out, this_line, raw, "timestamp out of range");
                    continue;
                };
                // Cache the day's bounds in UTC, so most lines skip the zone arithmetic.
                let from = d
                    .and_hms_opt(0, 0, 0)
                    .and_then(|t| time::local_to_micros(chrono_tz::Europe::Stockholm, t));
                let to = d
                    .succ_opt()
                    .and_then(|n| n.and_hms_opt(0, 0, 0))
                    .and_then(|t| time::local_to_micros(chrono_tz::Europe::Stockholm, t));
                if let (Some(f), Some(t)) = (from, to) {
                    last_day = Some((f, t, d));
                }
                d
            }
        };
        let b = builders
            .entry(day)
            .or_insert_with(|| EventBuilder::sized(n, local.last.as_ref()));
        let mut kommun_ok = Ok(());
        // A folded repeat is as many events, all with this line's lineage.
        for _ in 0..ev.repeat.max(1) {
            kommun_ok = norm.push(&mut local, b, &ev, ts, this_line);
            out.events += 1;
        }
        if let Err(raw_kommun) = kommun_ok {
            out.nulled += 1;
            if out.quarantine.len() >= QUARANTINE_CAP {
                out.unlisted += 1;
                continue;
            }
            out.quarantine.push(QuarantineRow::new(
                Some(this_line),
                Some("kommun_kod"),
                Some(&raw_kommun),
                "not a kommun code or name in the SCB reference; event kept without kommun",
                Action::ValueNulled,
            ));
        }
    }
    // Sized by the whole chunk: one that spans midnight sizes the next for all its events.
    local.last = Some(Sizes::of(n, builders.values()));
    locals.lock().expect("not poisoned").push(local);
    for (day, b) in builders {
        let batch = b.finish(norm);
        out.without_system += batch
            .column_by_name("system_id")
            .map_or(0, |c| c.null_count() as i64);
        out.by_day.insert(day, batch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_piece_is_quarantined_whole_not_lost() {
        let p = Piece::Chunk {
            bytes: b"a\nb\nc\n".to_vec(),
            first_line: 10,
        };
        let payload: Box<dyn std::any::Any + Send> = Box::new("index out of bounds");
        let r = panicked_piece(&p, payload.as_ref());
        assert_eq!((r.lines, r.rejected, r.events), (3, 3, 0));
        assert_eq!(r.quarantine.len(), 1);
        let q = &r.quarantine[0];
        assert_eq!(q.source_line, Some(10));
        assert!(
            q.reason.contains("lines 10–12") && q.reason.contains("index out of bounds"),
            "{}",
            q.reason
        );
    }
}
