//! Log sources through `friktion run`: bad files, exit status, and the friction model kept in
//! step with the events when a log changes.

use std::io::Write;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use friktion_core::LakeTable;
use friktion_lake::Lake;

use crate::Project;

fn column_strings(p: &Project, t: LakeTable, col: &str) -> Vec<Option<String>> {
    let lake = Lake::open_read(p.lake()).unwrap();
    lake.read_table(&t.def())
        .unwrap()
        .iter()
        .flat_map(|b| {
            let c = b.column_by_name(col).unwrap().as_string::<i32>().clone();
            (0..c.len())
                .map(|i| c.is_valid(i).then(|| c.value(i).to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn sum_i64(p: &Project, t: LakeTable, col: &str) -> i64 {
    let lake = Lake::open_read(p.lake()).unwrap();
    lake.read_table(&t.def())
        .unwrap()
        .iter()
        .map(|b| {
            b.column_by_name(col)
                .unwrap()
                .as_primitive::<Int64Type>()
                .iter()
                .flatten()
                .sum::<i64>()
        })
        .sum()
}

fn rows(p: &Project, t: LakeTable) -> usize {
    let lake = Lake::open_read(p.lake()).unwrap();
    lake.read_table(&t.def())
        .unwrap()
        .iter()
        .map(|b| b.num_rows())
        .sum()
}

fn add_incoming(p: &Project) {
    let mut cfg = std::fs::OpenOptions::new()
        .append(true)
        .open(p.config())
        .unwrap();
    writeln!(
        cfg,
        "\n[[logs]]\nfiles = \"incoming/*\"\nkommun_kod = \"0180\""
    )
    .unwrap();
    std::fs::create_dir_all(p.path().join("incoming")).unwrap();
}

fn ndjson(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        writeln!(
            v,
            "{{\"@timestamp\":\"2026-10-27T09:{:02}:{:02}+01:00\",\"user\":\"u{}\",\"path\":\"/heroma/x\",\"http_status\":{}}}",
            (i / 60) % 60,
            i % 60,
            i % 50,
            if i % 10 == 0 { 500 } else { 200 }
        )
        .unwrap();
    }
    v
}

#[test]
fn garbage_truncated_gzip_and_a_huge_line_are_reported_not_fatal() {
    let p = Project::new();
    add_incoming(&p);
    let inc = p.path().join("incoming");
    let mut garbage = Vec::new();
    let mut x: u64 = 7;
    for _ in 0..300_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        garbage.push((x >> 33) as u8);
    }
    std::fs::write(inc.join("a-garbage.log"), &garbage).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&ndjson(100_000)).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(inc.join("b-cut.ndjson.gz"), &gz[..gz.len() * 2 / 3]).unwrap();
    let mut long = ndjson(500);
    long.extend_from_slice(b"{\"message\":\"");
    long.extend(std::iter::repeat_n(b'x', 10 << 20));
    long.extend_from_slice(b"\"}\n");
    long.extend(ndjson(500));
    std::fs::write(inc.join("c-long.ndjson"), &long).unwrap();

    let o = p.run();
    assert_eq!(o.code(), 2, "{}", o.told());
    let err = o.told();
    assert!(
        err.contains("error: incoming/a-garbage.log: is not in a log format")
            && err.contains("binary data"),
        "{err}"
    );
    assert!(
        err.contains("incoming/b-cut.ndjson.gz") && err.contains("breaks off"),
        "{err}"
    );
    let failed = &o.summary().failed_sources;
    assert!(
        failed.iter().any(|f| f.file == "incoming/a-garbage.log"),
        "{failed:?}"
    );
    assert!(
        !err.contains("error: incoming/c-long"),
        "a long line is a quarantined line, not a failed file: {err}"
    );

    let files = column_strings(&p, LakeTable::LogQuarantine, "source_file");
    let reasons = column_strings(&p, LakeTable::LogQuarantine, "reason");
    let q: Vec<(String, String)> = files
        .into_iter()
        .zip(reasons)
        .map(|(f, r)| (f.unwrap(), r.unwrap()))
        .collect();
    for (file, want) in [
        ("incoming/a-garbage.log", "not in a log format"),
        ("incoming/b-cut.ndjson.gz", "breaks off"),
        ("incoming/c-long.ndjson", "longer than"),
    ] {
        assert!(
            q.iter().any(|(f, r)| f == file && r.contains(want)),
            "{file}: {want} in {q:?}"
        );
    }
    let events = column_strings(&p, LakeTable::ItEvent, "source_file");
    let from = |f: &str| events.iter().filter(|s| s.as_deref() == Some(f)).count();
    assert_eq!(from("incoming/c-long.ndjson"), 1000);
    assert_eq!(from("incoming/a-garbage.log"), 0);
    let cut = from("incoming/b-cut.ndjson.gz");
    assert!(cut > 1000 && cut < 100_000, "{cut}");

    // The unusable file is tried, and reported, again; the others are not reloaded.
    let o = p.run();
    assert_eq!(o.code(), 2);
    assert!(o.told().contains("a-garbage.log"));
    assert_eq!(
        column_strings(&p, LakeTable::ItEvent, "source_file").len(),
        events.len()
    );
}

#[test]
fn friction_days_follow_their_events_when_a_log_changes() {
    let p = Project::new();
    p.run().ok();
    let events = rows(&p, LakeTable::ItEvent);
    assert!(events > 5000, "{events}");
    assert_eq!(
        sum_i64(&p, LakeTable::ItFrictionDaily, "events") as usize,
        events
    );
    let days = rows(&p, LakeTable::ItFrictionDaily);

    // Unchanged inputs: nothing to recompute.
    assert_eq!(p.run().ok().friction_days, 0);

    // Keep only the first day of the NDJSON log: its other days lose those events.
    let f = p.path().join("sample-data/logs/webapps.ndjson");
    let kept: String = std::fs::read_to_string(&f)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"2026-10-26T"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&f, kept).unwrap();
    assert!(p.run().ok().friction_days > 0);
    let events2 = rows(&p, LakeTable::ItEvent);
    assert!(events2 < events);
    assert_eq!(
        sum_i64(&p, LakeTable::ItFrictionDaily, "events") as usize,
        events2
    );
    // The idp's sign-ins still cover every day, so no day disappears, but the web systems'
    // rows of the later days do.
    assert!(rows(&p, LakeTable::ItFrictionDaily) < days);
}

#[test]
fn a_day_whose_friction_rows_are_missing_is_caught_up() {
    // As after a run killed between committing events and running the model.
    let p = Project::new();
    p.run().ok();
    let before = sum_i64(&p, LakeTable::ItFrictionDaily, "events");
    let day = p.lake().join("it_friction_daily/part-2026-10-28.parquet");
    std::fs::remove_file(&day).unwrap();
    assert_eq!(p.run().ok().friction_days, 1);
    assert!(day.exists());
    assert_eq!(sum_i64(&p, LakeTable::ItFrictionDaily, "events"), before);
}
