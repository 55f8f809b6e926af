//! How a log file is read: its format, from its first lines or the config, and the reference
//! time that year-less syslog stamps must not pass. The reasons are what a whole-file failure
//! says in quarantine.

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};

use crate::formats::{self, Format, LineParser, ParseOptions};
use crate::input::Piece;
use crate::spec::LogSpec;
use crate::time;

/// The time year-less syslog stamps must not pass: configured, or the file's mtime.
pub(crate) fn syslog_reference(path: &Path, spec: &LogSpec) -> Result<NaiveDateTime, String> {
    if let Some(s) = &spec.syslog_ends {
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(d.and_hms_opt(23, 59, 59).expect("valid"));
        }
        return match time::parse_iso(s) {
            Some(time::Stamp::Local(t)) => Ok(t),
            Some(time::Stamp::Utc(us)) => chrono::DateTime::from_timestamp_micros(us)
                .map(|d| d.naive_utc())
                .ok_or_else(|| format!("syslog_ends '{s}' is out of range")),
            None => Err(format!(
                "syslog_ends '{s}' is not a date (YYYY-MM-DD) or time"
            )),
        };
    }
    let mtime = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| format!("cannot read its modification time: {e}"))?;
    Ok(chrono::DateTime::<chrono::Utc>::from(mtime).naive_utc())
}

pub(crate) fn choose_format(
    first: &Piece,
    spec: &LogSpec,
    opts: &ParseOptions,
) -> Result<(Format, LineParser), String> {
    let bytes: &[u8] = match first {
        Piece::Chunk { bytes, .. } => bytes,
        Piece::LongLine { .. } | Piece::CutLine { .. } => {
            return Err("the first line is too long or cut off: not a log friktion reads".into());
        }
    };
    let head = &bytes[..bytes.len().min(256 << 10)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    // Enough lines for SNIFF_LINES records of a CSV whose values span lines.
    let mut lines: Vec<&str> = text.lines().take(formats::SNIFF_LINES * 100 + 1).collect();
    if head.len() < bytes.len() {
        lines.pop(); // possibly cut
    }
    let header = formats::csv_header(&lines);
    let format = match spec.format {
        Format::Auto => formats::detect(&lines, opts).ok_or_else(|| {
            format!(
                "is not in a log format friktion reads (NDJSON, syslog, W3C/IIS, access log, error log, CSV); {}",
                describe_start(head)
            )
        })?,
        f => f,
    };
    let parser = LineParser::new(format, opts, header)?;
    Ok((format, parser))
}

/// How a file that is no log begins: its first line, or the first bytes in hex when binary;
/// with what to do for the exports people try first.
fn describe_start(b: &[u8]) -> String {
    if b.starts_with(b"ElfFile\0") {
        return "it is a Windows event log file (.evtx); export its events with PowerShell: \
                Get-WinEvent -Path FILE.evtx | Export-Csv events.csv"
            .into();
    }
    let first = b.split(|&c| c == b'\n').next().unwrap_or(b);
    if first.trim_ascii() == b"{" || first.trim_ascii() == b"[" {
        return "it is JSON over several lines (journalctl -o json-pretty?); export one object a \
                line: journalctl -o json"
            .into();
    }
    let head = &b[..b.len().min(64)];
    let text = std::str::from_utf8(head).ok();
    let printable = text.is_some_and(|t| {
        t.chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\r' || c == '\t')
    });
    if printable {
        let first = String::from_utf8_lossy(head);
        format!("it starts {:?}", first.lines().next().unwrap_or(""))
    } else {
        let hex: Vec<String> = head.iter().take(16).map(|x| format!("{x:02x}")).collect();
        format!("it starts with binary data ({} …)", hex.join(" "))
    }
}
