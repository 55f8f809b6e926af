//! Reading single answers as Swedish survey tools and Excel write them.

use friktion_core::quarantine::Rejection;
use std::collections::BTreeMap;

use std::sync::LazyLock;

use chrono::format::{Item, StrftimeItems};
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use crate::instrument::Band;

pub use friktion_tabular::number::{Parsed, is_missing, number};

/// Minutes as answered: its point value and bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Minutes {
    pub point: f64,
    pub low: f64,
    pub high: Option<f64>,
}

/// "30", "32,5", "ca 30", "cirka 30 min", "30 minuter", "1,5 h", "2 timmar", "Ingen tid",
/// "10-20", "16–30 minuter", or a label from the instrument's band table.
pub fn minutes(raw: &str, bands: &BTreeMap<String, Band>) -> Parsed<Minutes> {
    let t = raw.trim();
    if is_missing(t) {
        return Ok(None);
    }
    let lower = t.to_lowercase();
    if let Some(b) = bands.get(&lower) {
        return Ok(Some(Minutes {
            point: b.point,
            low: b.low,
            high: b.high,
        }));
    }
    if matches!(
        lower.as_str(),
        "ingen tid" | "ingen" | "inga" | "none" | "0 min"
    ) {
        return Ok(Some(exact(0.0)));
    }
    let mut s = lower.as_str();
    for p in [
        "ca.", "ca", "cirka", "ungefär", "ungefar", "runt", "about", "approx.", "~",
    ] {
        if let Some(r) = s.strip_prefix(p) {
            if r.starts_with([' ', '.']) || r.starts_with(|c: char| c.is_ascii_digit()) || p == "~"
            {
                s = r.trim_start_matches('.').trim_start();
                break;
            }
        }
    }
    let (num, factor) = split_unit(s).ok_or_else(|| format!("'{t}' is not a number of minutes"))?;
    let parse = |x: &str| number(x).ok().flatten();
    // A range: "10-20", "16–30".
    if let Some((a, b)) = num.split_once(['–', '—']).or_else(|| {
        // a hyphen that is not a minus sign at the start
        num.get(1..)
            .and_then(|r| r.find('-'))
            .map(|i| (&num[..=i], &num[i + 2..]))
    }) {
        if let (Some(lo), Some(hi)) = (parse(a), parse(b)) {
            if lo <= hi && lo >= 0.0 {
                return Ok(Some(Minutes {
                    point: (lo + hi) / 2.0 * factor,
                    low: lo * factor,
                    high: Some(hi * factor),
                }));
            }
        }
        return Err(Rejection::from(format!("'{t}' is not a range of minutes")));
    }
    match parse(num) {
        Some(v) if v >= 0.0 => Ok(Some(exact(v * factor))),
        Some(_) => Err(Rejection::from(format!("'{t}' is negative"))),
        None => Err(Rejection::from(format!("'{t}' is not a number of minutes"))),
    }
}

fn exact(v: f64) -> Minutes {
    Minutes {
        point: v,
        low: v,
        high: Some(v),
    }
}

/// Splits a trailing unit off: returns the number part and minutes per unit.
fn split_unit(s: &str) -> Option<(&str, f64)> {
    const UNITS: &[(&str, f64)] = &[
        ("minuter", 1.0),
        ("minuters", 1.0),
        ("minutes", 1.0),
        ("minut", 1.0),
        ("min.", 1.0),
        ("min", 1.0),
        ("m", 1.0),
        ("timmar", 60.0),
        ("timme", 60.0),
        ("tim.", 60.0),
        ("tim", 60.0),
        ("hours", 60.0),
        ("hour", 60.0),
        ("h", 60.0),
    ];
    let s = s.trim();
    let s = s
        .strip_suffix("/dag")
        .or_else(|| s.strip_suffix(" per dag"))
        .unwrap_or(s)
        .trim();
    for (u, f) in UNITS {
        if let Some(n) = s.strip_suffix(u) {
            let n = n.trim();
            if n.ends_with(|c: char| c.is_ascii_digit()) {
                return Some((n, *f));
            }
        }
    }
    if s.ends_with(|c: char| c.is_ascii_digit()) {
        Some((s, 1.0))
    } else {
        None
    }
}

