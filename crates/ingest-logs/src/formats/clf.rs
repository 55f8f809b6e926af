//! Apache and nginx access logs: common, combined, vhost_combined, and combined with a
//! response time appended (`%D`, `$request_time`, `rt=0.123`).
//!
//! The client address is not kept: it is personal data and says nothing about friction.

use friktion_core::quarantine::Rejection;
use std::borrow::Cow;

use crate::event::{RawEvent, url_path};
use crate::mapping::LatencyUnit;
use crate::time;

pub struct ClfParser {
    /// Unit of a bare trailing number; by default `0.123` is seconds (nginx) and `123456`
    /// microseconds (Apache `%D`).
    pub latency_unit: Option<LatencyUnit>,
}

/// One token: a bare word, a `[…]` stamp or a `"…"` string with `\"`/`\\` escapes.
fn token(s: &str) -> Result<(&str, &str), Rejection> {
    let s = s.trim_start_matches(' ');
    let b = s.as_bytes();
    match b.first() {
        None => Err(Rejection::from("line ends early")),
        Some(b'"') => {
            let mut i = 1;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return Ok((&s[1..i], &s[i + 1..])),
                    _ => i += 1,
                }
            }
            Err(Rejection::from("a quoted field is not closed"))
        }
        Some(b'[') => match s.find(']') {
            Some(i) => Ok((&s[1..i], &s[i + 1..])),
            None => Err(Rejection::from("'[' without ']'")),
        },
        Some(_) => Ok(s.split_once(' ').unwrap_or((s, ""))),
    }
}

fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('x') => {
                let h: String = it.by_ref().take(2).collect();
                match u8::from_str_radix(&h, 16) {
                    Ok(b) if b.is_ascii() => out.push(b as char),
                    _ => out.push('\u{fffd}'),
                }
            }
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(o) => out.push(o),
            None => {}
        }
    }
    Cow::Owned(out)
}

impl ClfParser {
    pub fn parse<'a>(&self, line: &'a str) -> Result<RawEvent<'a>, Rejection> {
        let bracket = line
            .find(" [")
            .ok_or("no [timestamp] in an access-log line")?;
        let before: Vec<&str> = line[..bracket].split(' ').collect();
        let vhost = match before.len() {
            3 => None,
            4 => Some(before[0]),
            n => {
                return Err(Rejection::from(format!(
                    "{n} fields before the [timestamp], expected 3 or 4"
                )));
            }
        };
        let user = before[before.len() - 1];
        let (stamp, rest) = token(&line[bracket..])?;
        let ts =
            time::parse_clf(stamp).ok_or_else(|| format!("[{stamp}] is not an access-log time"))?;
        let (request, rest) = token(rest)?;
        let (status, rest) = token(rest)?;
        let status: i32 = status
            .parse()
            .map_err(|_| format!("status '{status}' is not a number"))?;
        if !(100..=999).contains(&status) {
            return Err(Rejection::from(format!(
                "status {status} is not an HTTP status"
            )));
        }
        let (_bytes, mut rest) = token(rest).unwrap_or(("-", ""));
        let mut method = None;
        let mut path = None;
        let request = unescape(request);
        let mut parts = request.split(' ');
        if let (Some(m), Some(p)) = (parts.next(), parts.next()) {
            if m.len() <= 16 && m.bytes().all(|c| c.is_ascii_uppercase()) {
                method = Some(Cow::Owned(m.to_string()));
                path = Some(Cow::Owned(url_path(p).to_string()));
            }
        }
        // Referer and user agent, then whatever was appended (response times).
        let mut latency_ms = None;
        let mut quoted = 0;
        while !rest.trim().is_empty() {
            let was_quoted = rest.trim_start().starts_with('"');
            let (tok, r) = token(rest)?;
            rest = r;
            if was_quoted && quoted < 2 {
                quoted += 1;
                continue;
            }
            if let Some(ms) = self.latency(tok) {
                latency_ms.get_or_insert(ms);
            }
        }
        Ok(RawEvent {
            ts: Some(ts),
            host: vhost.map(|v| Cow::Borrowed(v.split(':').next().unwrap_or(v))),
            user: (user != "-" && !user.is_empty()).then_some(Cow::Borrowed(user)),
            method,
            path,
            status: Some(status),
            latency_ms,
            ..RawEvent::default()
        })
    }

    fn latency(&self, tok: &str) -> Option<f64> {
        let (key, v) = match tok.split_once('=') {
            Some((k, v)) => (Some(k), v),
            None => (None, tok),
        };
        let v: f64 = v.trim_matches('"').parse().ok()?;
        if !v.is_finite() || v < 0.0 {
            return None;
        }
        let unit = match (key, self.latency_unit) {
            (Some("rt" | "request_time" | "urt" | "upstream_response_time"), _) => LatencyUnit::S,
            (Some("D" | "us"), _) => LatencyUnit::Us,
            (Some("ms"), _) => LatencyUnit::Ms,
            (Some(_), _) => return None,
            (None, Some(u)) => u,
            (None, None) if tok.contains('.') => LatencyUnit::S,
            (None, None) => LatencyUnit::Us,
        };
        Some(unit.to_ms(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> ClfParser {
        ClfParser { latency_unit: None }
    }

    #[test]
    fn common_combined_and_extras() {
        let e = p()
            .parse(r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326"#)
            .unwrap();
        assert_eq!(e.user.as_deref(), Some("frank"));
        assert_eq!(e.path.as_deref(), Some("/apache_pb.gif"));
        assert_eq!(e.status, Some(200));
        let e = p()
            .parse(r#"10.1.2.3 - - [26/Oct/2026:07:06:45 +0100] "POST /lifecare/login HTTP/1.1" 401 12 "https://x.se/a \"b\"" "Mozilla/5.0 (\"quoted\")" 0.734"#)
            .unwrap();
        assert_eq!(e.user, None);
        assert_eq!(e.method.as_deref(), Some("POST"));
        assert_eq!(e.latency_ms, Some(734.0));
        let e = p()
            .parse(r#"www.x.se:443 10.1.2.3 - - [26/Oct/2026:07:06:45 +0100] "GET / HTTP/1.1" 200 1 "-" "curl" 1534"#)
            .unwrap();
        assert_eq!(e.host.as_deref(), Some("www.x.se"));
        assert!((e.latency_ms.unwrap() - 1.534).abs() < 1e-12);
    }

    #[test]
    fn odd_requests_and_garbage() {
        // nginx writes a TLS handshake on a plain port as \x escapes.
        let e = p()
            .parse(r#"10.0.0.9 - - [26/Oct/2026:07:06:45 +0100] "\x16\x03\x01\x00\xa5\x01" 400 157 "-" "-""#)
            .unwrap();
        assert_eq!(e.status, Some(400));
        assert_eq!(e.path, None);
        assert!(p().parse("just text").is_err());
        assert!(
            p().parse(r#"a - - [26/Oct/2026:07:06:45 +0100] "GET / HTTP/1.1" abc 1"#)
                .is_err()
        );
        assert!(
            p().parse(r#"a - - [26/Oct/2026:07:06:45 +0100] "GET / HTTP/1.1 200 1"#)
                .is_err()
        );
    }
}
