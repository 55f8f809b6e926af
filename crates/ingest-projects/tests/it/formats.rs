//! The same portfolio as CSV (UTF-8 and Windows-1252), XLSX and JSON loads the same rows.

use super::*;

const HEADER: &str = "Projekt-ID;Kommun;Projektnamn;Lösning;Spår;Status;Idé;Beslut;Upphandling;Pilot;Driftsatt;Införd i ordinarie verksamhet;Avbrutet;Budget (kr);Utfall (kr);Mål antal användare;Antal användare;NF01;NF02";

/// (id, kommun, solution, track, status, [idea, decision, procurement, pilot, go_live, forvaltning, abandoned], budget, cost, target, reached, nf01, nf02)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [&'static str; 7],
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const ROWS: [Row; 3] = [
    (
        "P-1",
        "Sollentuna",
        "GPS-larm",
        "Omsorg",
        "Driftsatt",
        [
            "2019-02-01",
            "2019-05-10",
            "2019-08-01",
            "2019-11-01",
            "2020-03-15",
            "",
            "",
        ],
        "1 250 000",
        "1 400 500",
        "120",
        "96",
        "4",
        "Främjande",
    ),
    (
        "P-2",
        "1480",
        "Lärplattform",
        "Skola och lärande",
        "Avbrutet",
        ["", "2021-01-04", "", "", "", "", "2021-09-30"],
        "800 000",
        "",
        "400",
        "",
        "2",
        "hämmande",
    ),
    (
        "P-3",
        "Göteborg",
        "Digital nattillsyn",
        "Vård och omsorg",
        "Pilot",
        [
            "2024-01-10",
            "2024-06-01",
            "2025-01-15",
            "2025-09-01",
            "",
            "",
            "",
        ],
        "2 000 000",
        "",
        "60",
        "",
        "",
        "3",
    ),
];

pub fn csv_text() -> String {
    let mut s = format!("{HEADER}\r\n");
    for r in ROWS {
        let name = format!("{} i {}", r.2, r.1);
        let mut f = vec![r.0, r.1, &name, r.2, r.3, r.4];
        f.extend(r.5);
        f.extend([r.6, r.7, r.8, r.9, r.10, r.11]);
        s.push_str(&f.join(";"));
        s.push_str("\r\n");
    }
    s
}

fn expected_projects(out: &ProjectOutput) {
    assert_eq!(
        (out.rows_read, out.rows_written, out.rows_rejected),
        (3, 3, 0)
    );
    assert!(out.quarantine.is_empty(), "{:?}", out.quarantine);
    let p = &out.projects;
    assert_eq!(column(p, "kommun_kod"), ["0163", "1480", "1480"]);
    assert_eq!(column(p, "track"), ["omsorg", "skola", "omsorg"]);
    assert_eq!(column(p, "status"), ["go_live", "abandoned", "pilot"]);
    assert_eq!(
        column(p, "budget_planned_sek"),
        ["1250000", "800000", "2000000"]
    );
    assert_eq!(column(p, "cost_actual_sek"), ["1400500", "∅", "∅"]);
    assert_eq!(column(p, "users_reached"), ["96", "∅", "∅"]);
    assert_eq!(column(p, "data_date"), ["2026-11-01"; 3]);
    assert_eq!(column(p, "timeline_issue"), ["∅"; 3]);
    let s = &out.stages;
    assert_eq!(
        rows(s, &["source_file", "source_line"])
            .iter()
            .map(|r| r.join(" "))
            .collect::<Vec<_>>(),
        [
            "P-1 idea 2019-02-01",
            "P-1 decision 2019-05-10",
            "P-1 procurement 2019-08-01",
            "P-1 pilot 2019-11-01",
            "P-1 go_live 2020-03-15",
            "P-2 decision 2021-01-04",
            "P-2 abandoned 2021-09-30",
            "P-3 idea 2024-01-10",
            "P-3 decision 2024-06-01",
            "P-3 procurement 2025-01-15",
            "P-3 pilot 2025-09-01",
        ]
    );
    assert_eq!(
        rows(&out.factors, &["source_file", "source_line"])
            .iter()
            .map(|r| r.join(" "))
            .collect::<Vec<_>>(),
        [
            "P-1 ledarskap 4 ∅ ∅",
            "P-1 gemensam_malbild ∅ främjande ∅",
            "P-2 ledarskap 2 ∅ ∅",
            "P-2 gemensam_malbild ∅ hämmande ∅",
            "P-3 gemensam_malbild 3 ∅ ∅",
        ]
    );
}

