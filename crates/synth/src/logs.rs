//! System logs: NDJSON from web front ends of welfare systems, RFC 3164 syslog from the
//! sign-in service. Working-hours traffic in Europe/Stockholm time, with the failures that cost
//! staff time: failed sign-ins, errors, timeouts, slow responses and lost sessions.

use std::io::Write;

use chrono::{Duration, NaiveDate, TimeZone};
use chrono_tz::Europe::Stockholm;
use friktion_core::Kommun;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

#[derive(Debug, Clone)]
pub struct LogSettings {
    /// Working days of logs, ending on `last_day`.
    pub days: u32,
    pub last_day: NaiveDate,
    pub users_per_kommun: usize,
    /// Municipalities (the first of those chosen) that send logs; 0 means all.
    pub kommuner: usize,
    /// Also write the web front ends' events as RFC 3164 syslog (for benchmarks of syslog at
    /// the same volume as NDJSON).
    pub web_syslog: bool,
    /// Each kommun's logs in files of their own (logs/webapps-<kommun_kod>.ndjson, …), as
    /// each kommun sends them: a national day is then generated a kommun at a time, not all
    /// in memory at once.
    pub file_per_kommun: bool,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            days: 5,
            last_day: NaiveDate::from_ymd_opt(2026, 10, 30).expect("valid date"),
            users_per_kommun: 12,
            kommuner: 3,
            web_syslog: false,
            file_per_kommun: false,
        }
    }
}

/// (app id, path prefix, median latency ms, verksamhet)
const SYSTEMS: [(&str, &str, f64, &str); 4] = [
    ("lifecare", "/lifecare", 420.0, "aldreomsorg"),
    ("treserva", "/treserva", 650.0, "ifo"),
    ("skola24", "/skola24", 250.0, "skola"),
    ("heroma", "/heroma", 380.0, "administration"),
];

const ACTIONS: [&str; 6] = [
    "journal/save",
    "journal/open",
    "search",
    "schedule/view",
    "case/list",
    "report/export",
];

/// Writes the NDJSON and syslog files day by day, so that inputs of many gigabytes need no
/// more memory than one day of lines. Returns the bytes written to each.
pub fn generate_to(
    kommuner: &[&Kommun],
    s: &LogSettings,
    seed: u64,
    json_out: &mut impl Write,
    syslog_out: &mut impl Write,
    mut web_syslog_out: Option<&mut dyn Write>,
) -> std::io::Result<(u64, u64, u64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6c6f6773);
    let take = if s.kommuner == 0 {
        kommuner.len()
    } else {
        s.kommuner.min(kommuner.len())
    };
    let mut day = s.last_day;
    let mut days = Vec::new();
    while days.len() < s.days as usize {
        if !matches!(day.format("%a").to_string().as_str(), "Sat" | "Sun") {
            days.push(day);
        }
        day -= Duration::days(1);
    }
    days.reverse();
    let mut written = (0u64, 0u64, 0u64);
    for d in &days {
        let mut json = Vec::new();
        let mut syslog = Vec::new();
        for k in &kommuner[..take] {
            let idp = format!("idp01.k{}.example.se", k.kommun_kod);
            for u in 0..s.users_per_kommun {
                let user = format!(
                    "{}{:04}",
                    &k.name
                        .to_lowercase()
                        .chars()
                        .filter(char::is_ascii_alphabetic)
                        .take(3)
                        .collect::<String>(),
                    u
                );
                let (app, prefix, median, _) = SYSTEMS[u % SYSTEMS.len()];
                let latency = LogNormal::new(median.ln(), 0.9).expect("valid lognormal");
                let mut t = d
                    .and_hms_opt(7, rng.random_range(0..59), rng.random_range(0..59))
                    .expect("valid")
                    + Duration::minutes(rng.random_range(0..90));
                let sessions = rng.random_range(1..4);
                for si in 0..sessions {
                    let session = format!("{:016x}", rng.random::<u64>());
                    let ip = format!(
                        "10.{}.{}.{}",
                        rng.random_range(1..250),
                        rng.random_range(1..250),
                        rng.random_range(1..250)
                    );
                    while rng.random::<f64>() < 0.08 {
                        syslog.push((t, auth_line(&mut rng, t, &idp, &user, &ip, false)));
                        t += Duration::seconds(rng.random_range(10..90));
                    }
                    syslog.push((t, auth_line(&mut rng, t, &idp, &user, &ip, true)));
                    json.push((
                        t,
                        json_line(
                            t,
                            k,
                            app,
                            &user,
                            &session,
                            "login",
                            200,
                            180.0,
                            &format!("{prefix}/login"),
                            "Inloggning lyckades",
                        ),
                    ));
                    for _ in 0..rng.random_range(8..30) {
                        t += Duration::seconds(rng.random_range(20..400));
                        let action = ACTIONS[rng.random_range(0..ACTIONS.len())];
                        let path = format!("{prefix}/{action}");
                        let x: f64 = rng.random();
                        let (event, status, ms, msg) = if x < 0.01 {
                            (
                                "timeout",
                                504,
                                30_000.0,
                                "Gateway timeout från applikationsservern".to_string(),
                            )
                        } else if x < 0.03 {
                            (
                                "error",
                                500,
                                latency.sample(&mut rng),
                                "Internt fel: NullReferenceException i dokumentationsmodulen"
                                    .to_string(),
                            )
                        } else if x < 0.035 {
                            (
                                "session_lost",
                                401,
                                50.0,
                                "Sessionen har gått ut, logga in igen".to_string(),
                            )
                        } else if x < 0.04 {
                            (
                                "request",
                                200,
                                latency.sample(&mut rng),
                                format!("Sökning på {} gav 1 träff", pnr(&mut rng)),
                            )
                        } else {
                            ("request", 200, latency.sample(&mut rng), String::new())
                        };
                        json.push((
                            t,
                            json_line(t, k, app, &user, &session, event, status, ms, &path, &msg),
                        ));
                        if event == "session_lost" {
                            t += Duration::seconds(rng.random_range(20..120));
                            syslog.push((t, auth_line(&mut rng, t, &idp, &user, &ip, true)));
                        }
                    }
                    if si + 1 < sessions {
                        t += Duration::minutes(rng.random_range(30..150));
                    }
                }
            }
        }
        json.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        syslog.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        if let Some(w) = web_syslog_out.as_mut() {
            let mut n = 0;
            for (t, l) in &json {
                let line = web_syslog_line(*t, l);
                w.write_all(line.as_bytes())?;
                w.write_all(b"\n")?;
                n += line.len() as u64 + 1;
            }
            written.2 += n;
        }
        written.0 += write_lines(json_out, json)?;
        written.1 += write_lines(syslog_out, syslog)?;
    }
    Ok(written)
}

