//! W3C extended log format, as IIS writes it: `#Fields:` names the columns, and a restarted
//! server writes a new `#Fields:` (possibly different) in the middle of the file. Times are
//! UTC, as the format says; IIS's `time-taken` is milliseconds.

use friktion_core::quarantine::Rejection;
use std::borrow::Cow;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};

use crate::event::RawEvent;
use crate::mapping::LatencyUnit;
use crate::time::Stamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum W3cField {
    Date,
    Time,
    /// IIS Advanced Logging's `date-local` and `time-local`: the server's local time.
    DateLocal,
    TimeLocal,
    UriStem,
    Uri,
    User,
    Status,
    TimeTaken,
    Host,
    Computer,
    Site,
    Method,
    Other,
}

impl W3cField {
    fn of(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "date" => Self::Date,
            "time" => Self::Time,
            "date-local" => Self::DateLocal,
            "time-local" => Self::TimeLocal,
            "cs-uri-stem" => Self::UriStem,
            "cs-uri" => Self::Uri,
            "cs-username" => Self::User,
            "sc-status" => Self::Status,
            "time-taken" | "timetakenms" => Self::TimeTaken,
            "cs-host" | "cs(host)" => Self::Host,
            "s-computername" => Self::Computer,
            "s-sitename" => Self::Site,
            "cs-method" => Self::Method,
            _ => Self::Other,
        }
    }
}

/// The columns in force: set by the last `#Fields:` line before a point in the file.
pub type Columns = Arc<Vec<W3cField>>;

/// Columns named by a `#Fields:` directive line.
pub fn fields_directive(line: &str) -> Option<Columns> {
    let rest = line.strip_prefix("#Fields:")?;
    Some(Arc::new(
        rest.split_whitespace().map(W3cField::of).collect(),
    ))
}

pub struct W3cParser {
    pub latency_unit: Option<LatencyUnit>,
}

/// Values a line holds without a heap allocation; a longer line still parses, into a `Vec`.
const INLINE_FIELDS: usize = 40;

