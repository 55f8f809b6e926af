//! Disclosure control on the published page and in the Kolada export: a cell below min_cell
//! is "..", a second cell goes with it so the published total cannot give it away, and every
//! suppression is in the disclosure log.

use crate::Project;

/// The cells of one row of the page's table for a wave: kommun name → cells.
fn row<'a>(html: &'a str, wave: &str, kommun: &str) -> &'a str {
    let section = html
        .split("<section>")
        .find(|s| s.contains(&format!("<h2>Kommunerna jämförda, {wave}</h2>")))
        .unwrap();
    section
        .lines()
        .find(|l| {
            l.starts_with("<tr><th scope=\"row\"><a href=")
                && l.contains(&format!(">{kommun}</a></th>"))
        })
        .unwrap_or_else(|| panic!("no row for {kommun} in {wave}"))
}

/// The demo run with cells under 20 hidden; its project and report directory.
fn run_with_min_cell_20() -> (Project, std::path::PathBuf) {
    let p = Project::new();
    p.set_min_cell(20);
    let o = p.run();
    o.ok();
    let dir = o.report().parent().unwrap().to_path_buf();
    (p, dir)
}

#[test]
fn a_single_small_cell_takes_a_second_with_it_and_neither_can_be_derived() {
    // In vision-2019 one kommun has fewer than 20 respondents (Hörby, 19).
    let (p, dir) = run_with_min_cell_20();
    let log = std::fs::read_to_string(dir.join("disclosure.csv")).unwrap();
    let hidden: Vec<Vec<String>> = log
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("friction_by_kommun vision-2019,"))
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    // One primary cell; complementary ones protect it (and each other) in the country, its
    // kommungrupp and its county, the three totals the pages publish.
    let cells: Vec<&Vec<String>> = hidden.iter().filter(|h| h[2] != "total").collect();
    assert_eq!(cells[0][2], "primary", "{log}");
    assert!(cells[1..].iter().all(|h| h[2] == "complementary"), "{log}");
    assert!(
        cells[1..]
            .iter()
            .any(|h| h[4].contains(&format!("protects {}", cells[0][1]))),
        "{log}"
    );
    // In every group with a hidden cell, a second cell is hidden or the group's total is:
    // no published total less the shown cells leaves one hidden cell alone.
    let groups = p.sql_csv(
        "SELECT kommun_kod, peer_group, lan_name FROM kommun_benchmark WHERE wave_id = 'vision-2019'",
    );
    let groups: Vec<Vec<String>> = groups
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let is_hidden = |kod: &str| cells.iter().any(|h| h[1] == kod);
    for (col, prefix) in [(1, "peer"), (2, "county")] {
        for g in groups.iter().filter(|g| is_hidden(&g[0])) {
            let in_group = groups
                .iter()
                .filter(|o| o[col] == g[col] && is_hidden(&o[0]))
                .count();
            let total_hidden = hidden
                .iter()
                .any(|h| h[1] == format!("total:{prefix}:{}", g[col]));
            assert!(
                in_group >= 2 || total_hidden,
                "{} in {prefix} {}: {log}",
                g[0],
                g[col]
            );
        }
    }
    let hidden: Vec<Vec<String>> = cells.into_iter().cloned().collect();

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
        // Its mean, as the page would print it, appears nowhere in the wave's table or chart
        // (another table may hold the same number by chance: 25,7 for a verksamhet).
        let mean: f64 = r[3].parse().unwrap();
        let shown = friktion_report::format::sv_number(mean, 1);
        let section = html
            .split("<section>")
            .find(|s| s.contains("<h2>Kommunerna jämförda, vision-2019</h2>"))
            .unwrap();
        assert!(
            !section.contains(&format!(">{shown}<")),
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
    assert_eq!(shown_rows.len(), rows.len() - hidden.len());

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
        // n, mean, interval and rank; the peer or county mean may be hidden with them.
        let cells: Vec<&str> = line.split("<td").skip(1).collect();
        for i in [0, 1, 2, 6] {
            assert!(cells[i].contains(">..<"), "{line}");
        }
    }

    // The Kolada export hides the same two cells, and no more in that KPI and year.
    let k = std::fs::read_to_string(dir.join("kolada.csv")).unwrap();
    for h in &hidden {
        let line = k
            .lines()
            .find(|l| l.starts_with(&format!("FRIKTION_MINUTER_DAG,{},2019,", h[1])))
            .unwrap();
        assert!(
            line.ends_with(",..,friktion") && line.contains(",T,,"),
            "{line}"
        );
    }
    let dotted = k
        .lines()
        .filter(|l| {
            l.starts_with("FRIKTION_MINUTER_DAG,")
                && l.contains(",2019,")
                && l.ends_with(",..,friktion")
        })
        .count();
    assert_eq!(dotted, hidden.len(), "{k}");
}

/// The section of a page between the heading or caption that contains `marker` and the end of
/// its figure.
fn figure_with<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not on the page"));
    let end = html[at..].find("</figure>").unwrap() + at;
    &html[at..end]
}

