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

/// An export larger than several groups of parallel chunks: repeats of a respondent in later
/// chunks, and a bad row at a chunk's edge, come out as a reading from top to bottom would
/// give them, and the weights are those of the whole file.
#[test]
fn an_export_read_in_chunks_is_weighted_and_deduplicated_as_one_reading() {
    use arrow::array::{Array, BooleanArray, Int64Array};
    const N: usize = 40_000;
    let header = std::str::from_utf8(&fixture_bytes("utf8_bom_comma.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .replace(',', ";");
    let mut csv = header + "\n";
    // Row r (0-based) is on line r + 2. Respondent 5 answers again on rows 8 197 (the next
    // chunk) and 39 000 (a later group of chunks); row 8 191 ends the first chunk and names
    // no known workplace.
    let id = |r: usize| match r {
        8_197 | 39_000 => 5,
        r => r,
    };
    for r in 0..N {
        let (verksamhet, place) = match r % 3 {
            0 => ("Skola", "Malmö stad"),
            _ => ("Äldreomsorg", "Göteborgs Stad"),
        };
        let place = if r == 8_191 { "Atlantis" } else { place };
        csv.push_str(&format!(
            "R{};Kommun;{place};{verksamhet};Lärare;{};Nej;Ja;Instämmer helt;Vet ej;Instämmer delvis;;2019-10-14 09:31\n",
            id(r),
            r % 60
        ));
    }
    let pop = population("verksamhet;population\nskola;70000\naldreomsorg;140000\n");
    let out = load_with("big.csv", csv.as_bytes(), &VISION, Some(&pop)).unwrap();
    assert_eq!(out.rows_read, N as i64);
    assert_eq!(out.rows_rejected, 1);
    assert_eq!(out.rows_written, N as i64 - 1);
    assert_eq!(out.duplicates, 2);
    let rejected: Vec<i64> = out
        .quarantine
        .iter()
        .filter(|q| q.action == Action::RowRejected)
        .map(|q| q.source_line.unwrap())
        .collect();
    assert_eq!(rejected, vec![8_193]);

    let col = |b: &arrow::array::RecordBatch, c: &str| b.column_by_name(c).unwrap().clone();
    let lines = col(&out.responses, "source_line");
    let lines = lines.as_any().downcast_ref::<Int64Array>().unwrap();
    let expected: Vec<i64> = (0..N as i64)
        .filter(|r| *r != 8_191)
        .map(|r| r + 2)
        .collect();
    assert_eq!(lines.values().to_vec(), expected);
    let dup = col(&out.responses, "is_duplicate");
    let dup = dup.as_any().downcast_ref::<BooleanArray>().unwrap();
    let dup_lines: Vec<i64> = (0..dup.len())
        .filter(|&i| dup.value(i))
        .map(|i| lines.value(i))
        .collect();
    assert_eq!(dup_lines, vec![8_199, 39_002]);

    // Every cell's weights add up to its population, and every counted respondent in a cell
    // weighs the same: N_h / n_h over the whole file, not over a chunk.
    let w = weights(&out);
    let (mut skola, mut aldre) = (0.0, 0.0);
    for (i, wi) in w.iter().enumerate() {
        let r = (lines.value(i) - 2) as usize;
        if dup.value(i) {
            assert_eq!(*wi, 0.0, "line {}", lines.value(i));
        } else if r % 3 == 0 {
            skola += wi;
        } else {
            aldre += wi;
        }
    }
    assert!((skola - 70_000.0).abs() < 1e-6, "{skola}");
    assert!((aldre - 140_000.0).abs() < 1e-6, "{aldre}");

    // Answers follow their respondents, in file order.
    let answer_lines = col(&out.answers, "source_line");
    let answer_lines = answer_lines.as_any().downcast_ref::<Int64Array>().unwrap();
    assert!(answer_lines.values().windows(2).all(|p| p[0] <= p[1]));
    assert_eq!(answer_lines.value(answer_lines.len() - 1), N as i64 + 1);
}
