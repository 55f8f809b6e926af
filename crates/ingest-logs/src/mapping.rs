//! Which source field (NDJSON key, CSV column) fills which event field.
//!
//! Defaults cover the names common in the wild (Elastic Common Schema, Serilog, Logstash,
//! plain exports); a source's `[fields]` table replaces the candidates for a field.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Ts,
    Host,
    App,
    User,
    Session,
    Path,
    Method,
    Status,
    Latency,
    Message,
    Level,
    Event,
    Kommun,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LatencyUnit {
    #[default]
    Ms,
    S,
    Us,
    Ns,
}

impl LatencyUnit {
    pub fn to_ms(self, v: f64) -> f64 {
        match self {
            LatencyUnit::Ms => v,
            LatencyUnit::S => v * 1e3,
            LatencyUnit::Us => v / 1e3,
            LatencyUnit::Ns => v / 1e6,
        }
    }
}

/// Field names per event field, as configured (`[logs.fields]`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    pub ts: Option<Names>,
    pub host: Option<Names>,
    pub app: Option<Names>,
    pub user: Option<Names>,
    pub session: Option<Names>,
    pub path: Option<Names>,
    pub method: Option<Names>,
    pub status: Option<Names>,
    pub latency: Option<Names>,
    /// Unit of a configured latency field (ms unless said).
    pub latency_unit: Option<LatencyUnit>,
    pub message: Option<Names>,
    pub level: Option<Names>,
    pub event: Option<Names>,
    pub kommun_kod: Option<Names>,
}

/// One name or several, tried in order.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn list(&self) -> Vec<&str> {
        match self {
            Names::One(s) => vec![s.as_str()],
            Names::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

const TS: &[&str] = &[
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "datetime",
    "date",
    "@t",
    "eventTime",
    "event.created",
    // Windows event records (Get-WinEvent | Export-Csv), the journal (journalctl -o json).
    "TimeCreated",
    "TimeGenerated",
    "Date and Time",
    "__REALTIME_TIMESTAMP",
];
const HOST: &[&str] = &[
    "host",
    "hostname",
    "host.name",
    "server",
    "computer",
    "MachineName",
    "_HOSTNAME",
];
const APP: &[&str] = &[
    "app",
    "application",
    "service",
    "service.name",
    "program",
    "appname",
    "system",
    "ProviderName",
    "SYSLOG_IDENTIFIER",
    "_SYSTEMD_UNIT",
    "_COMM",
    // The logger's name, usually the class: `Lifecare.Auth.LoginService` (Serilog's
    // SourceContext, seqlog's LoggerName).
    "SourceContext",
    "LoggerName",
    "logger_name",
    "logger",
    // Get-EventLog and Event Viewer exports.
    "Source",
];
const USER: &[&str] = &[
    "user",
    "username",
    "user_name",
    "userId",
    "user_id",
    "userid",
    "uid",
    "user.name",
    "user.id",
    "account",
    "login",
    "UserName",
];
const SESSION: &[&str] = &[
    "session",
    "session_id",
    "sessionId",
    "sid",
    "session.id",
    "SessionId",
];
const PATH: &[&str] = &[
    "path",
    "url",
    "uri",
    "request_uri",
    "url.path",
    "url.original",
    "endpoint",
    "request",
    "RequestPath",
];
const METHOD: &[&str] = &[
    "method",
    "http_method",
    "http.request.method",
    "verb",
    "RequestMethod",
];
const STATUS: &[&str] = &[
    "status",
    "http_status",
    "status_code",
    "statusCode",
    "response_code",
    "http.response.status_code",
    "StatusCode",
];
/// Latency names with the unit their name implies.
const LATENCY: &[(&str, LatencyUnit)] = &[
    ("duration_ms", LatencyUnit::Ms),
    ("latency_ms", LatencyUnit::Ms),
    ("elapsed_ms", LatencyUnit::Ms),
    ("response_time_ms", LatencyUnit::Ms),
    ("responseTimeMs", LatencyUnit::Ms),
    ("time_taken", LatencyUnit::Ms),
    ("took", LatencyUnit::Ms),
    ("duration", LatencyUnit::Ms),
    ("Elapsed", LatencyUnit::Ms),
    ("request_time", LatencyUnit::S),
    ("duration_s", LatencyUnit::S),
    ("event.duration", LatencyUnit::Ns),
];
/// `@mt` is Serilog's message template, rendered with the event's properties when the rendered
/// `@m` is absent (compact JSON writes only the template); `@x` is its exception.
const MESSAGE: &[&str] = &[
    "message",
    "msg",
    "text",
    "log",
    "@m",
    "@mt",
    "MESSAGE",
    "error.message",
    "@x",
];
/// A Windows record's `LevelDisplayName` (Error, Fel, Warning, Varning …) before its numeric
/// `Level`, whose numbers are not syslog's; the journal's `PRIORITY` is syslog's 0 … 7.
const LEVEL: &[&str] = &[
    "LevelDisplayName",
    "level",
    "severity",
    "log.level",
    "loglevel",
    "@l",
    "PRIORITY",
    // Get-EventLog's Error, Warning, Information, FailureAudit, SuccessAudit.
    "EntryType",
];
const EVENT: &[&str] = &[
    "event",
    "event_type",
    "eventType",
    "type",
    "event.action",
    "action",
];
const KOMMUN: &[&str] = &["kommun_kod", "kommun", "kommunkod", "municipality"];

impl FieldMap {
    /// Every (field, name, latency unit) to look for, in priority order within each field.
    pub fn candidates<'s>(&'s self) -> Vec<(Field, &'s str, LatencyUnit)> {
        let mut out = Vec::new();
        let mut add = |f: Field, conf: &'s Option<Names>, default: &[&'static str]| {
            let names: Vec<&str> = match conf {
                Some(n) => n.list(),
                None => default.to_vec(),
            };
            for n in names {
                out.push((f, n, LatencyUnit::Ms));
            }
        };
        add(Field::Ts, &self.ts, TS);
        add(Field::Host, &self.host, HOST);
        add(Field::App, &self.app, APP);
        add(Field::User, &self.user, USER);
        add(Field::Session, &self.session, SESSION);
        add(Field::Path, &self.path, PATH);
        add(Field::Method, &self.method, METHOD);
        add(Field::Status, &self.status, STATUS);
        add(Field::Message, &self.message, MESSAGE);
        add(Field::Level, &self.level, LEVEL);
        add(Field::Event, &self.event, EVENT);
        add(Field::Kommun, &self.kommun_kod, KOMMUN);
        match &self.latency {
            Some(n) => {
                let unit = self.latency_unit.unwrap_or_default();
                for name in n.list() {
                    out.push((Field::Latency, name, unit));
                }
            }
            None => {
                for (name, unit) in LATENCY {
                    out.push((Field::Latency, name, *unit));
                }
            }
        }
        out
    }
}
