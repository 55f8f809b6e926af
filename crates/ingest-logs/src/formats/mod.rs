//! The formats friktion reads, told apart by their first lines.

use friktion_core::quarantine::Rejection;
pub mod clf;
pub mod csv;
pub mod errorlog;
pub mod ndjson;
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

/// Chooses the format that reads most of the first lines; None when none reads half.
pub fn detect(lines: &[&str], opts: &ParseOptions) -> Option<Format> {
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    let first = lines.first()?;
    if ["#Software:", "#Version:", "#Fields:"]
        .iter()
        .any(|d| first.starts_with(d))
    {
        return Some(Format::W3c);
    }
    let mut best = (0, Format::Auto);
    for f in [
        Format::Ndjson,
        Format::Clf,
        Format::Syslog,
        Format::ErrorLog,
    ] {
        let Ok(p) = LineParser::new(f, opts, None) else {
            continue;
        };
        let mut st = ChunkState::default();
        let ok = lines
            .iter()
            .filter(|l| matches!(p.parse(l, &mut st), Ok(Some(_))))
            .count();
        if ok > best.0 {
            best = (ok, f);
        }
    }
    if best.0 * 2 < lines.len() {
        // A CSV export: a header, then rows that read under it.
        if let Ok(p) = LineParser::new(Format::Csv, opts, Some(first)) {
            let mut st = ChunkState::default();
            let ok = lines[1..]
                .iter()
                .filter(|l| matches!(p.parse(l, &mut st), Ok(Some(_))))
                .count();
            if lines.len() > 1 && ok * 2 >= lines.len() - 1 {
                return Some(Format::Csv);
            }
        }
        return None;
    }
    Some(best.1)
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
                if line.trim_start_matches('\u{feff}') == header {
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
