//! Nightly operations: the same inputs give the same bytes, a changed file replaces exactly
//! its rows, one run at a time, a run record per run, and `--full`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Project, assert_ok, hashes, text};

/// The run id a run summary names.
pub fn run_id(summary: &str) -> String {
    summary
        .lines()
        .find_map(|l| l.strip_prefix("friktion run "))
        .expect("a run id")
        .trim()
        .to_string()
}

pub fn marts(p: &Project) -> BTreeMap<String, String> {
    hashes(&p.lake().join("marts"), None)
}

#[test]
fn the_same_inputs_give_byte_identical_marts_and_reports() {
    let (a, b) = (Project::new(), Project::new());
    let (oa, ob) = (a.run(), b.run());
    assert_ok(&oa);
    assert_ok(&ob);
    let (ida, idb) = (run_id(&text(&oa.stdout)), run_id(&text(&ob.stdout)));
    let ma = marts(&a);
    assert!(ma.len() >= 17, "{ma:?}");
    assert_eq!(ma, marts(&b), "two lakes from the same inputs");
    let ra = hashes(&a.path().join("notebooks-out").join(&ida), Some(&ida));
    let rb = hashes(&b.path().join("notebooks-out").join(&idb), Some(&idb));
    assert!(ra.len() > 40, "{ra:?}");
    assert_eq!(ra, rb, "the two reports, run ids aside");
    // A second run on the same lake loads nothing and rebuilds every mart to the same bytes.
    let again = a.run();
    assert_ok(&again);
    assert!(text(&again.stdout).contains("0 ingested, 0 replaced, 13 skipped"));
    assert_eq!(marts(&a), ma);
    let id2 = run_id(&text(&again.stdout));
    assert_eq!(
        hashes(&a.path().join("notebooks-out").join(&id2), Some(&id2)),
        ra
    );
}

/// A query's rows as CSV lines, without the header.
pub fn count(p: &Project, sql: &str) -> String {
    crate::fixture::csv_body(&p.sql_csv(sql))
}

