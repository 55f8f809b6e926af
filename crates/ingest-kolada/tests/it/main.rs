//! Kolada downloads as analysts get them: the API's JSON (one line, as served, or pretty) and
//! the CSV export (as Excel in Sweden saves it), checked against Kolada's 6 099 definitions.

use std::path::PathBuf;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use friktion_core::Reference;
use friktion_ingest_kolada::{Definitions, KoladaFile, read};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(name: &str) -> KoladaFile {
    let reference = Reference::load(&workspace().join("sample-data/reference")).unwrap();
    let defs =
        Definitions::load(&workspace().join("sample-data/reference/kolada/kpi.csv")).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    read(name, &std::fs::read(path).unwrap(), &reference, &defs).unwrap()
}

fn rows(f: &KoladaFile) -> Vec<String> {
    f.values
        .iter()
        .map(|v| {
            format!(
                "{} {} {} {} {:?} {:?} {:?} line {}",
                v.kpi_id, v.kommun_kod, v.period, v.gender, v.value, v.count, v.status, v.line
            )
        })
        .collect()
}

#[test]
fn the_definitions_are_kolada_s_6099_kpis() {
    let d = Definitions::load(&workspace().join("sample-data/reference/kolada/kpi.csv")).unwrap();
    assert_eq!(d.kpis.len(), 6099);
    let k = d.get("U21341").unwrap();
    assert!(
        k.title
            .starts_with("GPS-larm (positioneringslarm) finns tillgängligt för äldre")
    );
    assert_eq!(k.operating_area, "Äldre och funktionshinder");
    let b = d.batch().unwrap();
    assert_eq!(b.num_rows(), 6099);
    assert_eq!(
        b.column_by_name("kpi_id")
            .unwrap()
            .as_string::<i32>()
            .value(0),
        "N00003"
    );
}

#[test]
fn an_api_answer_loads_with_every_gender_and_the_country() {
    let f = load("api-v2.json");
    assert!(!f.synthetic);
    assert_eq!(f.records, 8);
    assert!(f.quarantine.is_empty(), "{:?}", f.quarantine);
    assert_eq!(
        rows(&f),
        [
            "U21340 0180 2022 T Some(2.0) Some(1) None line 1",
            "U21340 0180 2023 T Some(2.0) Some(1) None line 1",
            "U21340 1480 2023 T Some(1.0) Some(1) None line 1",
            "N00945 0163 2022 K Some(84.2) Some(1) None line 1",
            "N00945 0163 2022 M Some(80.9) Some(1) None line 1",
            "N00945 0163 2022 T Some(82.6) Some(1) None line 1",
            "U21340 0000 2023 T Some(1.62) Some(290) None line 1",
            "U21340 0581 2023 T None None Some(\"Missing\") line 1",
        ]
    );
    // As the lake stores them.
    let b = f.batch("kolada/api-v2.json").unwrap();
    assert_eq!(b.num_rows(), 8);
    let v = b
        .column_by_name("value")
        .unwrap()
        .as_primitive::<Float64Type>();
    assert_eq!((v.value(5), v.is_null(7)), (82.6, true));
    let p = b
        .column_by_name("period")
        .unwrap()
        .as_primitive::<Int32Type>();
    assert_eq!(p.value(0), 2022);
    let c = b
        .column_by_name("count")
        .unwrap()
        .as_primitive::<Int64Type>();
    assert_eq!(c.value(6), 290);
    assert!(!b.column_by_name("synthetic").unwrap().as_boolean().value(0));
}

#[test]
fn a_csv_export_with_semicolons_decimal_commas_and_a_bom() {
    let f = load("export.csv");
    assert_eq!(f.records, 6);
    assert_eq!(
        rows(&f),
        [
            "N00945 0163 2023 K Some(84.9) Some(1) None line 2",
            "N00945 0163 2023 M Some(81.3) Some(1) None line 3",
            "N00945 0163 2023 T Some(83.1) Some(1) None line 4",
            "U21341 1480 2023 T Some(2.0) Some(1) None line 5",
            "U21341 1480 2024 T None None Some(\"Missing\") line 6",
        ]
    );
    let q = &f.quarantine;
    assert_eq!(q.len(), 1);
    assert_eq!(
        (
            q[0].source_line,
            q[0].field.as_deref(),
            q[0].raw_value.as_deref()
        ),
        (Some(7), Some("value"), Some("två"))
    );
}

#[test]
fn bad_values_are_quarantined_with_line_field_and_reason() {
    let f = load("defects.json");
    assert_eq!(f.records, 7);
    assert_eq!(
        rows(&f),
        ["U21340 0180 2024 T Some(2.0) Some(1) None line 8"]
    );
    let q: Vec<(Option<i64>, Option<&str>, &str)> = f
        .quarantine
        .iter()
        .map(|q| (q.source_line, q.field.as_deref(), q.reason.as_str()))
        .collect();
    assert_eq!(q.len(), 6, "{q:#?}");
    assert_eq!(q[0].0, Some(21));
    assert_eq!(q[0].1, Some("kpi"));
    assert!(q[0].2.contains("not among Kolada's KPI definitions"));
    assert_eq!(q[1].1, Some("municipality"));
    assert!(q[1].2.contains("not one of the 290"), "{}", q[1].2);
    assert_eq!(
        q[2].1,
        Some("municipality"),
        "a Kolada group is not a kommun"
    );
    assert_eq!((q[3].1, q[4].1), (Some("period"), Some("gender")));
    assert!(
        q[5].2.starts_with("a second value for U21340 0180 2024 T"),
        "{}",
        q[5].2
    );
    assert_eq!(q[5].0, Some(86));
}

#[test]
fn a_file_that_is_not_kolada_is_refused_with_its_name() {
    let reference = Reference::load(&workspace().join("sample-data/reference")).unwrap();
    let defs = Definitions::default();
    let e = read("x.json", b"{\"data\": []}", &reference, &defs).unwrap_err();
    assert!(
        e.to_string().contains("x.json") && e.to_string().contains("\"values\""),
        "{e}"
    );
    let e = read("x.json", b"{\"values\": [", &reference, &defs).unwrap_err();
    assert!(
        e.to_string().starts_with("x.json is not Kolada JSON"),
        "{e}"
    );
    let e = read("x.csv", b"a;b\n1;2\n", &reference, &defs).unwrap_err();
    assert!(e.to_string().contains("no column 'kpi'"), "{e}");
}
