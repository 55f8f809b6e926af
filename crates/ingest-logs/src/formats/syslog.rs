//! Syslog: RFC 3164 (with or without `<PRI>`, as sent or as rsyslog writes files), the same
//! with an ISO 8601 stamp (rsyslog's high-precision file format), and RFC 5424.

use friktion_core::quarantine::Rejection;
use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime};
use regex::Regex;

use crate::event::RawEvent;
use crate::time::{self, Stamp};

/// The shapes in which sign-in services and sshd name the user a line is about.
static USER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
        \b(?:for|[Ii]nvalid|illegal)\ user\ ['"]?([^\s'",;]+)
        | \b(?:Failed|Accepted)\ \S+\ for\ ([^\s'",;]+)\ from
        | \buser[=:]\ ?['"]?([^\s'",;\]]+)
        | \bUser\ ['"]?([^\s'",;]+)['"]?\ (?:logged|failed|authenticated|login|signed)
        | \bsession\ (?:opened|closed)\ for\ user\ ([^\s(]+)
        "#,
    )
    .expect("valid regex")
});

/// The user named in a free-text message, if any.
pub fn user_in_message(msg: &str) -> Option<&str> {
    // Most lines name no user; a byte search is much cheaper than the regex.
    if !(msg.contains("user") || msg.contains("User") || msg.contains(" for ")) {
        return None;
    }
    let c = USER.captures(msg)?;
    c.iter()
        .skip(1)
        .flatten()
        .next()
        .map(|m| m.as_str())
        .filter(|u| !u.is_empty() && *u != "-")
}

pub struct SyslogParser {
    /// Year-less stamps get their year from this: the time the log is known to end by.
    pub reference: NaiveDateTime,
}

impl SyslogParser {
    pub fn parse<'a>(&self, line: &'a str) -> Result<RawEvent<'a>, Rejection> {
        let mut rest = line;
        let mut severity = None;
        if let Some(r) = rest.strip_prefix('<') {
            let end = r
                .find('>')
                .filter(|&i| (1..=3).contains(&i))
                .ok_or("'<' without a priority of 1–3 digits")?;
            let pri: u16 = r[..end].parse().map_err(|_| "priority is not a number")?;
            if pri > 191 {
                return Err(Rejection::from(format!("priority {pri} is above 191")));
            }
            severity = Some((pri % 8) as u8);
            rest = &r[end + 1..];
            if let Some(r5424) = rest.strip_prefix("1 ") {
                return parse_5424(r5424, severity);
            }
        }
        let (ts, after) = self.stamp(rest)?;
        let (host, app, message) = header_3164(after);
        let mut ev = RawEvent {
            ts: Some(ts),
            host: host.map(Cow::Borrowed),
            app: app.map(Cow::Borrowed),
            message: message.map(Cow::Borrowed),
            severity,
            ..RawEvent::default()
        };
        if let Some(m) = message {
            let m = match repeated(m) {
                Some((n, inner)) => {
                    ev.repeat = n;
                    ev.message = Some(Cow::Borrowed(inner));
                    inner
                }
                None => m,
            };
            logfmt(m, &mut ev);
            if ev.user.is_none() {
                ev.user = user_in_message(m).map(Cow::Borrowed);
            }
        }
        Ok(ev)
    }

    fn stamp<'a>(&self, s: &'a str) -> Result<(Stamp, &'a str), Rejection> {
        let b = s.as_bytes();
        if let Some((mo, d, h, mi, sec, us)) = time::parse_bsd(b) {
            // The stamp may carry a fraction: skip to the space after it.
            let end = s[15..].find(' ').map_or(s.len(), |i| 15 + i);
            let year = time::infer_year(self.reference, mo, d);
            let t = NaiveDate::from_ymd_opt(year, mo, d)
                .and_then(|dt| dt.and_hms_micro_opt(h, mi, sec.min(59), us))
                .ok_or_else(|| format!("no such date: {}", &s[..15]))?;
            return Ok((Stamp::Local(t), s.get(end + 1..).unwrap_or("")));
        }
        let (tok, after) = s.split_once(' ').unwrap_or((s, ""));
        match time::parse_iso(tok) {
            Some(t) => Ok((t, after)),
            None => Err(Rejection::from(format!(
                "no syslog timestamp at the start of the line (found '{}')",
                tok.chars().take(32).collect::<String>()
            ))),
        }
    }
}

/// Repeats are counted, up to this many per line: a corrupt count must not flood the lake.
pub const MAX_REPEAT: u32 = 10_000;

/// rsyslog's and syslog-ng's folded repeats: `message repeated 5 times: [ Failed password …]`
/// (and `last message repeated 5 times`, which has no text to repeat and is left as it is).
fn repeated(m: &str) -> Option<(u32, &str)> {
    let rest = m.strip_prefix("message repeated ")?;
    let (n, rest) = rest.split_once(" times: [")?;
    let n: u32 = n.parse().ok()?;
    let inner = rest.strip_suffix(']')?.trim();
    Some((n.clamp(1, MAX_REPEAT), inner))
}

