//! `friktion serve`'s rules over the wire: what each role can see, queries only, the bounds
//! on a query and a connection, the audit log, and new data after a nightly commit.

use std::process::Command;

use crate::wire::{Served, client, served_project};
use crate::{assert_ok, text};

fn values(o: &std::process::Output) -> String {
    assert_ok(o);
    text(&o.stdout)
}

#[test]
fn a_public_user_sees_only_the_published_tables_and_no_hidden_value() {
    let (p, accounts) = served_project();
    // Cells under 30 responses hidden, so that the demo has some.
    let config = std::fs::read_to_string(p.config()).unwrap();
    std::fs::write(p.config(), config.replace("min_cell = 5", "min_cell = 30")).unwrap();
    let run = p.run();
    assert_ok(&run);
    let s = Served::start(&p, &accounts, &[]);
    for table in [
        "survey_response",
        "it_event",
        "friction_by_kommun",
        "survey_quarantine",
    ] {
        let r = client(&[
            "query",
            &s.dsn("pub", ""),
            &format!("SELECT * FROM {table}"),
        ]);
        assert_eq!(r["sqlstate"], "42P01", "{table}: {r}");
        assert_eq!(
            r["message"].as_str().unwrap().trim(),
            format!("relation \"{table}\" does not exist")
        );
    }
    // Not listed either: information_schema and pg_catalog hold the role's tables only.
    let listed = values(&s.psql(
        "pub",
        "",
        "SELECT table_schema || '.' || table_name FROM information_schema.tables \
         WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1",
    ));
    assert!(!listed.is_empty());
    assert!(
        listed.lines().all(|l| l.starts_with("published.")),
        "{listed}"
    );
    let classes = values(&s.psql("pub", "", "SELECT relname FROM pg_catalog.pg_class"));
    assert!(!classes.contains("survey_response"), "{classes}");
    // A researcher reads the marts and pseudonymised tables, not the quarantine (raw text).
    let r = client(&[
        "query",
        &s.dsn("res", ""),
        "SELECT count(*) FROM survey_response",
    ]);
    assert_eq!(r["ok"], true, "{r}");
    let r = client(&[
        "query",
        &s.dsn("res", ""),
        "SELECT * FROM survey_quarantine",
    ]);
    assert_eq!(r["sqlstate"], "42P01", "{r}");
    let r = client(&[
        "query",
        &s.dsn("ana", ""),
        "SELECT count(*) FROM survey_quarantine",
    ]);
    assert_eq!(r["ok"], true, "{r}");

    // The published Kolada table is the report's kolada.csv, cell for cell.
    let report_csv = crate::report_path(&text(&run.stdout)).with_file_name("kolada.csv");
    let want = std::fs::read_to_string(report_csv).unwrap();
    let header = want.lines().next().unwrap().to_string();
    let o = Command::new("psql")
        .arg(s.dsn("pub", ""))
        .args(["-X", "--csv", "-c"])
        .arg(format!("SELECT {header} FROM published.kolada"))
        .output()
        .unwrap();
    let got = values(&o);
    // Numbers compared as numbers: PostgreSQL's text for a float 0 is "0", the CSV's "0.0".
    let cell = |c: &str| c.parse::<f64>().map_or(c.to_string(), |f| f.to_string());
    let sorted = |t: &str| {
        let mut l: Vec<String> = t
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(cell).collect::<Vec<_>>().join(","))
            .collect();
        l.sort();
        l
    };
    assert_eq!(sorted(&got), sorted(&want));

    // A hidden cell: its value is in the mart (the analyst sees it) and in no public result.
    let hidden = values(&s.psql(
        "ana",
        "",
        "SELECT m.mean_minutes FROM friction_by_kommun m JOIN published.friction_by_kommun p \
         USING (wave_id, kommun_kod) WHERE p.status = '..' AND m.mean_minutes IS NOT NULL LIMIT 1",
    ));
    let hidden = hidden.trim();
    assert!(!hidden.is_empty(), "the demo has hidden cells");
    let tables: Vec<String> = listed.lines().map(str::to_string).collect();
    for t in &tables {
        let dump = values(&s.psql("pub", "", &format!("SELECT * FROM {t}")));
        assert!(!dump.contains(hidden), "{hidden} found in {t}");
    }
}

