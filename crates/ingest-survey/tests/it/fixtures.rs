use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use friktion_core::quarantine::Action;

use crate::{load, load_bytes, pseudonymiser};

fn strings(b: &RecordBatch, c: &str) -> Vec<Option<String>> {
    b.column_by_name(c)
        .unwrap()
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(String::from))
        .collect()
}

fn floats(b: &RecordBatch, c: &str) -> Vec<Option<f64>> {
    let a = b.column_by_name(c).unwrap().as_primitive::<Float64Type>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

#[test]
fn malformed_rows_are_quarantined_with_line_and_reason_and_the_rest_load() {
    let out = load("malformed.csv").unwrap();
    assert_eq!(out.rows_read, 10);
    assert_eq!(out.rows_rejected, 3, "{:#?}", out.quarantine);
    assert_eq!(out.rows_written, 7);
    assert_eq!(out.responses.num_rows(), 7);

    let rejected: Vec<(i64, Option<&str>)> = out
        .quarantine
        .iter()
        .filter(|q| q.action == Action::RowRejected)
        .map(|q| (q.source_line.unwrap(), q.field.as_deref()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (5, Some("Arbetsplats (kommun eller region)")),
            (7, Some("Respondent-ID")),
            (8, None),
        ]
    );
    let unknown = out
        .quarantine
        .iter()
        .find(|q| q.source_line == Some(5))
        .unwrap();
    assert!(
        unknown.reason.contains("Göteborg (1480)"),
        "{}",
        unknown.reason
    );
    let short = out
        .quarantine
        .iter()
        .find(|q| q.source_line == Some(8))
        .unwrap();
    assert_eq!(short.reason, "expected 13 fields, found 6");

    let nulled: Vec<(i64, String)> = out
        .quarantine
        .iter()
        .filter(|q| q.action == Action::ValueNulled)
        .map(|q| (q.source_line.unwrap(), q.raw_value.clone().unwrap()))
        .collect();
    assert_eq!(
        nulled,
        vec![
            (6, "ca trettio".to_string()),
            (9, "Bibliotek".to_string()),
            (9, "Instämmer kanske".to_string()),
            (12, "900".to_string()),
        ]
    );
}

#[test]
fn loaded_rows_have_codes_minutes_lineage_and_no_identifiers() {
    let out = load("malformed.csv").unwrap();
    let r = &out.responses;
    assert_eq!(
        strings(r, "kommun_kod"),
        ["1480", "1280", "1480", "1480", "", "1480", "1480"]
            .map(|s| (!s.is_empty()).then(|| s.to_string()))
    );
    assert_eq!(
        strings(r, "lan_kod")[4].as_deref(),
        Some("12"),
        "Region Skåne"
    );
    assert_eq!(strings(r, "employer_type")[4].as_deref(), Some("region"));
    assert_eq!(
        floats(r, "minutes_lost"),
        vec![
            Some(30.0),
            Some(32.5),
            None,
            Some(90.0),
            Some(23.0),
            Some(30.0),
            None
        ]
    );
    assert_eq!(floats(r, "minutes_lost_high")[4], Some(30.0));
    let lines: Vec<i64> = r
        .column_by_name("source_line")
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    assert_eq!(lines, vec![2, 3, 6, 9, 10, 11, 12]);
    let dup = r.column_by_name("is_duplicate").unwrap().as_boolean();
    assert_eq!(
        (0..dup.len()).filter(|&i| dup.value(i)).collect::<Vec<_>>(),
        vec![5],
        "line 11 repeats V001"
    );
    let keys = strings(r, "respondent_key");
    assert_eq!(keys[0], keys[5]);
    assert_eq!(
        keys[0].as_deref(),
        Some(
            pseudonymiser()
                .pseudonym("survey-respondent", "V001")
                .as_str()
        )
    );
    assert!(keys.iter().all(|k| !k.as_deref().unwrap().starts_with('V')));
    assert_eq!(
        strings(r, "verksamhet")[3],
        None,
        "Bibliotek is not a verksamhet of the instrument"
    );
}

#[test]
fn free_text_is_redacted_in_answers() {
    let out = load("malformed.csv").unwrap();
    let a = &out.answers;
    let items = strings(a, "item_id");
    let labels = strings(a, "value_label");
    let comment = items
        .iter()
        .zip(&labels)
        .find(|(i, _)| i.as_deref() == Some("comment"))
        .map(|(_, l)| l.clone().unwrap())
        .unwrap();
    assert_eq!(comment, "Ring mig på [personnummer]\neller mejla [e-post]");
    for l in labels.iter().flatten() {
        assert!(!l.contains("1234") && !l.contains('@'), "{l}");
    }
    // "Vet ej" is kept as an answer with no value, not as an error.
    let vet_ej = items
        .iter()
        .zip(&labels)
        .zip(floats(a, "value_num"))
        .find(|((i, l), _)| i.as_deref() == Some("it_quality") && l.as_deref() == Some("Vet ej"));
    assert_eq!(vet_ej.map(|(_, v)| v), Some(None));
}

#[test]
fn windows_1252_tab_separated_export_loads() {
    let out = load("cp1252_tab.csv").unwrap();
    assert_eq!((out.encoding, out.delimiter), ("windows-1252", Some(b'\t')));
    assert_eq!(
        (out.rows_read, out.rows_written, out.rows_rejected),
        (2, 2, 0)
    );
    assert_eq!(
        strings(&out.responses, "verksamhet")[1].as_deref(),
        Some("halso_sjukvard")
    );
}

#[test]
fn a_missing_required_column_names_the_instrument_and_the_file() {
    let err = load_bytes("export.csv", "Respondent-ID;Kommun\nV1;Malmö\n".as_bytes()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("export.csv") && msg.contains("vision-it-strul"),
        "{msg}"
    );
    assert!(msg.contains("'Arbetsplats (kommun eller region)'"), "{msg}");
}

#[test]
fn a_one_column_file_is_reported_as_a_delimiter_problem() {
    let err = load_bytes("pipes.csv", "Respondent-ID|Kommun\nV1|Malmö\n".as_bytes()).unwrap_err();
    let msg = friktion_core::error_chain(&err);
    assert!(msg.contains("delimiter"), "{msg}");
}

#[test]
fn without_an_employer_column_a_region_as_workplace_makes_a_region_employee() {
    let text = "Respondent-ID;Arbetsplats (kommun eller region);Hur mycket arbetstid förlorar du en vanlig arbetsdag på grund av IT-strul? (minuter)\n\
                R1;Västra Götalandsregionen;20\nR2;Göteborg;30\nR3;Region Gotland;10\nR4;Landet Ingenstans;5\n";
    let out = load_bytes("no-employer.csv", text.as_bytes()).unwrap();
    let r = &out.responses;
    assert_eq!(
        strings(r, "employer_type"),
        ["region", "kommun", "kommun"].map(|s| Some(s.to_string()))
    );
    assert_eq!(
        strings(r, "kommun_kod"),
        vec![None, Some("1480".into()), Some("0980".into())],
        "Region Gotland is a kommun"
    );
    assert_eq!(
        strings(r, "lan_kod"),
        ["14", "14", "09"].map(|s| Some(s.to_string()))
    );
    let bad = out
        .quarantine
        .iter()
        .find(|q| q.raw_value.as_deref() == Some("Landet Ingenstans"))
        .unwrap();
    assert!(
        bad.reason.contains("unknown municipality"),
        "{}",
        bad.reason
    );
    assert!(
        out.warnings.iter().any(|w| w.contains("Arbetsgivare")),
        "{:?}",
        out.warnings
    );
}

/// The UTF-8 fixture's header row with its line end, to which a test adds rows of its own.
fn header_row() -> String {
    let text = String::from_utf8(crate::fixture_bytes("utf8_bom_comma.csv")).unwrap();
    let header = text.lines().next().unwrap().trim_start_matches('\u{feff}');
    format!("{header}\n")
}

/// Rows are read in parallel chunks of 8 192 records: the result must be that of a reading
/// from top to bottom, across chunk boundaries too.
#[test]
fn a_file_of_many_chunks_reads_as_from_top_to_bottom() {
    let mut csv = header_row();
    let n = 20_000;
    for i in 0..n {
        // Row 10 000 repeats the respondent of row 8 000 (the next chunk); three rows in
        // three chunks have minutes that cannot be read.
        let id = if i == 10_000 { 8_000 } else { i };
        let minutes = if matches!(i, 100 | 9_000 | 17_000) {
            "ett par"
        } else {
            "30"
        };
        csv.push_str(&format!(
            "A{id},Kommun,Göteborgs Stad,Äldreomsorg,Undersköterska,{minutes},Nej,Ja,Instämmer helt,Instämmer delvis,Instämmer helt,,2019-10-14 09:31\n"
        ));
    }
    let out = load_bytes("many.csv", csv.as_bytes()).unwrap();
    let r = &out.responses;
    assert_eq!(r.num_rows(), n);
    assert_eq!(out.duplicates, 1);
    let dup = r.column_by_name("is_duplicate").unwrap().as_boolean();
    let lines = r
        .column_by_name("source_line")
        .unwrap()
        .as_primitive::<Int64Type>();
    let dups: Vec<i64> = (0..n)
        .filter(|&i| dup.value(i))
        .map(|i| lines.value(i))
        .collect();
    // The header is line 1: row i is line i + 2, and the later answer is the repeat.
    assert_eq!(dups, vec![10_002]);
    assert!(
        lines.values().windows(2).all(|w| w[0] < w[1]),
        "rows in file order"
    );
    let nulled: Vec<i64> = out
        .quarantine
        .iter()
        .filter(|q| q.action == Action::ValueNulled)
        .filter_map(|q| q.source_line)
        .collect();
    assert_eq!(nulled, vec![102, 9_002, 17_002]);
}

/// A sink that refuses its `fail_at`-th batch of answers, as a full disk would.
struct Refusing {
    taken: usize,
    fail_at: usize,
}

impl friktion_ingest_survey::SurveySink for Refusing {
    fn answers(&mut self, _: RecordBatch) -> Result<(), friktion_ingest_survey::SinkError> {
        self.taken += 1;
        if self.taken == self.fail_at {
            return Err("no space left on device".into());
        }
        Ok(())
    }
    fn responses(&mut self, _: RecordBatch) -> Result<(), friktion_ingest_survey::SinkError> {
        Ok(())
    }
}

/// Answers are written a group of chunks behind the reading, beside the mapping of the next
/// group: a sink's failure there, or in the last write after the reading, still stops the
/// export with the sink's error, and nothing is written after the batch that failed.
#[test]
fn a_sink_failure_stops_ingest_wherever_the_batch_was_written() {
    use friktion_ingest_survey::{Context, SurveyError, SurveySource, ingest_table, open};
    let mut csv = header_row();
    // Five chunks of 8 192 rows: on two threads, a group of four and a group of one.
    for i in 0..40_000 {
        csv.push_str(&format!(
            "A{i},Kommun,Göteborgs Stad,Äldreomsorg,Undersköterska,30,Nej,Ja,Instämmer helt,Instämmer delvis,Instämmer helt,,2019-10-14 09:31\n"
        ));
    }
    let p = pseudonymiser();
    let ctx = Context {
        instrument: &crate::VISION,
        reference: &crate::REFERENCE,
        pseudonymiser: &p,
        population: None,
    };
    let src = SurveySource {
        source_file: "many.csv",
        bytes: csv.as_bytes(),
        wave_id: "test-2019",
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let run = |fail_at| {
        let mut sink = Refusing { taken: 0, fail_at };
        let table = open(&src, &crate::VISION).unwrap();
        let r = pool.install(|| ingest_table("many.csv", table, &ctx, &mut sink));
        (r, sink.taken)
    };
    let (ok, taken) = run(0);
    assert_eq!(ok.unwrap().rows_read, 40_000);
    assert_eq!(taken, 5);
    for fail_at in 1..=5 {
        let (r, taken) = run(fail_at);
        match r {
            Err(e @ SurveyError::Sink { .. }) => assert_eq!(
                friktion_core::error_chain(&e),
                "many.csv: the rows could not be written: no space left on device"
            ),
            other => panic!("batch {fail_at}: {other:?}"),
        }
        assert_eq!(
            taken, fail_at,
            "nothing is written after the batch that failed"
        );
    }
}