/// Fields of a logfmt message (`user=anna status=504 duration_ms=30000 msg="…"`), which many
/// applications write through syslog. Only known keys are taken; `msg` becomes the message.
pub fn logfmt<'a>(m: &'a str, ev: &mut RawEvent<'a>) {
    if !m.contains('=') {
        return;
    }
    let mut rest = m;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].rsplit(' ').next().unwrap_or("");
        let after = &rest[eq + 1..];
        let (value, next) = match after.strip_prefix('"') {
            Some(q) => match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            },
            None => {
                let end = after.find(' ').unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        rest = next;
        if value.is_empty() || value == "-" {
            continue;
        }
        let v = Cow::Borrowed(value);
        match key {
            "user" | "username" if ev.user.is_none() => ev.user = Some(v),
            "session" | "session_id" | "sid" => ev.session = Some(v),
            "event" | "event_type" | "action" => ev.event = Some(v),
            "path" | "uri" | "url" => ev.path = Some(Cow::Borrowed(crate::event::url_path(value))),
            "method" => ev.method = Some(v),
            "status" | "http_status" | "status_code" => ev.status = value.parse().ok(),
            "duration_ms" | "latency_ms" | "elapsed_ms" | "took_ms" => {
                ev.latency_ms = value.parse().ok()
            }
            "msg" | "message" => ev.message = Some(v),
            "kommun" | "kommun_kod" => ev.kommun_kod = Some(v),
            _ => {}
        }
    }
}

/// `host tag[pid]: message`; the host is missing in some senders' lines.
fn header_3164(s: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let (first, after_first) = s.split_once(' ').unwrap_or((s, ""));
    let (host, tagged) = if first.ends_with(':') || first.contains('[') {
        (None, s)
    } else {
        (
            Some(first).filter(|h| !h.is_empty() && *h != "-"),
            after_first,
        )
    };
    match tagged.split_once(": ") {
        Some((tag, msg)) if !tag.contains(' ') => {
            let app = tag.split('[').next().unwrap_or(tag);
            (host, Some(app).filter(|a| !a.is_empty()), Some(msg))
        }
        _ => (
            host,
            None,
            Some(tagged.trim_end_matches(':')).filter(|m| !m.is_empty()),
        ),
    }
}

fn nil(s: &str) -> Option<&str> {
    (s != "-" && !s.is_empty()).then_some(s)
}

/// `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]` after `<PRI>1 `.
fn parse_5424(s: &str, severity: Option<u8>) -> Result<RawEvent<'_>, Rejection> {
    let mut parts = s.splitn(6, ' ');
    let mut next = |what: &str| {
        parts
            .next()
            .ok_or_else(|| format!("RFC 5424 line ends before its {what}"))
    };
    let ts_tok = next("timestamp")?;
    let host = next("hostname")?;
    let app = next("app-name")?;
    let _procid = next("procid")?;
    let _msgid = next("msgid")?;
    let rest = parts.next().unwrap_or("");
    let ts = match ts_tok {
        "-" => None,
        t => Some(
            time::parse_iso(t)
                .ok_or_else(|| format!("RFC 5424 timestamp '{t}' is not RFC 3339"))?,
        ),
    };
    let (sd, msg) = split_sd(rest)?;
    let msg = msg.map(|m| m.strip_prefix('\u{feff}').unwrap_or(m));
    let user = sd_param(sd, &["user", "username", "uid", "account"])
        .or_else(|| msg.and_then(user_in_message).map(Cow::Borrowed));
    Ok(RawEvent {
        ts,
        host: nil(host).map(Cow::Borrowed),
        app: nil(app).map(Cow::Borrowed),
        message: msg.filter(|m| !m.is_empty()).map(Cow::Borrowed),
        user,
        severity,
        ..RawEvent::default()
    })
}

/// Splits structured data (`-` or `[id k="v" …]…`, with `\"`, `\\` and `\]` escapes) from the
/// message that follows it.
fn split_sd(s: &str) -> Result<(&str, Option<&str>), Rejection> {
    if let Some(r) = s.strip_prefix('-') {
        return Ok(("", r.strip_prefix(' ')));
    }
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i] == b'[' {
        let mut in_quotes = false;
        i += 1;
        loop {
            match b.get(i) {
                None => return Err(Rejection::from("structured data is not closed with ']'")),
                Some(b'\\') if in_quotes => i += 2,
                Some(b'"') => {
                    in_quotes = !in_quotes;
                    i += 1;
                }
                Some(b']') if !in_quotes => {
                    i += 1;
                    break;
                }
                Some(_) => i += 1,
            }
        }
    }
    if i == 0 {
        return Err(Rejection::from(
            "RFC 5424 structured data must be '-' or start with '['",
        ));
    }
    let sd = &s[..i.min(s.len())];
    let msg = s.get(i..).and_then(|m| m.strip_prefix(' '));
    Ok((sd, msg))
}

