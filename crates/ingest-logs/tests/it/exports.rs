//! The log exports municipal systems produce as they come: Windows event records through
//! PowerShell's Export-Csv (in en-US and sv-SE, UTF-8 and UTF-16), Serilog's compact JSON,
//! the systemd journal as JSON, IIS Advanced Logging and nginx entries over several lines.

use super::*;

fn types(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.event_type.as_str()).collect()
}

#[test]
fn windows_events_from_export_csv_with_multi_line_messages_and_local_times() {
    let (out, rows) = ingest(&fixture("winevent-en-us.csv"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("csv"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    // Three records after the #TYPE line and the header, over 39 lines of messages.
    assert_eq!(out.lines_read, 41);
    assert_eq!(
        rows.iter().map(|r| r.source_line).collect::<Vec<_>>(),
        [3, 27, 38]
    );
    // "10/26/2026 7:06:45 AM" in Stockholm (CET after 25 October) is 06:06:45 UTC; 1:15:02 PM
    // is 13:15:02; 12:30:00 AM on the 27th is half past midnight.
    assert_eq!(rows[0].ts, utc("2026-10-26T06:06:45Z"));
    assert_eq!(rows[1].ts, utc("2026-10-26T12:15:02Z"));
    assert_eq!(rows[2].ts, utc("2026-10-26T23:30:00Z"));
    assert_eq!(rows[2].day, NaiveDate::from_ymd_opt(2026, 10, 27).unwrap());
    assert_eq!(types(&rows), ["login_failed", "login_ok", "crash"]);
    assert_eq!(rows[0].host.as_deref(), Some("LIFECARE-WEB01.kommun.local"));
    let m = rows[0].message.as_deref().unwrap();
    assert!(
        m.starts_with("An account failed to log on.\r\n\r\nSubject:"),
        "{m}"
    );
    assert!(
        m.contains("Source Port:\t\t51234"),
        "the whole message: {m}"
    );
    // The failed account (an e-mail address here) and the machine account are named in the
    // message, not in a field: they leave it.
    assert!(
        !m.contains("anna.berg") && !m.contains("LIFECARE-WEB01$"),
        "{m}"
    );
    assert_eq!(m.matches("Account Name:\t\t[konto]").count(), 2, "{m}");
    assert!(!m.contains("10.1.1.1"), "addresses are redacted: {m}");
    // Account names in Windows' messages leave them, English or Swedish.
    let ok = rows[1].message.as_deref().unwrap();
    assert!(
        ok.contains("Account Name:\t\t[konto]") && !ok.contains("anna.berg"),
        "{ok}"
    );
    // The SID of the crashing user's session is pseudonymised.
    let key = rows[2].user_key.as_deref().unwrap();
    assert!(key.len() == 32 && !key.contains("S-1-5"));
}

#[test]
fn a_swedish_windows_export_without_type_line_reads_its_level_names() {
    let (out, rows) = ingest(&fixture("winevent-sv-se.csv"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("csv"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].source_line, 2);
    assert_eq!(rows[1].source_line, 4, "the first message took two lines");
    assert_eq!(rows[0].ts, utc("2026-10-26T08:15:00Z"));
    // "application hang" is a crash; "Fel" is Error; "Tidsgränsen nåddes" a timeout.
    assert_eq!(types(&rows), ["crash", "request", "timeout"]);
}

#[test]
fn event_viewer_csv_puts_the_description_after_a_header_of_five() {
    let (out, rows) = ingest(&fixture("eventviewer.csv"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("csv"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows.iter().map(|r| r.source_line).collect::<Vec<_>>(),
        [2, 5, 9]
    );
    assert_eq!(rows[0].ts, utc("2026-10-26T06:06:45Z"));
    assert!(rows[0].message.as_deref().unwrap().ends_with("0xe0434352"));
    assert_eq!(types(&rows), ["crash", "login_failed", "request"]);
}

#[test]
fn a_utf16_export_gives_the_same_events_as_its_utf8_twin() {
    let utf8 = std::fs::read_to_string(fixture("winevent-en-us.csv")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut le = vec![0xff, 0xfe];
    le.extend(utf8.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xfe, 0xff];
    be.extend(utf8.encode_utf16().flat_map(u16::to_be_bytes));
    let (_, want) = ingest(&fixture("winevent-en-us.csv"), &spec("x"));
    for (name, bytes) in [("le.csv", le), ("be.csv", be)] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let (out, got) = ingest(&path, &spec("x"));
        assert_eq!(out.format.map(|f| f.name()), Some("csv"), "{name}");
        assert_eq!(got, want, "{name}");
        // Compressed too: the encoding is found under the compression.
        let gz = dir.path().join(format!("{name}.gz"));
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, &bytes).unwrap();
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        assert_eq!(ingest(&gz, &spec("x")).1, want, "{name}.gz");
    }
    // A UTF-16 NDJSON file too, as Out-File writes it in Windows PowerShell.
    let json = std::fs::read_to_string(fixture("serilog.clef")).unwrap();
    let mut le = vec![0xff, 0xfe];
    le.extend(json.encode_utf16().flat_map(u16::to_le_bytes));
    let path = dir.path().join("clef16.json");
    std::fs::write(&path, le).unwrap();
    assert_eq!(
        ingest(&path, &spec("x")).1,
        ingest(&fixture("serilog.clef"), &spec("x")).1
    );
}

#[test]
fn serilog_compact_json_renders_templates_and_reads_its_properties() {
    let (out, rows) = ingest(&fixture("serilog.clef"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("ndjson"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0].ts, utc("2026-10-26T06:06:45.123456Z"));
    assert_eq!(
        rows[0].message.as_deref(),
        Some("User \"[användare]\" logged in from \"[ip]\"")
    );
    assert_eq!(rows[0].event_type, "login_ok");
    assert!(rows[0].user_key.is_some());
    assert_eq!(
        rows[0].host.as_deref(),
        Some("lifecare-web01.k0180.example.se")
    );
    let r = &rows[1];
    assert_eq!(r.system_id.as_deref(), Some("lifecare"));
    assert_eq!(r.kommun_kod.as_deref(), Some("0180"));
    assert_eq!(
        (r.status, r.latency_ms, r.path.as_deref()),
        (Some(200), Some(2450.1234), Some("/lifecare/journal/open"))
    );
    assert_eq!(r.event_type, "slow_response");
    assert_eq!(
        r.message.as_deref(),
        Some("HTTP \"GET\" \"/lifecare/journal/open\" responded 200 in 2450.1234 ms")
    );
    assert_eq!(rows[2].ts, utc("2026-10-26T05:08:00.5Z"));
    assert_eq!(
        rows[2].message.as_deref(),
        Some("Login failed for \"[e-post]\": {reason} bad password")
    );
    assert_eq!(rows[2].event_type, "login_failed");
    assert_eq!(rows[3].event_type, "error");
    assert_eq!(
        rows[3].message.as_deref(),
        Some("Saving journal 4711 failed")
    );
    assert_eq!(
        rows[4].message.as_deref(),
        Some("Lifecare started on \"lifecare-web01\"")
    );
}

#[test]
fn the_journal_as_json_reads_microsecond_stamps_priorities_and_byte_messages() {
    let (out, rows) = ingest(&fixture("journal.json"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("ndjson"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].ts, utc("2026-10-26T06:06:45.123456Z"));
    assert_eq!(rows[0].host.as_deref(), Some("idp01.k0180.example.se"));
    assert_eq!(rows[0].system_id.as_deref(), Some("idp"));
    assert_eq!(types(&rows), ["login_ok", "login_failed", "error", "crash"]);
    // MESSAGE as the bytes of Latin-1 text ("Login fel för bertil"): read, not lost.
    assert_eq!(
        rows[2].message.as_deref(),
        Some("Login fel f\u{fffd}r bertil")
    );
}

#[test]
fn iis_advanced_logging_with_quoted_values_and_local_time() {
    let (out, rows) = ingest(&fixture("iis-advanced.log"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("w3c"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len(), 3);
    // date-local/time-local are the server's clock: 07:06:45 in Stockholm.
    assert_eq!(rows[0].ts, utc("2026-10-26T06:06:45.123Z"));
    assert_eq!(
        (rows[0].status, rows[0].latency_ms),
        (Some(500), Some(4321.0))
    );
    assert_eq!(rows[0].path.as_deref(), Some("/treserva/case/list"));
    assert_eq!(rows[0].host.as_deref(), Some("TRESERVA-WEB01"));
    assert_eq!(rows[0].system_id.as_deref(), Some("treserva"));
    assert_eq!(rows[0].user_key, rows[1].user_key);
    assert!(rows[0].user_key.is_some());
    assert_eq!(types(&rows), ["error", "request", "login_failed"]);
}

#[test]
fn nginx_entries_over_several_lines_are_one_event_each() {
    let (out, rows) = ingest(&fixture("error-multiline.log"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("errorlog"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(out.lines_read, 7);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows.iter().map(|r| r.source_line).collect::<Vec<_>>(),
        [1, 6, 7]
    );
    let m = rows[0].message.as_deref().unwrap();
    assert!(
        m.contains("PHP Fatal error") && m.contains("thrown in /var/www/html/db.php on line 7")
    );
    assert_eq!(rows[0].path.as_deref(), Some("/lifecare/journal"));
    assert_eq!(
        rows[0].host.as_deref(),
        Some("lifecare-web01.k0180.example.se")
    );
    assert_eq!(types(&rows)[2], "timeout");
}

#[test]
fn a_record_split_by_the_chunk_size_is_read_whole() {
    // Many multi-line records: chunks (4 MiB) must be cut between records, never inside one.
    let one = std::fs::read_to_string(fixture("winevent-en-us.csv")).unwrap();
    let (head, body) = one.split_at(one.find("\"An account failed").unwrap());
    let mut big = head.to_string();
    let copies = 6_000;
    for _ in 0..copies {
        big.push_str(body);
    }
    assert!(big.len() > 2 * friktion_ingest_logs::CHUNK_BYTES);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(&path, &big).unwrap();
    let (out, rows) = ingest(&path, &spec("x"));
    assert!(out.quarantine.is_empty(), "{:?}", &out.quarantine[..1]);
    assert_eq!(rows.len(), 3 * copies);
    assert_eq!(out.lines_read as usize, big.matches('\n').count());
    assert!(
        rows.iter()
            .all(|r| r.message.as_deref().unwrap().len() > 40)
    );
}

#[test]
fn a_real_journal_export_reads_whole() {
    // `journalctl -o json` from systemd-journald 252 (Debian 12) on the machine that wrote
    // friktion: kernel boot messages, keys in no fixed order, a MESSAGE written as bytes, and
    // sign-ins sent through systemd-cat and logger.
    let (out, rows) = ingest(&fixture("journal-real.json"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("ndjson"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len() as i64, out.lines_read);
    assert!(rows.len() >= 40);
    assert!(rows.iter().all(|r| r.host.as_deref() == Some("vm")));
    let of = |t: &str| rows.iter().filter(|r| r.event_type == t).count();
    assert_eq!((of("login_ok"), of("login_failed")), (1, 2));
    // sshd's and sudo's messages name the user: pseudonymised, and out of the message.
    let ok = rows.iter().find(|r| r.event_type == "login_ok").unwrap();
    assert!(ok.user_key.is_some());
    assert_eq!(
        ok.message.as_deref(),
        Some("Accepted password for [användare] from [ip] port 51234 ssh2")
    );
    assert!(
        rows.iter().any(
            |r| r.message.as_deref() == Some("line two with \u{1} control")
                || r.message.as_deref() == Some("line two with \\u0001 control")
        ),
        "{rows:#?}"
    );
}

#[test]
fn a_real_nginx_error_log_with_php_stack_traces_reads_an_entry_a_record() {
    // nginx 1.22 in front of PHP-FPM 8.2, run on the machine that wrote friktion: PHP's
    // messages and an uncaught exception's stack trace come through FastCGI's stderr over
    // several lines; an upstream timeout and a missing file are single lines.
    let (out, rows) = ingest(&fixture("nginx-php-real.log"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("errorlog"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(out.lines_read, 14);
    assert_eq!(
        rows.iter().map(|r| r.source_line).collect::<Vec<_>>(),
        [1, 2, 6, 7, 8, 9, 13, 14]
    );
    let m = rows[1].message.as_deref().unwrap();
    assert!(
        m.contains("Stack trace:\n#0 {main}\n  thrown in /tmp/ngx/www/index.php on line 5"),
        "{m}"
    );
    assert!(
        m.contains("pnr [personnummer]") && !m.contains("19121212"),
        "{m}"
    );
    assert_eq!(rows[1].path.as_deref(), Some("/lifecare/journal/save"));
    assert_eq!(rows[2].event_type, "timeout");
    assert_eq!(rows[3].event_type, "error");
}

#[test]
fn clef_as_a_real_client_library_sends_it() {
    // What seqlog 0.4.3 (PyPI) posts to Seq as application/vnd.serilog.clef, captured on the
    // machine that wrote friktion: spaces after separators, long level names, @r, @x with a
    // traceback, the logger's name as LoggerName.
    let (out, rows) = ingest(&fixture("seqlog.clef"), &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("ndjson"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0].message.as_deref(),
        Some("User \"[användare]\" logged in from \"[ip]\"")
    );
    assert_eq!(
        types(&rows),
        ["login_ok", "login_failed", "request", "error", "timeout"]
    );
    assert_eq!(rows[4].status, Some(504));
    assert_eq!(rows[4].latency_ms, Some(30012.5));
    assert_eq!(rows[4].system_id.as_deref(), Some("lifecare"));
}

#[test]
fn exports_people_try_first_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let pretty = dir.path().join("journal.json");
    std::fs::write(
        &pretty,
        "{\n\t\"__REALTIME_TIMESTAMP\" : \"1792994805123456\",\n\t\"MESSAGE\" : \"x\"\n}\n",
    )
    .unwrap();
    let e = try_ingest(&pretty, &spec("x")).0.unwrap_err().to_string();
    assert!(
        e.contains("journalctl -o json-pretty?") && e.contains("journalctl -o json"),
        "{e}"
    );
    let evtx = dir.path().join("Security.evtx");
    let mut b = b"ElfFile\0".to_vec();
    b.extend([0u8; 120]);
    std::fs::write(&evtx, b).unwrap();
    let e = try_ingest(&evtx, &spec("x")).0.unwrap_err().to_string();
    assert!(
        e.contains("Get-WinEvent -Path FILE.evtx | Export-Csv"),
        "{e}"
    );
}

#[test]
fn a_csv_whose_first_record_is_longer_than_the_sniffed_lines_is_still_detected() {
    // A Windows message can run to 80 lines: detection reads records, not 50 lines.
    let one = std::fs::read_to_string(fixture("winevent-en-us.csv")).unwrap();
    let long: String = (0..80)
        .map(|i| format!("\tDetail {i}:\t\tvalue\r\n"))
        .collect();
    let text = one.replacen(
        "An account failed to log on.\r\n",
        &format!("An account failed to log on.\r\n{long}"),
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.csv");
    std::fs::write(&path, text).unwrap();
    let (out, rows) = ingest(&path, &spec("x"));
    assert_eq!(out.format.map(|f| f.name()), Some("csv"));
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    assert_eq!(rows.len(), 3);
    assert!(rows[0].message.as_deref().unwrap().contains("Detail 79:"));
}