fn write_lines(
    out: &mut impl Write,
    lines: Vec<(chrono::NaiveDateTime, String)>,
) -> std::io::Result<u64> {
    let mut n = 0;
    for (_, l) in lines {
        out.write_all(l.as_bytes())?;
        out.write_all(b"\n")?;
        n += l.len() as u64 + 1;
    }
    Ok(n)
}

/// The same event as a web server's syslog line, in logfmt after the tag.
fn web_syslog_line(t: chrono::NaiveDateTime, json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).expect("we wrote it");
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    format!(
        "<134>{} {} {}[{}]: user={} session={} event={} status={} duration_ms={} path={} msg=\"{}\"",
        t.format("%b %e %H:%M:%S"),
        s("host"),
        s("app"),
        3000 + (v["duration_ms"].as_i64().unwrap_or(0) % 7),
        s("user"),
        s("session"),
        s("event"),
        v["http_status"],
        v["duration_ms"],
        s("path"),
        s("message")
    )
}

fn pnr(rng: &mut impl Rng) -> String {
    format!(
        "19{:02}{:02}{:02}-{:04}",
        rng.random_range(30..60),
        rng.random_range(1..13),
        rng.random_range(1..29),
        rng.random_range(0..10_000)
    )
}

fn local(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono_tz::Tz> {
    Stockholm
        .from_local_datetime(&t)
        .earliest()
        .unwrap_or_else(|| Stockholm.from_utc_datetime(&t))
}

#[allow(clippy::too_many_arguments)]
fn json_line(
    t: chrono::NaiveDateTime,
    k: &Kommun,
    app: &str,
    user: &str,
    session: &str,
    event: &str,
    status: u16,
    ms: f64,
    path: &str,
    msg: &str,
) -> String {
    let obj = serde_json::json!({
        "@timestamp": local(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        "host": format!("{app}-web01.k{}.example.se", k.kommun_kod),
        "app": app,
        "kommun": k.kommun_kod,
        "user": user,
        "session": session,
        "event": event,
        "http_status": status,
        "duration_ms": (ms.round() as i64),
        "path": path,
        "message": msg,
    });
    obj.to_string()
}

/// RFC 3164: no year and no zone, local time, as the sign-in servers write it.
fn auth_line(
    rng: &mut impl Rng,
    t: chrono::NaiveDateTime,
    host: &str,
    user: &str,
    ip: &str,
    ok: bool,
) -> String {
    let stamp = t.format("%b %e %H:%M:%S");
    let pid = 2000 + rng.random_range(0..50);
    if ok {
        format!(
            "<38>{stamp} {host} shibboleth-idp[{pid}]: Login succeeded for user {user} from {ip}"
        )
    } else {
        format!(
            "<38>{stamp} {host} shibboleth-idp[{pid}]: Login failed for user {user} from {ip}: invalid credentials"
        )
    }
}
