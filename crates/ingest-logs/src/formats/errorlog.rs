//! Web servers' error logs, where timeouts and upstream failures show first:
//! Apache 2.2 (`[Sun Dec 04 04:47:44 2005] [error] …`), Apache 2.4
//! (`[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 1:tid 2] [client …] AH00128: …`) and
//! nginx (`2026/10/26 07:06:45 [error] 1234#1234: *5 …, request: "GET /x HTTP/1.1", host: "…"`).
//! Times are local (no zone), as both servers write them.

use friktion_core::quarantine::Rejection;
use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};

use crate::event::{RawEvent, severity_of_level, url_path};
use crate::time::{self, Stamp};

pub struct ErrorLogParser;

fn digits(s: &str) -> Option<u32> {
    s.parse().ok()
}

/// `Sun Dec 04 04:47:44 2005` or `Fri Sep 09 10:42:29.902022 2011`.
fn apache_time(s: &str) -> Option<NaiveDateTime> {
    let mut p = s.split_whitespace();
    let _weekday = p.next()?;
    let month = time::month(p.next()?.as_bytes())?;
    let day = digits(p.next()?)?;
    let clock = p.next()?;
    let year = digits(p.next()?)?;
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, "0"));
    let mut t = hms.split(':');
    let (h, m, sec) = (digits(t.next()?)?, digits(t.next()?)?, digits(t.next()?)?);
    let us = format!("{frac:0<6}").get(..6)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_micro_opt(h, m, sec.min(59), us)
}

/// The value of `key: "…"` or `key: word` in nginx's trailing context.
fn nginx_field<'a>(msg: &'a str, key: &str) -> Option<&'a str> {
    let at = msg.find(&format!(", {key}: "))? + key.len() + 4;
    let rest = &msg[at..];
    match rest.strip_prefix('"') {
        Some(q) => q.find('"').map(|e| &q[..e]),
        None => Some(rest.split(',').next().unwrap_or(rest)),
    }
}

/// Whether a line begins an entry: Apache's `[` or nginx's `YYYY/MM/DD `. Other lines go on
/// the entry before them.
pub fn starts_entry(line: &[u8]) -> bool {
    let d = |i: usize| line.get(i).is_some_and(u8::is_ascii_digit);
    line.first() == Some(&b'[')
        || (line.len() > 10
            && (0..4).all(d)
            && line[4] == b'/'
            && d(5)
            && d(6)
            && line[7] == b'/'
            && d(8)
            && d(9)
            && line[10] == b' ')
}

impl ErrorLogParser {
    pub fn parse<'a>(&self, line: &'a str) -> Result<RawEvent<'a>, Rejection> {
        if let Some(rest) = line.strip_prefix('[') {
            return self.apache(rest);
        }
        self.nginx(line)
    }

    fn apache<'a>(&self, rest: &'a str) -> Result<RawEvent<'a>, Rejection> {
        let (stamp, mut rest) = rest.split_once("] ").ok_or("no ']' after the time")?;
        let ts = apache_time(stamp).ok_or_else(|| format!("[{stamp}] is not an Apache time"))?;
        let mut ev = RawEvent {
            ts: Some(Stamp::Local(ts)),
            app: Some(Cow::Borrowed("apache")),
            ..RawEvent::default()
        };
        // Bracketed fields: [module:level] or [level], [pid …], [client …].
        while let Some(r) = rest.strip_prefix('[') {
            let Some((field, after)) = r.split_once(']') else {
                break;
            };
            let level = field.rsplit(':').next().unwrap_or(field);
            if ev.severity.is_none() {
                ev.severity = severity_of_level(level);
            }
            rest = after.trim_start();
        }
        if ev.severity.is_none() {
            return Err(Rejection::from("no [level] after the time"));
        }
        ev.message = Some(Cow::Borrowed(rest)).filter(|m| !m.is_empty());
        Ok(ev)
    }

    fn nginx<'a>(&self, line: &'a str) -> Result<RawEvent<'a>, Rejection> {
        let b = line.as_bytes();
        if b.len() < 21 || b[4] != b'/' || b[7] != b'/' || b[10] != b' ' || b[19] != b' ' {
            return Err(Rejection::from(
                "no 'YYYY/MM/DD HH:MM:SS [level]' at the start of the line",
            ));
        }
        let ts = NaiveDateTime::parse_from_str(&line[..19], "%Y/%m/%d %H:%M:%S")
            .map_err(|_| format!("'{}' is not an nginx time", &line[..19]))?;
        let rest = &line[20..];
        let (level, msg) = rest
            .strip_prefix('[')
            .and_then(|r| r.split_once("] "))
            .ok_or("no [level] after the time")?;
        let severity =
            severity_of_level(level).ok_or_else(|| format!("[{level}] is not a log level"))?;
        // `1234#1234: *5 ` (pid#tid: *connection) before the message.
        let msg = msg
            .split_once(": ")
            .map_or(msg, |(head, m)| if head.contains('#') { m } else { msg });
        let msg = msg
            .strip_prefix('*')
            .map_or(msg, |m| m.split_once(' ').map_or(m, |(_, rest)| rest));
        let path = nginx_field(msg, "request")
            .and_then(|r| r.split(' ').nth(1))
            .map(|p| Cow::Borrowed(url_path(p)));
        Ok(RawEvent {
            ts: Some(Stamp::Local(ts)),
            app: Some(Cow::Borrowed("nginx")),
            host: nginx_field(msg, "host")
                .or_else(|| nginx_field(msg, "server"))
                .map(|h| Cow::Borrowed(h.split(':').next().unwrap_or(h))),
            path,
            message: Some(Cow::Borrowed(msg)),
            severity: Some(severity),
            ..RawEvent::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apache_22_and_24() {
        let p = ErrorLogParser;
        let e = p
            .parse("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6")
            .unwrap();
        assert_eq!(e.severity, Some(3));
        assert_eq!(
            e.ts,
            Some(Stamp::Local(
                NaiveDate::from_ymd_opt(2005, 12, 4)
                    .unwrap()
                    .and_hms_opt(4, 47, 44)
                    .unwrap()
            ))
        );
        let e = p
            .parse("[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico")
            .unwrap();
        assert_eq!(e.severity, Some(3));
        assert_eq!(
            e.message.as_deref(),
            Some("File does not exist: /usr/local/apache2/htdocs/favicon.ico")
        );
        assert!(p.parse("[Sun Dec 04 04:47:44 2005] no level").is_err());
    }

    #[test]
    fn nginx_with_request_and_host() {
        let e = ErrorLogParser
            .parse(r#"2026/10/26 07:06:45 [error] 1234#1234: *5 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: lifecare, request: "GET /lifecare/journal?pnr=1 HTTP/1.1", upstream: "http://10.0.0.2:8080/journal", host: "lifecare-web01.k0180.example.se""#)
            .unwrap();
        assert_eq!(e.severity, Some(3));
        assert_eq!(e.path.as_deref(), Some("/lifecare/journal"));
        assert_eq!(e.host.as_deref(), Some("lifecare-web01.k0180.example.se"));
        assert!(
            e.message
                .as_deref()
                .unwrap()
                .starts_with("upstream timed out")
        );
        assert!(
            ErrorLogParser
                .parse("2026-10-26 07:06:45 [error] x")
                .is_err()
        );
    }
}
