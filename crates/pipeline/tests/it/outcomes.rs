//! Implementation outcomes end to end: project exports through `friktion run` into the outcome
//! marts and the report, checked against lifelines and against hand computations.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use friktion_core::LakeTable;
use friktion_lake::Lake;
use friktion_outcomes::stages::{Outcome, Stage, time_to_go_live};

use crate::Project;
use crate::survival::{floats, lifelines};

/// Every row of a mart or table as column → value (numbers as f64, text as strings).
fn rows(batches: &[RecordBatch]) -> Vec<BTreeMap<String, serde_json::Value>> {
    let mut out = Vec::new();
    for b in batches {
        for i in 0..b.num_rows() {
            let mut r = BTreeMap::new();
            for (j, f) in b.schema().fields().iter().enumerate() {
                let a = b.column(j);
                let v = if a.is_null(i) {
                    serde_json::Value::Null
                } else {
                    match a.data_type() {
                        DataType::Utf8 => a.as_string::<i32>().value(i).into(),
                        DataType::Boolean => a.as_boolean().value(i).into(),
                        DataType::Date32 => cast(a, &DataType::Utf8)
                            .unwrap()
                            .as_string::<i32>()
                            .value(i)
                            .into(),
                        _ => cast(a, &DataType::Float64)
                            .unwrap()
                            .as_primitive::<Float64Type>()
                            .value(i)
                            .into(),
                    }
                };
                r.insert(f.name().clone(), v);
            }
            out.push(r);
        }
    }
    out
}

fn mart(p: &Project, name: &str) -> Vec<BTreeMap<String, serde_json::Value>> {
    rows(&Lake::open_read(p.lake()).unwrap().read_mart(name).unwrap())
}

fn table(p: &Project, t: LakeTable) -> Vec<BTreeMap<String, serde_json::Value>> {
    rows(
        &Lake::open_read(p.lake())
            .unwrap()
            .read_table(&t.def())
            .unwrap(),
    )
}

fn find<'a>(
    rows: &'a [BTreeMap<String, serde_json::Value>],
    key: &[(&str, &str)],
) -> &'a BTreeMap<String, serde_json::Value> {
    rows.iter()
        .find(|r| key.iter().all(|(k, v)| r[*k] == *v))
        .unwrap_or_else(|| panic!("no row {key:?}"))
}

fn close(ours: &serde_json::Value, theirs: &serde_json::Value, what: &str) {
    match (ours.as_f64(), theirs.as_f64()) {
        (Some(a), Some(b)) => assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1.0),
            "{what}: friktion {a}, lifelines {b}"
        ),
        (None, None) => {}
        _ => panic!("{what}: friktion {ours}, lifelines {theirs}"),
    }
}

