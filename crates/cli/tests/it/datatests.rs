//! Data tests: declared next to the models, run by `friktion run`, kept in lake/_tests, and
//! failing the run's exit status when an error-level test fails.

use crate::{Project, assert_ok, text};

/// (test, status, failing_rows) of the last run's results for a target, via `friktion sql`.
fn results(p: &Project, target: &str) -> Vec<(String, String, Option<i64>)> {
    let o = p.friktion(&[
        "sql",
        "--lake",
        p.lake().to_str().unwrap(),
        "--format",
        "json",
        "-e",
        &format!(
            "SELECT test, status, failing_rows FROM _tests WHERE target = '{target}' \
             AND run_id = (SELECT MAX(run_id) FROM _tests) ORDER BY test"
        ),
    ]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["test"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["failing_rows"].as_i64(),
            )
        })
        .collect()
}

fn count(p: &Project, sql: &str) -> i64 {
    p.sql_csv(sql).lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn the_shipped_tests_pass_on_the_sample() {
    let p = Project::new();
    let o = p.run();
    assert_ok(&o);
    let out = text(&o.stdout);
    assert!(
        out.contains("data tests  ") && out.contains(", 0 failed"),
        "{out}"
    );
    let r = results(&p, "friction_by_kommun");
    assert!(
        r.iter()
            .any(|(t, s, n)| t == "unique(wave_id, kommun_kod)" && s == "pass" && *n == Some(0)),
        "{r:?}"
    );
}

#[test]
fn each_kind_of_test_counts_the_rows_that_break_it_and_an_error_fails_the_run() {
    let p = Project::new();
    std::fs::write(
        p.path().join("pipelines/models/time_to_go_live.toml"),
        r#"
[[test]]
not_null = ["median_days"]
[[test]]
unique = ["dimension"]
[[test]]
accepted_values = { column = "dimension", values = ["all", "track"] }
[[test]]
relationships = { column = "grp", to = "municipality", field = "kommun_kod" }
[[test]]
range = { column = "n_projects", max = 20 }
[[test]]
not_null = ["dimension"]
[[test]]
range = { column = "median_days", min = 0 }
severity = "warn"
"#,
    )
    .unwrap();
    let o = p.run();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let out = text(&o.stdout);
    assert!(
        out.contains("FAIL time_to_go_live unique(dimension): 4 row(s) fail"),
        "{out}"
    );
    let want = |sql: &str| Some(count(&p, sql));
    let r = results(&p, "time_to_go_live");
    let get = |name: &str| {
        r.iter()
            .find(|(t, _, _)| t == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {r:?}"))
    };
    assert_eq!(
        get("not_null(median_days)").2,
        want("SELECT COUNT(*) FROM time_to_go_live WHERE median_days IS NULL")
    );
    assert_eq!(
        get("unique(dimension)").2,
        want(
            "SELECT COUNT(*) FROM (SELECT dimension FROM time_to_go_live GROUP BY dimension HAVING COUNT(*) > 1)"
        )
    );
    assert_eq!(
        get("accepted_values(dimension)").2,
        want("SELECT COUNT(*) FROM time_to_go_live WHERE dimension NOT IN ('all', 'track')")
    );
    assert_eq!(
        get("relationships(grp → municipality.kommun_kod)").2,
        want("SELECT COUNT(*) FROM time_to_go_live WHERE dimension <> 'kommun'")
    );
    assert_eq!(
        get("range(n_projects)").2,
        want("SELECT COUNT(*) FROM time_to_go_live WHERE n_projects > 20")
    );
    for name in [
        "unique(dimension)",
        "accepted_values(dimension)",
        "range(n_projects)",
    ] {
        let (_, status, n) = get(name);
        assert!(status == "fail" && n.unwrap() > 0, "{name}: {status} {n:?}");
    }
    // Each failure's message carries a query the reader can run for the same count.
    let messages = p.sql_csv(
        "SELECT failing_rows, message FROM _tests WHERE status = 'fail' \
         AND target = 'time_to_go_live' AND run_id = (SELECT MAX(run_id) FROM _tests)",
    );
    let mut checked = 0;
    for line in messages.lines().filter(|l| l.contains(" row(s) fail: ")) {
        let (n, message) = line.split_once(',').unwrap();
        let sql = message.split_once(" row(s) fail: ").unwrap().1;
        let sql = sql.trim_matches('"').replace("\"\"", "\"");
        assert_eq!(count(&p, &sql).to_string(), n, "{sql}");
        checked += 1;
    }
    assert!(checked >= 4, "{messages}");
    assert_eq!(
        get("not_null(dimension)"),
        ("not_null(dimension)".into(), "pass".into(), Some(0))
    );
}

#[test]
fn a_mart_that_shrinks_past_its_limit_since_the_last_run_fails_its_row_count_test() {
    let p = Project::new();
    std::fs::write(
        p.path()
            .join("pipelines/models/project_time_to_go_live.toml"),
        "[[test]]\nrow_count_change = { max_percent = 20 }\n",
    )
    .unwrap();
    assert_ok(&p.run());
    let before = count(&p, "SELECT COUNT(*) FROM project_time_to_go_live");
    // The next export has the first 60 projects only.
    let f = p.path().join("sample-data/projects/projects.csv");
    let text_before = std::fs::read_to_string(&f).unwrap();
    let kept: Vec<&str> = text_before.lines().take(61).collect();
    std::fs::write(&f, kept.join("\r\n") + "\r\n").unwrap();
    let o = p.run();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let after = count(&p, "SELECT COUNT(*) FROM project_time_to_go_live");
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!("FAIL project_time_to_go_live row_count_change: {after} rows against {before} in the last run")),
        "{out}"
    );
    // A third run on the same input: the count is stable again.
    assert_ok(&p.run());
}

