//! The Kolada-shaped export beside the report: kpi_id, kommun_kod, period, gender, value, n,
//! status; small cells published as "..".

use crate::{Project, Ran};

/// The export the run wrote, as rows of fields.
fn export(o: &Ran) -> (std::path::PathBuf, Vec<Vec<String>>) {
    let path = o.summary().kolada.clone().expect("a Kolada export");
    let rows = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (path, rows)
}

#[test]
fn every_kpi_lines_up_with_its_mart_and_small_cells_are_dotted() {
    let p = Project::new();
    let o = p.run();
    o.ok();
    let (path, rows) = export(&o);
    assert_eq!(
        rows[0],
        [
            "kpi_id",
            "kommun_kod",
            "period",
            "gender",
            "value",
            "n",
            "status",
            "source"
        ]
    );
    // Sollentuna's 2019 value is friction_by_kommun's mean for vision-2019.
    let mart = p.sql_csv(
        "SELECT mean_minutes, n FROM friction_by_kommun WHERE kommun_kod = '0163' AND wave_id = 'vision-2019'",
    );
    let (mean, n) = mart.lines().nth(1).unwrap().split_once(',').unwrap();
    let row = rows
        .iter()
        .find(|r| r[0] == "FRIKTION_MINUTER_DAG" && r[1] == "0163" && r[2] == "2019")
        .expect("a row for Sollentuna 2019");
    assert_eq!(
        (
            row[3].as_str(),
            row[4].as_str(),
            row[5].as_str(),
            row[6].as_str()
        ),
        ("T", mean, n, "")
    );
    assert_eq!(row[7], "friktion", "friktion's own indicator");
    // The country's median time to go-live has Kolada's code for the whole of Sweden.
    assert!(
        rows.iter()
            .any(|r| r[0] == "FRIKTION_INFORANDE_MEDIAN_DAGAR" && r[1] == "0000" && r[2] == "2026")
    );
    // The Parquet beside it has the same rows.
    let pq = path.with_extension("parquet");
    let f =
        parquet::file::reader::SerializedFileReader::new(std::fs::File::open(pq).unwrap()).unwrap();
    use parquet::file::reader::FileReader;
    assert_eq!(
        f.metadata().file_metadata().num_rows() as usize,
        rows.len() - 1
    );

    // With a minimum cell of 30, cells with fewer than 30 behind them are "..", without a value.
    p.set_min_cell(30);
    let o = p.run();
    o.ok();
    let (_, rows) = export(&o);
    let small: Vec<&Vec<String>> = rows[1..]
        .iter()
        .filter(|r| r[5].parse::<i64>().is_ok_and(|n| n < 30))
        .collect();
    assert!(!small.is_empty());
    for r in &small {
        assert_eq!((r[4].as_str(), r[6].as_str()), ("", ".."), "{r:?}");
    }
    assert!(
        rows[1..]
            .iter()
            .filter(|r| r[6].is_empty())
            .all(|r| r[5].parse::<i64>().unwrap() >= 30)
    );
}

#[test]
fn every_exported_id_is_kolada_s_or_in_friktion_s_own_namespace() {
    let p = Project::new();
    let o = p.run();
    o.ok();
    let (_, rows) = export(&o);
    let defs =
        std::fs::read_to_string(p.path().join("sample-data/reference/kolada/kpi.csv")).unwrap();
    let kolada: std::collections::BTreeSet<&str> = defs
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(kolada.len(), 6099);
    assert!(rows.len() > 50);
    for r in &rows[1..] {
        match r[7].as_str() {
            "kolada" => assert!(kolada.contains(r[0].as_str()), "{r:?}"),
            "friktion" => assert!(r[0].starts_with("FRIKTION_") && !kolada.contains(r[0].as_str())),
            other => panic!("source {other}: {r:?}"),
        }
    }

    // A model that publishes under a Kolada id must use one Kolada defines; then the export
    // says it is Kolada's.
    let model = p.path().join("pipelines/models/time_to_go_live.sql");
    let sql = std::fs::read_to_string(&model).unwrap();
    let with = |id: &str| {
        let header = format!(
            "-- kolada: kpi={id} value=median_days n=n_projects kommun=grp period=data_date where=dimension = 'kommun'\n"
        );
        std::fs::write(
            &model,
            sql.replacen("-- kolada:", &format!("{header}-- kolada:"), 1),
        )
        .unwrap();
    };
    with("U99999");
    let e = friktion_core::error_chain(&p.run_with(&Default::default()).unwrap_err());
    assert!(
        e.contains("time_to_go_live.sql: kpi=U99999 is not among Kolada's KPI definitions"),
        "{e}"
    );
    with("MEDIAN_DAGAR");
    let e = friktion_core::error_chain(&p.run_with(&Default::default()).unwrap_err());
    assert!(
        e.contains("nor in friktion's own namespace (FRIKTION_…)"),
        "{e}"
    );
    with("U21341");
    let o = p.run();
    o.ok();
    let (_, rows) = export(&o);
    let ours = rows
        .iter()
        .find(|r| r[0] == "U21341")
        .expect("a row under U21341");
    assert_eq!(ours[7], "kolada");
}