#[test]
fn the_sample_run_fills_the_outcome_marts_and_the_report_shows_time_to_go_live() {
    let p = Project::new();
    let o = p.run();
    let summary = o.ok();
    for m in [
        "project_time_to_go_live",
        "time_to_go_live",
        "time_to_go_live_curve",
        "project_stage_time",
        "project_funnel",
        "project_summary",
        "factor_scores_by_kommun",
        "factor_time_to_go_live",
        "factor_survey_evidence",
    ] {
        assert!(!mart(&p, m).is_empty(), "{m} is empty: {:?}", summary.marts);
    }
    let ttg = mart(&p, "time_to_go_live");
    let all = find(&ttg, &[("dimension", "all")]);
    let projects = mart(&p, "project_time_to_go_live");
    assert_eq!(all["n_projects"].as_f64(), Some(projects.len() as f64));
    // Running and abandoned projects are counted, not dropped.
    for (k, outcome) in [
        ("n_live", "live"),
        ("n_abandoned", "abandoned"),
        ("n_running", "running"),
    ] {
        let n = projects.iter().filter(|r| r["outcome"] == outcome).count();
        assert!(n > 0, "the sample has {outcome} projects");
        assert_eq!(all[k].as_f64(), Some(n as f64), "{k}");
    }
    // The SQL definition of time to go-live is the one friktion-outcomes documents and tests.
    let mut stages: BTreeMap<String, BTreeMap<Stage, chrono::NaiveDate>> = BTreeMap::new();
    for r in table(&p, LakeTable::ProjectStage) {
        let stage: Stage = serde_json::from_value(r["stage"].clone()).unwrap();
        let d = chrono::NaiveDate::parse_from_str(r["entered_on"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
        stages
            .entry(r["project_id"].as_str().unwrap().into())
            .or_default()
            .insert(stage, d);
    }
    let data_date = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    for r in &projects {
        let (days, observed, outcome) =
            time_to_go_live(&stages[r["project_id"].as_str().unwrap()], data_date).unwrap();
        assert_eq!(r["days"].as_f64(), Some(days), "{r:?}");
        assert_eq!(r["observed"].as_bool(), Some(observed), "{r:?}");
        let want = match outcome {
            Outcome::Live => "live",
            Outcome::Abandoned => "abandoned",
            Outcome::Running => "running",
        };
        assert_eq!(r["outcome"], want, "{r:?}");
    }
    let median = all["median_days"].as_f64().unwrap();
    assert!(
        median > all["naive_median_days"].as_f64().unwrap(),
        "censoring lengthens the median"
    );

    // The report's table shows the national median as Swedish typography prints it.
    let html = std::fs::read_to_string(o.report()).unwrap();
    // The stage funnel is drawn, with its data beside the page.
    let funnel_csv =
        std::fs::read_to_string(o.report().with_file_name("data/project_funnel.csv")).unwrap();
    assert!(
        html.contains("href=\"data/project_funnel.csv\"")
            && html.contains("Andel projekt som nått varje steg")
    );
    assert_eq!(funnel_csv.lines().count(), 8, "{funnel_csv}");
    // The Kaplan–Meier curves are drawn, with their data beside the page: 1 − S(t) per day.
    assert!(html.contains("href=\"data/time_to_go_live_curve.csv\""));
    let curve_csv =
        std::fs::read_to_string(o.report().with_file_name("data/time_to_go_live_curve.csv"))
            .unwrap();
    let national: Vec<&str> = curve_csv
        .lines()
        .filter(|l| l.starts_with("all,"))
        .collect();
    let curve_mart = mart(&p, "time_to_go_live_curve");
    let national_mart: Vec<_> = curve_mart
        .iter()
        .filter(|r| r["dimension"] == "all")
        .collect();
    assert_eq!(national.len(), national_mart.len());
    let last = national
        .last()
        .unwrap()
        .rsplit(',')
        .next()
        .unwrap()
        .parse::<f64>()
        .unwrap();
    let last_s = national_mart.last().unwrap()["survival"].as_f64().unwrap();
    assert!(
        (last - (1.0 - last_s)).abs() < 1e-12,
        "{last} vs 1 − {last_s}"
    );
    assert!(
        html.contains("<h2>Tid till införande</h2>"),
        "no time-to-implementation section"
    );
    let shown = friktion_report::format::sv_number(median, 0);
    assert!(
        html.contains(&format!(
            "<strong>Alla projekt</strong></th><td class=\"num\">{}</td>",
            friktion_report::format::sv_number(all["n_projects"].as_f64().unwrap(), 0)
        )) && html.contains(&format!("<td class=\"num\">{shown}</td>")),
        "the report lacks the national row with median {shown}"
    );

    // The factors the sample generator makes matter are the ones found; the funnel narrows.
    let f = mart(&p, "factor_time_to_go_live");
    let hr = |id: &str| {
        find(&f, &[("factor_id", id)])["hazard_ratio"]
            .as_f64()
            .unwrap()
    };
    let p_of = |id: &str| {
        find(&f, &[("factor_id", id)])["logrank_p"]
            .as_f64()
            .unwrap()
    };
    assert!(hr("ledarskap") > 1.5 && p_of("ledarskap") < 0.01, "{f:#?}");
    assert!(hr("upphandling") > 1.3 && p_of("upphandling") < 0.01);
    let funnel = mart(&p, "project_funnel");
    let reached = |stage: &str| {
        find(&funnel, &[("track", "all"), ("stage", stage)])["n_reached"]
            .as_f64()
            .unwrap()
    };
    assert!(reached("idea") >= reached("decision") && reached("decision") >= reached("go_live"));
    assert!(reached("go_live") > 0.0);

    // The sample's defects are in quarantine with their reasons, and the run went on.
    let q = table(&p, LakeTable::ProjectQuarantine);
    for (action, reason) in [
        ("row_rejected", "unknown municipality"),
        ("value_nulled", "unknown status 'Pågår?'"),
        ("row_flagged", "timeline left out of time measures"),
    ] {
        assert!(
            q.iter()
                .any(|r| r["action"] == action && r["reason"].as_str().unwrap().contains(reason)),
            "no {action} '{reason}' in {q:#?}"
        );
    }
}

#[test]
fn outcome_marts_agree_with_lifelines_on_the_lake_data() {
    let p = Project::new();
    p.run().ok();
    let projects = mart(&p, "project_time_to_go_live");
    let group =
        |pred: &dyn Fn(&BTreeMap<String, serde_json::Value>) -> bool| -> (Vec<f64>, Vec<bool>) {
            projects
                .iter()
                .filter(|r| pred(r))
                .map(|r| {
                    (
                        r["days"].as_f64().unwrap(),
                        r["observed"].as_bool().unwrap(),
                    )
                })
                .unzip()
        };
    // Tracks: Kaplan–Meier medians and quartiles, the SQL curve and the share live in 2 years.
    let (da, oa) = group(&|r| r["track"] == "omsorg");
    let (db, ob) = group(&|r| r["track"] == "skola");
    let theirs = lifelines(&da, &oa, &db, &ob);
    let ttg = mart(&p, "time_to_go_live");
    let curve = mart(&p, "time_to_go_live_curve");
    for (name, track) in [("a", "omsorg"), ("b", "skola")] {
        let t = &theirs[name];
        let row = find(&ttg, &[("dimension", "track"), ("grp", track)]);
        let q = t["quartiles"].as_array().unwrap();
        close(&row["q1_days"], &q[0], &format!("{track} q1"));
        close(&row["median_days"], &q[1], &format!("{track} median"));
        close(&row["q3_days"], &q[2], &format!("{track} q3"));
        let (times, surv) = (floats(&t["times"]), floats(&t["survival"]));
        let s_at = |x: f64| times.iter().rposition(|t| *t <= x).map_or(1.0, |i| surv[i]);
        close(
            &row["share_live_within_2y"],
            &(1.0 - s_at(730.0)).into(),
            &format!("{track} share in 2 years"),
        );
        let ours: Vec<&BTreeMap<String, serde_json::Value>> = curve
            .iter()
            .filter(|r| r["dimension"] == "track" && r["grp"] == track)
            .collect();
        assert_eq!(
            ours.len(),
            times.len() - usize::from(times[0] == 0.0),
            "{track}: curve points"
        );
        for r in ours {
            let d = r["days"].as_f64().unwrap();
            close(&r["survival"], &s_at(d).into(), &format!("{track} S({d})"));
        }
    }
    // A key factor: log-rank and Cox, strong (4–5) against weak (1–2) projects.
    let scores: BTreeMap<String, f64> = table(&p, LakeTable::ProjectFactor)
        .into_iter()
        .filter(|r| r["factor_id"] == "ledarskap" && r["score"].is_number())
        .map(|r| {
            (
                r["project_id"].as_str().unwrap().to_string(),
                r["score"].as_f64().unwrap(),
            )
        })
        .collect();
    let score = |r: &BTreeMap<String, serde_json::Value>| {
        scores.get(r["project_id"].as_str().unwrap()).copied()
    };
    let (ds, os) = group(&|r| score(r).is_some_and(|s| s >= 4.0));
    let (dw, ow) = group(&|r| score(r).is_some_and(|s| s <= 2.0));
    let theirs = lifelines(&ds, &os, &dw, &ow);
    let row = find(
        &mart(&p, "factor_time_to_go_live"),
        &[("factor_id", "ledarskap")],
    )
    .clone();
    assert_eq!(row["n_strong"].as_f64(), Some(ds.len() as f64));
    assert_eq!(row["n_weak"].as_f64(), Some(dw.len() as f64));
    close(
        &row["median_days_strong"],
        &theirs["a"]["median"],
        "median strong",
    );
    close(
        &row["median_days_weak"],
        &theirs["b"]["median"],
        "median weak",
    );
    close(
        &row["logrank_chi2"],
        &theirs["logrank"]["statistic"],
        "log-rank statistic",
    );
    close(
        &row["logrank_p"],
        &theirs["logrank"]["p_value"],
        "log-rank p",
    );
    close(
        &row["hazard_ratio"],
        &theirs["cox"]["hazard_ratio"],
        "hazard ratio",
    );
    close(
        &row["hazard_ratio_lower"],
        &theirs["cox"]["lower"],
        "hazard ratio, lower",
    );
    close(
        &row["hazard_ratio_upper"],
        &theirs["cox"]["upper"],
        "hazard ratio, upper",
    );
    close(&row["cox_p"], &theirs["cox"]["p_value"], "Cox p");
}

/// Writes the sample's project export replaced by `rows` (after the sample's header).
fn with_export(p: &Project, name: &str, lines: &[String]) {
    let header = "Projekt-ID;Kommun;Projektnamn;Lösning;Spår;Status;Idé;Beslut;Upphandling;Pilot;Driftsatt;Införd i ordinarie verksamhet;Avbrutet;Budget (kr);Utfall (kr);Mål antal användare;Antal användare";
    let mut s = format!("{header}\r\n");
    for l in lines {
        s.push_str(l);
        s.push_str("\r\n");
    }
    std::fs::write(p.path().join("sample-data/projects").join(name), s).unwrap();
}

fn date(d: &str, plus: i64) -> String {
    (chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap() + chrono::Duration::days(plus))
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn censored_projects_move_the_median_the_way_they_should() {
    // Five projects went live after 100, 200, 300, 700 and 800 days; three decided on
    // 2024-11-07 are still running at the data date (2026-11-01): censored at 724 days.
    // Finished projects alone say 300 days. Kaplan–Meier: S = 7/8, 6/8, 5/8 after the first
    // three; the three censored leave 2 at risk; at 700 days S = 5/8 · 1/2 = 5/16 ≤ 1/2, so
    // the median is 700 days.
    let p = Project::new();
    std::fs::remove_file(p.path().join("sample-data/projects/projects.csv")).unwrap();
    let mut lines = Vec::new();
    for (i, (decided, days)) in [
        ("2020-01-01", 100),
        ("2020-01-01", 200),
        ("2020-01-01", 300),
        ("2020-01-01", 700),
        ("2020-01-01", 800),
    ]
    .into_iter()
    .enumerate()
    {
        lines.push(format!(
            "P-{i};Sollentuna;x;GPS-larm;Omsorg;Driftsatt;;{decided};;;{};;;;;;",
            date(decided, days)
        ));
    }
    for i in 5..8 {
        lines.push(format!(
            "P-{i};Sollentuna;x;GPS-larm;Omsorg;Pilot;;2024-11-07;;;;;;;;;"
        ));
    }
    with_export(&p, "censoring.csv", &lines);
    p.run().ok();
    let all = find(&mart(&p, "time_to_go_live"), &[("dimension", "all")]).clone();
    assert_eq!(all["naive_median_days"].as_f64(), Some(300.0));
    assert_eq!(all["median_days"].as_f64(), Some(700.0));
    assert_eq!(all["n_running"].as_f64(), Some(3.0));
    let running = mart(&p, "project_time_to_go_live");
    assert_eq!(
        find(&running, &[("project_id", "P-5")])["days"].as_f64(),
        Some(724.0)
    );
    // Dropping the running projects instead (what a naive analysis does) gives the wrong answer.
    assert_ne!(all["median_days"], all["naive_median_days"]);
}

#[test]
fn bad_dates_and_unknown_labels_are_quarantined_and_the_run_goes_on() {
    let p = Project::new();
    with_export(
        &p,
        "z-defects.csv",
        &[
            "D-1;Sollentuna;x;GPS-larm;Omsorg;Klar typ;;2020-01-01;;;2020-06-01;;;;;;".into(),
            "D-2;Sollentuna;x;GPS-larm;Omsorg;Driftsatt;;2020-01-01;;2021-01-01;2020-06-01;;;;;;"
                .into(),
            "D-3;Sollentuna;x;GPS-larm;Omsorg;Driftsatt;;31/12/2019;;;2020-06-01;;;;;;".into(),
            "D-4;Sollentuna;x;GPS-larm;Omsorg;Pilot;;2026-10-01;;2031-01-01;;;;;;;".into(),
        ],
    );
    // A file that is not a project export at all fails alone.
    std::fs::write(
        p.path().join("sample-data/projects/zz-not-projects.csv"),
        "Namn;Datum\r\nx;2020-01-01\r\n",
    )
    .unwrap();
    let o = p.run();
    assert_eq!(o.code(), 2, "{}", o.told());
    let err = o.told();
    assert!(
        err.contains("sample-data/projects/zz-not-projects.csv")
            && err.contains("no column 'Projekt-ID'"),
        "{err}"
    );
    let q = table(&p, LakeTable::ProjectQuarantine);
    let has = |line: f64, action: &str, reason: &str| {
        assert!(
            q.iter()
                .any(|r| r["source_file"] == "sample-data/projects/z-defects.csv"
                    && r["source_line"].as_f64() == Some(line)
                    && r["action"] == action
                    && r["reason"].as_str().unwrap().contains(reason)),
            "no {action} '{reason}' on line {line}: {q:#?}"
        );
    };
    has(2.0, "value_nulled", "unknown status 'Klar typ'");
    has(
        3.0,
        "row_flagged",
        "go_live (2020-06-01) is dated before pilot (2021-01-01)",
    );
    has(4.0, "value_nulled", "'31/12/2019' is not a date");
    has(4.0, "row_flagged", "go_live without a decision date");
    has(5.0, "value_nulled", "after the data date");
    assert!(q.iter().any(
        |r| r["source_file"] == "sample-data/projects/zz-not-projects.csv"
            && r["source_line"].is_null()
    ));
    // Everything else loaded: the sample and the four defective projects.
    let ids: Vec<String> = table(&p, LakeTable::Project)
        .iter()
        .map(|r| r["project_id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        ids.len() > 200
            && ["D-1", "D-2", "D-3", "D-4"]
                .iter()
                .all(|d| ids.iter().any(|i| i == d))
    );
    // Flagged timelines stay out of time to go-live; the marts were still built.
    let t = mart(&p, "project_time_to_go_live");
    assert!(t.iter().any(|r| r["project_id"] == "D-1"));
    assert!(
        !t.iter()
            .any(|r| r["project_id"] == "D-2" || r["project_id"] == "D-3")
    );
}

#[test]
fn a_broken_mapping_fails_its_source_alone_and_keeps_the_last_good_load() {
    let p = Project::new();
    p.run().ok();
    let before = table(&p, LakeTable::Project).len();
    let mapping = p.path().join("pipelines/projects/portfolio.toml");
    let text_before = std::fs::read_to_string(&mapping).unwrap();
    std::fs::write(
        &mapping,
        text_before.replace("\"NF01\" = \"ledarskap\"", "\"NF01\" = \"ledarskapp\""),
    )
    .unwrap();
    let o = p.run();
    assert_eq!(o.code(), 2, "{}", o.told());
    let err = o.told();
    assert!(
        err.contains("sample-data/projects/projects.csv")
            && err.contains("'ledarskapp': no such factor in the key-factor catalogue"),
        "{err}"
    );
    // The rest of the run happened: marts and report were rebuilt from what the lake holds.
    assert_eq!(table(&p, LakeTable::Project).len(), before);
    assert!(
        o.summary()
            .marts
            .iter()
            .any(|(m, _)| m == "time_to_go_live")
    );
    std::fs::write(&mapping, text_before).unwrap();
    p.run().ok();
}

#[test]
fn a_broken_key_factor_catalogue_fails_alone_and_says_why_its_projects_cannot_load() {
    let p = Project::new();
    let cat = p.path().join("pipelines/key_factors.toml");
    let text_before = std::fs::read_to_string(&cat).unwrap();
    std::fs::write(
        &cat,
        text_before.replacen("id = \"kultur\"", "id = \"ledarskap\"", 1),
    )
    .unwrap();
    let o = p.run();
    assert_eq!(o.code(), 2, "{}", o.told());
    let err = o.told();
    assert!(
        err.contains("pipelines/key_factors.toml") && err.contains("'ledarskap' is listed twice"),
        "{err}"
    );
    assert!(
        err.contains("sample-data/projects/projects.csv")
            && err.contains("the key-factor catalogue")
            && err.contains("could not be loaded"),
        "{err}"
    );
    // Surveys and logs were loaded and the marts built all the same.
    assert!(
        o.summary()
            .marts
            .iter()
            .any(|(m, _)| m == "friction_by_kommun")
    );
    assert!(table(&p, LakeTable::SurveyResponse).len() > 500);
}
