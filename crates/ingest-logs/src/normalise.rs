//! From a parsed line to an it_event row: system and kommun from the catalogue, the event
//! type, pseudonymised user and session, redacted message and path.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use arrow::array::{
    ArrayRef, Float64Builder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder,
};
use chrono_tz::Tz;
use friktion_core::{LakeTable, Pseudonymiser, Reference, redact::redact};

use crate::catalog::{Catalog, Resolver};
use crate::classify::classify;
use crate::event::RawEvent;
use crate::fxhash::FxMap;
use crate::keymap::KeyMap;

/// Messages are cut to this many characters: enough to classify and read, and a runaway
/// stack trace does not bloat the lake.
pub const MESSAGE_MAX_CHARS: usize = 2000;

/// Pseudonyms of users already computed in this run, shared by all workers, so the HMAC is
/// paid once per distinct user rather than once per event. Sessions are not kept here: each
/// lives minutes, and the workers' own caches catch its repeats.
///
/// Pseudonyms are held as plain bytes, not shared strings: a reference count touched by every
/// event from both cores would bounce its cache line between them.
#[derive(Default)]
pub struct PseudonymCache {
    users: RwLock<FxMap<String, [u8; 32]>>,
}

/// Past this many entries a cache is emptied rather than grown: memory stays bounded on any
/// input, at the price of recomputing some pseudonyms.
const CACHE_MAX: usize = 1 << 20;

impl PseudonymCache {
    fn user(&self, p: &Pseudonymiser, id: &str) -> [u8; 32] {
        if let Some(v) = self.users.read().expect("not poisoned").get(id) {
            return *v;
        }
        let v = p.pseudonym_hex("user", id);
        let mut map = self.users.write().expect("not poisoned");
        if map.len() >= CACHE_MAX {
            map.clear();
        }
        *map.entry_ref(id).or_insert(v)
    }

    pub fn len(&self) -> usize {
        self.users.read().expect("not poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub const IP_MARK: &str = "[ip]";

static IPV4: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b")
        .expect("valid regex")
});

/// IPv4 addresses in free text (sshd's `from 203.0.113.7`, nginx's `client: …`) are personal
/// data under GDPR and say nothing about friction: they are replaced by a marker.
pub fn redact_ip(text: &str) -> Cow<'_, str> {
    // Most messages have fewer than three dots: skip the regex then.
    if text.bytes().filter(|&b| b == b'.').count() < 3 {
        return Cow::Borrowed(text);
    }
    IPV4.replace_all(text, IP_MARK)
}

pub const USER_MARK: &str = "[användare]";

/// The event's own user, written in its message too (sshd's `Failed password for anna`, an
/// application's `User anna logged in`), is the identifier the user column pseudonymises: it
/// leaves the message. Names shorter than three characters are left (they would cut words).
pub fn redact_user<'m>(text: &'m str, user: Option<&str>) -> Cow<'m, str> {
    let Some(u) = user.map(str::trim) else {
        return Cow::Borrowed(text);
    };
    let mut out = Cow::Borrowed(text);
    // `KOMMUN\anna` is written `anna` as often as not.
    let short = u.rsplit_once('\\').map(|(_, n)| n);
    for name in std::iter::once(u).chain(short) {
        if name.chars().count() >= 3 && out.contains(name) {
            out = Cow::Owned(out.replace(name, USER_MARK));
        }
    }
    out
}

static ACCOUNT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?m)^(\s*(?:Account Name|Kontonamn|Konto):[ \t]+)([^\s-][^\r\n]*)")
        .expect("valid regex")
});

/// Windows security events name accounts in their message (`Account Name:  anna.berg`, in
/// Swedish `Kontonamn:`), not in a field: the names leave the message.
pub fn redact_accounts(text: &str) -> Cow<'_, str> {
    // Each substring search sets up a searcher; most messages have no colon, found by memchr.
    if !text.contains(':')
        || !text.contains("Account Name:")
            && !text.contains("Kontonamn:")
            && !text.contains("Konto:")
    {
        return Cow::Borrowed(text);
    }
    ACCOUNT.replace_all(text, "${1}[konto]")
}

/// A user name as accounts are compared: case does not matter, and `DOMAIN\anna` is `anna`.
pub fn canonical_user(u: &str) -> String {
    let u = u.trim();
    let u = u.rsplit_once('\\').map_or(u, |(_, n)| n);
    u.to_lowercase()
}

/// Everything shared by the workers of one source.
pub struct Normaliser<'a> {
    pub catalog: &'a Catalog,
    pub reference: &'a Reference,
    pub pseudonymiser: &'a Pseudonymiser,
    pub cache: &'a PseudonymCache,
    pub tz: Tz,
    /// Source-level defaults, for logs that name neither.
    pub kommun_kod: Option<&'a str>,
    pub system_id: Option<&'a str>,
    pub source_file: &'a str,
    pub source_format: &'a str,
}

