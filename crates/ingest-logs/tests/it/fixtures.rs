//! Each fixture format parses to the expected fields.

use super::*;

fn reasons(out: &LogOutcome) -> Vec<(Option<i64>, String)> {
    out.quarantine
        .iter()
        .map(|q| (q.source_line, q.reason.clone()))
        .collect()
}

#[test]
fn ecs_ndjson_nested_fields_redaction_and_pseudonyms() {
    let (out, rows) = ingest(&fixture("app-ecs.ndjson"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("ndjson"));
    assert_eq!(out.lines_read, 6);
    assert_eq!(rows.len(), 4, "{rows:#?}");
    let r = &rows[0];
    assert_eq!(r.ts, utc("2026-10-26T06:06:45.120Z"));
    assert_eq!(r.system_id.as_deref(), Some("lifecare"));
    assert_eq!(r.kommun_kod.as_deref(), Some("0180"), "from the host name");
    assert_eq!(r.verksamhet.as_deref(), Some("aldreomsorg"));
    assert_eq!(r.latency_ms, Some(2450.0), "event.duration is nanoseconds");
    assert_eq!(
        r.event_type, "slow_response",
        "2450 ms over lifecare's 2000"
    );
    assert_eq!(
        r.path.as_deref(),
        Some("/lifecare/journal/save"),
        "query string dropped"
    );
    assert_eq!(
        r.message.as_deref(),
        Some("Journal sparad för [personnummer]")
    );
    assert_eq!(r.source_line, 1);
    // KOMMUN\Anna.Berg and anna.berg are one account.
    assert_eq!(r.user_key, rows[1].user_key);
    assert_eq!(r.user_key.as_ref().unwrap().len(), 32);
    assert!(!r.user_key.as_ref().unwrap().contains("anna"));
    assert_eq!(rows[1].event_type, "timeout");
    assert_eq!(rows[2].event_type, "login_failed");
    assert_eq!(rows[2].source_line, 4, "line numbers count the blank line");
    assert!(rows[2].message.as_deref().unwrap().contains("[e-post]"));
    // A flat line with its own names, a kommun by name and a local time without zone.
    let r = &rows[3];
    assert_eq!(r.kommun_kod.as_deref(), Some("0180"), "Stockholm by name");
    assert_eq!(
        r.ts,
        utc("2026-10-26T07:10:00Z"),
        "local Stockholm time, CET in late October"
    );
    assert_eq!(
        r.user_key, None,
        "AnvandarId is not a default name; see the mapped test"
    );
    assert_eq!(reasons(&out).len(), 1);
    assert_eq!(reasons(&out)[0].0, Some(5));
    assert!(reasons(&out)[0].1.contains("JSON"), "{:?}", reasons(&out));
}

#[test]
fn ndjson_field_mapping_from_config() {
    let spec: LogSpec = toml::from_str(
        "files = 'x'\n[fields]\nts = 'time'\nuser = 'AnvandarId'\nstatus = 'Status'\nlatency = 'Tid_ms'\n",
    )
    .unwrap();
    let (_, rows) = ingest(&fixture("app-ecs.ndjson"), &spec);
    let r = rows.last().unwrap();
    assert!(r.user_key.is_some());
    assert_eq!(r.latency_ms, Some(120.0));
    assert_eq!(r.status, Some(200));
}

#[test]
fn syslog_year_across_new_year_5424_and_iso() {
    let spec: LogSpec = toml::from_str("files = 'x'\nsyslog_ends = '2027-01-01'").unwrap();
    let (out, rows) = ingest(&fixture("auth-newyear.syslog"), &spec);
    assert_eq!(out.format.map(|f| f.name()), Some("syslog"));
    assert_eq!(rows.len(), 5, "{:?}", out.quarantine);
    assert_eq!(
        rows[0].ts,
        utc("2026-12-31T22:59:58Z"),
        "December goes to 2026"
    );
    assert_eq!(rows[0].event_type, "login_failed");
    assert_eq!(rows[0].day, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    assert_eq!(rows[1].event_type, "login_ok");
    assert_eq!(
        rows[2].ts,
        utc("2026-12-31T23:00:01Z"),
        "January goes to 2027"
    );
    assert_eq!(rows[2].day, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
    assert_eq!(rows[2].event_type, "login_failed");
    assert!(rows[2].user_key.is_some(), "sshd's invalid user is a user");
    assert_eq!(rows[3].event_type, "login_ok");
    assert!(
        rows[3].user_key.is_some(),
        "user from RFC 5424 structured data"
    );
    assert_eq!(rows[3].ts, utc("2026-12-31T23:00:02.003Z"));
    assert_eq!(rows[4].event_type, "crash");
    for r in &rows {
        assert_eq!(r.system_id.as_deref(), Some("idp"));
        assert_eq!(r.kommun_kod.as_deref(), Some("0180"));
    }
    assert_eq!(rows[0].user_key, rows[1].user_key);
    let q = reasons(&out);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].0, Some(6));
    assert!(q[0].1.contains("syslog timestamp"), "{q:?}");
}

#[test]
fn w3c_fields_change_mid_file() {
    let (out, rows) = ingest(&fixture("u_ex261026.log"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("w3c"));
    assert_eq!(rows.len(), 3, "{:?}", out.quarantine);
    assert_eq!(rows[0].ts, utc("2026-10-26T06:06:45Z"), "W3C times are UTC");
    assert_eq!(rows[0].latency_ms, Some(3500.0));
    assert_eq!(
        rows[0].event_type, "slow_response",
        "3500 ms over the default 3000"
    );
    assert_eq!(rows[0].path.as_deref(), Some("/treserva/case/list"));
    assert_eq!(rows[1].event_type, "error");
    assert_eq!(
        rows[0].user_key, rows[2].user_key,
        "same account after the restart"
    );
    assert_eq!(rows[2].host.as_deref(), Some("treserva.k0180.example.se"));
    assert_eq!(rows[2].latency_ms, Some(15.0));
    let q = reasons(&out);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].0, Some(12));
    assert!(q[0].1.contains("6 values where #Fields: names 8"), "{q:?}");
}