/// A line's values: on the stack for any ordinary line (this runs once per event).
enum Values<'a> {
    Inline([&'a str; INLINE_FIELDS], usize),
    Heap(Vec<&'a str>),
}

impl<'a> Values<'a> {
    fn as_slice(&self) -> &[&'a str] {
        match self {
            Values::Inline(a, n) => &a[..*n],
            Values::Heap(v) => v,
        }
    }

    fn push(&mut self, v: &'a str) {
        match self {
            Values::Inline(a, n) if *n < INLINE_FIELDS => {
                a[*n] = v;
                *n += 1;
            }
            Values::Inline(a, n) => {
                let mut heap = a[..*n].to_vec();
                heap.push(v);
                *self = Values::Heap(heap);
            }
            Values::Heap(h) => h.push(v),
        }
    }
}

fn split_fields(line: &str) -> Values<'_> {
    let mut out = Values::Inline([""; INLINE_FIELDS], 0);
    let mut rest = line.trim_end();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([' ', '\t']);
        if let Some(q) = rest.strip_prefix('"') {
            // IIS Advanced Logging quotes values that may hold spaces (the user agent, the
            // computer name); a quote inside is doubled.
            let mut end = 0;
            while let Some(i) = q[end..].find('"') {
                end += i;
                if q[end + 1..].starts_with('"') {
                    end += 2;
                } else {
                    break;
                }
            }
            let end = end.min(q.len());
            out.push(&q[..end]);
            rest = q.get(end + 1..).unwrap_or("");
        } else {
            let end = memchr::memchr2(b' ', b'\t', rest.as_bytes()).unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

impl W3cParser {
    /// Ok(None) for directives and blank lines; `columns` is updated by `#Fields:`.
    pub fn parse<'a>(
        &self,
        line: &'a str,
        columns: &mut Option<Columns>,
    ) -> Result<Option<RawEvent<'a>>, Rejection> {
        if line.starts_with('#') {
            if let Some(c) = fields_directive(line) {
                *columns = Some(c);
            }
            return Ok(None);
        }
        if line.trim().is_empty() {
            return Ok(None);
        }
        let cols = columns
            .as_ref()
            .ok_or("a W3C data line before any #Fields: directive")?;
        let values = split_fields(line);
        let values = values.as_slice();
        if values.len() != cols.len() {
            return Err(Rejection::from(format!(
                "{} values where #Fields: names {}",
                values.len(),
                cols.len()
            )));
        }
        let mut ev = RawEvent::default();
        let (mut date, mut time) = (None, None);
        let mut local = false;
        let (mut host, mut computer, mut site) = (None, None, None);
        for (f, &v) in cols.iter().zip(values) {
            if v == "-" {
                continue;
            }
            match f {
                W3cField::Date | W3cField::DateLocal => {
                    local = *f == W3cField::DateLocal;
                    date = Some(
                        plain_date(v)
                            .or_else(|| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
                            .ok_or_else(|| format!("date '{v}' is not YYYY-MM-DD"))?,
                    )
                }
                W3cField::Time | W3cField::TimeLocal => {
                    time = Some(
                        plain_time(v)
                            .or_else(|| NaiveTime::parse_from_str(v, "%H:%M:%S%.f").ok())
                            .ok_or_else(|| format!("time '{v}' is not HH:MM:SS"))?,
                    )
                }
                W3cField::UriStem => ev.path = Some(Cow::Borrowed(v)),
                W3cField::Uri if ev.path.is_none() => {
                    ev.path = Some(Cow::Borrowed(crate::event::url_path(v)))
                }
                W3cField::User => ev.user = Some(plus_decoded(v)),
                W3cField::Status => {
                    ev.status = Some(
                        v.parse()
                            .map_err(|_| format!("sc-status '{v}' is not a number"))?,
                    )
                }
                W3cField::TimeTaken => {
                    let n: f64 = v
                        .parse()
                        .map_err(|_| format!("time-taken '{v}' is not a number"))?;
                    ev.latency_ms = Some(self.latency_unit.unwrap_or_default().to_ms(n));
                }
                W3cField::Host => host = Some(v),
                W3cField::Computer => computer = Some(v),
                W3cField::Site => site = Some(v),
                W3cField::Method => ev.method = Some(Cow::Borrowed(v)),
                _ => {}
            }
        }
        let (Some(d), Some(t)) = (date, time) else {
            return Err(Rejection::from("no date and time columns in #Fields:"));
        };
        ev.ts = Some(if local {
            Stamp::Local(d.and_time(t))
        } else {
            Stamp::Utc(d.and_time(t).and_utc().timestamp_micros())
        });
        ev.host = host
            .or(computer)
            .or(site)
            .map(|h| Cow::Borrowed(h.split(':').next().unwrap_or(h)));
        Ok(Some(ev))
    }
}

/// The digits at `at..at + n`, if they all are.
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    b.get(at..at + n)?.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// `YYYY-MM-DD` exactly, as IIS writes every line, read without chrono's format interpreter;
/// None sends anything else (or an impossible date) to chrono.
fn plain_date(v: &str) -> Option<NaiveDate> {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(b, 0, 4)? as i32, digits(b, 5, 2)?, digits(b, 8, 2)?)
}

/// `HH:MM:SS` exactly; fractions, a leap second and anything odd go to chrono.
fn plain_time(v: &str) -> Option<NaiveTime> {
    let b = v.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    NaiveTime::from_hms_opt(digits(b, 0, 2)?, digits(b, 3, 2)?, digits(b, 6, 2)?)
}

/// IIS writes spaces in values as '+'.
fn plus_decoded(v: &str) -> Cow<'_, str> {
    if v.contains('+') {
        Cow::Owned(v.replace('+', " "))
    } else {
        Cow::Borrowed(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_dates_and_times_read_as_chrono_reads_them() {
        for d in [
            "2026-10-26",
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "2026-1-05",
            "+2026-10-26",
            "2026-10-2x",
            "0000-01-01",
        ] {
            let chrono = NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
            if let Some(fast) = plain_date(d) {
                assert_eq!(Some(fast), chrono, "{d}");
            }
        }
        assert!(plain_date("2026-10-26").is_some());
        for t in [
            "06:06:45",
            "23:59:59",
            "24:00:00",
            "23:59:60",
            "6:06:45",
            "06:06:45.123",
            "06:6:45x",
        ] {
            let chrono = NaiveTime::parse_from_str(t, "%H:%M:%S%.f").ok();
            if let Some(fast) = plain_time(t) {
                assert_eq!(Some(fast), chrono, "{t}");
            }
        }
        assert!(plain_time("06:06:45").is_some());
    }

    #[test]
    fn a_line_with_more_values_than_fit_inline_still_parses() {
        let p = W3cParser { latency_unit: None };
        let mut cols = None;
        let extra: Vec<String> = (0..50).map(|i| format!("x-{i}")).collect();
        p.parse(
            &format!(
                "#Fields: date time cs-uri-stem sc-status {}",
                extra.join(" ")
            ),
            &mut cols,
        )
        .unwrap();
        let line = format!("2026-10-26 06:07:00 /x 503 {}", vec!["v"; 50].join(" "));
        let e = p.parse(&line, &mut cols).unwrap().unwrap();
        assert_eq!((e.status, e.path.as_deref()), (Some(503), Some("/x")));
        let short = format!("2026-10-26 06:07:00 /x 503 {}", vec!["v"; 49].join(" "));
        assert!(
            p.parse(&short, &mut cols)
                .unwrap_err()
                .contains("53 values where #Fields: names 54")
        );
    }

    #[test]
    fn fields_change_mid_file() {
        let p = W3cParser { latency_unit: None };
        let mut cols = None;
        assert!(p.parse("2026-10-26 06:00:00 GET /", &mut cols).is_err());
        assert!(
            p.parse(
                "#Software: Microsoft Internet Information Services 10.0",
                &mut cols
            )
            .unwrap()
            .is_none()
        );
        p.parse("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken", &mut cols).unwrap();
        let e = p
            .parse("2026-10-26 06:06:45 10.0.0.1 GET /treserva/case/list pnr=1 443 KOMMUN\\anna 10.1.1.1 Mozilla/5.0+(Windows+NT) 500 0 0 1234", &mut cols)
            .unwrap()
            .unwrap();
        assert_eq!(e.status, Some(500));
        assert_eq!(e.latency_ms, Some(1234.0));
        assert_eq!(e.user.as_deref(), Some("KOMMUN\\anna"));
        p.parse(
            "#Fields: date time cs-host cs-uri-stem sc-status time-taken",
            &mut cols,
        )
        .unwrap();
        let e = p
            .parse(
                "2026-10-26 06:07:00 treserva.kommun.se /x 200 15",
                &mut cols,
            )
            .unwrap()
            .unwrap();
        assert_eq!(e.host.as_deref(), Some("treserva.kommun.se"));
        assert!(
            p.parse("2026-10-26 06:07:00 a /x 200", &mut cols)
                .unwrap_err()
                .contains("5 values")
        );
    }
}
