//! 50 clients for a minute (FRIKTION_LOAD_SECS to change it) while the nightly run commits
//! twice: every answer is one the lake held whole at some moment, no connection fails, and the
//! server's peak memory stays under the bound docs/SERVE.md states. The latency percentiles are
//! printed (benches/RESULTS.md keeps them).

use std::collections::BTreeSet;
use std::process::Command;

use crate::python::python;
use crate::wire::{Served, served_project};
use crate::{assert_ok, text, workspace};

/// The peak resident memory the server may reach under this load.
const MEMORY_BOUND_MIB: u64 = 512;

#[test]
fn fifty_clients_for_a_minute_while_the_nightly_run_commits_twice() {
    let (p, accounts) = served_project();
    let s = Served::start(
        &p,
        &accounts,
        &["--max-connections", "64", "--queries-per-user", "64"],
    );
    let queries = serde_json::json!([
        "SELECT count(*) FROM survey_response",
        // Two marts of one commit: a query that saw half a commit would pair old with new.
        "SELECT (SELECT count(*) FROM friction_by_kommun) AS k, (SELECT sum(n) FROM friction_by_kommun) AS n, (SELECT count(*) FROM friction_by_group) AS g",
        "SELECT wave_id, count(*), round(avg(mean_minutes), 6) FROM friction_by_kommun GROUP BY wave_id ORDER BY wave_id",
        "SELECT count(*), count(mean_minutes) FROM published.friction_by_kommun",
        "SELECT count(*) FROM it_event",
    ]);
    let qfile = p.path().join("queries.json");
    std::fs::write(&qfile, queries.to_string()).unwrap();
    let dsn = s.dsn("res", "");
    let snapshot = || -> Vec<String> {
        let o = Command::new(python())
            .arg(workspace().join("python/wire_load.py"))
            .args(["snapshot", &dsn, qfile.to_str().unwrap()])
            .output()
            .unwrap();
        assert_ok(&o);
        serde_json::from_str(text(&o.stdout).trim()).unwrap()
    };
    let mut states = vec![snapshot()];
    let secs: u64 = std::env::var("FRIKTION_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let load = Command::new(python())
        .arg(workspace().join("python/wire_load.py"))
        .args([
            "run",
            &dsn,
            &secs.to_string(),
            "50",
            qfile.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let survey = p.path().join("sample-data/survey");
    for (at, wave) in [(secs / 4, "vision-2020"), (secs / 2, "vision-2021")] {
        std::thread::sleep(std::time::Duration::from_secs(at));
        std::fs::copy(
            survey.join("vision-2019.csv"),
            survey.join(format!("{wave}.csv")),
        )
        .unwrap();
        assert_ok(&p.run());
        states.push(snapshot());
    }
    let o = load.wait_with_output().unwrap();
    assert_ok(&o);
    let r: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    assert_eq!(r["error_count"], 0, "{r}");
    assert_ne!(states[0], states[2], "the commits changed the answers");
    for (i, seen) in r["answers"].as_array().unwrap().iter().enumerate() {
        let valid: BTreeSet<&str> = states.iter().map(|s| s[i].as_str()).collect();
        for a in seen.as_array().unwrap() {
            assert!(
                valid.contains(a.as_str().unwrap()),
                "query {i} answered {a}, valid: {valid:?}"
            );
        }
    }
    let peak = std::fs::read_to_string(format!("/proc/{}/status", s.pid()))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .unwrap();
    println!(
        "load: {} queries in {secs} s by 50 clients, p50 {:.1} ms, p95 {:.1} ms, server peak RSS {} MiB",
        r["queries"],
        r["p50_ms"].as_f64().unwrap(),
        r["p95_ms"].as_f64().unwrap(),
        peak >> 10
    );
    assert!(r["queries"].as_u64().unwrap() > 500, "{r}");
    assert!(
        peak >> 10 < MEMORY_BOUND_MIB,
        "server peak RSS {} MiB",
        peak >> 10
    );
}
