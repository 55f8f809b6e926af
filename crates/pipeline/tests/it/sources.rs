//! What a nightly run does when its sources change between runs.

use arrow::array::AsArray;
use friktion_core::LakeTable;
use friktion_lake::{Lake, Ledger};

use crate::Project;

fn actions(p: &Project) -> Vec<(String, String)> {
    let ledger = Ledger::load(&Lake::open_read(p.lake()).unwrap()).unwrap();
    let last = ledger.entries().last().unwrap().run_id.clone();
    let mut v: Vec<(String, String)> = ledger
        .entries()
        .iter()
        .filter(|e| e.run_id == last)
        .map(|e| (e.source_file.clone(), e.action.to_string()))
        .collect();
    v.sort();
    v
}

fn response_count(p: &Project, file: &str) -> usize {
    let lake = Lake::open_read(p.lake()).unwrap();
    lake.read_table(&LakeTable::SurveyResponse.def())
        .unwrap()
        .iter()
        .flat_map(|b| {
            b.column_by_name("source_file")
                .unwrap()
                .as_string::<i32>()
                .iter()
                .map(|s| s.unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|f| f == file)
        .count()
}

fn quarantine_count(p: &Project, file: &str) -> usize {
    let lake = Lake::open_read(p.lake()).unwrap();
    lake.read_table(&LakeTable::SurveyQuarantine.def())
        .unwrap()
        .iter()
        .map(|b| {
            b.column_by_name("source_file")
                .unwrap()
                .as_string::<i32>()
                .iter()
                .filter(|f| *f == Some(file))
                .count()
        })
        .sum()
}

#[test]
fn a_changed_file_replaces_its_rows_and_leaves_the_others() {
    let p = Project::new();
    p.run().ok();
    let f2014 = "sample-data/survey/vision-2014.csv";
    let f2019 = "sample-data/survey/vision-2019.csv";
    let before_2019 = (response_count(&p, f2019), quarantine_count(&p, f2019));
    assert!(
        quarantine_count(&p, f2014) > 0,
        "the sample's 2014 wave has defects to begin with"
    );
    // The corrected export: three clean answers. It gives nothing to quarantine, so the old
    // quarantine rows must go by deletion, not by being overwritten.
    let path = p.path().join(f2014);
    let header = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let rows = [
        "C1;Kommun;Malmö;Skola;Lärare;30;Nej;Nej;;;;;2014-10-01 08:00",
        "C2;Kommun;Malmö;Skola;Lärare;20;Nej;Nej;;;;;2014-10-01 09:00",
        "C3;Kommun;Göteborg;Skola;Lärare;10;Nej;Nej;;;;;2014-10-01 10:00",
    ];
    std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    p.run().ok();
    let a = actions(&p);
    assert!(a.contains(&(f2014.into(), "replaced".into())), "{a:?}");
    assert!(a.contains(&(f2019.into(), "skipped".into())), "{a:?}");
    assert_eq!(response_count(&p, f2014), 3, "old rows gone, new ones in");
    assert_eq!(
        quarantine_count(&p, f2014),
        0,
        "no leftover quarantine rows"
    );
    assert_eq!(
        (response_count(&p, f2019), quarantine_count(&p, f2019)),
        before_2019,
        "other sources untouched"
    );
}

#[test]
fn a_changed_instrument_reloads_its_files() {
    let p = Project::new();
    p.run().ok();
    let ins = p.path().join("pipelines/instruments/vision-it-strul.toml");
    let text = std::fs::read_to_string(&ins)
        .unwrap()
        .replace("max = 480", "max = 300");
    std::fs::write(&ins, text).unwrap();
    p.run().ok();
    let a = actions(&p);
    for f in [
        "sample-data/survey/vision-2014.csv",
        "sample-data/survey/vision-2019.csv",
    ] {
        assert!(a.contains(&(f.into(), "replaced".into())), "{a:?}");
    }
    assert!(
        a.iter()
            .filter(|(f, _)| f.ends_with(".xlsx"))
            .all(|(_, act)| act == "skipped"),
        "{a:?}"
    );
}

#[test]
fn a_vanished_source_is_reported_and_its_rows_kept() {
    let p = Project::new();
    p.run().ok();
    let gone = "sample-data/survey/vision-2014.csv";
    let kept = response_count(&p, gone);
    std::fs::remove_file(p.path().join(gone)).unwrap();
    let o = p.run();
    assert_eq!(o.ok().vanished, [gone]);
    assert!(
        o.told()
            .contains(&format!("warning: {gone}: loaded before"))
    );
    assert_eq!(response_count(&p, gone), kept);
}

#[test]
fn a_file_that_does_not_fit_its_instrument_fails_alone_with_exit_status_2() {
    let p = Project::new();
    let bad = "sample-data/survey/vision-2020.csv";
    std::fs::write(p.path().join(bad), "Respondent-ID;Kommun\nV1;Malmö\n").unwrap();
    let o = p.run();
    assert_eq!(o.code(), 2, "{}", o.told());
    let err = o.told();
    assert_eq!(o.counts()[3], 1);
    assert_eq!(o.summary().failed_sources[0].file, bad);
    assert!(
        err.contains(bad) && err.contains("vision-it-strul") && err.contains("Arbetsplats"),
        "{err}"
    );
    assert!(
        response_count(&p, "sample-data/survey/vision-2019.csv") > 0,
        "the other sources still load"
    );
    let lake = Lake::open_read(p.lake()).unwrap();
    let q = lake.read_table(&LakeTable::SurveyQuarantine.def()).unwrap();
    let whole_file = q.iter().any(|b| {
        let files = b.column_by_name("source_file").unwrap().as_string::<i32>();
        let lines = b.column_by_name("source_line").unwrap();
        (0..b.num_rows()).any(|i| files.value(i) == bad && lines.is_null(i))
    });
    assert!(
        whole_file,
        "the file-level problem is in quarantine without a line"
    );
}

#[test]
fn an_optional_column_missing_from_a_file_is_a_warning_on_stderr() {
    let p = Project::new();
    let path = p.path().join("sample-data/survey/vision-2019.csv");
    let text2 = std::fs::read_to_string(&path)
        .unwrap()
        .replacen("Inskickad", "Datum", 1);
    std::fs::write(&path, text2).unwrap();
    let o = p.run();
    o.ok();
    assert!(
        o.told().contains(
            "warning: sample-data/survey/vision-2019.csv: column 'Inskickad' not in the file"
        ),
        "{}",
        o.told()
    );
}

#[test]
fn a_file_that_cannot_be_read_at_all_is_quarantined_whole_and_fails_alone() {
    let p = Project::new();
    let bad = "sample-data/survey/medarbetarenkat-9999-2025.xlsx";
    std::fs::write(p.path().join(bad), "not a workbook").unwrap();
    let o = p.run();
    assert_eq!(o.code(), 2, "{}", o.told());
    assert_eq!(o.summary().failed_sources[0].file, bad);
    let lake = Lake::open_read(p.lake()).unwrap();
    let q = lake.read_table(&LakeTable::SurveyQuarantine.def()).unwrap();
    let reasons: Vec<String> = q
        .iter()
        .flat_map(|b| {
            let files = b.column_by_name("source_file").unwrap().as_string::<i32>();
            let lines = b.column_by_name("source_line").unwrap();
            let why = b.column_by_name("reason").unwrap().as_string::<i32>();
            (0..b.num_rows())
                .filter(|&i| files.value(i) == bad && lines.is_null(i))
                .map(|i| why.value(i).to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("no header row"), "{reasons:?}");
    assert!(response_count(&p, "sample-data/survey/vision-2019.csv") > 0);
}
