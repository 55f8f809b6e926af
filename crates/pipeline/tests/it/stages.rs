//! The run through the library: what it loads, what it tells its observer, how it fails.

use std::sync::Mutex;

use friktion_core::LedgerAction;
use friktion_pipeline::{Event, Pipeline, PipelineError, RunOptions, Stage};

use crate::Project;

#[test]
fn the_demo_run_loads_every_source_and_writes_marts_and_report() {
    let p = Project::new();
    let ran = p.run();
    let s = ran.ok();
    assert_eq!(s.sources.len(), 13);
    assert_eq!(s.count(LedgerAction::Ingested), 13);
    let table = |name: &str| s.tables.iter().find(|(t, _)| t == name).map(|(_, n)| *n);
    assert_eq!(table("municipality"), Some(290));
    assert_eq!(table("county"), Some(21));
    assert!(table("survey_response").unwrap() > 1000);
    assert!(table("it_event").unwrap() > 5000);
    assert!(
        s.marts
            .iter()
            .any(|(m, n)| m == "friction_by_kommun" && *n > 0)
    );
    assert!(s.report.as_ref().unwrap().is_file());
    assert!(s.kolada.as_ref().unwrap().is_file());
    assert!(
        s.rows_quarantined() > 0,
        "the sample has defects to quarantine"
    );
    let stages: Vec<Stage> = s.timings.iter().map(|(st, _)| *st).collect();
    assert_eq!(
        stages,
        [
            Stage::Surveys,
            Stage::Logs,
            Stage::LogModel,
            Stage::Projects,
            Stage::Kolada,
            Stage::SqlModels,
            Stage::DataTests,
            Stage::Publication,
            Stage::Report
        ]
    );
}

#[test]
fn a_second_run_skips_every_source_and_keeps_the_same_rows() {
    let p = Project::new();
    let (first, second) = (p.run(), p.run());
    let (first, second) = (first.ok(), second.ok());
    assert_eq!(
        second.count(LedgerAction::Skipped),
        13,
        "{:?}",
        second.sources
    );
    assert_eq!(second.rows_in(), 0);
    let no_ledger = |t: &[(String, i64)]| -> Vec<(String, i64)> {
        t.iter()
            .filter(|(n, _)| n != "_ledger" && n != "_tests")
            .cloned()
            .collect()
    };
    assert_eq!(no_ledger(&first.tables), no_ledger(&second.tables));
    assert_eq!(first.marts, second.marts);
}

#[test]
fn the_observer_hears_each_source_and_each_stage_and_the_library_prints_nothing() {
    let p = Project::new();
    let events = Mutex::new(Vec::new());
    let record = |e: Event| events.lock().unwrap().push(e);
    let s = Pipeline::load(&p.config())
        .unwrap()
        .with_observer(&record)
        .run(&RunOptions::default())
        .unwrap();
    let events = events.into_inner().unwrap();
    let sources = events
        .iter()
        .filter(|e| matches!(e, Event::Source(_)))
        .count();
    assert_eq!(sources, s.sources.len());
    let stages: Vec<Stage> = events
        .iter()
        .filter_map(|e| match e {
            Event::StageFinished { stage, .. } => Some(*stage),
            _ => None,
        })
        .collect();
    assert_eq!(stages.len(), 9);
    assert!(events.iter().any(|e| matches!(e, Event::DemoKey { .. })));
    // The sample's logs are weeks old: the freshness test warns, it does not fail.
    assert!(
        s.tests
            .iter()
            .any(|t| t.status != "pass" && t.severity == "warn")
    );
    assert!(!s.tests.iter().any(|t| t.is_error()));
}

#[test]
fn a_model_renamed_fails_the_run_at_start_naming_the_section_and_the_model() {
    let p = Project::new();
    let models = p.path().join("pipelines/models");
    let sql = std::fs::read_to_string(models.join("friction_cost.sql")).unwrap();
    std::fs::remove_file(models.join("friction_cost.sql")).unwrap();
    std::fs::write(
        models.join("friction_cost_v2.sql"),
        sql.replace("-- name: friction_cost", "-- name: friction_cost_v2"),
    )
    .unwrap();
    let e = p.run_with(&RunOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            PipelineError::ReportInput {
                section: "yearly cost",
                model: "friction_cost",
                ..
            }
        ),
        "{e:?}"
    );
    let msg = friktion_core::error_chain(&e);
    assert!(
        msg.contains("yearly cost") && msg.contains("friction_cost"),
        "{msg}"
    );
    // Nothing was ingested: the lake was never opened.
    assert!(!p.lake().join("_ledger").exists());
}