#[test]
fn every_chart_hides_small_cells_in_its_picture_table_and_csv_and_the_map_too() {
    let (p, dir) = run_with_min_cell_20();
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let log = std::fs::read_to_string(dir.join("disclosure.csv")).unwrap();
    let logged = |table: &str| -> Vec<String> {
        log.lines()
            .filter(|l| l.starts_with(&format!("{table},")))
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect()
    };

    // The distribution: bands under 20 answers (90–120 with 18, 120+ with 14) are dotted in
    // the CSV and absent from the chart; two are hidden, never one alone beside the total.
    let hidden = logged("friction_distribution vision-2019");
    assert_eq!(hidden, ["120+", "90–120"], "{log}");
    let mart = p.sql_csv(
        "SELECT band, weighted_share FROM friction_distribution WHERE wave_id = 'vision-2019'",
    );
    let csv =
        std::fs::read_to_string(dir.join("data/friction_distribution_vision-2019.csv")).unwrap();
    let figure = figure_with(&html, "Stapeldiagram: andel av de svarande i vision-2019");
    for band in &hidden {
        assert!(csv.contains(&format!("\n{band},..,..\n")), "{csv}");
        let share: f64 = mart
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{band},")))
            .unwrap()
            .parse()
            .unwrap();
        assert!(!csv.contains(&share.to_string()), "{csv}");
        let shown = friktion_report::format::sv_number(share * 100.0, 1);
        assert!(!figure.contains(&format!(">{shown}<")), "{shown} drawn");
        let svg = &figure[figure.find("<svg").unwrap()..figure.find("</svg>").unwrap()];
        assert!(!svg.contains(&format!(">{band} min<")), "{band} drawn");
        assert!(
            figure.contains(&format!("<th scope=\"row\">{band} min</th><td class=\"num\">..</td><td class=\"num\">..</td>")),
            "the table dots {band} through"
        );
    }
    assert!(figure.contains(">15–30 min<"), "a shown band is drawn");

    // The map: the kommuner hidden in the wave's table are ".." in the map's data and their
    // values are nowhere in the map.
    let kommuner: Vec<String> = logged("friction_by_kommun vision-2019")
        .into_iter()
        .filter(|k| !k.starts_with("total:"))
        .collect();
    assert!(kommuner.len() >= 2, "{log}");
    let map_csv = std::fs::read_to_string(dir.join("data/map_vision-2019.csv")).unwrap();
    assert_eq!(map_csv.lines().count(), 291, "every kommun has a line");
    let map = figure_with(&html, "<h2>Karta</h2>");
    let means = p.sql_csv(
        "SELECT kommun_kod, mean_minutes FROM friction_by_kommun WHERE wave_id = 'vision-2019'",
    );
    for kod in &kommuner {
        let line = map_csv
            .lines()
            .find(|l| l.starts_with(&format!("{kod},")))
            .unwrap();
        assert!(line.ends_with(",.."), "{line}");
        let mean: f64 = means
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{kod},")))
            .unwrap()
            .parse()
            .unwrap();
        assert!(!map_csv.contains(&mean.to_string()));
        let shown = friktion_report::format::sv_number(mean, 1);
        // In text (the legend's class limits), not in coordinates ("129,6" is a point).
        assert!(
            !map.contains(&format!(">{shown}")) && !map.contains(&format!("–{shown}<")),
            "{shown} in the map"
        );
    }
    // The shown ones are coloured: the wave's 12 kommuner less the hidden ones.
    assert_eq!(
        map_csv
            .lines()
            .skip(1)
            .filter(|l| !l.ends_with(",.."))
            .count(),
        12 - kommuner.len()
    );

    // The logs: every kommun cell of 15 user-days is hidden, with its reason, and the kommun
    // page's log chart and CSV show ".." for it.
    let cells = logged("log_friction_by_system");
    let small = p.sql_csv(
        "SELECT count(*) AS c FROM log_friction_by_system WHERE level = 'kommun' AND user_days < 20",
    );
    assert_eq!(
        cells.len().to_string(),
        small.lines().nth(1).unwrap(),
        "{log}"
    );
    assert!(cells.contains(&"0163/heroma".to_string()), "{log}");
    let page = std::fs::read_to_string(dir.join("kommun/0163.html")).unwrap();
    let logs = std::fs::read_to_string(dir.join("kommun/data/log_friction_0163.csv")).unwrap();
    for line in logs.lines().filter(|l| l.starts_with("log,")) {
        let system = line.split(',').nth(1).unwrap();
        let hidden = cells.contains(&format!("0163/{system}"));
        assert_eq!(line.ends_with(",..,.."), hidden, "{line}");
    }
    assert!(
        page.contains("Enkäten, all IT"),
        "the survey bar is still drawn"
    );

    // The key-factor heatmap: cells with fewer than 20 rated projects are "..".
    let factors = std::fs::read_to_string(dir.join("data/factor_scores_by_kommun.csv")).unwrap();
    let small =
        p.sql_csv("SELECT count(*) AS c FROM factor_scores_by_kommun WHERE n_assessed < 20");
    let small: usize = small.lines().nth(1).unwrap().parse().unwrap();
    assert!(small > 0);
    assert_eq!(
        factors.lines().filter(|l| l.ends_with(",..,..")).count(),
        small,
        "{factors}"
    );
    assert_eq!(logged("factor_scores_by_kommun").len(), small);
}
