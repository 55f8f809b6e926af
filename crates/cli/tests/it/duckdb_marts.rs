//! Every mart recomputed by DuckDB (PyPI) from the lake's Parquet with equivalent SQL
//! (python/duckdb_marts.py) agrees with friktion's to 1e-9 relative.

use std::process::Command;

use crate::python::python;
use crate::{Project, assert_ok, text, workspace};

fn recompute(p: &Project) -> serde_json::Value {
    let out = Command::new(python())
        .arg(workspace().join("python/duckdb_marts.py"))
        .arg(p.lake())
        .arg(p.path().join("pipelines/models"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "duckdb_marts.py failed:\n{}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn duckdb_recomputes_every_mart_to_1e_9() {
    let p = Project::new();
    assert_ok(&p.run());
    let r = recompute(&p);
    assert_eq!(r["mismatches"], serde_json::json!([]), "{r:#}");
    // Every model was recomputed and compared, with every row.
    let marts = r["marts"].as_object().unwrap();
    let models: Vec<String> = std::fs::read_dir(p.path().join("pipelines/models"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "sql").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    for m in &models {
        assert!(
            marts.get(m).and_then(|n| n.as_i64()).is_some_and(|n| n > 0),
            "{m} was not compared: {r:#}"
        );
    }
    assert!(r["values_compared"].as_i64().unwrap() > 20_000, "{r:#}");

    // The comparison can fail: shift one mart's means by a millionth of a minute.
    let file = p.mart_file("friction_by_kommun");
    let shifted = p.path().join("shifted.parquet");
    let o = p.friktion(&[
        "sql",
        "--lake",
        p.lake().to_str().unwrap(),
        "--format",
        "parquet",
        "-o",
        shifted.to_str().unwrap(),
        "-e",
        "SELECT wave_id, kommun_kod, kommun_name, lan_kod, lan_name, n, n_eff, \
         mean_minutes + 0.000001 AS mean_minutes, sd_minutes, se_minutes, ci_low, ci_high \
         FROM friction_by_kommun",
    ]);
    assert_ok(&o);
    std::fs::rename(&shifted, &file).unwrap();
    let r = recompute(&p);
    let bad = r["mismatches"].as_array().unwrap();
    assert_eq!(bad.len(), 26, "{r:#}");
    assert!(
        bad.iter()
            .all(|m| m["mart"] == "friction_by_kommun" && m["column"] == "mean_minutes")
    );
}