#[test]
fn models_run_in_the_datafusion_context_the_caller_hands_over() {
    // A context without friktion's functions: the models that need them fail, naming them,
    // so the run did use the context it was given.
    let bare = Project::new();
    let e = Pipeline::load(&bare.config())
        .unwrap()
        .with_context(friktion_query::SessionContext::new())
        .run(&RunOptions::default())
        .unwrap_err();
    let msg = friktion_core::error_chain(&e);
    assert!(
        msg.contains("km_quantile") || msg.contains("logrank") || msg.contains("cox"),
        "{msg}"
    );
    // A context made as the pipeline makes its own gives the same marts, byte for byte.
    let (local, given) = (Project::new(), Project::new());
    local.run().ok();
    let opts = friktion_query::SessionOptions {
        target_partitions: 1,
        ..Default::default()
    };
    let s = Pipeline::load(&given.config())
        .unwrap()
        .with_context(friktion_query::local_context(&opts).unwrap())
        .run(&RunOptions::default())
        .unwrap();
    assert_eq!(s.exit_code(), 0);
    let marts = |p: &Project| crate::hashes(&p.lake().join("marts"), None);
    assert_eq!(marts(&local), marts(&given));
}

#[test]
fn sql_sees_the_publication_as_schema_published_hiding_what_the_report_hides() {
    let p = Project::new();
    p.set_min_cell(20);
    let o = p.run();
    o.ok();
    let hidden_in_sql = p.sql_csv(
        "SELECT wave_id, kommun_kod FROM published.friction_by_kommun \
         WHERE status = '..' AND mean_minutes IS NULL AND n IS NULL ORDER BY wave_id, kommun_kod",
    );
    let leaked = p.sql_csv(
        "SELECT count(*) AS n FROM published.friction_by_kommun \
         WHERE status = '..' AND (mean_minutes IS NOT NULL OR n IS NOT NULL)",
    );
    assert_eq!(leaked, "n\n0\n");
    // The same kommuner are ".." in the report's CSV of each wave.
    let data = o.report().parent().unwrap().join("data");
    let mut hidden_in_report = Vec::new();
    for e in std::fs::read_dir(&data).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(wave) = name
            .strip_prefix("friction_")
            .and_then(|w| w.strip_suffix(".csv"))
            .filter(|w| w.starts_with("vision") || w.starts_with("medarbetar"))
        else {
            continue;
        };
        for line in std::fs::read_to_string(&path).unwrap().lines().skip(1) {
            if line.ends_with(",..,..,..,..,..") {
                hidden_in_report.push(format!("{wave},{}", &line[..4]));
            }
        }
    }
    hidden_in_report.sort();
    let hidden_in_sql: Vec<String> = hidden_in_sql.lines().skip(1).map(str::to_string).collect();
    assert!(!hidden_in_sql.is_empty(), "min_cell 20 hides some kommuner");
    assert_eq!(hidden_in_sql, hidden_in_report);
}

