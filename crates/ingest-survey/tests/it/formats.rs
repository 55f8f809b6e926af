//! Every encoding, delimiter and format a survey arrives in, with the same five answers:
//! four load, one (the unknown municipality "Atlantis") is quarantined.

use arrow::array::{Array, AsArray};
use arrow::datatypes::Float64Type;
use friktion_ingest_survey::Instrument;
use friktion_ingest_survey::read::ReadError;
use friktion_ingest_survey::{SurveyError, SurveyOutput};

use crate::{VISION, fixture_bytes, load, load_bytes, load_with, root};

/// The Vision instrument with the sheet named, for workbooks whose answers are not first.
fn vision_on_sheet(sheet: &str, header_row: usize) -> Instrument {
    let path = root().join("pipelines/instruments/vision-it-strul.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "header_row = 1\n",
        &format!("header_row = {header_row}\nsheet = \"{sheet}\"\n"),
    );
    Instrument::parse(&text, &path).unwrap()
}

/// `atlantis_line`: where the bad row is, as an editor or Excel numbers it.
fn assert_five_answers(out: &SurveyOutput, atlantis_line: i64) {
    assert_eq!(
        (out.rows_read, out.rows_written, out.rows_rejected),
        (5, 4, 1),
        "{:#?}",
        out.quarantine
    );
    let atlantis = out
        .quarantine
        .iter()
        .find(|q| q.raw_value.as_deref() == Some("Atlantis"))
        .unwrap();
    assert_eq!(atlantis.source_line, Some(atlantis_line));
    let m = out
        .responses
        .column_by_name("minutes_lost")
        .unwrap()
        .as_primitive::<Float64Type>();
    let minutes: Vec<Option<f64>> = (0..m.len())
        .map(|i| (!m.is_null(i)).then(|| m.value(i)))
        .collect();
    assert_eq!(
        minutes,
        vec![Some(30.0), Some(32.5), Some(90.0), Some(23.0)]
    );
    let v = out
        .responses
        .column_by_name("verksamhet")
        .unwrap()
        .as_string::<i32>();
    assert_eq!(v.value(2), "ifo");
    let comments: Vec<&str> = out
        .answers
        .column_by_name("value_label")
        .unwrap()
        .as_string::<i32>()
        .iter()
        .flatten()
        .collect();
    assert!(
        comments.contains(&"Systemet hänger sig; ofta"),
        "å, ä, ö and the delimiter inside quotes survive"
    );
}

#[test]
fn utf8_with_bom_and_commas() {
    let out = load("utf8_bom_comma.csv").unwrap();
    assert_eq!((out.encoding, out.delimiter), ("utf-8", Some(b',')));
    assert_five_answers(&out, 6);
}

#[test]
fn utf16_from_excels_unicode_text_export() {
    let out = load("utf16le_tab.txt").unwrap();
    assert_eq!((out.encoding, out.delimiter), ("utf-16le", Some(b'\t')));
    assert_five_answers(&out, 6);
}

#[test]
fn latin1_with_semicolons() {
    let out = load("latin1_semicolon.csv").unwrap();
    assert_eq!((out.encoding, out.delimiter), ("windows-1252", Some(b';')));
    assert_five_answers(&out, 6);
}

#[test]
fn xls_from_a_named_sheet() {
    let out = load_with(
        "vision.xls",
        &fixture_bytes("vision.xls"),
        &vision_on_sheet("Svar", 1),
        None,
    )
    .unwrap();
    assert_eq!(out.format, "workbook");
    assert_five_answers(&out, 6);
}

#[test]
fn ods_from_libreoffice() {
    let out = load("vision.ods").unwrap();
    assert_eq!(out.format, "workbook");
    assert_five_answers(&out, 6);
}