#[test]
fn access_log_escaped_quotes_and_response_times() {
    let spec: LogSpec = toml::from_str("files = 'x'\nkommun_kod = '0180'").unwrap();
    let (out, rows) = ingest(&fixture("access.log"), &spec);
    assert_eq!(out.format.map(|f| f.name()), Some("clf"));
    assert_eq!(rows.len(), 4, "{:?}", out.quarantine);
    assert_eq!(rows[0].event_type, "login_failed", "401 on a login path");
    assert_eq!(rows[0].latency_ms, Some(734.0));
    assert_eq!(rows[0].ts, utc("2026-10-26T06:06:45Z"));
    assert_eq!(
        rows[0].kommun_kod.as_deref(),
        Some("0180"),
        "from the source config"
    );
    assert_eq!(
        rows[1].event_type, "slow_response",
        "4.25 s over skola24's 1.5 s"
    );
    assert_eq!(rows[1].path.as_deref(), Some("/skola24/schema"));
    assert_eq!(rows[2].status, Some(400));
    assert_eq!(rows[2].user_key, None);
    assert_eq!(rows[3].event_type, "timeout");
    let q = reasons(&out);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].0, Some(5));
    assert!(q[0].1.contains("not an access-log time"), "{q:?}");
}

#[test]
fn csv_export_with_mapping() {
    let spec: LogSpec = toml::from_str(
        "files = 'x'\n[fields]\nts = 'Tidpunkt'\nuser = 'Användare'\napp = 'System'\nevent = 'Händelse'\nlatency = 'Svarstid (s)'\nlatency_unit = 's'\nmessage = 'Meddelande'\n",
    )
    .unwrap();
    let (out, rows) = ingest(&fixture("export.csv"), &spec);
    assert_eq!(out.format.map(|f| f.name()), Some("csv"));
    assert_eq!(rows.len(), 3, "{:?}", out.quarantine);
    assert_eq!(rows[0].event_type, "login_failed");
    assert_eq!(
        rows[0].message.as_deref(),
        Some("Fel lösenord; försök igen")
    );
    assert_eq!(rows[0].system_id.as_deref(), Some("heroma"));
    assert_eq!(
        rows[0].kommun_kod.as_deref(),
        Some("0180"),
        "the system's own kommun"
    );
    assert_eq!(rows[0].source_line, 2);
    assert_eq!(rows[1].event_type, "login_ok");
    assert_eq!(rows[2].event_type, "slow_response");
    assert_eq!(rows[2].latency_ms, Some(5500.0));
    assert_eq!(out.quarantine.len(), 1);
    assert_eq!(out.quarantine[0].source_line, Some(5));
}