#[test]
fn kolada_json_and_csv_load_beside_friktion_s_measures_marked_synthetic() {
    let p = Project::new();
    let o = p.run();
    o.ok();
    // The JSON: 12 kommuner × 4 KPIs × 4 years; the CSV: 12 × 3 × 4.
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            p.path()
                .join("sample-data/kolada/valfardsteknik-aldre-synthetic.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(json["synthetic"], true);
    let counts = crate::count(
        &p,
        "SELECT source_file, COUNT(*) AS n, SUM(value) AS total, BOOL_AND(synthetic) AS s \
         FROM kolada_value GROUP BY source_file ORDER BY source_file",
    );
    let want_json: f64 = json["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["values"][0]["value"].as_f64().unwrap())
        .sum();
    let csv = std::fs::read_to_string(
        p.path()
            .join("sample-data/kolada/valfardsteknik-funktionsnedsattning-synthetic.csv"),
    )
    .unwrap();
    let want_csv: f64 = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(4).unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(
        counts,
        format!(
            "sample-data/kolada/valfardsteknik-aldre-synthetic.json,192,{want_json:?},true\n\
             sample-data/kolada/valfardsteknik-funktionsnedsattning-synthetic.csv,144,{want_csv:?},true"
        )
    );
    // One value checked through: Sollentuna's digital supervision for older people, 2024.
    let one = crate::count(
        &p,
        "SELECT value FROM kolada_value WHERE kpi_id = 'U21340' AND kommun_kod = '0163' AND period = 2024",
    );
    let want = json["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kpi"] == "U21340" && e["municipality"] == "0163" && e["period"] == 2024)
        .unwrap()["values"][0]["value"]
        .as_f64()
        .unwrap();
    assert_eq!(one.trim().parse::<f64>().unwrap(), want);
    assert_eq!(crate::count(&p, "SELECT COUNT(*) FROM kolada_kpi"), "6099");

    // The mart relates time to go-live and adoption where both exist.
    let m = crate::count(
        &p,
        "SELECT COUNT(*), COUNT(DISTINCT kommun_kod), BOOL_AND(synthetic), MIN(kolada_value), MAX(kolada_value) \
         FROM kolada_adoption_go_live",
    );
    let m: Vec<&str> = m.trim().split(',').collect();
    assert!(m[0].parse::<i64>().unwrap() > 20, "{m:?}");
    assert!(m[1].parse::<i64>().unwrap() >= 5, "{m:?}");
    assert_eq!((m[2], m[3], m[4]), ("true", "0.0", "2.0"));
    let check = crate::count(
        &p,
        "SELECT COUNT(*) FROM kolada_adoption_go_live a \
         JOIN project_time_to_go_live t ON t.kommun_kod = a.kommun_kod AND t.solution = a.solution \
         WHERE a.kpi_id = 'U21341' GROUP BY a.kommun_kod, a.period, a.projects \
         HAVING COUNT(*) <> a.projects",
    );
    assert_eq!(check, "", "projects counts per kommun and solution");

    // The warning, and the report, say the figures are made up.
    assert!(o.told().contains(
        "valfardsteknik-aldre-synthetic.json: synthetic figures (made by friktion synth), not Kolada's"
    ));
    let html = std::fs::read_to_string(o.report()).unwrap();
    assert!(html.contains("<strong>Syntetiska uppgifter.</strong>"));
    assert!(html.contains(
        "sample-data/kolada/valfardsteknik-aldre-synthetic.json <strong>(syntetisk)</strong>"
    ));
}

#[test]
fn new_kolada_definitions_reload_the_files_checked_against_them() {
    let p = Project::new();
    p.run().ok();
    // A revised title, the same number of KPIs.
    let defs = p.path().join("sample-data/reference/kolada/kpi.csv");
    let text = std::fs::read_to_string(&defs).unwrap();
    std::fs::write(
        &defs,
        text.replacen("GPS-larm (positioneringslarm)", "GPS-larm", 1),
    )
    .unwrap();
    let o = p.run();
    let s = o.ok();
    let kolada: Vec<_> = s
        .sources
        .iter()
        .filter(|r| r.file.starts_with("sample-data/kolada/"))
        .map(|r| r.action)
        .collect();
    assert_eq!(
        kolada,
        [
            friktion_core::LedgerAction::Replaced,
            friktion_core::LedgerAction::Replaced
        ]
    );
}