#[test]
fn writes_files_and_engine_settings_are_refused_over_the_wire_and_nothing_changes() {
    let (p, accounts) = served_project();
    let before = crate::hashes(&p.lake(), None);
    let s = Served::start(&p, &accounts, &[]);
    let out = p.path().join("copied.csv");
    let refused = [
        ("CREATE TABLE x AS SELECT 1", "25006"),
        ("DROP TABLE friction_by_kommun", "25006"),
        (
            "INSERT INTO municipality SELECT * FROM municipality",
            "25006",
        ),
        ("DELETE FROM municipality", "25006"),
        (
            &*format!("COPY (SELECT * FROM municipality) TO '{}'", out.display()),
            "25006",
        ),
        (
            "CREATE EXTERNAL TABLE pw (line TEXT) STORED AS CSV LOCATION '/etc/passwd'",
            "25006",
        ),
        ("SELECT * FROM '/etc/passwd'", "42501"),
        ("SET datafusion.execution.target_partitions = 64", "55P02"),
    ];
    for (sql, state) in refused {
        let r = client(&["query", &s.dsn("ana", ""), sql]);
        assert_eq!(r["ok"], false, "{sql}: {r}");
        assert_eq!(r["sqlstate"], state, "{sql}: {r}");
        let o = s.psql("ana", "", sql);
        assert!(!o.status.success(), "psql ran {sql}");
    }
    assert!(!out.exists());
    // Extended protocol too (psycopg sends parameters that way).
    let r = client(&[
        "query",
        &s.dsn("ana", ""),
        "DELETE FROM municipality WHERE kommun_kod = '0114'",
    ]);
    assert_eq!(r["sqlstate"], "25006", "{r}");
    // What clients send at connect passes; COPY to the client works.
    let o = s.psql(
        "res",
        "",
        "SET application_name = 'dbeaver'; SET extra_float_digits = 3; SELECT 1",
    );
    assert_ok(&o);
    let o = s.psql("res", "", "COPY (SELECT kommun_kod FROM municipality ORDER BY 1 LIMIT 2) TO STDOUT WITH (FORMAT csv, HEADER)");
    assert_eq!(
        values(&o).lines().collect::<Vec<_>>(),
        ["\"kommun_kod\"", "0114", "0115"]
    );
    drop(s);
    let mut after = crate::hashes(&p.lake(), None);
    after.retain(|k, _| {
        !k.starts_with("_audit") && !k.starts_with("_gate") && !k.starts_with("_generation")
    });
    let mut before = before;
    before.retain(|k, _| !k.starts_with("_gate") && !k.starts_with("_generation"));
    assert_eq!(before, after, "the lake changed");
    // Every refusal is in the audit log with its reason.
    let o = p.friktion(&["serve", "audit", "--lake", "lake", "--refusals", "100"]);
    let audit = values(&o);
    assert!(
        audit.contains("read-only") && audit.contains("/etc/passwd"),
        "{audit}"
    );
    let ana = audit.lines().find(|l| l.starts_with("ana ")).unwrap();
    let refused_count: u64 = ana.split_whitespace().nth(4).unwrap().parse().unwrap();
    assert!(refused_count >= 17, "{ana}");
}