#[test]
fn xlsx_written_by_a_spreadsheet_library_with_title_rows_dates_and_numeric_codes() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let csv = String::from_utf8(fixture_bytes("utf8_bom_comma.csv")[3..].to_vec()).unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes());
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let mut wb = Workbook::new();
    wb.add_worksheet()
        .set_name("Om enkäten")
        .unwrap()
        .write_string(0, 0, "Läs mig")
        .unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("Svar").unwrap();
    ws.write_string(0, 0, "IT-strul 2019, export").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for (r, row) in rows.iter().enumerate() {
        let xr = 2 + r as u32; // header on row 3
        for (c, v) in row.iter().enumerate() {
            let c16 = c as u16;
            match (r, c) {
                (0, _) => ws.write_string(xr, c16, v).map(|_| ()),
                // Minutes typed as numbers become number cells.
                (_, 5) if v.parse::<f64>().is_ok() => ws
                    .write_number(xr, c16, v.parse::<f64>().unwrap())
                    .map(|_| ()),
                (_, 12) => {
                    let dt = ExcelDateTime::parse_from_str(v).unwrap();
                    ws.write_datetime_with_format(xr, c16, &dt, &date)
                        .map(|_| ())
                }
                _ => ws.write_string(xr, c16, v).map(|_| ()),
            }
            .unwrap();
        }
    }
    // Göteborg's row gets its workplace as a kommun code stored as a number: 1480.
    ws.write_number(3, 2, 1480.0).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let out = load_with("vision.xlsx", &bytes, &vision_on_sheet("Svar", 3), None).unwrap();
    assert_five_answers(&out, 8);
    let k = out
        .responses
        .column_by_name("kommun_kod")
        .unwrap()
        .as_string::<i32>();
    assert_eq!(k.value(0), "1480");
    let ts = out
        .responses
        .column_by_name("submitted_at")
        .unwrap()
        .as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
    let t = chrono::DateTime::from_timestamp_micros(ts.value(0)).unwrap();
    assert_eq!(
        t.to_rfc3339(),
        "2019-10-14T07:31:00+00:00",
        "09:31 in Stockholm summer time"
    );
}

#[test]
fn a_wrong_encoding_declaration_is_caught_not_loaded_as_mojibake() {
    let path = root().join("pipelines/instruments/vision-it-strul.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("encoding = \"auto\"", "encoding = \"windows-1252\"");
    let ins = Instrument::parse(&text, &path).unwrap();
    let err = load_with("utf8.csv", &fixture_bytes("utf8_bom_comma.csv"), &ins, None).unwrap_err();
    assert!(
        matches!(
            err,
            SurveyError::Read {
                source: ReadError::LooksUtf8 { .. },
                ..
            }
        ),
        "{err}"
    );
    let msg = friktion_core::error_chain(&err);
    assert!(msg.contains("Ã¤"), "{msg}");
}

#[test]
fn text_already_damaged_by_a_bad_conversion_is_reported() {
    let mut bytes = fixture_bytes("utf8_bom_comma.csv");
    let text =
        String::from_utf8(bytes.split_off(3))
            .unwrap()
            .replacen("Göteborgs", "G\u{FFFD}teborgs", 1);
    let err = load_bytes("damaged.csv", text.as_bytes()).unwrap_err();
    assert!(
        friktion_core::error_chain(&err).contains("line 2")
            && friktion_core::error_chain(&err).contains("replacement"),
        "{err}"
    );
}

#[test]
fn a_column_pattern_finds_a_reworded_question_and_refuses_to_guess() {
    let path = root().join("pipelines/instruments/vision-it-strul.toml");
    let reworded = String::from_utf8(fixture_bytes("utf8_bom_comma.csv"))
        .unwrap()
        .replace(
            "Hur mycket arbetstid förlorar du en vanlig arbetsdag på grund av IT-strul? (minuter)",
            "Ungefär hur mycket arbetstid förlorar du per dag på grund av IT-problem?",
        );
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "column = \"Hur mycket arbetstid förlorar du en vanlig arbetsdag på grund av IT-strul? (minuter)\"",
        "pattern = \"arbetstid.*förlorar.*dag\"",
    );
    let ins = Instrument::parse(&text, &path).unwrap();
    assert_five_answers(
        &load_with("reworded.csv", reworded.as_bytes(), &ins, None).unwrap(),
        6,
    );
    let loose = text.replace("pattern = \"arbetstid.*förlorar.*dag\"", "pattern = \"IT\"");
    let ins = Instrument::parse(&loose, &path).unwrap();
    let err = load_with("reworded.csv", reworded.as_bytes(), &ins, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("matches") && err.contains("columns"), "{err}");
    assert_eq!(VISION.id, "vision-it-strul");
}
