//! The weighted mean in the mart against the same number worked out by hand.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int64Type};
use friktion_lake::Lake;

use crate::Project;

const HEADER: &str = "Respondent-ID;Arbetsgivare;Arbetsplats (kommun eller region);Verksamhet;Yrke;Hur mycket arbetstid förlorar du en vanlig arbetsdag på grund av IT-strul? (minuter);Har du deltagit i planering eller upphandling av IT-system?;Behöver du mer utbildning för att använda IT-systemen väl?;IT-systemen bidrar till kvaliteten i verksamheten;IT-systemen bidrar till ett effektivt resursutnyttjande;Jag har den utrustning jag behöver för mitt arbete;Övriga synpunkter;Inskickad";

/// Empties the project's survey folder, so a test's own files are the only sources, and
/// returns it.
fn only_my_surveys(p: &Project) -> std::path::PathBuf {
    let survey = p.path().join("sample-data/survey");
    for e in std::fs::read_dir(&survey).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    survey
}

fn write_survey(path: &std::path::Path, rows: &[String]) {
    std::fs::write(path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
}

#[test]
fn the_marts_weighted_mean_and_interval_equal_a_hand_computation() {
    let p = Project::new();
    let survey = only_my_surveys(&p);
    let rows = [
        "W1;Kommun;Göteborg;Skola;Lärare;30;Nej;Nej;;;;;",
        "W2;Kommun;Göteborg;Skola;Lärare;60;Nej;Nej;;;;;",
        "W3;Kommun;Göteborg;Individ- och familjeomsorg;Socialsekreterare;10;Nej;Nej;;;;;",
    ];
    std::fs::write(
        survey.join("vision-2099.csv"),
        format!("{HEADER}\n{}\n", rows.join("\n")),
    )
    .unwrap();
    std::fs::write(
        p.path().join("sample-data/population/anstallda-2019.csv"),
        "employer_type;verksamhet;population\nkommun;skola;300\nkommun;ifo;50\n",
    )
    .unwrap();
    p.run().ok();

    // By hand: skola holds 2 of the sample and 300 of the population, so each weighs 150;
    // the one ifo respondent weighs 50.
    let (w, x) = ([150.0, 150.0, 50.0], [30.0, 60.0, 10.0]);
    let sw: f64 = w.iter().sum();
    let mean = (150.0 * 30.0 + 150.0 * 60.0 + 50.0 * 10.0) / 350.0;
    assert_eq!(mean, 40.0);
    let n_eff = sw * sw / w.iter().map(|w| w * w).sum::<f64>();
    let var = w
        .iter()
        .zip(&x)
        .map(|(w, x)| w * (x - mean) * (x - mean))
        .sum::<f64>()
        / sw
        * n_eff
        / (n_eff - 1.0);
    let se = var.sqrt() / n_eff.sqrt();

    let lake = Lake::open_read(p.lake()).unwrap();
    let b = &lake.read_mart("friction_by_kommun").unwrap()[0];
    assert_eq!(b.num_rows(), 1);
    let f = |c: &str| {
        b.column_by_name(c)
            .unwrap()
            .as_primitive::<Float64Type>()
            .value(0)
    };
    assert_eq!(
        b.column_by_name("n")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0),
        3
    );
    assert!(
        (f("mean_minutes") - 40.0).abs() < 1e-12,
        "{}",
        f("mean_minutes")
    );
    assert!((f("n_eff") - n_eff).abs() < 1e-12);
    assert!(
        (f("se_minutes") - se).abs() < 1e-12,
        "{} vs {se}",
        f("se_minutes")
    );
    assert!((f("ci_low") - (mean - 1.96 * se)).abs() < 1e-12);
    // Unweighted, the mean would be 33.3: the weights matter.
    assert!((x.iter().sum::<f64>() / 3.0 - f("mean_minutes")).abs() > 6.0);
    let html = std::fs::read_to_string(
        std::fs::read_dir(p.path().join("notebooks-out"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
            .join("index.html"),
    )
    .unwrap();
    // Three respondents are fewer than min_cell (5): the page must not show the cell.
    assert!(
        !html.contains("40,0") && html.contains(">..<"),
        "a cell below min_cell is suppressed"
    );
    assert!(!b.column_by_name("n").unwrap().is_null(0));
}

#[test]
fn a_respondent_in_two_files_of_one_wave_counts_once() {
    let p = Project::new();
    let survey = only_my_surveys(&p);
    let row = |id: &str, min: u32, at: &str| {
        format!("{id};Kommun;Malmö;Skola;Lärare;{min};Nej;Nej;;;;;{at}")
    };
    write_survey(
        &survey.join("vision-a.csv"),
        &[
            row("X1", 10, "2019-10-01 08:00"),
            row("X2", 20, "2019-10-01 09:00"),
            row("X3", 30, "2019-10-01 10:00"),
        ],
    );
    // X1 answers again in the second file, later: the first answer stands.
    write_survey(
        &survey.join("vision-b.csv"),
        &[
            row("X1", 90, "2019-10-05 08:00"),
            row("X4", 40, "2019-10-01 11:00"),
            row("X5", 50, "2019-10-01 12:00"),
        ],
    );
    let cfg = std::fs::read_to_string(p.config()).unwrap().replace(
        "population = \"sample-data/population/anstallda-2019.csv\"",
        "wave_id = \"vision-x\"",
    );
    std::fs::write(p.config(), cfg).unwrap();
    p.run().ok();
    let lake = Lake::open_read(p.lake()).unwrap();
    let b = &lake.read_mart("friction_by_kommun").unwrap()[0];
    assert_eq!(b.num_rows(), 1);
    assert_eq!(
        b.column_by_name("n")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0),
        5
    );
    let mean = b
        .column_by_name("mean_minutes")
        .unwrap()
        .as_primitive::<Float64Type>()
        .value(0);
    assert!(
        (mean - 30.0).abs() < 1e-12,
        "{mean}: X1's second answer (90) must not count"
    );
}
