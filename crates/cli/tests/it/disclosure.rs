//! Disclosure control on the published page and in the Kolada export: a cell below min_cell
//! is "..", a second cell goes with it so the published total cannot give it away, and every
//! suppression is in the disclosure log.

use crate::{Project, assert_ok, text};

fn report_dir(out: &str) -> std::path::PathBuf {
    crate::report_path(out).parent().unwrap().to_path_buf()
}

/// The cells of one row of the page's table for a wave: kommun name → cells.
fn row<'a>(html: &'a str, wave: &str, kommun: &str) -> &'a str {
    let section = html
        .split("<section>")
        .find(|s| s.contains(&format!("<h2>Enkätomgång {wave}</h2>")))
        .unwrap();
    section
        .lines()
        .find(|l| {
            l.starts_with("<tr><th scope=\"row\"><a href=")
                && l.contains(&format!(">{kommun}</a></th>"))
        })
        .unwrap_or_else(|| panic!("no row for {kommun} in {wave}"))
}

#[test]
fn a_single_small_cell_takes_a_second_with_it_and_neither_can_be_derived() {
    let p = Project::new();
    // In vision-2019 one kommun has fewer than 20 respondents (Hörby, 19).
    let cfg = p.config();
    let t = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("min_cell = 5", "min_cell = 20");
    std::fs::write(&cfg, t).unwrap();
    let o = p.run();
    assert_ok(&o);
    let dir = report_dir(&text(&o.stdout));
    let log = std::fs::read_to_string(dir.join("disclosure.csv")).unwrap();
    let hidden: Vec<Vec<String>> = log
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("friction_by_kommun vision-2019,"))
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(hidden.len(), 2, "{log}");
    assert_eq!(
        (hidden[0][2].as_str(), hidden[1][2].as_str()),
        ("primary", "complementary"),
        "{log}"
    );
    assert!(
        hidden[1][4].contains(&format!("protects {}", hidden[0][1])),
        "{log}"
    );

    // On the page both rows are dotted through, and the total row is there.
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let mart = p.sql_csv(
        "SELECT kommun_kod, kommun_name, n, mean_minutes FROM friction_by_kommun WHERE wave_id = 'vision-2019'",
    );
    let rows: Vec<Vec<String>> = mart
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    for h in &hidden {
        let r = rows.iter().find(|r| r[0] == h[1]).unwrap();
        let line = row(&html, "vision-2019", &r[1]);

        assert_eq!(line.matches(">..<").count(), 4, "{line}");
        // Its mean, as the page would print it, appears nowhere on the page or in the SVG.
        let mean: f64 = r[3].parse().unwrap();
        let shown = friktion_report::format::sv_number(mean, 1);
        assert!(
            !html.contains(&format!(">{shown}<")),
            "{shown} is on the page"
        );
    }
    assert!(html.contains("<tr class=\"total\"><th scope=\"row\">Alla svarande</th>"));

    // Total minus the shown cells leaves the two hidden ones together, never one alone:
    // n·mean of the pair is known, each one's is not.
    let shown_rows: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| !hidden.iter().any(|h| h[1] == r[0]))
        .collect();
    assert_eq!(shown_rows.len(), rows.len() - 2);

    // The chart's CSV beside the page hides the same rows, every value of them.
    let csv = std::fs::read_to_string(dir.join("data/friction_vision-2019.csv")).unwrap();
    assert!(html.contains("href=\"data/friction_vision-2019.csv\""));
    for h in &hidden {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{},", h[1])))
            .unwrap();
        assert!(line.ends_with(",..,..,..,..,.."), "{line}");
        let r = rows.iter().find(|r| r[0] == h[1]).unwrap();
        assert!(
            !csv.contains(&r[3]),
            "the hidden mean {} is in the CSV",
            r[3]
        );
    }

    // Each hidden kommun's own page hides its value and its rank in that wave too.
    for h in &hidden {
        let page =
            std::fs::read_to_string(dir.join("kommun").join(format!("{}.html", h[1]))).unwrap();
        let line = page
            .lines()
            .find(|l| l.starts_with("<tr><th scope=\"row\">vision-2019</th>"))
            .unwrap();
        assert_eq!(line.matches(">..<").count(), 4, "{line}");
    }

    // The Kolada export hides the same two cells, and no more in that KPI and year.
    let k = std::fs::read_to_string(dir.join("kolada.csv")).unwrap();
    for h in &hidden {
        let line = k
            .lines()
            .find(|l| l.starts_with(&format!("FRIKTION_MINUTER_DAG,{},2019,", h[1])))
            .unwrap();
        assert!(line.ends_with(",..") && line.contains(",T,,"), "{line}");
    }
    let dotted = k
        .lines()
        .filter(|l| {
            l.starts_with("FRIKTION_MINUTER_DAG,") && l.contains(",2019,") && l.ends_with(",..")
        })
        .count();
    assert_eq!(dotted, 2, "{k}");
}
