//! Event types: what a line says happened, in the vocabulary the friction model counts.
//!
//! Evidence is weighed in order: an event type the source states itself, then what the
//! message says (sign-in outcomes, expired sessions, timeouts, crashes), then the HTTP status,
//! then the severity, and last the response time against the system's threshold.

use std::sync::LazyLock;

use regex::RegexSet;

use crate::event::RawEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    LoginOk,
    LoginFailed,
    Error,
    Timeout,
    SlowResponse,
    Crash,
    SessionLost,
    Request,
}

impl EventType {
    pub const ALL: [EventType; 8] = [
        EventType::LoginOk,
        EventType::LoginFailed,
        EventType::Error,
        EventType::Timeout,
        EventType::SlowResponse,
        EventType::Crash,
        EventType::SessionLost,
        EventType::Request,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::LoginOk => "login_ok",
            EventType::LoginFailed => "login_failed",
            EventType::Error => "error",
            EventType::Timeout => "timeout",
            EventType::SlowResponse => "slow_response",
            EventType::Crash => "crash",
            EventType::SessionLost => "session_lost",
            EventType::Request => "request",
        }
    }

    /// The inverse of [`EventType::as_str`]; a `match` rather than a search, as the friction
    /// model parses every event of a day.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "login_ok" => EventType::LoginOk,
            "login_failed" => EventType::LoginFailed,
            "error" => EventType::Error,
            "timeout" => EventType::Timeout,
            "slow_response" => EventType::SlowResponse,
            "crash" => EventType::Crash,
            "session_lost" => EventType::SessionLost,
            "request" => EventType::Request,
            _ => return None,
        })
    }
}

/// A source's own event names, as far as they are recognisable.
fn stated(e: &str) -> Option<EventType> {
    // Most sources write their names in one form already: skip the allocations then.
    let normal;
    let e = if e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        e
    } else {
        normal = e.trim().to_ascii_lowercase().replace(['-', ' ', '.'], "_");
        normal.as_str()
    };
    Some(match e {
        "login"
        | "login_ok"
        | "login_success"
        | "logon"
        | "signin"
        | "sign_in"
        | "authenticated"
        | "authentication_success"
        | "user_login" => EventType::LoginOk,
        "login_failed"
        | "login_failure"
        | "logon_failure"
        | "failed_login"
        | "auth_failure"
        | "authentication_failure"
        | "signin_failed" => EventType::LoginFailed,
        "error" | "exception" | "failure" => EventType::Error,
        "timeout" | "timed_out" | "gateway_timeout" => EventType::Timeout,
        "slow" | "slow_response" => EventType::SlowResponse,
        "crash" | "fatal" | "panic" | "unhandled_exception" => EventType::Crash,
        "session_lost" | "session_expired" | "session_timeout" | "logged_out_by_system" => {
            EventType::SessionLost
        }
        "request" | "access" | "view" | "page_view" | "api_call" | "http_request" => {
            EventType::Request
        }
        _ => return None,
    })
}

/// Message patterns, in the order of [`MESSAGE_TYPES`]: Swedish and English, as sign-in
/// services, sshd, Windows and the welfare systems' own front ends write them.
static MESSAGE: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        r"(?i)login failed|log[io]n failure|failed password|authentication failure|invalid credentials|invalid password|inloggning(en)? misslyckades|felaktigt lösenord|an account failed to log on|failed login",
        r"(?i)login succeeded|accepted (password|publickey|keyboard)|logged in|successfully logged on|inloggning(en)? lyckades|session opened for user|authenticated user",
        r"(?i)session (has )?expired|session timed out|sessionen har gått ut|sessionen har löpt ut|utloggad på grund av inaktivitet",
        r"(?i)timed? ?out|time-out|tidsgräns",
        r"(?i)segfault|segmentation fault|core dumped|core-dump|code=dumped|crash|unhandled exception|fatal error|kraschade|application hang|faulting application|stopped working|\bSIG(?:SEGV|ABRT|BUS|ILL)\b|status=\d+/(?:SEGV|ABRT|BUS|ILL)",
        r"(?i)\berror\b|exception|\bfel\b|\bfailed\b|kunde inte",
    ])
    .expect("valid regexes")
});

const MESSAGE_TYPES: [EventType; 6] = [
    EventType::LoginFailed,
    EventType::LoginOk,
    EventType::SessionLost,
    EventType::Timeout,
    EventType::Crash,
    EventType::Error,
];

fn from_message(m: &str) -> Option<EventType> {
    let hits = MESSAGE.matches(m);
    MESSAGE_TYPES
        .iter()
        .enumerate()
        .find(|(i, _)| hits.matched(*i))
        .map(|(_, t)| *t)
}