#[test]
fn a_file_whose_size_and_time_are_unchanged_is_skipped_unread_and_verify_reads_it() {
    let p = Project::new();
    // Files written a moment before a run are read again however they look (a time in the
    // same tick as the read is not trusted): make the sources an hour old.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let age = |path: &std::path::Path| {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap()
    };
    for dir in ["survey", "logs"] {
        for f in std::fs::read_dir(p.path().join("sample-data").join(dir)).unwrap() {
            age(&f.unwrap().path());
        }
    }
    p.run().ok();
    // Another answer of the same length, and the file's old time put back: as a copy that
    // keeps times (`cp -p`, a restored backup) would leave it.
    let vision = p.path().join("sample-data/survey/vision-2019.csv");
    let text = std::fs::read_to_string(&vision).unwrap();
    let changed = text.replacen(
        "V1901615;Kommun;Vellinge;Kultur och fritid;Administratör;20;",
        "V1901615;Kommun;Vellinge;Kultur och fritid;Administratör;25;",
        1,
    );
    assert_ne!(text, changed);
    std::fs::write(&vision, &changed).unwrap();
    age(&vision);
    let action = |s: &friktion_pipeline::RunSummary, file: &str| {
        s.sources
            .iter()
            .find(|r| r.file.ends_with(file))
            .map(|r| r.action)
    };

    let second = p.run();
    let second = second.ok();
    assert_eq!(
        second.count(LedgerAction::Skipped),
        13,
        "{:?}",
        second.sources
    );
    assert_eq!(
        action(second, "vision-2019.csv"),
        Some(LedgerAction::Skipped),
        "size and time match: not read, so the change is not seen"
    );

    let verified = p
        .run_with(&RunOptions {
            verify: true,
            ..RunOptions::default()
        })
        .unwrap();
    assert_eq!(
        action(&verified, "vision-2019.csv"),
        Some(LedgerAction::Replaced),
        "--verify hashes it and finds the change"
    );
    assert_eq!(
        verified.count(LedgerAction::Skipped),
        12,
        "{:?}",
        verified.sources
    );

    // The replaced load kept the file's size and time: the next night skips it unread again,
    // and every run's skips are in the ledger.
    let fourth = p.run();
    let fourth = fourth.ok();
    assert_eq!(
        fourth.count(LedgerAction::Skipped),
        13,
        "{:?}",
        fourth.sources
    );
    let ledger =
        friktion_lake::Ledger::load(&friktion_lake::Lake::open(p.lake()).unwrap()).unwrap();
    let skips = ledger
        .entries()
        .iter()
        .filter(|e| e.action == LedgerAction::Skipped)
        .count();
    assert_eq!(skips, 13 + 12 + 13);
    let seen = ledger
        .entries()
        .iter()
        .rev()
        .find(|e| e.source_file.ends_with("vision-2019.csv"))
        .unwrap();
    assert_eq!(seen.stat.map(|s| s.bytes), Some(changed.len() as i64));
}

#[test]
fn the_sources_skipped_in_a_run_are_one_ledger_file() {
    let p = Project::new();
    p.run().ok();
    let files = |p: &Project| std::fs::read_dir(p.lake().join("_ledger")).unwrap().count();
    let after_first = files(&p);
    p.run().ok();
    p.run().ok();
    assert_eq!(
        files(&p),
        after_first + 2,
        "13 skips a run, one file each run"
    );
}

#[test]
fn a_ledger_of_many_files_is_rewritten_as_one_and_still_skips_what_it_knew() {
    use friktion_pipeline::sources::LEDGER_FILES_MAX;
    let p = Project::new();
    p.run().ok();
    let dir = p.lake().join("_ledger");
    let files = || std::fs::read_dir(&dir).unwrap().count();
    // Years of nights, as ledger files: copies of the first night's skip-free files under
    // other names say the same again and again, which is what a ledger of many nights does.
    let first: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut n = 0;
    while files() <= LEDGER_FILES_MAX {
        let src = &first[n % first.len()];
        std::fs::copy(src, dir.join(format!("part-old-{n}.parquet"))).unwrap();
        n += 1;
    }
    let rows = |p: &Project| {
        friktion_lake::Ledger::load(&friktion_lake::Lake::open_read(p.lake()).unwrap())
            .unwrap()
            .entries()
            .len()
    };
    let before = rows(&p);
    // The night after the padding compacts (after writing its skips); the next adds a file.
    for (night, files_after) in [(2, 1), (3, 2)] {
        let ran = p.run();
        let skipped = ran.ok().count(LedgerAction::Skipped);
        assert_eq!((night, skipped), (night, 13), "nothing new, all skipped");
        assert_eq!((night, files()), (night, files_after));
    }
    assert_eq!(
        rows(&p),
        before + 2 * 13,
        "every row kept, the nights' skips added"
    );
}

/// Every mart file's path and modification time.
fn mart_files(p: &Project) -> Vec<(String, std::time::SystemTime)> {
    let mut out = Vec::new();
    for m in std::fs::read_dir(p.lake().join("marts")).unwrap() {
        for f in std::fs::read_dir(m.unwrap().path()).unwrap() {
            let f = f.unwrap();
            out.push((
                f.path().display().to_string(),
                f.metadata().unwrap().modified().unwrap(),
            ));
        }
    }
    out.sort();
    out
}

