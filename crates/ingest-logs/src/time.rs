//! Timestamps as logs write them, to UTC microseconds.
//!
//! Hand-written parsers, because a log has one timestamp per line and chrono's format-string
//! parser costs more than the rest of a line. A time without a zone is local time in the
//! source's zone (Europe/Stockholm unless configured), resolved with the zone's DST rules.

use chrono::{NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// A parsed time: either already absolute, or wall-clock time still to be placed in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Utc(i64),
    Local(NaiveDateTime),
}

impl Stamp {
    pub fn to_micros(self, tz: Tz) -> Option<i64> {
        match self {
            Stamp::Utc(us) => Some(us),
            Stamp::Local(t) => local_to_micros(tz, t),
        }
    }
}

/// Wall-clock time in `tz` to UTC. In the autumn hour that happens twice the first is taken
/// (logs are written in order, and the earlier reading is right for the first pass); a time in
/// the spring gap, which no clock showed, is read with the offset in force before the gap.
pub fn local_to_micros(tz: Tz, t: NaiveDateTime) -> Option<i64> {
    use chrono::LocalResult;
    let dt = match tz.from_local_datetime(&t) {
        LocalResult::Single(d) => d,
        LocalResult::Ambiguous(a, _) => a,
        LocalResult::None => {
            let before = t - chrono::Duration::hours(3);
            let off = tz.offset_from_local_datetime(&before).earliest()?.fix();
            return Some((t - off).and_utc().timestamp_micros());
        }
    };
    Some(dt.timestamp_micros())
}

