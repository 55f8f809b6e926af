//! `friktion sql`: queries only, over the lake's tables and marts, with limits.

use crate::{Project, assert_ok, text};

fn sql(p: &Project, args: &[&str]) -> std::process::Output {
    let lake = p.lake();
    let mut all = vec!["sql", "--lake", lake.to_str().unwrap()];
    all.extend_from_slice(args);
    p.friktion(&all)
}

fn refused(p: &Project, query: &str, says: &str) {
    let o = sql(p, &["-e", query]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{query} ran:\n{}",
        text(&o.stdout)
    );
    let err = text(&o.stderr);
    assert!(err.contains(says), "{query}: {err}");
    assert!(o.stdout.is_empty(), "{query} printed {}", text(&o.stdout));
}

#[test]
fn statements_that_write_or_reach_outside_the_lake_are_refused() {
    let p = Project::new();
    assert_ok(&p.run());
    refused(
        &p,
        "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'",
        "friktion sql runs queries only: CREATE EXTERNAL TABLE is refused",
    );
    let target = p.path().join("copied.csv");
    refused(
        &p,
        &format!("COPY (SELECT * FROM project) TO '{}'", target.display()),
        "COPY … TO is refused",
    );
    assert!(!target.exists(), "COPY wrote a file");
    refused(
        &p,
        "SET datafusion.execution.target_partitions = 64",
        "SET is refused",
    );
    refused(
        &p,
        "SELECT * FROM '/etc/passwd'",
        "'/etc/passwd' is a file path: friktion sql reads only the lake's tables and marts",
    );
    refused(
        &p,
        "SELECT * FROM project p JOIN 'sample-data/projects/projects.csv' c ON true",
        "is a file path",
    );
    refused(
        &p,
        "INSERT INTO project SELECT * FROM project",
        "INSERT is refused",
    );
    refused(&p, "DROP TABLE project", "DROP TABLE is refused");
    refused(&p, "CREATE VIEW v AS SELECT 1", "CREATE VIEW is refused");
    refused(
        &p,
        "SELECT * FROM no_such_table",
        "there is no table 'no_such_table'",
    );
    // A refused statement in a script stops it before anything after it runs.
    let o = sql(
        &p,
        &["-e", "SELECT 1 AS first; SET x = 1; SELECT 3 AS third"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("first") && !text(&o.stdout).contains("third"));
}

#[test]
fn queries_run_over_tables_and_marts_in_every_output_format() {
    let p = Project::new();
    assert_ok(&p.run());
    let q = "SELECT dimension, grp, n_projects FROM time_to_go_live WHERE dimension = 'track' ORDER BY grp";
    let csv = sql(&p, &["--format", "csv", "-e", q]);
    assert_ok(&csv);
    let lines: Vec<String> = text(&csv.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines[0], "dimension,grp,n_projects");
    assert_eq!(
        lines[1..]
            .iter()
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect::<Vec<_>>(),
        ["annan", "omsorg", "skola"]
    );
    let json = sql(&p, &["--format", "json", "-e", q]);
    assert_ok(&json);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let total: i64 = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["n_projects"].as_i64().unwrap())
        .sum();
    let all = sql(
        &p,
        &[
            "--format",
            "csv",
            "-e",
            "SELECT COUNT(*) AS n FROM project_time_to_go_live",
        ],
    );
    assert_eq!(text(&all.stdout).lines().nth(1).unwrap(), total.to_string());
    let out = p.path().join("projects.parquet");
    let pq = sql(
        &p,
        &[
            "--format",
            "parquet",
            "-o",
            out.to_str().unwrap(),
            "-e",
            "SELECT * FROM project",
        ],
    );
    assert_ok(&pq);
    let rows: usize =
        parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&out).unwrap())
            .map(|r| {
                use parquet::file::reader::FileReader;
                r.metadata().file_metadata().num_rows() as usize
            })
            .unwrap();
    assert!(rows > 200, "{rows}");
    // A table with its columns, as \d NAME shows them, through information_schema.
    let d = sql(
        &p,
        &[
            "--format",
            "csv",
            "-e",
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'project' ORDER BY ordinal_position",
        ],
    );
    assert!(
        text(&d.stdout).starts_with("column_name\nproject_id\nkommun_kod\n"),
        "{}",
        text(&d.stdout)
    );
    // Statements from a file and from standard input.
    let f = p.path().join("q.sql");
    std::fs::write(&f, "-- two queries\nSELECT 1 AS a;\nSELECT 2 AS b;\n").unwrap();
    let o = sql(&p, &["--format", "csv", "-f", f.to_str().unwrap()]);
    assert_eq!(text(&o.stdout), "a\n1\nb\n2\n");
}

#[test]
fn a_query_past_its_time_or_memory_is_stopped_with_the_reason() {
    let p = Project::new();
    assert_ok(&p.run());
    let started = std::time::Instant::now();
    let o = sql(
        &p,
        &[
            "--timeout",
            "1",
            "-e",
            "SELECT SUM(a.status + b.status + c.status) FROM it_event a, it_event b, it_event c",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("ran longer than 1 s and was stopped"),
        "{}",
        text(&o.stderr)
    );
    assert!(
        started.elapsed().as_secs() < 60,
        "the timeout did not stop the query"
    );
    let o = sql(
        &p,
        &[
            "--memory-mb",
            "1",
            "-e",
            "SELECT message, path, host FROM it_event ORDER BY message, path, host",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("--memory-mb"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn without_a_lake_it_says_what_to_do() {
    let p = Project::new();
    let o = sql(&p, &["-e", "SELECT 1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("is not a friktion lake")
            && text(&o.stderr).contains("friktion run")
    );
}

/// The shell on a terminal (util-linux `script` gives it one): a statement over two lines,
/// \d NAME, \timing, a refusal that does not end the session, and history kept for next time.
#[test]
fn the_interactive_shell_runs_statements_and_backslash_commands_and_keeps_history() {
    let p = Project::new();
    assert_ok(&p.run());
    let lines = [
        "SELECT COUNT(*) AS n",
        "FROM project;",
        "\\d project",
        "\\timing",
        "SET x = 1;",
        "SELECT 41 + 1 AS answer;",
        "\\q",
    ];
    let feed: String = lines
        .iter()
        .map(|l| format!("printf '%s\\r' '{l}'; sleep 0.4; "))
        .collect();
    let bin = env!("CARGO_BIN_EXE_friktion");
    let state = p.path().join("state");
    let cmd = format!(
        "({feed} sleep 1) | script -qc '{bin} sql --lake {}' /dev/null",
        p.lake().display()
    );
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .env("XDG_STATE_HOME", &state)
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert!(
        out.contains("| data_date          | Date32    | NO          |"),
        "{out}"
    );
    assert!(out.contains("SET is refused"), "{out}");
    assert!(
        out.contains("| 42     |") && out.contains("row(s) in"),
        "{out}"
    );
    let history = std::fs::read_to_string(state.join("friktion/sql_history")).unwrap();
    assert!(history.contains("SELECT 41 + 1 AS answer;"), "{history}");
}
