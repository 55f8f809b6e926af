//! Researchers read the lake with DuckDB and polars (from PyPI): they must see what friktion
//! wrote. Runs the real libraries in a Python venv (see python/requirements.txt).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::python::python;
use crate::{Project, assert_ok, text, workspace};

#[test]
fn duckdb_polars_and_pyarrow_read_every_table_as_friktion_wrote_it() {
    let p = Project::new();
    assert_ok(&p.run());
    let lake = p.lake();
    let o = p.friktion(&[
        "lake",
        "describe",
        "--json",
        "--lake",
        lake.to_str().unwrap(),
    ]);
    assert_ok(&o);
    let ours: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut child = Command::new(python())
        .arg(workspace().join("python/read_lake.py"))
        .arg(&lake)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&o.stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "read_lake.py failed:\n{}",
        text(&out.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let tables = ours.as_array().unwrap();
    assert!(tables.len() >= 7, "{tables:#?}");
    for t in tables {
        let name = t["name"].as_str().unwrap();
        for reader in ["duckdb", "polars", "pyarrow"] {
            let r = &theirs[name][reader];
            assert_eq!(r["rows"], t["rows"], "{reader} row count of {name}");
            assert_eq!(r["columns"], t["columns"], "{reader} columns of {name}");
            let rows = t["rows"].as_i64().unwrap();
            assert_eq!(
                r["fetched"].as_i64().unwrap(),
                rows.min(3),
                "{reader} fetch of {name}"
            );
        }
        assert_eq!(
            theirs[name]["duckdb"]["ts_min"], theirs[name]["polars"]["ts_min"],
            "{name}: the earliest ts, as each reader gives it"
        );
        if name == "it_event" {
            // The bundled logs start at 07:06:45 Stockholm time on 26 October 2026 (CET).
            let ts = theirs[name]["polars"]["ts_min"].as_str().unwrap();
            assert!(ts.starts_with("2026-10-26T06:0"), "{ts}");
        }
        let (d, p) = (
            theirs[name]["duckdb"]["numeric_sum"].as_f64().unwrap(),
            theirs[name]["polars"]["numeric_sum"].as_f64().unwrap(),
        );
        assert!(
            (d - p).abs() <= 1e-9 * d.abs().max(1.0),
            "{name}: duckdb {d} vs polars {p}"
        );
    }
}