#[test]
fn gzip_and_zstd_read_like_the_plain_file() {
    let plain = std::fs::read(fixture("access.log")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("access.log.1.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, &plain).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    // Misnamed on purpose: the magic bytes decide, not the name.
    let zst = dir.path().join("access.log");
    std::fs::write(&zst, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();
    let spec: LogSpec = toml::from_str("files = 'x'\nkommun_kod = '0180'").unwrap();
    let (_, want) = ingest(&fixture("access.log"), &spec);
    for f in [gz, zst] {
        let (out, got) = ingest(&f, &spec);
        assert_eq!(got, want, "{}", f.display());
        assert_eq!(out.bytes, plain.len() as u64);
        assert!(out.truncated.is_none());
    }
}

#[test]
fn stockholm_days_follow_dst() {
    // 23:30 UTC on 24 October is 01:30 on the 25th in Stockholm (summer time, +2), and
    // 23:30 UTC on 25 October is 00:30 on the 26th (winter time, +1).
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("e.ndjson");
    std::fs::write(
        &f,
        "{\"ts\":\"2026-10-24T23:30:00Z\",\"path\":\"/heroma\"}\n{\"ts\":\"2026-10-25T23:30:00Z\"}\n{\"ts\":\"2026-10-25T02:30:00\"}\n",
    )
    .unwrap();
    let (_, rows) = ingest(&f, &spec("x"));
    let days: Vec<String> = rows.iter().map(|r| r.day.to_string()).collect();
    assert_eq!(days, ["2026-10-25", "2026-10-26", "2026-10-25"]);
    assert_eq!(
        rows[2].ts,
        utc("2026-10-25T00:30:00Z"),
        "the first 02:30 is summer time"
    );
}

#[test]
fn debian_auth_log_with_folded_repeats() {
    let spec: LogSpec =
        toml::from_str("files = 'x'\nsyslog_ends = '2026-10-31'\nkommun_kod = '0180'").unwrap();
    let (out, rows) = ingest(&fixture("auth.log"), &spec);
    assert_eq!(out.format.map(|f| f.name()), Some("syslog"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(out.lines_read, 8);
    // "message repeated 2 times" is two more failed sign-ins, with that line's lineage.
    assert_eq!(rows.len(), 9);
    let failed: Vec<i64> = rows
        .iter()
        .filter(|r| r.event_type == "login_failed")
        .map(|r| r.source_line)
        .collect();
    assert_eq!(failed, [3, 4, 4]);
    let admin = rows[2].user_key.clone();
    assert!(admin.is_some());
    assert!(
        rows.iter()
            .filter(|r| r.source_line == 4)
            .all(|r| r.user_key == admin)
    );
    let logins: Vec<i64> = rows
        .iter()
        .filter(|r| r.event_type == "login_ok")
        .map(|r| r.source_line)
        .collect();
    assert_eq!(logins, [1, 5, 6]);
    assert_eq!(
        rows[5].user_key, rows[6].user_key,
        "publickey and PAM name the same account"
    );
    assert_eq!(rows[8].event_type, "crash", "a service killed by SIGSEGV");
    assert_eq!(rows[0].ts, utc("2026-10-26T06:58:01Z"));
}

#[test]
fn nginx_error_log_detected_with_request_host_and_ips_redacted() {
    let (out, rows) = ingest(&fixture("error.log"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("errorlog"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].event_type, "timeout");
    assert_eq!(rows[0].system_id.as_deref(), Some("lifecare"));
    assert_eq!(rows[0].kommun_kod.as_deref(), Some("0180"));
    assert_eq!(rows[0].path.as_deref(), Some("/lifecare/journal/open"));
    assert_eq!(rows[0].ts, utc("2026-10-26T06:06:45Z"), "local time, CET");
    let m = rows[0].message.as_deref().unwrap();
    assert!(m.contains("client: [ip]") && !m.contains("10.0.0.1"), "{m}");
    assert!(!m.contains("191212121212"), "{m}");
    assert_eq!(
        rows[1].event_type, "request",
        "a warning about buffering is no friction"
    );
    // The message ("connect() … failed") outweighs the level: users got an error page.
    assert_eq!(rows[2].event_type, "error");
    assert_eq!(rows[3].event_type, "request");
}

#[test]
fn ip_addresses_leave_syslog_messages() {
    let spec: LogSpec = toml::from_str("files = 'x'\nsyslog_ends = '2026-10-31'").unwrap();
    let (_, rows) = ingest(&fixture("auth.log"), &spec);
    let m = rows[2].message.as_deref().unwrap();
    assert_eq!(
        m,
        "Failed password for invalid user [användare] from [ip] port 51532 ssh2"
    );
}

#[test]
fn the_content_hash_taken_while_reading_is_the_files_sha256() {
    use sha2::{Digest, Sha256};
    let f = fixture("access.log");
    let want = hex::encode(Sha256::digest(std::fs::read(&f).unwrap()));
    let spec: LogSpec = toml::from_str("files = 'x'\nkommun_kod = '0180'").unwrap();
    let (out, _) = ingest(&f, &spec);
    assert_eq!(out.content_sha256.as_deref(), Some(want.as_str()));
}
