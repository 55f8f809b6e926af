//! `friktion ingest logs|survey|projects|kolada FILE…`: an analyst loads a new export by hand,
//! through the same code as the nightly run.

use crate::{Project, assert_ok, text, workspace};

#[test]
fn named_files_load_with_the_summary_ledger_and_quarantine_of_a_run() {
    let p = Project::new();
    assert_ok(&p.run());
    let cfg = p.config();
    let cfg = cfg.to_str().unwrap();
    // A Windows export from somewhere else on disk, one record of it broken.
    let outside = tempfile::tempdir().unwrap();
    let events = outside.path().join("säkerhet [oktober].csv");
    let fixture = std::fs::read_to_string(
        workspace().join("crates/ingest-logs/tests/fixtures/winevent-en-us.csv"),
    )
    .unwrap();
    std::fs::write(
        &events,
        fixture.replacen("\"10/26/2026 1:15:02 PM\"", "\"the 26th\"", 1),
    )
    .unwrap();
    let o = p.friktion(&["ingest", "logs", events.to_str().unwrap(), "--config", cfg]);
    assert_ok(&o);
    let out = text(&o.stdout);
    let name = events.display().to_string();
    assert!(
        out.contains(&format!(
            "ingested    {name}: 3 rows read, 2 written, 1 quarantined"
        )),
        "{out}"
    );
    assert!(
        out.contains("log model   it_friction_daily recomputed"),
        "{out}"
    );
    assert!(!out.contains("  marts"), "no models: {out}");
    let sql = |q: &str| p.sql_csv(q);
    let esc = name.replace('\'', "''");
    assert_eq!(
        sql(&format!(
            "SELECT COUNT(*) AS n FROM it_event WHERE source_file = '{esc}'"
        )),
        "n\n2\n"
    );
    let q = sql(&format!(
        "SELECT source_line, reason FROM log_quarantine WHERE source_file = '{esc}'"
    ));
    assert!(
        q.contains("27,timestamp 'the 26th' is not a time friktion reads"),
        "{q}"
    );
    assert!(sql("SELECT COUNT(*) AS n FROM _ledger WHERE source_kind = 'logs'").contains('3'));

    // Again: unchanged, skipped; --force loads it again.
    let o = p.friktion(&["ingest", "logs", events.to_str().unwrap(), "--config", cfg]);
    assert!(
        text(&o.stdout).contains(&format!("skipped     {name}")),
        "{}",
        text(&o.stdout)
    );
    let o = p.friktion(&[
        "ingest",
        "logs",
        "--force",
        events.to_str().unwrap(),
        "--config",
        cfg,
    ]);
    assert!(
        text(&o.stdout).contains(&format!("replaced    {name}")),
        "{}",
        text(&o.stdout)
    );

    // The nightly run keeps the rows and says the file is not among its sources.
    let o = p.run();
    assert_ok(&o);
    assert!(
        text(&o.stderr).contains(&format!(
            "{name}: loaded before, no longer among the sources; its rows are kept"
        )),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        sql(&format!(
            "SELECT COUNT(*) AS n FROM it_event WHERE source_file = '{esc}'"
        )),
        "n\n2\n"
    );

    // A survey wave, a portfolio export and a Kolada download, each through its own reader.
    let wave = outside.path().join("vision-test.csv");
    std::fs::copy(p.path().join("sample-data/survey/vision-2019.csv"), &wave).unwrap();
    let o = p.friktion(&[
        "ingest",
        "survey",
        wave.to_str().unwrap(),
        "--instrument",
        p.path()
            .join("pipelines/instruments/vision-it-strul.toml")
            .to_str()
            .unwrap(),
        "--wave",
        "prov-2019",
        "--config",
        cfg,
    ]);
    assert_ok(&o);
    assert!(
        text(&o.stdout).contains("survey_response"),
        "{}",
        text(&o.stdout)
    );
    let n = sql("SELECT COUNT(*) AS n FROM survey_response WHERE wave_id = 'prov-2019'");
    assert!(
        n.lines().nth(1).unwrap().parse::<i64>().unwrap() > 400,
        "{n}"
    );

    let kolada = outside.path().join("kolada.csv");
    std::fs::write(
        &kolada,
        "kpi;municipality;period;gender;value;count;status\nU21341;0180;2024;T;2;1;\nU21341;9999;2024;T;2;1;\n",
    )
    .unwrap();
    let o = p.friktion(&[
        "ingest",
        "kolada",
        kolada.to_str().unwrap(),
        "--config",
        cfg,
    ]);
    assert_ok(&o);
    assert!(
        text(&o.stdout).contains(&format!(
            "ingested    {}: 2 rows read, 1 written, 1 quarantined",
            kolada.display()
        )),
        "{}",
        text(&o.stdout)
    );
    let projects = outside.path().join("portfolj.csv");
    std::fs::copy(
        p.path().join("sample-data/projects/projects.csv"),
        &projects,
    )
    .unwrap();
    let o = p.friktion(&[
        "ingest",
        "projects",
        projects.to_str().unwrap(),
        "--mapping",
        p.path()
            .join("pipelines/projects/portfolio.toml")
            .to_str()
            .unwrap(),
        "--data-date",
        "2026-11-01",
        "--config",
        cfg,
    ]);
    assert_ok(&o);
    assert!(
        text(&o.stdout).contains("ingested    "),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn bad_flags_and_missing_files_are_named() {
    let p = Project::new();
    let cfg = p.config();
    let cfg = cfg.to_str().unwrap();
    let o = p.friktion(&["ingest", "logs", "nowhere.log", "--config", cfg]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("nowhere.log: no such file"),
        "{}",
        text(&o.stderr)
    );
    let log = p.path().join("sample-data/logs/auth.syslog");
    let o = p.friktion(&[
        "ingest",
        "logs",
        log.to_str().unwrap(),
        "--format",
        "evtx",
        "--config",
        cfg,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("unknown variant `evtx`"),
        "{}",
        text(&o.stderr)
    );
    let o = p.friktion(&[
        "ingest",
        "logs",
        log.to_str().unwrap(),
        "--field",
        "user",
        "--config",
        cfg,
    ]);
    assert!(
        text(&o.stderr).contains("--field user: say FIELD=NAME"),
        "{}",
        text(&o.stderr)
    );
    let o = p.friktion(&["ingest", "survey", log.to_str().unwrap(), "--config", cfg]);
    assert_eq!(o.status.code(), Some(2), "clap: --instrument is required");
}