pub fn yes_no(raw: &str) -> Parsed<bool> {
    if is_missing(raw) {
        return Ok(None);
    }
    match raw.trim().to_lowercase().as_str() {
        "ja" | "j" | "yes" | "y" | "1" | "sant" | "true" | "x" => Ok(Some(true)),
        "nej" | "n" | "no" | "0" | "falskt" | "false" => Ok(Some(false)),
        _ => Err(Rejection::from(format!(
            "'{}' is not yes or no (Ja/Nej)",
            raw.trim()
        ))),
    }
}

/// Five-point agreement scale, 5 = agrees fully.
pub fn likert5(raw: &str) -> Parsed<f64> {
    if is_missing(raw) {
        return Ok(None);
    }
    let l = raw.trim().to_lowercase();
    let v = match l.as_str() {
        "instämmer helt" | "helt och hållet" | "stämmer helt" | "strongly agree" | "5" => 5,
        "instämmer till stor del"
        | "instämmer delvis, i hög grad"
        | "stämmer till stor del"
        | "agree"
        | "4" => 4,
        "instämmer delvis"
        | "varken eller"
        | "stämmer delvis"
        | "neither agree nor disagree"
        | "neutral"
        | "3" => 3,
        "instämmer till liten del" | "stämmer till liten del" | "disagree" | "2" => 2,
        "instämmer inte alls" | "stämmer inte alls" | "strongly disagree" | "1" => 1,
        _ => {
            return Err(Rejection::from(format!(
                "'{}' is not a label of the five-point scale",
                raw.trim()
            )));
        }
    };
    Ok(Some(f64::from(v)))
}

/// A label through the instrument's map, without regard to case or surrounding space. The
/// map's keys are lower case and trimmed (Instrument::parse makes them so).
pub fn category(raw: &str, values: &BTreeMap<String, String>) -> Parsed<String> {
    if is_missing(raw) {
        return Ok(None);
    }
    let t = raw.trim();
    // Lower-cased into a buffer kept per thread: a national export has millions of labels.
    // (Final sigma is the one letter whose lower case depends on its place in a word.)
    let found = if t.contains('Σ') {
        values.get(&t.to_lowercase()).cloned()
    } else {
        LOWER.with_borrow_mut(|b| {
            b.clear();
            b.extend(t.chars().flat_map(char::to_lowercase));
            values.get(b.as_str()).cloned()
        })
    };
    found.map(Some).ok_or_else(|| {
        Rejection(format!(
            "'{}' is not among the instrument's labels",
            raw.trim()
        ))
    })
}

thread_local! {
    static LOWER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The formats `datetime` reads, parsed once (chrono's `parse_from_str` parses its format
/// string on every call).
static FORMATS: LazyLock<Vec<Vec<Item<'static>>>> = LazyLock::new(|| {
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M",
        "%d.%m.%Y %H:%M",
    ]
    .iter()
    .map(|f| {
        StrftimeItems::new(f)
            .parse_to_owned()
            .expect("a valid format")
    })
    .collect()
});
static DATE: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| {
    StrftimeItems::new("%Y-%m-%d")
        .parse_to_owned()
        .expect("a valid format")
});

