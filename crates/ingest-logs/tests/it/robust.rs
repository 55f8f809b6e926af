//! Inputs that must neither crash nor stall: binary garbage, truncated gzip, very long lines.

use std::io::Write;

use super::*;

fn ndjson_lines(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        writeln!(
            v,
            "{{\"@timestamp\":\"2026-10-26T08:{:02}:{:02}+01:00\",\"user\":\"u{}\",\"path\":\"/heroma/x\",\"app\":\"heroma\",\"http_status\":200,\"duration_ms\":{}}}",
            (i / 60) % 60,
            i % 60,
            i % 97,
            i % 1000
        )
        .unwrap();
    }
    v
}

#[test]
fn binary_garbage_is_refused_as_a_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("garbage.log");
    let mut bytes = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.push((x >> 16) as u8);
    }
    std::fs::write(&f, &bytes).unwrap();
    let (out, sink) = try_ingest(&f, &spec("x"));
    let e = out.unwrap_err();
    assert!(e.to_string().contains("not in a log format"), "{e}");
    assert!(sink.batches.is_empty());
}

#[test]
fn garbage_lines_inside_a_log_are_quarantined_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mixed.ndjson");
    let mut bytes = ndjson_lines(100);
    bytes.extend_from_slice(b"\x00\x01\x02binary\xff\xfe\n");
    bytes.extend_from_slice(b"\xff\xfe not json either\n");
    bytes.extend(ndjson_lines(10));
    std::fs::write(&f, &bytes).unwrap();
    let (out, rows) = ingest(&f, &spec("x"));
    assert_eq!(rows.len(), 110);
    assert_eq!(out.lines_rejected, 2);
    let q: Vec<_> = out
        .quarantine
        .iter()
        .map(|q| (q.source_line, q.reason.as_str()))
        .collect();
    assert_eq!(q[0].0, Some(101));
    assert!(q[0].1.contains("NUL"), "{q:?}");
    assert_eq!(q[1].0, Some(102));
    assert!(
        out.quarantine[0]
            .raw_value
            .as_deref()
            .unwrap()
            .contains("\\u{0}")
    );
}

#[test]
fn truncated_gzip_loads_what_came_before_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let plain = ndjson_lines(200_000);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&plain).unwrap();
    let gz = e.finish().unwrap();
    let f = dir.path().join("app.ndjson.gz");
    std::fs::write(&f, &gz[..gz.len() / 2]).unwrap();
    let (out, rows) = ingest(&f, &spec("x"));
    let msg = out.truncated.clone().expect("truncation reported");
    assert!(msg.contains("breaks off"), "{msg}");
    assert!(
        rows.len() > 10_000 && rows.len() < 200_000,
        "{}",
        rows.len()
    );
    // Every loaded row is whole, and numbered as in the original.
    assert!(rows.iter().all(|r| r.status == Some(200)));
    assert_eq!(rows.last().unwrap().source_line, rows.len() as i64);
    assert!(
        out.quarantine
            .iter()
            .any(|q| q.reason.contains("breaks off"))
    );
}

#[test]
fn a_ten_megabyte_line_is_quarantined_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("long.ndjson");
    let mut bytes = ndjson_lines(1000);
    bytes.extend_from_slice(b"{\"message\":\"");
    bytes.extend(std::iter::repeat_n(b'a', 10 << 20));
    bytes.extend_from_slice(b"\"}\n");
    bytes.extend(ndjson_lines(1000));
    std::fs::write(&f, &bytes).unwrap();
    let (out, rows) = ingest(&f, &spec("x"));
    assert_eq!(rows.len(), 2000);
    assert_eq!(out.lines_read, 2001);
    assert_eq!(out.quarantine.len(), 1);
    let q = &out.quarantine[0];
    assert_eq!(q.source_line, Some(1001));
    assert!(q.reason.contains("longer than"), "{}", q.reason);
    assert!(q.raw_value.as_ref().unwrap().chars().count() <= 201);
    assert_eq!(rows.last().unwrap().source_line, 2001);
}

#[test]
fn quarantine_is_bounded_but_counts_everything() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.ndjson");
    let mut bytes = ndjson_lines(60);
    for _ in 0..25_000 {
        bytes.extend_from_slice(b"{broken\n");
    }
    std::fs::write(&f, &bytes).unwrap();
    let (out, rows) = ingest(&f, &spec("x"));
    assert_eq!(rows.len(), 60);
    assert_eq!(out.lines_rejected, 25_000);
    assert_eq!(out.quarantine.len(), 10_001);
    assert!(
        out.quarantine
            .last()
            .unwrap()
            .reason
            .starts_with("15000 more"),
        "{}",
        out.quarantine.last().unwrap().reason
    );
}

/// Seeded random lines built from the characters and fragments that matter to the parsers:
/// none may panic, whatever the format, and every line is either an event or quarantined.
#[test]
fn random_lines_never_panic_in_any_format() {
    const FRAGMENTS: [&str; 28] = [
        "<",
        ">",
        "<38>",
        "<165>1 ",
        "[",
        "]",
        "\"",
        "\\",
        "\\x22",
        "{",
        "}",
        ":",
        "=",
        ",",
        ";",
        "#Fields: date time cs-uri-stem sc-status",
        "Oct 26 07:06:45 ",
        "2026-10-26T07:06:45+01:00",
        "26/Oct/2026:07:06:45 +0100",
        " - - ",
        "user=",
        "message repeated 3 times: [",
        "é",
        "ÅÄÖ",
        "\u{feff}",
        "9999999999999999999999",
        "-",
        " ",
    ];
    let mut x: u64 = 0x5eed;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    let dir = tempfile::tempdir().unwrap();
    // Mostly garbage defeats detection, so each file says its format.
    let heads = [
        (
            "ndjson",
            "{\"@timestamp\":\"2026-10-26T07:06:45Z\",\"user\":\"a\"}\n",
        ),
        ("syslog", "<38>Oct 26 07:06:45 h app[1]: ok\n"),
        (
            "w3c",
            "#Fields: date time cs-uri-stem sc-status time-taken\n",
        ),
        (
            "clf",
            "10.0.0.1 - a [26/Oct/2026:07:06:45 +0100] \"GET / HTTP/1.1\" 200 1\n",
        ),
        ("csv", "time;user;status\n2026-10-26 07:06:45;a;200\n"),
    ];
    for (n, (format, head)) in heads.iter().enumerate() {
        let mut text = head.repeat(3);
        let lines = 20_000;
        for _ in 0..lines {
            for _ in 0..next() % 12 {
                text.push_str(FRAGMENTS[next() % FRAGMENTS.len()]);
            }
            text.push('\n');
        }
        let f = dir.path().join(format!("random-{n}.log"));
        std::fs::write(&f, &text).unwrap();
        let spec: LogSpec = toml::from_str(&format!(
            "files = 'x'\nformat = '{format}'\nsyslog_ends = '2026-10-31'"
        ))
        .unwrap();
        let (out, sink) = try_ingest(&f, &spec);
        let out = out.unwrap_or_else(|e| panic!("head {n}: {e}"));
        let loaded: usize = sink.batches.iter().map(|(_, b)| b.num_rows()).sum();
        assert_eq!(loaded as i64, out.events, "head {n}");
        assert!(
            out.lines_rejected > 0,
            "head {n}: random lines are mostly bad"
        );
        // Internal errors (caught panics) would show up as quarantine reasons.
        assert!(
            !out.quarantine
                .iter()
                .any(|q| q.reason.contains("internal error")),
            "head {n}: {:?}",
            out.quarantine
                .iter()
                .find(|q| q.reason.contains("internal error"))
        );
    }
}