#[test]
fn a_test_file_with_a_mistake_names_the_file_and_the_problem() {
    let p = Project::new();
    std::fs::write(
        p.path().join("pipelines/models/project_funnel.toml"),
        "[[test]]\nunique = ['track; DROP TABLE x']\n",
    )
    .unwrap();
    let o = p.run();
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("project_funnel.toml") && err.contains("is not a column or table name"),
        "{err}"
    );
}

#[test]
fn models_are_listed_in_run_order_rebuilt_alone_and_documented() {
    let p = Project::new();
    assert_ok(&p.run());
    let cfg = p.config();
    let list = p.friktion(&["models", "list", "--config", cfg.to_str().unwrap()]);
    assert_ok(&list);
    let names: Vec<String> = text(&list.stdout)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let at = |n: &str| {
        names
            .iter()
            .position(|x| x == n)
            .unwrap_or_else(|| panic!("{n} not listed"))
    };
    // A model comes after the models it reads.
    assert!(at("survey_respondent") < at("friction_by_kommun"));
    assert!(at("friction_by_group") < at("friction_cost"));
    assert!(at("project_time_to_go_live") < at("time_to_go_live"));
    // Rebuilding alone gives the same marts, byte for byte.
    let file = p.mart_file("kommun_benchmark");
    let before = std::fs::read(&file).unwrap();
    let run = p.friktion(&["models", "run", "--config", cfg.to_str().unwrap()]);
    assert_ok(&run);
    assert!(text(&run.stdout).contains("kommun_benchmark"));
    let after_file = p.mart_file("kommun_benchmark");
    assert_eq!(std::fs::read(after_file).unwrap(), before);
    let out = p.path().join("marts.md");
    let docs = p.friktion(&[
        "models",
        "docs",
        "--config",
        cfg.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_ok(&docs);
    let md = std::fs::read_to_string(out).unwrap();
    for n in &names {
        assert!(md.contains(&format!("\n## {n}\n")), "{n} undocumented");
    }
    assert!(md.contains("| percentile_national | Float64 |"), "{md}");
}

#[test]
fn a_model_running_past_the_query_timeout_stops_the_run_and_commits_no_mart() {
    let p = Project::new();
    // About 10^12 rows: hours on any engine, so only the timeout can end it.
    std::fs::write(
        p.path().join("pipelines/models/zz_endless.sql"),
        "-- name: zz_endless\n-- description: d\n-- unit: u\n-- grain: g\n\
         SELECT sum(value) AS s FROM generate_series(1, 1000000000000)\n",
    )
    .unwrap();
    let cfg = p.config();
    let run = p.friktion(&[
        "run",
        "--config",
        cfg.to_str().unwrap(),
        "--query-timeout",
        "2",
    ]);
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(err.contains("zz_endless"), "{err}");
    assert!(
        err.contains("ran longer than 2 s and was stopped (--query-timeout)"),
        "{err}"
    );
    // The marts are one transaction: none of the night's marts was committed.
    assert!(!p.lake().join("marts").exists());
    let zero = p.friktion(&[
        "run",
        "--config",
        cfg.to_str().unwrap(),
        "--query-timeout",
        "0",
    ]);
    assert!(!zero.status.success());
    assert!(
        text(&zero.stderr).contains("--query-timeout"),
        "{}",
        text(&zero.stderr)
    );
}

/// Every result of the last run (test, status, failing rows, observed figure), freshness left
/// out: its age moves with the clock between two runs.
fn all_results(p: &Project) -> Vec<String> {
    p.sql_csv(
        "SELECT target, test, status, failing_rows, observed FROM _tests \
         WHERE run_id = (SELECT MAX(run_id) FROM _tests) AND test NOT LIKE 'freshness%' \
         ORDER BY target, test",
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// (queried, kept) from the summary's data-tests line.
fn parts(out: &str) -> (usize, usize) {
    let line = out
        .lines()
        .find(|l| l.contains("table parts queried"))
        .unwrap_or_else(|| panic!("no data-tests line in {out}"));
    let n = |word: &str| -> usize {
        let before = &line[..line.find(word).unwrap()];
        before.split_whitespace().last().unwrap().parse().unwrap()
    };
    (n(" table parts queried"), n(" kept from the last run"))
}

#[test]
fn a_night_queries_only_the_changed_partitions_and_finds_what_the_whole_table_gives() {
    let p = Project::new();
    // Tests whose figures are not zero on the sample: rows over 300 ms, the row count, and
    // duplicates within a day (by partition) and across days (the whole table: a latency seen
    // again on another day is a new duplicate).
    let sources = p.path().join("pipelines/sources.toml");
    let mut toml = std::fs::read_to_string(&sources).unwrap();
    toml.push_str(
        "\n[[source]]\ntable = \"it_event\"\n\
         [[source.test]]\nrange = { column = \"latency_ms\", max = 300 }\nseverity = \"warn\"\n\
         [[source.test]]\nrow_count_change = { max_percent = 1000 }\n\
         [[source.test]]\nunique = [\"day\", \"kommun_kod\", \"system_id\"]\nseverity = \"warn\"\n\
         [[source.test]]\nunique = [\"kommun_kod\", \"system_id\", \"latency_ms\"]\nseverity = \"warn\"\n",
    );
    std::fs::write(&sources, toml).unwrap();
    let first = p.run();
    assert_ok(&first);
    let (queried, kept) = parts(&text(&first.stdout));
    assert!(queried > 0 && kept == 0, "{queried} {kept}");
    let over = |p: &Project| count(p, "SELECT COUNT(*) FROM it_event WHERE latency_ms > 300");
    let before = over(&p);
    assert!(before > 0);
    let across_days = |p: &Project| {
        all_results(p)
            .into_iter()
            .find(|l| l.contains("unique(kommun_kod, system_id, latency_ms)"))
            .unwrap()
    };
    let across_before = across_days(&p);

    // One more day of logs (the last 300 events of the sample, a day later) and the same
    // events again on their own day, so a partition the first night measured changes too.
    let logs = std::fs::read_to_string(p.path().join("sample-data/logs/webapps.ndjson")).unwrap();
    let lines: Vec<&str> = logs.lines().collect();
    let last = &lines[lines.len() - 300..];
    assert!(last.iter().all(|l| l.contains("2026-10-30T")));
    let day: String = last
        .iter()
        .map(|l| l.replace("2026-10-30T", "2026-10-31T") + "\n")
        .chain(last.iter().map(|l| format!("{l}\n")))
        .collect();
    std::fs::write(p.path().join("sample-data/logs/more.ndjson"), day).unwrap();
    let second = p.run();
    assert_ok(&second);
    let (queried, kept) = parts(&text(&second.stdout));
    assert!(kept > 0, "nothing kept: {queried} {kept}");
    let with_memory = all_results(&p);
    let range = with_memory
        .iter()
        .find(|l| l.starts_with("it_event,range(latency_ms)"))
        .unwrap()
        .clone();
    assert!(over(&p) > before, "the new day adds slow events");
    assert!(range.contains(&format!(",{},", over(&p))), "{range}");
    assert_ne!(
        across_days(&p),
        across_before,
        "the new day repeats latencies"
    );

    // Every figure is what measuring the whole lake afresh gives.
    let full = p.friktion(&["run", "--config", p.config().to_str().unwrap(), "--full"]);
    assert_ok(&full);
    assert_eq!(parts(&text(&full.stdout)).1, 0);
    assert_eq!(all_results(&p), with_memory);
}
