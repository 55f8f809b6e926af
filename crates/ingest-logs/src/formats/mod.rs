//! The formats friktion reads, told apart by their first lines.

use friktion_core::quarantine::Rejection;
pub mod clf;
pub mod csv;
pub mod errorlog;
pub mod ndjson;
mod ndjson_scan;
pub mod syslog;
pub mod w3c;

use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::event::RawEvent;
use crate::mapping::{FieldMap, LatencyUnit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Auto,
    Ndjson,
    Syslog,
    W3c,
    Clf,
    Csv,
    /// Apache and nginx error logs.
    ErrorLog,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Ndjson => "ndjson",
            Format::Syslog => "syslog",
            Format::W3c => "w3c",
            Format::Clf => "clf",
            Format::Csv => "csv",
            Format::ErrorLog => "errorlog",
        }
    }
}

/// How to read one source: what its configuration says beyond the format.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    pub fields: FieldMap,
    pub latency_unit: Option<LatencyUnit>,
    pub csv_delimiter: Option<u8>,
    /// When a year-less syslog file is known to end (its modification time, or configured).
    pub syslog_reference: NaiveDateTime,
}

/// Lines that are sampled to detect a format.
pub const SNIFF_LINES: usize = 50;

/// The line PowerShell's `Export-Csv` writes before the header (unless told -NoTypeInformation):
/// `#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord`.
pub fn is_type_line(line: &str) -> bool {
    line.trim_start_matches('\u{feff}').starts_with("#TYPE ")
}

/// The header of a CSV log: its first line that is not blank or PowerShell's `#TYPE` line.
pub fn csv_header<'a>(lines: &[&'a str]) -> Option<&'a str> {
    lines
        .iter()
        .find(|l| !l.trim().is_empty() && !is_type_line(l))
        .copied()
}

/// How the lines of a format make records: most formats are a record a line; a CSV value in
/// quotes may hold line breaks (Windows event messages), and an error log entry may go on over
/// lines that do not start with a time (PHP's messages through nginx, stack traces).
#[derive(Debug, Clone, Copy)]
pub enum Joiner {
    Lines,
    /// Inside a quoted value after an odd number of quotes.
    Quoted {
        open: bool,
    },
    /// Lines that do not start an entry belong to the one before.
    Continuation {
        started: bool,
    },
}

impl Joiner {
    /// Feeds the next line: whether it continues the record before it.
    pub fn continues(&mut self, line: &[u8]) -> bool {
        match self {
            Joiner::Lines => false,
            Joiner::Quoted { open } => {
                let cont = *open;
                if memchr::memchr_iter(b'"', line).count() % 2 == 1 {
                    *open = !*open;
                }
                cont
            }
            Joiner::Continuation { started } => {
                let starts = errorlog::starts_entry(line);
                let cont = *started && !starts;
                *started = true;
                cont
            }
        }
    }

    /// The start of the last record in `bytes` that begins at a line start: everything before
    /// it is whole records. 0 when the text is one record (or none begins in it).
    pub fn last_record_start(mut self, bytes: &[u8]) -> usize {
        let (mut start, mut last) = (0, 0);
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            if !self.continues(&bytes[start..end]) {
                last = start;
            }
            start = end + 1;
        }
        last
    }
}

/// The sample's lines joined into records the way `format` makes them. A last record still
/// inside quotes when the sample ends is left out: the sample cut it short.
fn records<'a>(lines: &[&'a str], joiner: Joiner) -> Vec<std::borrow::Cow<'a, str>> {
    let mut j = joiner;
    let mut out: Vec<std::borrow::Cow<'a, str>> = Vec::new();
    for l in lines {
        let continues = j.continues(l.as_bytes());
        match out.last_mut() {
            Some(prev) if continues => {
                let p = prev.to_mut();
                p.push('\n');
                p.push_str(l);
            }
            _ => out.push(std::borrow::Cow::Borrowed(l)),
        }
    }
    if let Joiner::Quoted { open: true } = j {
        out.pop();
    }
    out
}

