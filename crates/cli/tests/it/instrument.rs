use crate::{Project, assert_ok, text, workspace};

fn check(p: &Project, file: &str, instrument: &str) -> std::process::Output {
    let ws = workspace();
    p.friktion(&[
        "instrument",
        "check",
        ws.join(file).to_str().unwrap(),
        "--instrument",
        ws.join(instrument).to_str().unwrap(),
        "--reference",
        ws.join("sample-data/reference").to_str().unwrap(),
    ])
}

#[test]
fn check_shows_each_mapping_samples_and_what_does_not_map() {
    let p = Project::new();
    let o = check(
        &p,
        "crates/ingest-survey/tests/fixtures/malformed.csv",
        "pipelines/instruments/vision-it-strul.toml",
    );
    assert_ok(&o);
    let out = text(&o.stdout);
    for needle in [
        "read as     csv, encoding utf-8, delimiter ';', header on row 1",
        "Äldreomsorg → aldreomsorg",
        "Göteborgs Stad → 1480 Göteborg",
        "1,5 h → 90 min",
        "DOES NOT MAP: 'Bibliotek' (1 row(s))",
        "DOES NOT MAP: 'Götebrg' (1 row(s))",
        "DOES NOT MAP: 'ca trettio' (1 row(s))",
        "10 row(s) read: 7 would load, 3 would be rejected",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    assert!(
        !out.contains("V001") && !out.contains("19801224"),
        "identifiers and free text are not echoed"
    );
    assert!(!p.path().join("lake").exists(), "check loads nothing");
}

#[test]
fn check_reads_the_bundled_workbook_and_refuses_a_file_that_does_not_fit() {
    let p = Project::new();
    let xlsx = std::fs::read_dir(workspace().join("sample-data/survey"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
        .expect("a bundled medarbetarenkät workbook");
    let rel = xlsx
        .strip_prefix(workspace())
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let o = check(&p, &rel, "pipelines/instruments/medarbetarenkat-it.toml");
    assert_ok(&o);
    let out = text(&o.stdout);
    assert!(
        out.contains("read as     workbook") && out.contains("header on row 3"),
        "{out}"
    );
    assert!(out.contains("16–30 minuter → 23 min (16–30)"), "{out}");

    let o = check(
        &p,
        "crates/ingest-survey/tests/fixtures/malformed.csv",
        "pipelines/instruments/medarbetarenkat-it.toml",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stdout).contains("MISSING (required)"),
        "{}",
        text(&o.stdout)
    );
    assert!(text(&o.stderr).contains("does not fit instrument 'medarbetarenkat-it'"));
}