#[test]
fn queries_are_bounded_in_time_per_user_and_can_be_cancelled_and_idle_connections_closed() {
    let (p, accounts) = served_project();
    let s = Served::start(
        &p,
        &accounts,
        &[
            "--query-timeout",
            "3",
            "--queries-per-user",
            "1",
            "--idle-timeout",
            "2",
            "--max-connections",
            "3",
        ],
    );
    let long = "SELECT count(*) FROM generate_series(1, 20000000000) a";
    // Cancelled by the client after 1 s; the connection goes on.
    let o = Command::new(crate::python::python())
        .arg(crate::workspace().join("python/wire_clients.py"))
        .args(["cancel", &s.dsn("res", ""), long])
        .output()
        .unwrap();
    let out = values(&o);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["sqlstate"], "57014", "{out}");
    assert!(first["seconds"].as_f64().unwrap() < 2.9, "{out}");
    assert!(out.contains("\"after\": 1"), "{out}");
    // Stopped at the timeout.
    let r = client(&["query", &s.dsn("res", ""), long]);
    assert_eq!(r["sqlstate"], "57014", "{r}");
    assert!(r["message"].as_str().unwrap().contains("timeout"), "{r}");
    // One query at a time for res: a second while the first runs is refused.
    let bg = Command::new("psql")
        .arg(s.dsn("res", ""))
        .args(["-X", "-c", long])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let r = client(&["query", &s.dsn("res", ""), "SELECT 1"]);
    assert_eq!(r["sqlstate"], "53300", "{r}");
    let mut bg = bg;
    let _ = bg.wait();
    // Other users are not held up by res.
    let r = client(&["query", &s.dsn("ana", ""), "SELECT 1"]);
    assert_eq!(r["ok"], true, "{r}");
    // An idle connection is closed.
    let script = format!(
        "import psycopg, time\nc = psycopg.connect({dsn:?})\nc.execute('SELECT 1')\ntime.sleep(3.5)\ntry:\n    c.execute('SELECT 1')\n    print('open')\nexcept psycopg.OperationalError as e:\n    print('closed')\n",
        dsn = s.dsn("res", "")
    );
    let o = Command::new(crate::python::python())
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(values(&o).trim(), "closed");
    // More connections than allowed: the next is told so.
    let hold = format!(
        "import psycopg, time\ncs = [psycopg.connect({dsn:?}) for _ in range(3)]\ntry:\n    psycopg.connect({dsn:?})\n    print('admitted')\nexcept psycopg.OperationalError as e:\n    print(e)\n",
        dsn = s.dsn("ana", "")
    );
    let o = Command::new(crate::python::python())
        .args(["-c", &hold])
        .output()
        .unwrap();
    assert!(
        values(&o).contains("too many clients"),
        "{}",
        text(&o.stdout)
    );
    let audit = std::fs::read_dir(p.lake().join("_audit")).unwrap().count();
    assert_eq!(audit, 1, "one file for today");
    assert!(
        s.stderr().is_empty() || !s.stderr().contains("panicked"),
        "{}",
        s.stderr()
    );
}

#[test]
fn after_a_nightly_commit_new_queries_see_the_new_lake_without_a_restart() {
    let (p, accounts) = served_project();
    let s = Served::start(&p, &accounts, &[]);
    let count = || {
        values(&s.psql("res", "", "SELECT count(*) FROM survey_response"))
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let before = count();
    // A new wave arrives; the next nightly run loads it.
    let survey = p.path().join("sample-data/survey");
    std::fs::copy(
        survey.join("vision-2019.csv"),
        survey.join("vision-2020.csv"),
    )
    .unwrap();
    assert_ok(&p.run());
    let after = count();
    assert!(after > before, "{before} → {after}");
    assert_eq!(
        after,
        p.sql_csv("SELECT count(*) AS n FROM survey_response")
            .lines()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    );
}

#[test]
fn a_commit_a_dead_writer_left_half_done_stops_the_serving_until_the_next_run() {
    let (p, accounts) = served_project();
    let s = Served::start(&p, &accounts, &[]);
    // What a run killed while moving a commit's files leaves: its journal.
    let journals = p.lake().join("_txn");
    std::fs::create_dir_all(&journals).unwrap();
    std::fs::write(
        journals.join("00000000000000000001-1-0.json"),
        r#"{"renames":[],"deletes":[]}"#,
    )
    .unwrap();
    let r = client(&[
        "query",
        &s.dsn("res", ""),
        "SELECT count(*) FROM survey_response",
    ]);
    assert_eq!(r["sqlstate"], "55000", "{r}");
    assert!(
        r["message"].as_str().unwrap().contains("did not finish"),
        "{r}"
    );
    // The next run rolls it forward, and the server answers again.
    assert_ok(&p.run());
    let r = client(&[
        "query",
        &s.dsn("res", ""),
        "SELECT count(*) FROM survey_response",
    ]);
    assert_eq!(r["ok"], true, "{r}");
}