/// The calendar day in `tz` of a UTC instant: the `day` partition, a Swedish working day.
pub fn local_day(tz: Tz, micros: i64) -> Option<NaiveDate> {
    let utc = chrono::DateTime::from_timestamp_micros(micros)?.naive_utc();
    let off = tz.offset_from_utc_datetime(&utc).fix();
    Some((utc + off).date())
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

fn ymd_hms(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<NaiveDateTime> {
    // 24:00:00 and leap seconds appear in real logs; read them as the next/same second.
    let s = s.min(59);
    NaiveDate::from_ymd_opt(y as i32, mo, d)?.and_hms_opt(h, mi, s)
}

/// Fraction digits after a '.' or ',' as microseconds, and how many bytes they took.
fn fraction(b: &[u8]) -> (u32, usize) {
    let mut us = 0u32;
    let mut n = 0;
    while n < b.len() && b[n].is_ascii_digit() {
        if n < 6 {
            us = us * 10 + (b[n] - b'0') as u32;
        }
        n += 1;
    }
    for _ in n..6 {
        us *= 10;
    }
    (us, n)
}

/// `±HH:MM`, `±HHMM`, `±HH` or `Z` as seconds east of UTC.
fn offset(b: &[u8]) -> Option<i32> {
    match b {
        [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i32;
            Some(if *sign == b'-' { -secs } else { secs })
        }
        _ => None,
    }
}

/// ISO 8601 / RFC 3339 as logs write it: `2026-10-26T07:06:45.123+01:00`, with `T` or a space,
/// with or without fraction (`.` or `,`) and zone.
pub fn parse_iso(s: &str) -> Option<Stamp> {
    let b = s.trim().as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let t = ymd_hms(
        digits(&b[0..4])?,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    )?;
    let mut rest = &b[19..];
    let mut us = 0;
    if let [b'.' | b',', tail @ ..] = rest {
        let (f, n) = fraction(tail);
        if n == 0 {
            return None;
        }
        us = f;
        rest = &tail[n..];
    }
    let t = t + chrono::Duration::microseconds(us as i64);
    if rest.is_empty() {
        return Some(Stamp::Local(t));
    }
    let rest = if rest[0] == b' ' { &rest[1..] } else { rest };
    let off = offset(rest)?;
    Some(Stamp::Utc(
        t.and_utc().timestamp_micros() - off as i64 * 1_000_000,
    ))
}

pub fn month(b: &[u8]) -> Option<u32> {
    let m = match b {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    Some(m)
}

/// Apache/nginx `10/Oct/2000:13:55:36 -0700` (between the brackets).
pub fn parse_clf(s: &str) -> Option<Stamp> {
    let b = s.as_bytes();
    if b.len() < 20 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' {
        return None;
    }
    let t = ymd_hms(
        digits(&b[7..11])?,
        month(&b[3..6])?,
        digits(&b[0..2])?,
        digits(&b[12..14])?,
        digits(&b[15..17])?,
        digits(&b[18..20])?,
    )?;
    let mut rest = &b[20..];
    let mut us = 0;
    if let [b'.', tail @ ..] = rest {
        let (f, n) = fraction(tail);
        us = f;
        rest = &tail[n..];
    }
    let t = t + chrono::Duration::microseconds(us as i64);
    match rest {
        [] => Some(Stamp::Local(t)),
        [b' ', z @ ..] => {
            let off = offset(z)?;
            Some(Stamp::Utc(
                t.and_utc().timestamp_micros() - off as i64 * 1_000_000,
            ))
        }
        _ => None,
    }
}

/// The RFC 3164 stamp `Oct 26 07:06:45` (day padded with a space or a zero, optional
/// fraction): month, day and time of day, since the format has no year.
pub fn parse_bsd(b: &[u8]) -> Option<(u32, u32, u32, u32, u32, u32)> {
    if b.len() < 15 || b[3] != b' ' || b[6] != b' ' || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let day = match &b[4..6] {
        [b' ', d] => digits(&[*d])?,
        d => digits(d)?,
    };
    let (us, _) = match &b[15..] {
        [b'.', tail @ ..] => fraction(tail),
        _ => (0, 0),
    };
    Some((
        month(&b[0..3])?,
        day,
        digits(&b[7..9])?,
        digits(&b[10..12])?,
        digits(&b[13..15])?,
        us,
    ))
}

/// Chooses the year of a year-less stamp: the latest year that does not put it more than a
/// day after `reference` (the time the log is known to end by). A December line read in
/// January goes to last year, a January line to this year, whatever order the lines come in.
pub fn infer_year(reference: NaiveDateTime, month: u32, day: u32) -> i32 {
    let y = reference.date().year_ce().1 as i32;
    let limit = reference + chrono::Duration::days(1);
    for year in [y, y - 1, y - 2, y - 3, y - 4] {
        // 29 February exists only in leap years: go back until it does.
        if let Some(d) = NaiveDate::from_ymd_opt(year, month, day) {
            if d.and_hms_opt(0, 0, 0).is_some_and(|t| t <= limit) {
                return year;
            }
        }
    }
    y
}

use chrono::Datelike;

/// A Unix time in seconds, milliseconds, microseconds or nanoseconds, told apart by size
/// (anything from 2001 to 2286 in each unit).
pub fn parse_epoch(v: f64) -> Option<i64> {
    if !v.is_finite() || v <= 0.0 {
        return None;
    }
    let us = if v < 1e10 {
        v * 1e6
    } else if v < 1e13 {
        v * 1e3
    } else if v < 1e16 {
        v
    } else {
        v / 1e3
    };
    if us < 1e15 {
        return None; // before 2001: a counter, not a time
    }
    Some(us as i64)
}

/// Any of the stamps above, for fields (JSON, CSV) whose format is not fixed.
pub fn parse_any(s: &str) -> Option<Stamp> {
    let s = s.trim();
    if let Some(t) = parse_iso(s) {
        return Some(t);
    }
    if let Some(t) = parse_clf(s) {
        return Some(t);
    }
    if s.bytes().all(|c| c.is_ascii_digit() || c == b'.') && !s.is_empty() {
        return s.parse::<f64>().ok().and_then(parse_epoch).map(Stamp::Utc);
    }
    // `2026-10-26 07:06` (no seconds) and `2026/10/26 07:06:45` from spreadsheets; Windows
    // tools write the culture's own: `3/15/2024 2:05:07 PM` (en-US), `15/03/2024 14:05:07`
    // (en-GB), `15.03.2024 14:05:07` (de-DE); sv-SE writes ISO.
    for f in [
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%d.%m.%Y %H:%M:%S",
        "%m/%d/%Y %I:%M:%S %p",
        "%d/%m/%Y %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(Stamp::Local(t));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Stockholm;

    fn utc(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn iso_with_and_without_zone() {
        assert_eq!(
            parse_iso("2026-10-26T07:06:45.123+01:00"),
            Some(Stamp::Utc(utc("2026-10-26T06:06:45.123Z")))
        );
        assert_eq!(
            parse_iso("2026-10-26 07:06:45,5Z"),
            Some(Stamp::Utc(utc("2026-10-26T07:06:45.5Z")))
        );
        let local = parse_iso("2026-07-01T12:00:00").unwrap();
        assert_eq!(
            local.to_micros(Stockholm),
            Some(utc("2026-07-01T10:00:00Z"))
        );
        assert_eq!(parse_iso("2026-13-01T00:00:00"), None);
        assert_eq!(parse_iso("2026-10-26T07:06:45+1"), None);
    }

    #[test]
    fn stockholm_dst_edges() {
        // 2026-03-29 02:30 does not exist in Stockholm; read with the winter offset.
        let gap = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local_to_micros(Stockholm, gap),
            Some(utc("2026-03-29T01:30:00Z"))
        );
        // 2026-10-25 02:30 happens twice; the first (summer time) is taken.
        let twice = NaiveDate::from_ymd_opt(2026, 10, 25)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local_to_micros(Stockholm, twice),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            local_day(Stockholm, utc("2026-10-25T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 10, 26)
        );
    }

    #[test]
    fn clf_and_bsd_stamps() {
        assert_eq!(
            parse_clf("10/Oct/2000:13:55:36 -0700"),
            Some(Stamp::Utc(utc("2000-10-10T20:55:36Z")))
        );
        assert_eq!(parse_bsd(b"Oct  6 07:06:45"), Some((10, 6, 7, 6, 45, 0)));
        assert_eq!(parse_bsd(b"Foo 26 07:06:45"), None);
    }

    #[test]
    fn year_inference_across_new_year() {
        let jan2 = NaiveDate::from_ymd_opt(2027, 1, 2)
            .unwrap()
            .and_hms_opt(3, 0, 0)
            .unwrap();
        assert_eq!(infer_year(jan2, 12, 31), 2026);
        assert_eq!(infer_year(jan2, 1, 1), 2027);
        assert_eq!(
            infer_year(jan2, 1, 3),
            2027,
            "a day of clock skew is tolerated"
        );
        assert_eq!(infer_year(jan2, 1, 4), 2026);
        let y2029 = NaiveDate::from_ymd_opt(2029, 3, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(infer_year(y2029, 2, 29), 2028);
    }

    #[test]
    fn epochs_by_magnitude() {
        let t = utc("2026-10-26T06:06:45Z");
        assert_eq!(parse_epoch(1_792_994_805.0), Some(t));
        assert_eq!(parse_epoch(1_792_994_805_000.0), Some(t));
        assert_eq!(parse_epoch(12.0), None);
    }
}
#[cfg(test)]
mod windows_culture_tests {
    use super::*;

    #[test]
    fn windows_cultures_write_their_own_times() {
        let t = |s| match parse_any(s) {
            Some(Stamp::Local(t)) => t.to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(t("10/26/2026 7:06:45 AM"), "2026-10-26 07:06:45");
        assert_eq!(t("10/27/2026 12:30:00 AM"), "2026-10-27 00:30:00");
        assert_eq!(t("10/26/2026 1:15:02 PM"), "2026-10-26 13:15:02");
        assert_eq!(t("26/10/2026 13:15:02"), "2026-10-26 13:15:02");
        assert_eq!(t("2026-10-26 09:15:00"), "2026-10-26 09:15:00");
    }
}