/// The first of `names` among the structured-data parameters, unescaped.
fn sd_param<'a>(sd: &'a str, names: &[&str]) -> Option<Cow<'a, str>> {
    for name in names {
        let pat = format!(" {name}=\"");
        if let Some(start) = sd.find(&pat).map(|i| i + pat.len()) {
            let b = sd.as_bytes();
            let mut j = start;
            let mut escaped = false;
            while j < b.len() && (b[j] != b'"' || b[j - 1] == b'\\') {
                escaped |= b[j] == b'\\';
                j += 1;
            }
            let v = &sd[start..j];
            let v = if escaped {
                Cow::Owned(
                    v.replace("\\\"", "\"")
                        .replace("\\]", "]")
                        .replace("\\\\", "\\"),
                )
            } else {
                Cow::Borrowed(v)
            };
            if !v.is_empty() && v != "-" {
                return Some(v);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> SyslogParser {
        SyslogParser {
            reference: NaiveDate::from_ymd_opt(2027, 1, 1)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        }
    }

    #[test]
    fn bsd_with_and_without_priority() {
        let p = parser();
        let e = p
            .parse("<38>Oct 26 07:06:45 idp01 shibboleth-idp[2032]: Login failed for user sol0004 from 10.0.0.1: invalid credentials")
            .unwrap();
        assert_eq!(e.severity, Some(6));
        assert_eq!(e.host.as_deref(), Some("idp01"));
        assert_eq!(e.app.as_deref(), Some("shibboleth-idp"));
        assert_eq!(e.user.as_deref(), Some("sol0004"));
        let Some(Stamp::Local(t)) = e.ts else {
            panic!()
        };
        assert_eq!(t.to_string(), "2026-10-26 07:06:45");
        let e = p
            .parse("Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2")
            .unwrap();
        assert_eq!(e.user.as_deref(), Some("webmaster"));
        assert_eq!(e.severity, None);
        let e = p
            .parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4  user=root")
            .unwrap();
        assert_eq!(e.user.as_deref(), Some("root"));
        assert_eq!(e.app.as_deref(), Some("sshd(pam_unix)"));
    }

    #[test]
    fn rfc5424_with_structured_data() {
        let e = parser()
            .parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" user=\"an\\\"na\"][x@1 a=\"]\"] \u{feff}An application event")
            .unwrap();
        assert_eq!(e.severity, Some(5));
        assert_eq!(e.app.as_deref(), Some("evntslog"));
        assert_eq!(e.user.as_deref(), Some("an\"na"));
        assert_eq!(e.message.as_deref(), Some("An application event"));
        let e = parser().parse("<14>1 - - - - - -").unwrap();
        assert_eq!(e.ts, None);
        assert!(
            parser()
                .parse("<14>1 2003-10-11T22:14:15Z h a - - [x")
                .is_err()
        );
    }

    #[test]
    fn folded_repeats_count_as_many_events() {
        let e = parser()
            .parse("Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]")
            .unwrap();
        assert_eq!(e.repeat, 5);
        assert_eq!(
            e.message.as_deref(),
            Some("Failed password for root from 5.36.59.76 port 42393 ssh2")
        );
        assert_eq!(e.user.as_deref(), Some("root"));
        let e = parser()
            .parse("Dec 10 07:13:56 h sshd[1]: message repeated 99999999 times: [ x]")
            .unwrap();
        assert_eq!(e.repeat, MAX_REPEAT);
    }

    #[test]
    fn logfmt_fields_in_the_message() {
        let e = parser()
            .parse(r#"<134>Oct 26 07:10:16 lifecare-web01 lifecare[3006]: user=mjl0008 session=0aa3 event=timeout status=504 duration_ms=30000 path=/lifecare/journal/save?x=1 msg="Gateway timeout, igen""#)
            .unwrap();
        assert_eq!(e.user.as_deref(), Some("mjl0008"));
        assert_eq!(e.session.as_deref(), Some("0aa3"));
        assert_eq!(e.event.as_deref(), Some("timeout"));
        assert_eq!(e.status, Some(504));
        assert_eq!(e.latency_ms, Some(30000.0));
        assert_eq!(e.path.as_deref(), Some("/lifecare/journal/save"));
        assert_eq!(e.message.as_deref(), Some("Gateway timeout, igen"));
    }

    #[test]
    fn iso_stamped_files_and_garbage() {
        let e = parser()
            .parse("2026-10-26T07:06:45.123456+01:00 web01 nginx: upstream timed out")
            .unwrap();
        assert!(matches!(e.ts, Some(Stamp::Utc(_))));
        assert_eq!(e.app.as_deref(), Some("nginx"));
        assert!(parser().parse("hello world").is_err());
        assert!(parser().parse("<999>Oct 26 07:06:45 h a: m").is_err());
        assert!(parser().parse("Feb 30 07:06:45 h a: m").is_err());
    }
}
