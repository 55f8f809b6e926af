//! What a parser takes out of one line, before the catalogue, the classifier and the
//! pseudonymiser turn it into an it_event row.

use std::borrow::Cow;

use crate::time::Stamp;

/// One log line's fields, borrowed from the line where the format allows.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawEvent<'a> {
    pub ts: Option<Stamp>,
    pub host: Option<Cow<'a, str>>,
    /// Application or syslog program (`app`, `sshd`, `shibboleth-idp`).
    pub app: Option<Cow<'a, str>>,
    pub user: Option<Cow<'a, str>>,
    pub session: Option<Cow<'a, str>>,
    /// URL path without its query string (which can hold personal data).
    pub path: Option<Cow<'a, str>>,
    pub method: Option<Cow<'a, str>>,
    pub status: Option<i32>,
    pub latency_ms: Option<f64>,
    pub message: Option<Cow<'a, str>>,
    /// Syslog severity 0 (emergency) … 7 (debug), or a level name mapped onto it.
    pub severity: Option<u8>,
    /// An event type the source states itself (`"event": "login"`).
    pub event: Option<Cow<'a, str>>,
    pub kommun_kod: Option<Cow<'a, str>>,
    /// How many times the event happened: syslog daemons fold repeats into one line
    /// ("message repeated 5 times: [ … ]"). 0 means once, like 1.
    pub repeat: u32,
}

/// A level name (`ERROR`, `warn`, `fatal`, …) as a syslog severity.
/// Windows writes level names in the system's language: Swedish ones are known too. Serilog's
/// short forms (INF, WRN, ERR, FTL) are read. A single digit is a syslog severity (the
/// journal's `PRIORITY`).
pub fn severity_of_level(level: &str) -> Option<u8> {
    let l = level.trim();
    if let [d @ b'0'..=b'7'] = l.as_bytes() {
        return Some(d - b'0');
    }
    let eq = |s: &str| l.eq_ignore_ascii_case(s);
    Some(if eq("emerg") || eq("emergency") || eq("panic") {
        0
    } else if eq("alert") {
        1
    } else if eq("crit") || eq("critical") || eq("fatal") || eq("kritisk") || eq("ftl") {
        2
    } else if eq("err")
        || eq("error")
        || eq("severe")
        || eq("fel")
        || eq("failureaudit")
        || eq("audit failure")
    {
        3
    } else if eq("warn") || eq("warning") || eq("varning") || eq("wrn") {
        4
    } else if eq("notice") {
        5
    } else if eq("info")
        || eq("information")
        || eq("informational")
        || eq("successaudit")
        || eq("audit success")
        || eq("inf")
    {
        6
    } else if eq("debug")
        || eq("trace")
        || eq("verbose")
        || eq("utförlig")
        || eq("dbg")
        || eq("vrb")
    {
        7
    } else {
        return None;
    })
}

/// Strips the query string and fragment from a URL or path, and the scheme and authority
/// from a full URL, leaving the path.
pub fn url_path(u: &str) -> &str {
    let u = &u[..memchr::memchr2(b'?', b'#', u.as_bytes()).unwrap_or(u.len())];
    // Most are paths already: a colon is found by memchr, "://" by a searcher set up per call.
    if !u.contains(':') {
        return u;
    }
    if let Some(rest) = u.split_once("://").map(|(_, r)| r) {
        return rest.find('/').map_or("/", |i| &rest[i..]);
    }
    u
}

impl<'a> RawEvent<'a> {
    /// Where the source has no user field, the user its message names (`Failed password for
    /// anna`, `session opened for user anna`), as syslog is read: the journal's and Windows'
    /// messages name users the same way.
    pub fn user_from_message(&mut self) {
        if self.user.is_some() {
            return;
        }
        self.user = match &self.message {
            Some(Cow::Borrowed(m)) => crate::formats::syslog::user_in_message(m).map(Cow::Borrowed),
            Some(Cow::Owned(m)) => {
                crate::formats::syslog::user_in_message(m).map(|u| Cow::Owned(u.to_string()))
            }
            None => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::severity_of_level;

    #[test]
    fn level_names_in_the_forms_windows_serilog_and_the_journal_write_them() {
        let s = |l: &str| severity_of_level(l);
        // Serilog's short forms.
        assert_eq!(
            [s("FTL"), s("ERR"), s("WRN"), s("INF"), s("DBG"), s("VRB")],
            [Some(2), Some(3), Some(4), Some(6), Some(7), Some(7)]
        );
        // Windows in Swedish, and Get-EventLog's entry types.
        assert_eq!(
            [s("Kritisk"), s("Fel"), s("Varning"), s("Utförlig")],
            [Some(2), Some(3), Some(4), Some(7)]
        );
        assert_eq!(
            [s("FailureAudit"), s("SuccessAudit"), s("Audit Failure")],
            [Some(3), Some(6), Some(3)]
        );
        // The journal's PRIORITY; a two-digit number is no level.
        assert_eq!(
            [s("0"), s("3"), s("7"), s("8"), s("12")],
            [Some(0), Some(3), Some(7), None, None]
        );
    }
}