/// Per worker: caches that need no locking. Each is looked up once per event, and allocates
/// only for a value it has not seen. Their keys are held in the slot where they fit: user
/// names of up to 23 bytes, session ids of up to 39 (a UUID is 36), kommun names of up to 15.
pub struct Local<'c> {
    resolver: Resolver<'c>,
    /// Raw user name as written → pseudonym.
    users: KeyMap<3, [u8; 32]>,
    sessions: KeyMap<5, [u8; 32]>,
    /// Kommun as written → its code, or `None` when the reference does not know it.
    kommun: KeyMap<2, Option<Box<str>>>,
    /// What this worker's last chunk filled its builders with.
    pub(crate) last: Option<Sizes>,
}

const SESSION_CACHE_MAX: usize = 1 << 16;

impl<'a> Normaliser<'a> {
    pub fn local(&self) -> Local<'a> {
        Local {
            resolver: Resolver::new(self.catalog),
            users: KeyMap::default(),
            sessions: KeyMap::default(),
            kommun: KeyMap::default(),
            last: None,
        }
    }

    /// Appends one event; Err(raw) when a kommun was given that the reference does not know
    /// (the row is kept without it).
    pub fn push(
        &self,
        local: &mut Local<'a>,
        b: &mut EventBuilder,
        ev: &RawEvent<'_>,
        ts: i64,
        line: i64,
    ) -> Result<(), String> {
        let Local {
            resolver,
            users,
            sessions,
            kommun: kommun_codes,
            ..
        } = local;
        let r = resolver.resolve(ev.host.as_deref(), ev.app.as_deref(), ev.path.as_deref());
        let system = r
            .system
            .or_else(|| self.system_id.and_then(|id| self.catalog.by_id(id)));
        let slow = system.map_or(self.catalog.friction.slow_ms, |s| s.slow_ms);
        let mut bad_kommun = Ok(());
        let kommun = match ev.kommun_kod.as_deref() {
            Some(k) => {
                let code: &Option<Box<str>> =
                    kommun_codes.get_or_insert_with(&[k.as_bytes()], || {
                        let known = self.reference.resolve(k).ok();
                        known.map(|known| known.kommun_kod.as_str().into())
                    });
                if code.is_none() {
                    bad_kommun = Err(k.to_string());
                }
                code.as_deref()
            }
            None => r.host_kommun,
        };
        let kommun = kommun
            .or_else(|| system.and_then(|s| s.kommun_kod.as_deref()))
            .or(self.kommun_kod);
        b.ts.append_value(ts);
        b.kommun_kod.append_option(kommun);
        b.system_id.append_option(system.map(|s| s.id.as_str()));
        b.verksamhet
            .append_option(system.and_then(|s| s.verksamhet.as_deref()));
        match ev.user.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(u) => {
                let hex = cached(users, u, CACHE_MAX, || {
                    self.cache.user(self.pseudonymiser, &canonical_user(u))
                });
                b.user_key
                    .append_value(std::str::from_utf8(&hex).expect("hex is ASCII"))
            }
            None => b.user_key.append_null(),
        }
        match ev.session.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(s) => {
                // Sessions live minutes to hours, so a small cache of recent ones catches most
                // repeats and stays small enough for the CPU's caches.
                let hex = cached(sessions, s, SESSION_CACHE_MAX, || {
                    self.pseudonymiser.pseudonym_hex("session", s.trim())
                });
                b.session_id
                    .append_value(std::str::from_utf8(&hex).expect("hex is ASCII"))
            }
            None => b.session_id.append_null(),
        }
        b.event_type.append_value(classify(ev, slow).as_str());
        b.status.append_option(ev.status);
        b.latency_ms
            .append_option(ev.latency_ms.filter(|l| l.is_finite() && *l >= 0.0));
        b.host.append_option(ev.host.as_deref());
        match ev.message.as_deref() {
            Some(m) => {
                let m = redact(m);
                let m = redact_ip(&m);
                let m = redact_user(&m, ev.user.as_deref());
                let m = redact_accounts(&m);
                // No more bytes than the limit is no more characters: no need to count them.
                let cut = (m.len() > MESSAGE_MAX_CHARS)
                    .then(|| m.char_indices().nth(MESSAGE_MAX_CHARS))
                    .flatten();
                match cut {
                    Some((cut, _)) => b.message.append_value(format!("{}…", &m[..cut])),
                    None => b.message.append_value(m),
                }
            }
            None => b.message.append_null(),
        }
        b.path.append_option(ev.path.as_deref().map(redact));
        b.source_line.append_value(line);
        b.rows += 1;
        bad_kommun
    }
}

