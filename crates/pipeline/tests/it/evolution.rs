//! Sources change shape over the years: a new optional column is taken in without reloading
//! the files before it, and a column whose type changes stops its file and only its file.

use crate::{Project, count as csv, hashes};

const AI: &str = "Hur många minuter förlorar du på AI-verktyg?";

/// vision-2024.csv: the 2019 export with one more column, filled by `value(row)`.
fn new_wave(p: &Project, value: impl Fn(usize) -> String) {
    let src = std::fs::read_to_string(p.path().join("sample-data/survey/vision-2019.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in src.lines().enumerate() {
        let extra = if i == 0 { AI.to_string() } else { value(i) };
        out.push_str(&format!("{line};{extra}\n"));
    }
    std::fs::write(p.path().join("sample-data/survey/vision-2024.csv"), out).unwrap();
}

#[test]
fn a_new_optional_column_is_taken_in_without_reloading_the_waves_before_it() {
    let p = Project::new();
    p.run().ok();
    let history: Vec<(String, String)> = hashes(&p.lake(), None)
        .into_iter()
        .filter(|(f, _)| f.starts_with("survey_") && !f.contains("vision-2024"))
        .collect();
    assert!(history.len() >= 8, "{history:?}");

    // A new wave whose export has a new question: loaded, and the new column is said.
    new_wave(&p, |i| (i % 7 * 5).to_string());
    let o = p.run();
    o.ok();
    assert_eq!(o.counts(), [1, 0, 13, 0]);
    let err = o.told();
    assert!(
        err.contains(&format!(
            "warning: sample-data/survey/vision-2024.csv: column(s) '{AI}' not in instrument 'vision-it-strul', so not loaded"
        )),
        "{err}"
    );

    // The instrument takes the column in as an item: only the file that has it is loaded again.
    let ins = p.path().join("pipelines/instruments/vision-it-strul.toml");
    let t = std::fs::read_to_string(&ins).unwrap();
    std::fs::write(
        &ins,
        t.replace("version = 1", "version = 2")
            + &format!("\n[[items]]\nid = \"ai_minutes\"\ncolumn = \"{AI}\"\nkind = \"number\"\n"),
    )
    .unwrap();
    let o = p.run();
    o.ok();
    assert_eq!(o.counts(), [0, 1, 13, 0]);
    assert!(!o.told().contains("not in instrument"), "{}", o.told());
    let by_wave = csv(
        &p,
        "SELECT wave_id, count(*) FROM survey_answer WHERE item_id = 'ai_minutes' AND value_num IS NOT NULL GROUP BY wave_id",
    );
    let (wave, n) = by_wave.split_once(',').unwrap();
    assert_eq!(wave, "vision-2024", "{by_wave}");
    assert!(n.parse::<usize>().unwrap() > 400, "{by_wave}");
    // The history is not rewritten: the earlier waves' files are the same files, byte for byte.
    let now = hashes(&p.lake(), None);
    for (f, h) in &history {
        assert_eq!(now.get(f), Some(h), "{f} was rewritten");
    }
    assert_eq!(
        csv(
            &p,
            "SELECT count(DISTINCT wave_id) FROM survey_answer WHERE item_id = 'ai_minutes'"
        ),
        "1"
    );
}

#[test]
fn a_column_whose_type_changes_stops_its_file_and_the_run_goes_on() {
    let p = Project::new();
    p.run().ok();
    // The next export writes the minutes as text with a unit: a changed column type.
    let f = p.path().join("sample-data/survey/vision-2019.csv");
    let src = std::fs::read_to_string(&f).unwrap();
    let mut out = String::new();
    for (i, line) in src.lines().enumerate() {
        let mut cells: Vec<String> = line.split(';').map(str::to_string).collect();
        if i > 0 && cells.len() > 5 && !cells[5].is_empty() {
            cells[5] = format!("{} minuter per dag i snitt", cells[5]);
        }
        out.push_str(&(cells.join(";") + "\n"));
    }
    std::fs::write(&f, out).unwrap();
    let before = csv(
        &p,
        "SELECT count(*), sum(minutes_lost) FROM survey_response WHERE wave_id = 'vision-2019'",
    );
    let o = p.run();
    assert_eq!(o.code(), 2, "{}", o.told());
    let err = o.told();
    assert!(
        err.contains("error: sample-data/survey/vision-2019.csv: column 'Hur mycket arbetstid förlorar du en vanlig arbetsdag på grund av IT-strul? (minuter)' no longer holds what instrument 'vision-it-strul' reads there"),
        "{err}"
    );
    assert!(
        err.contains("The export has changed; the file is not loaded"),
        "{err}"
    );
    assert_eq!(o.counts()[3], 1);
    assert!(
        o.summary().report.is_some(),
        "the run goes on to its report"
    );
    // Nothing of the changed file got in, and the lake does not keep the rows of its earlier
    // version either (it never mixes versions of a file): the quarantine says why, and the
    // next run tries the file again.
    assert!(before.starts_with("514,"), "{before}");
    assert_eq!(
        csv(
            &p,
            "SELECT count(*) FROM survey_response WHERE wave_id = 'vision-2019'"
        ),
        "0"
    );
    let q = csv(
        &p,
        "SELECT reason FROM survey_quarantine WHERE source_file = 'sample-data/survey/vision-2019.csv' AND source_line IS NULL",
    );
    assert!(q.contains("no longer holds what instrument"), "{q}");
    // The other waves and the rest of the run are untouched.
    assert_eq!(
        csv(&p, "SELECT count(DISTINCT wave_id) FROM survey_response"),
        "3"
    );
    let again = p.run();
    assert_eq!(again.code(), 2, "tried again, failing again");
}
