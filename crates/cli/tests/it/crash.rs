//! A run killed with SIGKILL at any moment leaves a readable lake, and the next run finishes
//! with exactly what an uninterrupted run gives: the same marts and the same report, byte for
//! byte (run ids aside).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::ops::{marts, run_id, spawn_run, wait_for_lock};
use crate::{Project, assert_ok, hashes, text};

/// The moments: right after the run has the lake, and after each stage ends (the JSON log
/// says when), each followed by a pause so kills land early, inside and late in the next stage.
const TRIGGERS: [&str; 8] = [
    "lock",
    "surveys",
    "logs",
    "log model",
    "projects",
    "sql models",
    "data tests",
    "publication",
];
const PAUSES_MS: [u64; 5] = [0, 4, 15, 40, 90];

/// Waits until the run's JSON log says `stage` finished (or, for "lock", the run has the
/// lake); false if the run ended first.
fn wait_for(
    p: &Project,
    child: &mut std::process::Child,
    err: &std::path::Path,
    stage: &str,
) -> bool {
    if stage == "lock" {
        wait_for_lock(p, child.id());
        return true;
    }
    wait_for_stage(child, err, stage)
}

/// Waits until a run's JSON log says `stage` finished; false if the run ended first.
pub fn wait_for_stage(child: &mut std::process::Child, err: &std::path::Path, stage: &str) -> bool {
    let needle = format!("\"message\":\"stage finished\",\"stage\":\"{stage}\"");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if std::fs::read_to_string(err).is_ok_and(|s| s.contains(&needle)) {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("{stage} never finished");
}

#[test]
fn a_run_killed_at_40_moments_is_finished_by_the_next_run_with_the_uninterrupted_result() {
    let reference = Project::new();
    let o = reference.run();
    assert_ok(&o);
    let id = run_id(&text(&o.stdout));
    let want_marts = marts(&reference);
    let want_report = hashes(&reference.path().join("notebooks-out").join(&id), Some(&id));

    let mut interrupted = 0;
    let mut landed: BTreeMap<String, usize> = BTreeMap::new();
    for stage in TRIGGERS {
        for pause in PAUSES_MS {
            let p = Project::new();
            let err = p.path().join("killed.err");
            let mut child = spawn_run(&p, &["--log-format", "json"], &err);
            let reached = wait_for(&p, &mut child, &err, stage);
            std::thread::sleep(Duration::from_millis(pause));
            let done = child.try_wait().unwrap().is_some();
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            let log = std::fs::read_to_string(&err).unwrap();
            let last = log
                .lines()
                .filter(|l| l.contains("\"stage finished\""))
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| v["stage"].as_str().map(str::to_string))
                .last()
                .unwrap_or_else(|| "(none)".into());
            let what = format!("killed {pause} ms after {stage}, last stage finished: {last}");
            // A killed run's record still says "running"; one that finished says otherwise.
            let finished = std::fs::read_dir(p.lake().join("_runs")).map_or(0, |d| {
                d.filter(|e| {
                    std::fs::read_to_string(e.as_ref().unwrap().path())
                        .is_ok_and(|t| !t.contains("\"status\": \"running\""))
                })
                .count()
            });
            if reached && !done && finished == 0 {
                interrupted += 1;
                *landed.entry(format!("after {last}")).or_default() += 1;
            }

            // What the killed run left is readable: every table's and mart's files open, and
            // no report directory is visible half written.
            let d = p.friktion(&["lake", "describe", "--lake", p.lake().to_str().unwrap()]);
            assert_ok(&d);
            if let Ok(dirs) = std::fs::read_dir(p.path().join("notebooks-out")) {
                for e in dirs {
                    let path = e.unwrap().path();
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    if path.is_dir() && !name.starts_with('.') {
                        assert!(
                            path.join("index.html").exists(),
                            "{what}: half report {name}"
                        );
                    }
                }
            }

            // The next run finishes with the uninterrupted run's marts and report.
            let o = p.run();
            assert_ok(&o);
            let rid = run_id(&text(&o.stdout));
            assert_eq!(marts(&p), want_marts, "{what}: marts differ");
            let got = hashes(&p.path().join("notebooks-out").join(&rid), Some(&rid));
            let differ: Vec<&String> = want_report
                .iter()
                .filter(|(k, v)| got.get(*k) != Some(*v))
                .map(|(k, _)| k)
                .collect();
            assert!(
                differ.is_empty() && got.len() == want_report.len(),
                "{what}: report differs in {differ:?}"
            );
            let partial = std::fs::read_dir(p.path().join("notebooks-out"))
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with(".partial")
                })
                .count();
            assert_eq!(partial, 0, "{what}: a partial report was left");
        }
    }
    eprintln!("{interrupted} of 40 kills interrupted the run: {landed:?}");
    // At least 34 of the 40 kills caught the run before it finished, in every stage.
    assert!(interrupted >= 34, "{interrupted} interrupted: {landed:?}");
    for stage in [
        "after (none)",
        "after surveys",
        "after projects",
        "after sql models",
        "after data tests",
        "after publication",
    ] {
        assert!(
            landed.contains_key(stage),
            "no kill landed {stage}: {landed:?}"
        );
    }
}

/// A lake that fails while an export's rows stream into it (before the source's commit) is
/// the lake's failure, not the export's: the run stops and says so, the export is neither
/// quarantined nor remembered as loaded, and the next run gives the uninterrupted result.
#[test]
fn a_lake_failure_while_rows_stream_in_stops_the_run_and_the_next_run_loads_the_file() {
    let reference = Project::new();
    assert_ok(&reference.run());

    let p = Project::new();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args(["run", "--config", p.config().to_str().unwrap()])
        .current_dir(p.path())
        .env_remove("FRIKTION_PSEUDO_KEY")
        .env_remove("FRIKTION_PSEUDO_KEY_FILE")
        .env("FRIKTION_FAILPOINT", "lake.stream_write")
        .output()
        .unwrap();
    let said = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(!o.status.success(), "{said}");
    assert!(
        said.contains("failure injected at lake.stream_write"),
        "{said}"
    );
    assert!(
        !p.lake().join("survey_quarantine").exists(),
        "the export was blamed for the lake's failure: {said}"
    );

    let again = p.run();
    assert_ok(&again);
    assert_eq!(marts(&p), marts(&reference));
}