/// One night: its run id, the marts it kept (mart → the run whose files it kept), its marts,
/// and sources replaced.
type Night = (
    String,
    std::collections::BTreeMap<String, String>,
    Vec<(String, usize)>,
    usize,
);

fn night(p: &Project, opts: &RunOptions) -> Night {
    let ran = p.run_opts(opts);
    let s = ran.ok();
    assert!(!s.tests.is_empty(), "the data tests run every night");
    assert!(
        s.report.as_ref().unwrap().is_file(),
        "and the report is made"
    );
    (
        s.run_id.clone(),
        s.marts_kept.clone(),
        s.marts.clone(),
        s.count(LedgerAction::Replaced),
    )
}

/// The marts a night computed (all of them less those it kept).
fn computed(n: &Night) -> Vec<&str> {
    n.2.iter()
        .map(|(m, _)| m.as_str())
        .filter(|m| !n.1.contains_key(*m))
        .collect()
}

const SURVEY_MARTS: [&str; 6] = [
    "factor_survey_evidence",
    "friction_by_group",
    "friction_by_kommun",
    "friction_cost",
    "friction_distribution",
    "kommun_benchmark",
];

#[test]
fn a_night_computes_only_the_marts_whose_inputs_changed() {
    let p = Project::new();
    let run = |p: &Project| night(p, &RunOptions::default());
    let first = run(&p);
    assert!(first.1.is_empty());
    assert_eq!(first.2.len(), 18);
    let files = mart_files(&p);

    // Nothing new: every mart kept, none written again.
    let second = run(&p);
    assert_eq!(computed(&second), Vec::<&str>::new());
    assert!(second.1.values().all(|r| *r == first.0));
    assert_eq!(second.2, first.2);
    assert_eq!(mart_files(&p), files, "no mart written again");

    // A model changed: that mart alone (no model reads friction_cost).
    let model = p.path().join("pipelines/models/friction_cost.sql");
    let sql = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, format!("{sql}\n-- reviewed\n")).unwrap();
    assert_eq!(computed(&run(&p)), ["friction_cost"]);
    assert_eq!(computed(&run(&p)), Vec::<&str>::new());

    // More logs: the log mart alone, not the survey and project marts over their history.
    let logs = p.path().join("sample-data/logs/webapps.ndjson");
    let text = std::fs::read_to_string(&logs).unwrap();
    let last = text.lines().last().unwrap().to_string();
    std::fs::write(&logs, format!("{text}{last}\n")).unwrap();
    let more_logs = run(&p);
    assert_eq!(more_logs.3, 1);
    assert_eq!(computed(&more_logs), ["log_friction_by_system"]);

    // A survey export changed: the survey marts and what reads them, not the project marts.
    let vision = p.path().join("sample-data/survey/vision-2019.csv");
    let text = std::fs::read_to_string(&vision).unwrap();
    std::fs::write(
        &vision,
        text.replacen(";Administratör;20;", ";Administratör;25;", 1),
    )
    .unwrap();
    let survey = run(&p);
    assert_eq!(survey.3, 1);
    let c = computed(&survey);
    assert!(SURVEY_MARTS.iter().all(|m| c.contains(m)), "{c:?}");
    assert!(c.contains(&"survey_respondent"), "{c:?}");
    assert!(
        !c.contains(&"project_summary") && !c.contains(&"time_to_go_live"),
        "{c:?}"
    );

    // A mart written by another command since (`friktion models run`): it and what reads it.
    let (mart, _) = mart_files(&p)
        .into_iter()
        .find(|(f, _)| f.contains("/friction_by_group/"))
        .unwrap();
    std::fs::write(&mart, std::fs::read(&mart).unwrap()).unwrap();
    let mut c = computed(&run(&p))
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    c.sort();
    assert_eq!(
        c,
        ["friction_by_group", "friction_cost", "kommun_benchmark"]
    );

    // --full computes them all, and a model that reads the clock is computed every night.
    let full = RunOptions {
        full: true,
        ..RunOptions::default()
    };
    assert_eq!(computed(&night(&p, &full)).len(), 18);
    std::fs::write(&model, format!("{sql}\n-- compare with now()\n")).unwrap();
    assert_eq!(computed(&run(&p)), ["friction_cost"]);
    assert_eq!(computed(&run(&p)), ["friction_cost"]);
}