#[test]
fn csv_in_utf8_loads_every_field_with_its_line() {
    let out = load(csv_text().as_bytes());
    assert_eq!(out.format, "csv");
    expected_projects(&out);
    assert_eq!(column(&out.projects, "source_line"), ["2", "3", "4"]);
    assert_eq!(
        column(&out.projects, "source_file"),
        ["projects/export.csv"; 3]
    );
}

#[test]
fn csv_in_windows_1252_loads_the_same() {
    let text = csv_text();
    let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!bytes.is_ascii() && std::str::from_utf8(&bytes).is_err());
    assert!(!bad);
    let out = load(&bytes);
    expected_projects(&out);
}

#[test]
fn xlsx_loads_the_same_with_real_date_cells() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Projekt").unwrap();
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    for (j, h) in HEADER.split(';').enumerate() {
        ws.write_string(0, j as u16, h).unwrap();
    }
    for (i, line) in csv_text().lines().skip(1).enumerate() {
        let row = i as u32 + 1;
        for (j, v) in line.split(';').enumerate() {
            let col = j as u16;
            if v.is_empty() {
                continue;
            }
            if (6..13).contains(&j) {
                let d = ExcelDateTime::parse_from_str(v).unwrap();
                ws.write_datetime_with_format(row, col, &d, &date_fmt)
                    .unwrap();
            } else if let Ok(n) = v.replace(' ', "").parse::<f64>() {
                ws.write_number(row, col, n).unwrap();
            } else {
                ws.write_string(row, col, v).unwrap();
            }
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let out = load(&bytes);
    assert_eq!(out.format, "workbook");
    expected_projects(&out);
    assert_eq!(column(&out.projects, "source_line"), ["2", "3", "4"]);
}

pub const JSON_MAPPING: &str = r#"
[columns]
project_id = "id"
kommun = "kommun"
solution = "losning"
track = "spar"
status = "status"
budget_planned_sek = "ekonomi.budget"
cost_actual_sek = "ekonomi.utfall"
users_target = "anvandare.mal"
users_reached = "anvandare.utfall"
[stages]
"Idé" = "idea"
"Beslut" = "decision"
"Upphandling" = "procurement"
"Pilot" = "pilot"
"Driftsatt" = "go_live"
"Avbrutet" = "abandoned"
[tracks]
"Skola och lärande" = "skola"
"Vård och omsorg" = "omsorg"
[factors]
"faktorer.NF01" = "ledarskap"
"faktorer.NF02" = "gemensam_malbild"
[json]
records = "projekt"
stage_list = "faser"
stage_label = "fas"
stage_date = "datum"
"#;

/// The same three projects as a portfolio tool's JSON export, built from the CSV rows.
pub fn json_text() -> String {
    let labels = [
        "Idé",
        "Beslut",
        "Upphandling",
        "Pilot",
        "Driftsatt",
        "",
        "Avbrutet",
    ];
    let projects: Vec<serde_json::Value> = ROWS
        .iter()
        .map(|r| {
            let faser: Vec<serde_json::Value> =
                r.5.iter()
                    .zip(labels)
                    .filter(|(d, _)| !d.is_empty())
                    .map(|(d, l)| serde_json::json!({"fas": l, "datum": d}))
                    .collect();
            let num = |s: &str| (!s.is_empty()).then(|| s.replace(' ', "").parse::<f64>().unwrap());
            serde_json::json!({
                "id": r.0, "kommun": r.1, "losning": r.2, "spar": r.3, "status": r.4,
                "faser": faser,
                "ekonomi": {"budget": num(r.6), "utfall": num(r.7)},
                "anvandare": {"mal": num(r.8), "utfall": num(r.9)},
                "faktorer": {"NF01": r.10, "NF02": r.11},
            })
        })
        .collect();
    serde_json::to_string_pretty(
        &serde_json::json!({"exporterad": "2026-11-01", "projekt": projects}),
    )
    .unwrap()
}

#[test]
fn json_loads_the_same_with_the_line_each_project_starts_on() {
    let text = json_text();
    let out = load_with(text.as_bytes(), &mapping(JSON_MAPPING)).unwrap();
    assert_eq!(out.format, "json");
    expected_projects(&out);
    let lines: Vec<String> = column(&out.projects, "source_line");
    for l in &lines {
        let n: usize = l.parse().unwrap();
        assert_eq!(text.lines().nth(n - 1).unwrap().trim(), "{", "line {n}");
    }
}

#[test]
fn a_missing_id_column_names_the_mapping_and_the_columns_found() {
    let e = load_with(b"Id;Kommun\n1;Sollentuna\n", &MAPPING).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("no column 'Projekt-ID'") && msg.contains("its columns are: Id, Kommun"),
        "{msg}"
    );
}