/// The pseudonym cached for `raw`, computed on a miss; a map past `max` entries is emptied, so
/// that memory stays bounded on any input.
fn cached<const W: usize>(
    map: &mut KeyMap<W, [u8; 32]>,
    raw: &str,
    max: usize,
    compute: impl FnOnce() -> [u8; 32],
) -> [u8; 32] {
    let v = *map.get_or_insert_with(&[raw.as_bytes()], compute);
    if map.len() > max {
        map.clear();
    }
    v
}

/// Column builders for it_event rows of one day.
pub struct EventBuilder {
    ts: TimestampMicrosecondBuilder,
    kommun_kod: StringBuilder,
    system_id: StringBuilder,
    verksamhet: StringBuilder,
    user_key: StringBuilder,
    session_id: StringBuilder,
    event_type: StringBuilder,
    status: Int32Builder,
    latency_ms: Float64Builder,
    host: StringBuilder,
    message: StringBuilder,
    path: StringBuilder,
    source_line: Int64Builder,
    rows: usize,
}

/// How much a chunk's events filled the builders, per byte of input: the next chunk's builders
/// are made that large at once, because growing them by doubling copies each column about
/// twice over.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sizes {
    input: usize,
    rows: usize,
    /// Bytes in each string column, in the order of [`EventBuilder::strings`].
    bytes: [usize; 9],
}

impl Sizes {
    /// What `builders` hold for `input` bytes of log.
    pub fn of<'b>(input: usize, builders: impl IntoIterator<Item = &'b EventBuilder>) -> Self {
        let mut s = Sizes {
            input,
            ..Sizes::default()
        };
        for b in builders {
            s.rows += b.rows;
            for (a, col) in s.bytes.iter_mut().zip(b.strings()) {
                *a += col.values_slice().len();
            }
        }
        s
    }
}

impl Default for EventBuilder {
    fn default() -> Self {
        Self::with_capacity(1024, [1024; 9])
    }
}

impl EventBuilder {
    fn with_capacity(rows: usize, bytes: [usize; 9]) -> Self {
        let s = |i: usize| StringBuilder::with_capacity(rows, bytes[i]);
        Self {
            ts: TimestampMicrosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            kommun_kod: s(0),
            system_id: s(1),
            verksamhet: s(2),
            user_key: s(3),
            session_id: s(4),
            event_type: s(5),
            status: Int32Builder::with_capacity(rows),
            latency_ms: Float64Builder::with_capacity(rows),
            host: s(6),
            message: s(7),
            path: s(8),
            source_line: Int64Builder::with_capacity(rows),
            rows: 0,
        }
    }

    /// Builders for `input` bytes of a log, sized by what `last` held (with a sixteenth
    /// more), or small when there is no last.
    pub fn sized(input: usize, last: Option<&Sizes>) -> Self {
        let Some(l) = last.filter(|l| l.input > 0 && l.rows > 0) else {
            return Self::default();
        };
        let scale = |n: usize| {
            let n = (n as u128 * input as u128 / l.input as u128) as usize;
            n + n / 16 + 64
        };
        Self::with_capacity(scale(l.rows), l.bytes.map(scale))
    }

    fn strings(&self) -> [&StringBuilder; 9] {
        [
            &self.kommun_kod,
            &self.system_id,
            &self.verksamhet,
            &self.user_key,
            &self.session_id,
            &self.event_type,
            &self.host,
            &self.message,
            &self.path,
        ]
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn finish(mut self, n: &Normaliser<'_>) -> RecordBatch {
        let (source_file, source_format) = (n.source_file, n.source_format);
        let n = self.rows;
        let strings = |v: &str| Arc::new(arrow::array::StringArray::from(vec![v; n])) as ArrayRef;
        LakeTable::ItEvent
            .def()
            .batch(vec![
                ("ts", Arc::new(self.ts.finish()) as ArrayRef),
                ("kommun_kod", Arc::new(self.kommun_kod.finish())),
                ("system_id", Arc::new(self.system_id.finish())),
                ("verksamhet", Arc::new(self.verksamhet.finish())),
                ("user_key", Arc::new(self.user_key.finish())),
                ("session_id", Arc::new(self.session_id.finish())),
                ("event_type", Arc::new(self.event_type.finish())),
                ("status", Arc::new(self.status.finish())),
                ("latency_ms", Arc::new(self.latency_ms.finish())),
                ("host", Arc::new(self.host.finish())),
                ("message", Arc::new(self.message.finish())),
                ("path", Arc::new(self.path.finish())),
                ("source_format", strings(source_format)),
                ("source_file", strings(source_file)),
                ("source_line", Arc::new(self.source_line.finish())),
            ])
            .expect("events match the it_event contract")
    }
}
