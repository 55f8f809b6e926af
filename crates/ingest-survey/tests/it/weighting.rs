use arrow::array::AsArray;
use arrow::datatypes::Float64Type;
use friktion_core::quarantine::Action;
use friktion_ingest_survey::SurveyOutput;
use friktion_ingest_survey::weights::Population;

use crate::{VISION, fixture_bytes, load_with};

fn population(text: &str) -> Population {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pop.csv");
    std::fs::write(&p, text).unwrap();
    Population::load(&p).unwrap()
}

/// The five-answer fixture, weighted to `pop`.
fn weigh_fixture(pop: &Population) -> SurveyOutput {
    load_with(
        "f.csv",
        &fixture_bytes("utf8_bom_comma.csv"),
        &VISION,
        Some(pop),
    )
    .unwrap()
}

fn weights(out: &SurveyOutput) -> Vec<f64> {
    out.responses
        .column_by_name("weight")
        .unwrap()
        .as_primitive::<Float64Type>()
        .values()
        .to_vec()
}

#[test]
fn post_stratified_weights_reproduce_the_population_totals() {
    // Swedish thousands separators, as SKR's tables print them.
    let pop = population(
        "employer_type;verksamhet;population\nkommun;aldreomsorg;205 000\nkommun;skola;215\u{a0}000\nkommun;ifo;45000\nregion;halso_sjukvard;215 000\n",
    );
    let out = weigh_fixture(&pop);
    let w = weights(&out);
    // One respondent in each of four cells: each weighs its cell's whole population.
    assert_eq!(w, vec![205_000.0, 215_000.0, 45_000.0, 215_000.0]);
    assert_eq!(w.iter().sum::<f64>(), 680_000.0);
}

#[test]
fn respondents_outside_the_population_get_no_weight_and_a_reason() {
    let pop = population("verksamhet,population\nskola,1000\naldreomsorg,500\n");
    let out = weigh_fixture(&pop);
    let w = weights(&out);
    assert_eq!(w, vec![500.0, 1000.0, 0.0, 0.0]);
    let reasons: Vec<&str> = out
        .quarantine
        .iter()
        .filter(|q| q.field.as_deref() == Some("weight"))
        .inspect(|q| assert_eq!(q.action, Action::ValueNulled))
        .map(|q| q.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        vec![
            "stratum ifo is not in the population file",
            "stratum halso_sjukvard is not in the population file"
        ]
    );
}

#[test]
fn raking_to_margins_meets_each_margin() {
    let pop = population(
        "dimension;category;population\nemployer_type;kommun;900 000\nemployer_type;region;280 000\nverksamhet;aldreomsorg;400 000\nverksamhet;skola;300 000\nverksamhet;ifo;200 000\nverksamhet;halso_sjukvard;280 000\n",
    );
    let out = weigh_fixture(&pop);
    let w = weights(&out);
    let et = out
        .responses
        .column_by_name("employer_type")
        .unwrap()
        .as_string::<i32>();
    let kommun: f64 = (0..w.len())
        .filter(|&i| et.value(i) == "kommun")
        .map(|i| w[i])
        .sum();
    assert!((kommun - 900_000.0).abs() < 1e-3, "{kommun}");
    assert!((w.iter().sum::<f64>() - 1_180_000.0).abs() < 1e-3);
}

#[test]
fn a_bad_population_file_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pop.csv");
    std::fs::write(&p, "verksamhet;population\nskola;1000\nifo;många\n").unwrap();
    let err = Population::load(&p).unwrap_err().to_string();
    assert!(
        err.contains("pop.csv") && err.contains("line 3") && err.contains("många"),
        "{err}"
    );
    std::fs::write(&p, "avdelning;population\nx;1\n").unwrap();
    assert!(
        Population::load(&p)
            .unwrap_err()
            .to_string()
            .contains("'avdelning' is not a stratifier")
    );
}
