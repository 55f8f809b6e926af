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
    let cat = catalog();
    let reference = reference();
    let p = pseudonymiser();
    let cache = PseudonymCache::default();
    let ctx = Context {
        catalog: &cat,
        reference: &reference,
        pseudonymiser: &p,
        cache: &cache,
        progress: None,
    };
    let mut sink = MemorySink::default();
    let e =
        friktion_ingest_logs::ingest(&f, "garbage.log", &spec("x"), &ctx, &mut sink).unwrap_err();
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
