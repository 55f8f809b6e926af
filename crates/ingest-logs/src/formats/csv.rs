//! CSV exports of logs (from a SIEM, a system's admin page, Excel, PowerShell's Export-Csv,
//! Event Viewer): a header line, then one event per record, columns mapped by name like NDJSON
//! fields. A quoted value may hold the delimiter and line breaks (the ingest joins a record's
//! lines before it gets here).

use friktion_core::quarantine::Rejection;
use std::borrow::Cow;

use crate::event::{RawEvent, severity_of_level, url_path};
use crate::mapping::{Field, FieldMap, LatencyUnit};
use crate::time;

pub struct CsvParser {
    pub delimiter: u8,
    /// Per column: the field it fills, if any.
    columns: Vec<Option<(Field, LatencyUnit)>>,
    header_len: usize,
    /// Whether a column is the message (else Event Viewer's unnamed sixth value may be).
    has_message: bool,
}

/// Splits one CSV line, with `"…"` quoting and `""` for a quote inside.
pub fn split(line: &str, delim: u8) -> Result<Vec<Cow<'_, str>>, Rejection> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let mut j = i + 1;
            let mut escaped = false;
            loop {
                match b.get(j) {
                    None => {
                        return Err(Rejection::from("a quoted value is not closed on this line"));
                    }
                    Some(b'"') if b.get(j + 1) == Some(&b'"') => {
                        escaped = true;
                        j += 2;
                    }
                    Some(b'"') => break,
                    Some(_) => j += 1,
                }
            }
            let v = &line[i + 1..j];
            out.push(if escaped {
                Cow::Owned(v.replace("\"\"", "\""))
            } else {
                Cow::Borrowed(v)
            });
            j += 1;
            match b.get(j) {
                None => return Ok(out),
                Some(&c) if c == delim => i = j + 1,
                Some(_) => return Err(Rejection::from("text after a closing quote")),
            }
        } else {
            let end = b[i..].iter().position(|&c| c == delim).map(|p| i + p);
            match end {
                Some(e) => {
                    out.push(Cow::Borrowed(&line[i..e]));
                    i = e + 1;
                }
                None => {
                    out.push(Cow::Borrowed(&line[i..]));
                    return Ok(out);
                }
            }
        }
    }
}

/// The delimiter of a header line: the one of `, ; \t |` that splits it into most fields.
pub fn sniff_delimiter(header: &str) -> u8 {
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|c| c == d).count())
        .unwrap_or(b',')
}

impl CsvParser {
    /// Maps the header's columns; Err when no column holds a timestamp.
    pub fn new(header: &str, map: &FieldMap, delimiter: Option<u8>) -> Result<Self, Rejection> {
        let header = header.trim_start_matches('\u{feff}');
        let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(header));
        let names = split(header, delimiter)?;
        let candidates = map.candidates();
        let mut columns = vec![None; names.len()];
        let mut taken = Vec::new();
        // Per field, the first candidate (in priority order) that names a column.
        for (field, cand, unit) in &candidates {
            if taken.contains(field) {
                continue;
            }
            if let Some(i) = names
                .iter()
                .position(|n| n.trim().eq_ignore_ascii_case(cand))
            {
                if columns[i].is_none() {
                    columns[i] = Some((*field, *unit));
                    taken.push(*field);
                }
            }
        }
        if !taken.contains(&Field::Ts) {
            return Err(Rejection::from(format!(
                "no timestamp column among {:?} (name it in [fields] ts)",
                names.iter().map(|n| n.as_ref()).collect::<Vec<_>>()
            )));
        }
        Ok(Self {
            delimiter,
            columns,
            header_len: names.len(),
            has_message: taken.contains(&Field::Message),
        })
    }

    pub fn parse<'a>(&self, line: &'a str) -> Result<RawEvent<'a>, Rejection> {
        let mut values = split(line, self.delimiter)?;
        // Event Viewer's "Save All Events As… CSV" gives the description as a sixth value
        // under a header of five: the message, when no column is one.
        let mut extra_message = None;
        if values.len() == self.header_len + 1 && !self.has_message {
            extra_message = values.pop();
        }
        if values.len() != self.header_len {
            return Err(Rejection::from(format!(
                "{} values where the header has {}",
                values.len(),
                self.header_len
            )));
        }
        let mut ev = RawEvent {
            message: extra_message,
            ..RawEvent::default()
        };
        for (col, v) in self.columns.iter().zip(values) {
            let Some((field, unit)) = col else { continue };
            let t = v.trim();
            if t.is_empty() || t == "-" {
                continue;
            }
            let num = || t.replace(',', ".").parse::<f64>().ok();
            match field {
                Field::Ts => {
                    ev.ts =
                        Some(time::parse_any(t).ok_or_else(|| {
                            format!("timestamp '{t}' is not a time friktion reads")
                        })?)
                }
                Field::Status => {
                    ev.status = Some(
                        t.parse()
                            .map_err(|_| format!("status '{t}' is not a number"))?,
                    )
                }
                Field::Latency => {
                    ev.latency_ms = Some(
                        unit.to_ms(num().ok_or_else(|| format!("latency '{t}' is not a number"))?),
                    )
                }
                Field::Level => ev.severity = severity_of_level(t),
                Field::Path => ev.path = Some(sub(&v, url_path)),
                Field::Host => ev.host = Some(v),
                Field::App => ev.app = Some(v),
                Field::User => ev.user = Some(v),
                Field::Session => ev.session = Some(v),
                Field::Method => ev.method = Some(v),
                Field::Message => ev.message = Some(v),
                Field::Event => ev.event = Some(v),
                Field::Kommun => ev.kommun_kod = Some(v),
            }
        }
        ev.user_from_message();
        Ok(ev)
    }
}

fn sub<'a>(v: &Cow<'a, str>, f: fn(&str) -> &str) -> Cow<'a, str> {
    match v {
        Cow::Borrowed(b) => Cow::Borrowed(f(b)),
        Cow::Owned(o) => Cow::Owned(f(o).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_mapping_and_quotes() {
        let p = CsvParser::new(
            "Tid;Användare;Status;Svarstid;Meddelande",
            &toml::from_str(
                "ts = \"Tid\"\nuser = \"Användare\"\nstatus = \"Status\"\nlatency = \"Svarstid\"\nlatency_unit = \"s\"\nmessage = \"Meddelande\"",
            )
            .unwrap(),
            None,
        )
        .unwrap();
        let e = p
            .parse("2026-10-26 07:06:45;anna;500;1,5;\"Fel; \"\"kritiskt\"\"\"")
            .unwrap();
        assert_eq!(e.user.as_deref(), Some("anna"));
        assert_eq!(e.latency_ms, Some(1500.0));
        assert_eq!(e.message.as_deref(), Some("Fel; \"kritiskt\""));
        assert!(p.parse("2026-10-26 07:06:45;anna;500").is_err());
        assert!(p.parse("2026-10-26 07:06:45;anna;500;1;\"open").is_err());
        assert!(CsvParser::new("a,b,c", &FieldMap::default(), None).is_err());
    }
}