/// Chooses the format that reads most of the first records; None when none reads half.
/// `all` is the start of the file in lines: the first SNIFF_LINES are tried as line formats,
/// and as many as it takes to make SNIFF_LINES records as CSV, whose records may be long
/// (a Windows event message runs to 40 lines).
pub fn detect(all: &[&str], opts: &ParseOptions) -> Option<Format> {
    let all: Vec<&str> = all
        .iter()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .collect();
    let lines = &all[..all.len().min(SNIFF_LINES)];
    let first = lines.first()?;
    if ["#Software:", "#Version:", "#Fields:"]
        .iter()
        .any(|d| first.starts_with(d))
    {
        return Some(Format::W3c);
    }
    let mut best = (0, 0, Format::Auto);
    if !is_type_line(first) {
        for f in [
            Format::Ndjson,
            Format::Clf,
            Format::Syslog,
            Format::ErrorLog,
        ] {
            let Ok(p) = LineParser::new(f, opts, None) else {
                continue;
            };
            let recs = records(lines, p.joiner());
            let mut st = ChunkState::default();
            let ok = recs
                .iter()
                .filter(|l| matches!(p.parse(l, &mut st), Ok(Some(_))))
                .count();
            if ok > best.0 {
                best = (ok, recs.len(), f);
            }
        }
    }
    if best.0 * 2 < best.1.max(1) || best.0 == 0 {
        // A CSV export: a header (after PowerShell's #TYPE line), then rows that read under it.
        let header = csv_header(&all)?;
        if let Ok(p) = LineParser::new(Format::Csv, opts, Some(header)) {
            let at = all.iter().position(|l| *l == header).unwrap_or(0);
            let recs = records(&all[at + 1..], p.joiner());
            let sample = &recs[..recs.len().min(SNIFF_LINES)];
            let mut st = ChunkState::default();
            let ok = sample
                .iter()
                .filter(|l| matches!(p.parse(l, &mut st), Ok(Some(_))))
                .count();
            if !sample.is_empty() && ok * 2 >= sample.len() {
                return Some(Format::Csv);
            }
        }
        return None;
    }
    Some(best.2)
}

pub enum LineParser {
    Ndjson(ndjson::Selector),
    Syslog(syslog::SyslogParser),
    W3c(w3c::W3cParser),
    Clf(clf::ClfParser),
    Csv(csv::CsvParser, String),
    ErrorLog(errorlog::ErrorLogParser),
}

/// What a line's meaning depends on besides the line: W3C's `#Fields:` in force.
#[derive(Debug, Clone, Default)]
pub struct ChunkState {
    pub w3c: Option<w3c::Columns>,
}

impl LineParser {
    /// `header` is the first line of a CSV file.
    pub fn new(f: Format, o: &ParseOptions, header: Option<&str>) -> Result<Self, Rejection> {
        Ok(match f {
            Format::Ndjson => Self::Ndjson(ndjson::Selector::new(&o.fields)),
            Format::Syslog => Self::Syslog(syslog::SyslogParser {
                reference: o.syslog_reference,
            }),
            Format::W3c => Self::W3c(w3c::W3cParser {
                latency_unit: o.latency_unit,
            }),
            Format::Clf => Self::Clf(clf::ClfParser {
                latency_unit: o.latency_unit,
            }),
            Format::Csv => {
                let h = header.ok_or("a CSV log has no header line")?;
                Self::Csv(
                    csv::CsvParser::new(h, &o.fields, o.csv_delimiter)?,
                    h.trim_start_matches('\u{feff}').to_string(),
                )
            }
            Format::ErrorLog => Self::ErrorLog(errorlog::ErrorLogParser),
            Format::Auto => return Err(Rejection::from("format must be detected first")),
        })
    }

    /// How this format's lines make records.
    pub fn joiner(&self) -> Joiner {
        match self {
            Self::Csv(..) => Joiner::Quoted { open: false },
            Self::ErrorLog(_) => Joiner::Continuation { started: false },
            _ => Joiner::Lines,
        }
    }

    /// Ok(None) for lines that carry no event (blank, comments, directives, headers).
    pub fn parse<'a>(
        &self,
        line: &'a str,
        st: &mut ChunkState,
    ) -> Result<Option<RawEvent<'a>>, Rejection> {
        if line.trim().is_empty() {
            return Ok(None);
        }
        match self {
            Self::Ndjson(p) => p.parse(line).map(Some),
            Self::Syslog(p) => p.parse(line).map(Some),
            Self::W3c(p) => p.parse(line, &mut st.w3c),
            Self::Clf(p) => p.parse(line).map(Some),
            Self::ErrorLog(p) => p.parse(line).map(Some),
            Self::Csv(p, header) => {
                if line.trim_start_matches('\u{feff}') == header || is_type_line(line) {
                    Ok(None)
                } else {
                    p.parse(line).map(Some)
                }
            }
        }
    }

    /// The state in force after `text`, given the state before it. Only W3C carries any, and
    /// only `#Fields:` lines change it, so this is a byte search, not a parse.
    pub fn carry(&self, text: &[u8], before: ChunkState) -> ChunkState {
        if !matches!(self, Self::W3c(_)) {
            return before;
        }
        let mut last = None;
        for i in memchr::memmem::find_iter(text, b"#Fields:") {
            if i == 0 || text[i - 1] == b'\n' {
                last = Some(i);
            }
        }
        match last {
            Some(i) => {
                let end = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |e| i + e);
                let line = String::from_utf8_lossy(&text[i..end]);
                ChunkState {
                    w3c: w3c::fields_directive(line.trim_end_matches('\r')),
                }
            }
            None => before,
        }
    }
}