fn is_login_path(p: &str) -> bool {
    let p = p.to_ascii_lowercase();
    ["login", "logon", "signin", "sign-in", "auth", "sso", "saml"]
        .iter()
        .any(|k| p.contains(k))
}

/// The event type of a line, given the slow-response threshold of its system.
pub fn classify(ev: &RawEvent<'_>, slow_ms: f64) -> EventType {
    let by_status = |s: i32| match s {
        408 | 499 | 504 | 522 | 524 | 598 => Some(EventType::Timeout),
        401 if ev.path.as_deref().is_some_and(is_login_path) => Some(EventType::LoginFailed),
        401 => Some(EventType::SessionLost),
        500..=599 => Some(EventType::Error),
        _ => None,
    };
    let base = ev
        .event
        .as_deref()
        .and_then(stated)
        // A free-text event column ("inloggning misslyckades") reads like a message.
        .or_else(|| ev.event.as_deref().and_then(from_message))
        .or_else(|| ev.message.as_deref().and_then(from_message))
        .or_else(|| ev.status.and_then(by_status))
        .or_else(|| match ev.severity {
            Some(0..=2) => Some(EventType::Crash),
            Some(3) => Some(EventType::Error),
            _ => None,
        });
    match base {
        // A stated "login" that the server answered with a failure is a failed login.
        Some(EventType::LoginOk) if ev.status.is_some_and(|s| s >= 400) => EventType::LoginFailed,
        Some(EventType::Request) | None => match ev.status.and_then(by_status) {
            Some(t) => t,
            None if ev.latency_ms.is_some_and(|l| l > slow_ms) => EventType::SlowResponse,
            None => EventType::Request,
        },
        Some(t) => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn every_event_type_reads_back_from_its_name_and_nothing_else_does() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        for s in ["", "Login_ok", "login_ok ", "requests"] {
            assert_eq!(EventType::parse(s), None, "{s:?}");
        }
    }

    fn ev(
        event: Option<&str>,
        msg: Option<&str>,
        status: Option<i32>,
        ms: Option<f64>,
    ) -> RawEvent<'static> {
        RawEvent {
            event: event.map(|s| Cow::Owned(s.to_string())),
            message: msg.map(|s| Cow::Owned(s.to_string())),
            status,
            latency_ms: ms,
            ..RawEvent::default()
        }
    }

    #[test]
    fn evidence_in_order() {
        use EventType::*;
        assert_eq!(
            classify(&ev(Some("login"), None, Some(200), None), 2000.0),
            LoginOk
        );
        assert_eq!(
            classify(&ev(Some("login"), None, Some(401), None), 2000.0),
            LoginFailed
        );
        assert_eq!(
            classify(
                &ev(
                    None,
                    Some("Failed password for root from 1.2.3.4"),
                    None,
                    None
                ),
                2000.0
            ),
            LoginFailed
        );
        assert_eq!(
            classify(
                &ev(
                    None,
                    Some("Inloggning misslyckades för användare x"),
                    None,
                    None
                ),
                2000.0
            ),
            LoginFailed
        );
        assert_eq!(
            classify(
                &ev(
                    None,
                    Some("Sessionen har gått ut, logga in igen"),
                    None,
                    None
                ),
                2000.0
            ),
            SessionLost
        );
        assert_eq!(
            classify(
                &ev(None, Some("upstream timed out (110)"), None, None),
                2000.0
            ),
            Timeout
        );
        assert_eq!(
            classify(
                &ev(None, Some("kernel: foo[12]: segfault at 0"), None, None),
                2000.0
            ),
            Crash
        );
        assert_eq!(
            classify(&ev(None, None, Some(504), Some(30000.0)), 2000.0),
            Timeout
        );
        assert_eq!(classify(&ev(None, None, Some(503), None), 2000.0), Error);
        assert_eq!(
            classify(&ev(Some("request"), None, Some(200), Some(2500.0)), 2000.0),
            SlowResponse
        );
        assert_eq!(
            classify(&ev(Some("request"), None, Some(200), Some(1500.0)), 2000.0),
            Request
        );
        assert_eq!(
            classify(&ev(Some("request"), None, Some(500), None), 2000.0),
            Error
        );
        let mut e = ev(None, None, Some(401), None);
        e.path = Some(Cow::Borrowed("/lifecare/login"));
        assert_eq!(classify(&e, 2000.0), LoginFailed);
        e.path = Some(Cow::Borrowed("/lifecare/journal"));
        assert_eq!(classify(&e, 2000.0), SessionLost);
        let mut e = ev(None, Some("disk almost full"), None, None);
        e.severity = Some(3);
        assert_eq!(classify(&e, 2000.0), Error);
    }
}
