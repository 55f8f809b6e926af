use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use friktion_core::LakeTable;
use friktion_lake::{Lake, Ledger};

use crate::{Project, assert_ok, text};

fn row_counts(p: &Project) -> BTreeMap<String, i64> {
    let o = p.friktion(&[
        "lake",
        "describe",
        "--json",
        "--lake",
        p.lake().to_str().unwrap(),
    ]);
    assert_ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["rows"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn strings(batches: &[RecordBatch], c: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name(c)
                .unwrap()
                .as_string::<i32>()
                .iter()
                .map(|s| s.map(String::from))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn demo_run_prints_a_summary_and_leaves_lake_and_report() {
    let p = Project::new();
    let o = p.run();
    assert_ok(&o);
    let out = text(&o.stdout);
    for needle in [
        "rows in",
        "quarantined",
        "tables",
        "survey_response",
        "friction_by_kommun",
        "report",
    ] {
        assert!(out.contains(needle), "summary lacks {needle}:\n{out}");
    }
    assert!(
        text(&o.stderr).contains("demo pseudonymisation key"),
        "the demo key must be announced"
    );
    let report = crate::report_path(&out).to_string_lossy().into_owned();
    assert!(
        report.ends_with("index.html") && report.contains("notebooks-out"),
        "{report}"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<svg"), "the report has an inline SVG chart");
    // The methods page states the suppression rule and every cost assumption set in the lake.
    let methods =
        std::fs::read_to_string(std::path::Path::new(&report).with_file_name("methods.html"))
            .unwrap();
    assert!(html.contains("<a href=\"methods.html\">Metod och källor</a>"));
    for needle in [
        "Röjandeskydd",
        "färre än 5 svar",
        "kommun-2019 (v1)",
        "vision-2014 (v1)",
        "39,15&nbsp;%",
    ] {
        assert!(methods.contains(needle), "methods.html lacks {needle}");
    }
    assert!(html.contains("<table>") && html.contains("Minuter per dag"));
    // Self-contained as a directory: nothing is fetched from elsewhere (an SVG's xmlns is a
    // name, not a request). The only url()s are the report's own font files beside the page.
    assert_eq!(html.matches("url(").count(), 2, "regular and bold");
    let dir = crate::report_path(&out).parent().unwrap().to_path_buf();
    for font in ["fonts/friktion-sans.woff", "fonts/friktion-sans-bold.woff"] {
        assert!(html.contains(&format!("url({font})")), "{font} not named");
        for at in [dir.join(font), dir.join("kommun").join(font)] {
            assert_eq!(
                &std::fs::read(&at).unwrap()[..4],
                b"wOFF",
                "{}",
                at.display()
            );
        }
    }
    for fetch in ["src=\"http", "href=\"http", "@import", "<script", "<link"] {
        assert!(
            !html.contains(fetch),
            "the report would fetch something: {fetch}"
        );
    }

    let counts = row_counts(&p);
    assert_eq!(counts["municipality"], 290);
    assert_eq!(counts["county"], 21);
    assert!(counts["survey_response"] > 500, "{counts:?}");
    assert!(counts["friction_by_kommun"] >= 12, "{counts:?}");
    let rows_in: i64 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("rows in"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Every row read is either loaded or quarantined: nothing is silently dropped.
    let lake = Lake::open_read(p.lake()).unwrap();
    let q = lake.read_table(&LakeTable::SurveyQuarantine.def()).unwrap();
    let rejected = strings(&q, "action")
        .iter()
        .filter(|a| a.as_deref() == Some("row_rejected"))
        .count() as i64;
    let log_rejected = lake
        .read_table(&LakeTable::LogQuarantine.def())
        .unwrap()
        .iter()
        .map(|b| b.num_rows() as i64)
        .sum::<i64>();
    let project_rejected = strings(
        &lake
            .read_table(&LakeTable::ProjectQuarantine.def())
            .unwrap(),
        "action",
    )
    .iter()
    .filter(|a| a.as_deref() == Some("row_rejected"))
    .count() as i64;
    assert!(counts["it_event"] > 5000, "{counts:?}");
    assert_eq!(
        rows_in,
        counts["municipality"]
            + counts["county"]
            + counts["peer_group_member"]
            + counts["survey_response"]
            + rejected
            + counts["it_event"]
            + log_rejected
            + counts["key_factor"]
            + counts["cost_assumption"]
            + counts["project"]
            + project_rejected
            + counts["kolada_kpi"]
            + counts["kolada_value"]
    );
    assert!(rejected > 0, "the bundled sample has realistic defects");
    // Both instruments' files are in the lake: the Vision CSVs and the staff-survey workbooks.
    let responses = lake.read_table(&LakeTable::SurveyResponse.def()).unwrap();
    let mut files = strings(&responses, "source_file");
    files.sort();
    files.dedup();
    let files: Vec<String> = files.into_iter().flatten().collect();
    assert!(
        files
            .iter()
            .any(|f| f.ends_with(".xlsx") && f.contains("medarbetarenkat")),
        "{files:?}"
    );
    assert_eq!(
        files
            .iter()
            .filter(|f| f.starts_with("sample-data/survey/vision-"))
            .count(),
        2
    );
    // The Vision waves are post-stratified: weights are not all 1.
    let w: Vec<f64> = responses
        .iter()
        .flat_map(|b| {
            b.column_by_name("weight")
                .unwrap()
                .as_primitive::<arrow::datatypes::Float64Type>()
                .values()
                .to_vec()
        })
        .collect();
    assert!(w.iter().any(|w| *w > 1.0), "post-stratified weights");
}

#[test]
fn a_second_run_skips_unchanged_files_and_leaves_the_same_rows() {
    let p = Project::new();
    assert_ok(&p.run());
    let first = row_counts(&p);
    let o = p.run();
    assert_ok(&o);
    assert!(
        text(&o.stdout).contains("0 ingested"),
        "{}",
        text(&o.stdout)
    );
    let second = row_counts(&p);
    for (t, n) in &first {
        // The ledger and the data-test results keep one set of rows per run.
        if t != "_ledger" && t != "_tests" {
            assert_eq!(second[t], *n, "{t} changed on a rerun");
        }
    }
    let ledger = Ledger::load(&Lake::open_read(p.lake()).unwrap()).unwrap();
    let runs: Vec<&str> = {
        let mut r: Vec<&str> = ledger.entries().iter().map(|e| e.run_id.as_str()).collect();
        r.dedup();
        r
    };
    assert_eq!(runs.len(), 2);
    let second_run: Vec<_> = ledger
        .entries()
        .iter()
        .filter(|e| e.run_id == runs[1])
        .collect();
    let first_run = ledger
        .entries()
        .iter()
        .filter(|e| e.run_id == runs[0])
        .count();
    assert_eq!(
        second_run.len(),
        first_run,
        "every source is accounted for in both runs"
    );
    assert!(
        first_run >= 5,
        "reference, two Vision waves, two staff surveys"
    );
    assert!(
        second_run
            .iter()
            .all(|e| e.action == friktion_core::LedgerAction::Skipped),
        "{second_run:#?}"
    );
}

#[test]
fn a_malformed_row_is_quarantined_with_its_line_and_the_run_finishes() {
    let p = Project::new();
    let file = p.path().join("sample-data/survey/vision-2021.csv");
    let wave =
        std::fs::read_to_string(p.path().join("sample-data/survey/vision-2019.csv")).unwrap();
    let mut lines: Vec<&str> = wave.lines().take(4).collect();
    lines.push("V9999999;Kommun;Atlantis;Skola;Lärare;30;Nej;Nej;Instämmer helt;Instämmer helt;Instämmer helt;;2021-10-01 10:00");
    std::fs::write(&file, lines.join("\r\n") + "\r\n").unwrap();
    let o = p.run();
    assert_ok(&o);
    let out = text(&o.stdout);
    assert!(out.contains("quarantined"), "{out}");
    let lake = Lake::open_read(p.lake()).unwrap();
    let q = lake.read_table(&LakeTable::SurveyQuarantine.def()).unwrap();
    let files = strings(&q, "source_file");
    let reasons = strings(&q, "reason");
    let lines_col: Vec<Option<i64>> = q
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name("source_line")
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>();
            (0..a.len())
                .map(|i| (!a.is_null(i)).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect();
    let hit = (0..files.len())
        .find(|&i| {
            files[i].as_deref() == Some("sample-data/survey/vision-2021.csv")
                && reasons[i]
                    .as_deref()
                    .is_some_and(|r| r.contains("Atlantis"))
        })
        .expect("a quarantine record for the new file's bad row");
    assert_eq!(lines_col[hit], Some(5));
    assert!(
        reasons[hit]
            .as_deref()
            .unwrap()
            .contains("unknown municipality 'Atlantis'")
    );
}

#[test]
fn without_a_key_and_without_demo_permission_the_run_refuses() {
    let p = Project::new();
    let cfg = std::fs::read_to_string(p.config())
        .unwrap()
        .replace("allow_demo_key = true", "allow_demo_key = false");
    std::fs::write(p.config(), cfg).unwrap();
    let o = p.run();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("FRIKTION_PSEUDO_KEY"),
        "{}",
        text(&o.stderr)
    );
    assert!(!p.lake().join("survey_response").exists());
}

#[test]
fn every_subcommand_has_help() {
    let p = Project::new();
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["synth", "--help"],
        &["lake", "--help"],
        &["lake", "describe", "--help"],
    ] {
        let o = p.friktion(args);
        assert_ok(&o);
        assert!(text(&o.stdout).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn synth_is_deterministic_for_a_seed() {
    let p = Project::new();
    let synth = |dir: &str, seed: &str| {
        let out = p.path().join(dir);
        let o = p.friktion(&[
            "synth",
            "--out",
            out.to_str().unwrap(),
            "--seed",
            seed,
            "--kommuner",
            "3",
            "--respondents",
            "20",
        ]);
        assert_ok(&o);
        std::fs::read(out.join("survey/vision-2019.csv")).unwrap()
    };
    let a = synth("a", "7");
    assert_eq!(a, synth("b", "7"));
    assert_ne!(a, synth("c", "8"));
    for f in [
        "logs/webapps.ndjson",
        "logs/auth.syslog",
        "projects/projects.csv",
    ] {
        assert!(
            p.path().join("a").join(f).metadata().unwrap().len() > 0,
            "{f}"
        );
    }
}

#[test]
fn a_key_from_the_environment_replaces_the_demo_key() {
    let keys = |p: &Project| -> Vec<Option<String>> {
        let lake = Lake::open_read(p.lake()).unwrap();
        let mut k = strings(
            &lake.read_table(&LakeTable::SurveyResponse.def()).unwrap(),
            "respondent_key",
        );
        k.sort();
        k
    };
    let demo = Project::new();
    assert_ok(&demo.run());
    let real = Project::new();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args(["run", "--config", real.config().to_str().unwrap()])
        .env(
            "FRIKTION_PSEUDO_KEY",
            "a real key, kept apart from the data",
        )
        .output()
        .unwrap();
    assert_ok(&o);
    assert!(!text(&o.stderr).contains("demo"), "{}", text(&o.stderr));
    let (a, b) = (keys(&demo), keys(&real));
    assert_eq!(a.len(), b.len());
    assert!(
        a.iter().all(|k| !b.contains(k)),
        "another key must give other pseudonyms"
    );

    let short = Project::new();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args(["run", "--config", short.config().to_str().unwrap()])
        .env("FRIKTION_PSEUDO_KEY", "short")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("at least 16"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn the_workspace_links_exactly_one_arrow_and_parquet() {
    // DataFusion 55 is built on arrow/parquet 59; two majors in the lock would mean two arrows.
    let lock = std::fs::read_to_string(crate::workspace().join("Cargo.lock")).unwrap();
    for krate in ["arrow", "arrow-array", "parquet", "datafusion"] {
        let versions: Vec<&str> = lock
            .split("[[package]]")
            .filter(|p| p.contains(&format!("\nname = \"{krate}\"\n")))
            .filter_map(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .collect();
        assert_eq!(versions.len(), 1, "{krate}: {versions:?}");
        let major = if krate == "datafusion" {
            "\"55."
        } else {
            "\"59."
        };
        assert!(versions[0].starts_with(major), "{krate} {}", versions[0]);
    }
}

/// The English report has every label from the translation table in English: no Swedish label
/// is left on the page, and numbers are written the English way.
#[test]
fn the_report_in_english_has_no_swedish_label_left() {
    let p = Project::new();
    let o = p.friktion(&[
        "run",
        "--config",
        p.config().to_str().unwrap(),
        "--lang",
        "en",
    ]);
    assert_ok(&o);
    let out = text(&o.stdout);
    let html = std::fs::read_to_string(crate::report_path(&out)).unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    no_swedish_label(&html, "the English index");
    let methods =
        std::fs::read_to_string(crate::report_path(&out).with_file_name("methods.html")).unwrap();
    assert!(
        methods.contains("<h1>Methods and sources</h1>") && methods.contains("kommun-region-2019")
    );
    no_swedish_label(&methods, "the English methods page");
    assert!(html.contains("All respondents") && html.contains("Time to implementation"));
    // The municipality pages too.
    let dir = crate::report_path(&out).parent().unwrap().join("kommun");
    let pages: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    assert!(pages.len() >= 12, "{pages:?}");
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        assert!(html.contains("<html lang=\"en\">") && html.contains("Rank in the country"));
        no_swedish_label(&html, &page.display().to_string());
    }
    // 1,142 respondents and decimals with a point; no Swedish decimal comma in the tables.
    assert!(!html.contains("<td class=\"num\">30,9</td>"));
}

/// No Swedish label from the translation table (its longer fragments) is on an English page.
fn no_swedish_label(html: &str, what: &str) {
    for (key, sv, en) in friktion_report::i18n::texts().entries() {
        if sv == en {
            continue;
        }
        for fragment in sv
            .split("{}")
            .map(str::trim)
            .filter(|f| f.chars().count() >= 8)
        {
            assert!(
                !html.contains(fragment),
                "{key}: Swedish '{fragment}' on {what}"
            );
        }
    }
}
