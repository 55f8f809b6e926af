//! Bad rows and values end in quarantine with their line, field and reason; the rest loads.

use friktion_core::quarantine::Action;

use super::*;

const HEADER: &str =
    "Projekt-ID;Kommun;Status;Spår;Beslut;Pilot;Driftsatt;Avbrutet;Budget (kr);NF01";

fn export(rows: &[&str]) -> Vec<u8> {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

fn mapping_for_test() -> Mapping {
    mapping(
        r#"
[columns]
project_id = "Projekt-ID"
kommun = "Kommun"
status = "Status"
track = "Spår"
budget_planned_sek = "Budget (kr)"
stage_dates = ["Beslut", "Pilot", "Driftsatt", "Avbrutet"]
[stages]
"Beslut" = "decision"
"Pilot" = "pilot"
"Driftsatt" = "go_live"
"Avbrutet" = "abandoned"
[factors]
"NF01" = "ledarskap"
"#,
    )
}

/// (line, field, action, reason) of every quarantine record.
fn records(out: &ProjectOutput) -> Vec<(i64, String, Action, String)> {
    out.quarantine
        .iter()
        .map(|q| {
            (
                q.source_line.unwrap(),
                q.field.clone().unwrap_or_default(),
                q.action,
                q.reason.clone(),
            )
        })
        .collect()
}

#[test]
fn bad_dates_and_unknown_labels_are_quarantined_and_the_rest_loads() {
    let bytes = export(&[
        "P-ok;Sollentuna;Driftsatt;Omsorg;2020-01-01;2020-06-01;2020-09-01;;100 000;4",
        // line 3: a date that is not a date, and an unknown status
        "P-date;Sollentuna;Pågår?;Omsorg;2020-13-01;;;;;",
        // line 4: pilot after go-live: loaded, flagged, out of time measures
        "P-order;Sollentuna;Driftsatt;Omsorg;2020-01-01;2021-06-01;2021-03-01;;;",
        // line 5: go-live in the future
        "P-future;Sollentuna;Pilot;Omsorg;2026-01-01;2026-05-01;2027-01-01;;;",
        // line 6: no id
        ";Sollentuna;Pilot;Omsorg;;;;;;",
        // line 7: unknown kommun
        "P-kommun;Sollentunna;Pilot;Omsorg;;;;;;",
        // line 8: the same id again
        "P-ok;Sollentuna;Pilot;Omsorg;;;;;;",
        // line 9: unknown track, a negative budget, a score out of range
        "P-values;Sollentuna;Beslut;Fritid;2022-01-01;;;;-5;7",
        // line 10: go-live without a decision
        "P-nodecision;Sollentuna;Driftsatt;Skola;;2022-01-01;2022-02-01;;;",
    ]);
    let out = load_with(&bytes, &mapping_for_test()).unwrap();
    assert_eq!(
        (
            out.rows_read,
            out.rows_written,
            out.rows_rejected,
            out.timelines_flagged
        ),
        (9, 6, 3, 2)
    );
    let q = records(&out);
    let has = |line: i64, field: &str, action: Action, text: &str| {
        assert!(
            q.iter()
                .any(|(l, f, a, r)| *l == line && f == field && *a == action && r.contains(text)),
            "no record for line {line} {field} '{text}' in {q:#?}"
        );
    };
    has(
        3,
        "Beslut",
        Action::ValueNulled,
        "'2020-13-01' is not a date",
    );
    has(3, "Status", Action::ValueNulled, "unknown status 'Pågår?'");
    has(
        4,
        "",
        Action::RowFlagged,
        "go_live (2021-03-01) is dated before pilot (2021-06-01)",
    );
    has(5, "Driftsatt", Action::ValueNulled, "after the data date");
    has(6, "Projekt-ID", Action::RowRejected, "no project id");
    has(
        7,
        "Kommun",
        Action::RowRejected,
        "unknown municipality 'Sollentunna'",
    );
    has(
        8,
        "Projekt-ID",
        Action::RowRejected,
        "appears more than once",
    );
    has(9, "Spår", Action::ValueNulled, "unknown track 'Fritid'");
    has(9, "Budget (kr)", Action::ValueNulled, "cannot be negative");
    has(9, "NF01", Action::ValueNulled, "neither a score 1–5");
    has(
        10,
        "",
        Action::RowFlagged,
        "go_live without a decision date",
    );
    assert_eq!(q.len(), 11, "{q:#?}");
    assert_eq!(out.values_nulled, 6);

    let ids = column(&out.projects, "project_id");
    assert_eq!(
        ids,
        [
            "P-ok",
            "P-date",
            "P-order",
            "P-future",
            "P-values",
            "P-nodecision"
        ]
    );
    let issues = column(&out.projects, "timeline_issue");
    assert_eq!(issues[0], "∅");
    assert!(issues[2].contains("dated before pilot"), "{}", issues[2]);
    // The future go-live is left out; the decision and pilot stay.
    let future: Vec<String> = rows(&out.stages, &["source_file"])
        .into_iter()
        .filter(|r| r[0] == "P-future")
        .map(|r| format!("{} {} {}", r[1], r[2], r[3]))
        .collect();
    assert_eq!(future, ["decision 2026-01-01 5", "pilot 2026-05-01 5"]);
}

#[test]
fn unknown_stage_labels_in_a_json_stage_list_are_quarantined() {
    let text = r#"{"projekt": [
{"id": "P-1", "kommun": "0163", "faser": [
   {"fas": "Beslut", "datum": "2020-01-01"},
   {"fas": "Klart typ", "datum": "2020-05-01"},
   {"fas": "Driftsatt", "datum": "2020-06-01"}]}
]}"#;
    let out = load_with(text.as_bytes(), &mapping(super::formats::JSON_MAPPING)).unwrap();
    assert_eq!(out.rows_written, 1);
    let q = records(&out);
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(
        (q[0].0, q[0].1.as_str(), q[0].2),
        (2, "faser[1]", Action::ValueNulled)
    );
    assert!(
        q[0].3.contains("unknown stage label 'Klart typ'"),
        "{}",
        q[0].3
    );
    assert!(
        q[0].3.contains("Driftsatt"),
        "lists the known labels: {}",
        q[0].3
    );
    assert_eq!(column(&out.stages, "stage"), ["decision", "go_live"]);
}

#[test]
fn personal_data_in_a_rejected_value_is_redacted() {
    let bytes = export(&["P-1;anna.svensson@kommun.se;Pilot;Omsorg;;;;;;"]);
    let out = load_with(&bytes, &mapping_for_test()).unwrap();
    let raw = out.quarantine[0].raw_value.clone().unwrap();
    assert!(!raw.contains("anna.svensson"), "{raw}");
}

#[test]
fn json_with_stage_dates_as_plain_fields_reads_them_like_columns() {
    let m = mapping(
        r#"
[columns]
project_id = "id"
kommun = "kommun"
stage_dates = ["beslut", "driftsatt"]
[stages]
beslut = "decision"
driftsatt = "go_live"
"#,
    );
    let text = r#"[{"id": "P-1", "kommun": "Göteborg", "beslut": "2021-03-04", "driftsatt": "2021-03-01"}]"#;
    let out = load_with(text.as_bytes(), &m).unwrap();
    assert_eq!(column(&out.stages, "stage"), ["decision", "go_live"]);
    // Go-live three days before the decision: loaded, and flagged with the reason.
    assert_eq!(out.timelines_flagged, 1);
    assert!(
        column(&out.projects, "timeline_issue")[0]
            .contains("go_live (2021-03-01) is dated before decision (2021-03-04)")
    );
}
