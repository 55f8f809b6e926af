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
            "status"
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
    // The country's median time to go-live has Kolada's code for the whole of Sweden.
    assert!(
        rows.iter()
            .any(|r| r[0] == "INFORANDE_MEDIAN_DAGAR" && r[1] == "0000" && r[2] == "2026")
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