#[test]
fn a_changed_file_replaces_its_rows_and_leaves_every_other_file_alone() {
    let p = Project::new();
    assert_ok(&p.run());
    let per_file = "SELECT source_file, count(*) AS n, sum(minutes_lost) AS m FROM survey_response \
                    GROUP BY source_file ORDER BY source_file";
    let before = count(&p, per_file);
    let files_before = hashes(&p.lake(), None);
    // One respondent fewer and one answer changed in the 2019 wave.
    let f = p.path().join("sample-data/survey/vision-2019.csv");
    let t = std::fs::read_to_string(&f).unwrap();
    let mut lines: Vec<&str> = t.lines().collect();
    let dropped = lines.remove(5).to_string();
    let t = lines.join("\n") + "\n";
    std::fs::write(&f, &t).unwrap();
    let o = p.run();
    assert_ok(&o);
    let out = text(&o.stdout);
    assert!(out.contains("0 ingested, 1 replaced, 12 skipped"), "{out}");
    let after = count(&p, per_file);
    let row = |s: &str, file: &str| -> Vec<String> {
        s.lines()
            .find(|l| l.starts_with(file))
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let (b, a) = (
        row(&before, "sample-data/survey/vision-2019.csv"),
        row(&after, "sample-data/survey/vision-2019.csv"),
    );
    let nb: i64 = b[1].parse().unwrap();
    let na: i64 = a[1].parse().unwrap();
    assert_eq!(
        na,
        nb - 1,
        "one row fewer, none doubled: {before}\n{after} ({dropped})"
    );
    for other in [
        "vision-2014.csv",
        "medarbetarenkat-0163-2025",
        "medarbetarenkat-0586-2025",
    ] {
        assert_eq!(
            row(&before, &format!("sample-data/survey/{other}")),
            row(&after, &format!("sample-data/survey/{other}")),
            "{other}"
        );
    }
    // Every file the other sources gave is byte for byte the same file.
    let key = friktion_lake::source_key("sample-data/survey/vision-2019.csv");
    let files_after = hashes(&p.lake(), None);
    for (path, h) in &files_before {
        // Marts and the publication are derived from every source, so they follow any change.
        let own = path.contains(&key)
            || path.starts_with("marts/")
            || path.starts_with("published/")
            || path.starts_with("_");
        if !own && !path.starts_with("it_friction_daily") {
            assert_eq!(files_after.get(path), Some(h), "{path} changed");
        }
    }
    // Answers follow their responses.
    let answers = count(
        &p,
        "SELECT count(*) FROM survey_answer a LEFT JOIN survey_response r \
         ON a.respondent_key = r.respondent_key AND a.wave_id = r.wave_id WHERE r.respondent_key IS NULL",
    );
    assert_eq!(answers, "0", "answers without their response");
}

/// Starts `friktion run` in the background with its stderr in a file.
pub fn spawn_run(p: &Project, extra: &[&str], stderr: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args(["run", "--config", p.config().to_str().unwrap()])
        .args(extra)
        .current_dir(p.path())
        .env_remove("FRIKTION_PSEUDO_KEY")
        .env_remove("FRIKTION_PSEUDO_KEY_FILE")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap()
}

/// Waits until the lake's lock names `pid` (the run has the lake), for at most 20 s.
pub fn wait_for_lock(p: &Project, pid: u32) {
    let lock = p.lake().join("_lock");
    for _ in 0..2000 {
        if std::fs::read_to_string(&lock).is_ok_and(|s| s.contains(&format!("pid={pid} "))) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("run {pid} never took the lock");
}

#[test]
fn a_second_run_is_refused_while_one_runs_and_a_dead_runs_lock_is_taken_over() {
    let p = Project::new();
    let err = p.path().join("first.err");
    let mut first = spawn_run(&p, &[], &err);
    wait_for_lock(&p, first.id());
    let second = p.run();
    assert_eq!(second.status.code(), Some(1), "{}", text(&second.stderr));
    let msg = text(&second.stderr);
    assert!(
        msg.contains(&format!(
            "another friktion run is writing to this lake (pid {}, started ",
            first.id()
        )),
        "{msg}"
    );
    assert!(
        first.wait().unwrap().success(),
        "{}",
        std::fs::read_to_string(&err).unwrap()
    );
    // The refused run wrote nothing: one run record, one report.
    let runs = std::fs::read_dir(p.lake().join("_runs")).unwrap().count();
    assert_eq!(runs, 1);

    // A run killed while it holds the lock leaves its owner line; the next run says it takes
    // the lock over from that pid, and finishes.
    let mut killed = spawn_run(&p, &["--full"], &p.path().join("killed.err"));
    wait_for_lock(&p, killed.id());
    killed.kill().unwrap();
    killed.wait().unwrap();
    let o = p.run();
    assert_ok(&o);
    let msg = text(&o.stderr);
    assert!(
        msg.contains(&format!(
            "took over the lake's lock from a run that is no longer running (pid {}, started",
            killed.id()
        )),
        "{msg}"
    );
    // Clean exits clear the owner line.
    assert_eq!(std::fs::read_to_string(p.lake().join("_lock")).unwrap(), "");
}

fn record(p: &Project, id: &str) -> serde_json::Value {
    let path: PathBuf = p.lake().join("_runs").join(format!("{id}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn each_run_leaves_a_record_and_full_rebuilds_from_the_sources_there_are() {
    let p = Project::new();
    let o = p.friktion(&["run", "-q", "--config", p.config().to_str().unwrap()]);
    assert_ok(&o);
    assert_eq!(
        (text(&o.stdout), text(&o.stderr)),
        (String::new(), String::new())
    );
    let id = std::fs::read_dir(p.lake().join("_runs"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .replace(".json", "")
        })
        .next()
        .unwrap();
    let r = record(&p, &id);
    assert_eq!(r["status"], "ok");
    assert_eq!(r["exit_code"], 0);
    assert_eq!(r["sources"].as_array().unwrap().len(), 13);
    let sources = r["sources"].as_array().unwrap();
    for s in sources {
        if s["file"].as_str().unwrap().contains("/survey/") {
            assert_eq!(s["stage"], "surveys", "{s}");
        }
    }
    let survey_rows: i64 = sources
        .iter()
        .filter(|s| s["stage"] == "surveys")
        .map(|s| s["rows_read"].as_i64().unwrap())
        .sum();
    assert!(survey_rows > 1000);
    assert_eq!(r["stages"]["surveys"]["rows_read"], survey_rows, "{r:#}");
    assert!(r["stages"]["report"]["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(r["data_tests"]["failed"], 0);
    assert_eq!(r["marts"]["friction_by_kommun"], 26);
    let report = PathBuf::from(r["outputs"]["report"].as_str().unwrap());
    assert!(report.exists() && report.ends_with(format!("{id}/index.html")));
    assert!(PathBuf::from(r["outputs"]["notebook"].as_str().unwrap()).exists());

    // A file that disappears is reported and its rows are kept...
    std::fs::remove_file(
        p.path()
            .join("sample-data/survey/medarbetarenkat-0586-2025.xlsx"),
    )
    .unwrap();
    let o = p.run();
    assert_ok(&o);
    assert!(
        text(&o.stdout).contains(
            "vanished    sample-data/survey/medarbetarenkat-0586-2025.xlsx (loaded before"
        )
    );
    let waves = "SELECT count(DISTINCT wave_id) FROM survey_response";
    assert_eq!(count(&p, waves), "4");
    // ...until --full, which reloads every source and takes them out.
    let o = p.friktion(&["run", "--full", "--config", p.config().to_str().unwrap()]);
    assert_ok(&o);
    let out = text(&o.stdout);
    assert!(out.contains("0 ingested, 12 replaced, 0 skipped"), "{out}");
    assert!(out.contains("removed     sample-data/survey/medarbetarenkat-0586-2025.xlsx"));
    assert_eq!(count(&p, waves), "3");
    assert_eq!(
        count(
            &p,
            "SELECT count(*) FROM friction_by_kommun WHERE kommun_kod = '0586' AND wave_id LIKE 'medarbetar%'"
        ),
        "0"
    );
    let r = record(&p, &run_id(&out));
    assert_eq!(r["full"], true);
    assert_eq!(
        r["removed"][0],
        "sample-data/survey/medarbetarenkat-0586-2025.xlsx"
    );
    // And the next run has nothing vanished to report.
    let o = p.run();
    assert!(!text(&o.stdout).contains("vanished"), "{}", text(&o.stdout));
}

#[test]
fn a_file_with_too_many_rejected_rows_makes_the_run_exit_2_with_its_record_saying_why() {
    let p = Project::new();
    let cfg = p.config();
    let t = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, t + "\n[limits]\nmax_quarantined_share = 0.001\n").unwrap();
    let o = p.friktion(&[
        "run",
        "--log-format",
        "json",
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("over limit  sample-data/"), "{out}");
    let r = record(&p, &run_id(&out));
    assert_eq!(r["status"], "finished_with_problems");
    assert_eq!(r["exit_code"], 2);
    let over = r["over_quarantine_limit"].as_array().unwrap();
    assert!(!over.is_empty() && over[0]["share_rejected"].as_f64().unwrap() > 0.001);
    // The JSON log: one object per line, an event per stage and per source, the errors too.
    let events: Vec<serde_json::Value> = text(&o.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let stages: Vec<&str> = events
        .iter()
        .filter(|e| e["message"] == "stage finished")
        .map(|e| e["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "surveys",
            "logs",
            "log model",
            "projects",
            "kolada",
            "sql models",
            "data tests",
            "publication",
            "report"
        ]
    );
    assert_eq!(
        events.iter().filter(|e| e["message"] == "source").count(),
        13
    );
    assert!(events.iter().any(|e| {
        e["level"] == "ERROR"
            && e["message"]
                .as_str()
                .unwrap()
                .contains("limits.max_quarantined_share")
    }));
}