fn parsed(t: &str, items: &[Item<'static>]) -> Option<chrono::format::Parsed> {
    let mut p = chrono::format::Parsed::new();
    chrono::format::parse(&mut p, t, items.iter()).ok()?;
    Some(p)
}

/// Local "2019-10-14 09:31[:05]", "2019-10-14T09:31", "14/10/2019 09:31" or a date alone,
/// in `tz`, DST-correct; as UTC microseconds.
pub fn datetime(raw: &str, tz: Tz) -> Parsed<i64> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let naive = FORMATS
        .iter()
        .find_map(|f| parsed(t, f)?.to_naive_datetime_with_offset(0).ok())
        .or_else(|| {
            parsed(t, &DATE)?
                .to_naive_date()
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| format!("'{t}' is not a date and time (expected like 2019-10-14 09:31)"))?;
    // In the autumn hour that occurs twice, take the earlier; in the spring gap, the answer
    // cannot exist, so say so rather than guess.
    let local = tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| format!("'{t}' does not exist in {tz} (clocks went forward)"))?;
    Ok(Some(local.with_timezone(&Utc).timestamp_micros()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bands() -> BTreeMap<String, Band> {
        [(
            "mer än en timme".to_string(),
            Band {
                low: 61.0,
                high: None,
                point: 90.0,
            },
        )]
        .into()
    }

    fn pt(s: &str) -> f64 {
        minutes(s, &bands()).unwrap().unwrap().point
    }

    #[test]
    fn minutes_in_the_forms_people_write() {
        assert_eq!(pt("30"), 30.0);
        assert_eq!(pt("32,5"), 32.5);
        assert_eq!(pt("ca 30"), 30.0);
        assert_eq!(pt("Ca. 30 min"), 30.0);
        assert_eq!(pt("30 minuter"), 30.0);
        assert_eq!(pt("1,5 h"), 90.0);
        assert_eq!(pt("2 timmar"), 120.0);
        assert_eq!(pt("Ingen tid"), 0.0);
        let m = minutes("16–30 minuter", &bands()).unwrap().unwrap();
        assert_eq!((m.low, m.high, m.point), (16.0, Some(30.0), 23.0));
        let m = minutes("10-20", &bands()).unwrap().unwrap();
        assert_eq!((m.low, m.high), (10.0, Some(20.0)));
        let m = minutes("MER ÄN EN TIMME", &bands()).unwrap().unwrap();
        assert_eq!((m.low, m.high, m.point), (61.0, None, 90.0));
        assert_eq!(minutes("Vet ej", &bands()).unwrap(), None);
        assert!(minutes("ca trettio", &bands()).is_err());
        assert!(minutes("-5", &bands()).is_err());
        assert!(minutes("30-10", &bands()).is_err());
    }

    #[test]
    fn numbers_with_swedish_separators() {
        assert_eq!(number("1 234,5").unwrap(), Some(1234.5));
        assert_eq!(number("1\u{a0}234,5").unwrap(), Some(1234.5));
        assert_eq!(number("−2,5").unwrap(), Some(-2.5));
        assert!(number("12,3,4").is_err());
        assert!(number("NaN").is_err());
    }

    #[test]
    fn yes_no_and_likert() {
        assert_eq!(yes_no("Ja").unwrap(), Some(true));
        assert_eq!(yes_no(" NEJ ").unwrap(), Some(false));
        assert_eq!(yes_no("Vet ej").unwrap(), None);
        assert!(yes_no("Kanske").is_err());
        assert_eq!(likert5("Instämmer helt").unwrap(), Some(5.0));
        assert_eq!(likert5("instämmer inte alls").unwrap(), Some(1.0));
        assert_eq!(likert5("Strongly disagree").unwrap(), Some(1.0));
        assert_eq!(likert5("Vet ej").unwrap(), None);
        assert!(likert5("Instämmer kanske").is_err());
    }

    #[test]
    fn local_times_become_utc_across_dst() {
        let tz: Tz = "Europe/Stockholm".parse().unwrap();
        // Winter: UTC+1; summer: UTC+2.
        let w = datetime("2019-01-14 09:31", tz).unwrap().unwrap();
        let s = datetime("2019-07-14 09:31", tz).unwrap().unwrap();
        assert_eq!(
            w,
            Utc.with_ymd_and_hms(2019, 1, 14, 8, 31, 0)
                .unwrap()
                .timestamp_micros()
        );
        assert_eq!(
            s,
            Utc.with_ymd_and_hms(2019, 7, 14, 7, 31, 0)
                .unwrap()
                .timestamp_micros()
        );
        assert!(datetime("2019-03-31 02:30", tz).is_err());
        assert!(datetime("igår", tz).is_err());
    }
}
