//! The national report at national scale (issue 18): 290 kommuner, two nationwide waves and
//! every kommun's own staff survey, made by `friktion synth` and run as SKR runs it. The page a
//! policymaker opens stays light and short, each own survey is on its kommun's page, and in
//! Chromium no chart label is smaller than 11 px on A4 or lies on another. Logs are kept small
//! (20 users a kommun, one day): the pages show them by system, so their volume changes
//! neither the pages' size nor their sections.

use std::path::Path;

use crate::chromium::{chart_labels, screenshot};
use crate::{Project, assert_ok, copy_dir, report_path, text, workspace};

fn national_project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace();
    for d in [
        "pipelines",
        "sample-data/reference",
        "sample-data/population",
    ] {
        copy_dir(&ws.join(d), &dir.path().join(d));
    }
    let p = Project { dir };
    let o = p.friktion(&[
        "synth",
        "--out",
        "sample-data",
        "--reference",
        "sample-data/reference",
        "--kommuner",
        "290",
        "--respondents",
        "400",
        "--staff-surveys",
        "290",
        "--log-kommuner",
        "0",
        "--log-users",
        "20",
        "--log-days",
        "1",
        "--projects",
        "100",
    ]);
    assert_ok(&o);
    p
}

/// The `<svg>` charts of a page.
fn charts(html: &str) -> Vec<&str> {
    html.split("<svg")
        .skip(1)
        .map(|s| &s[..s.find("</svg>").unwrap()])
        .collect()
}

#[test]
fn at_national_scale_the_national_page_is_light_and_short_and_own_surveys_are_on_their_kommuns_pages()
 {
    let p = national_project();
    let cfg = p.config();
    let o = p.friktion(&["run", "--config", cfg.to_str().unwrap()]);
    assert_ok(&o);
    let index = report_path(&text(&o.stdout));
    let dir = index.parent().unwrap().to_path_buf();
    let html = std::fs::read_to_string(&index).unwrap();

    let size = html.len();
    assert!(size < 1_500_000, "index.html is {size} bytes");
    let sections = html.matches("<section").count();
    assert!(
        (8..=15).contains(&sections),
        "{sections} top-level sections"
    );
    assert_eq!(
        html.matches("<section").count(),
        html.matches("</section>").count()
    );
    // No chart of 290 bars: every chart's labels fit on a screen.
    for c in charts(&html) {
        assert!(
            c.matches("<text").count() < 80,
            "a chart with {} labels",
            c.matches("<text").count()
        );
    }
    // The first screen: minutes, change, cost, projects live; each with its source.
    let head = &html[html.find("class=\"headline\"").unwrap()..html.find("</dl>").unwrap()];
    assert_eq!(head.matches("<div class=\"figure\">").count(), 4, "{head}");
    assert_eq!(head.matches("class=\"source\"").count(), 4, "{head}");
    assert!(
        head.contains("minuter") && head.contains("miljarder kronor") && head.contains("&nbsp;%")
    );
    // Every kommun is in the index, and the ten most and least are listed.
    assert!(
        html.contains("<h2>Alla kommuner (290)</h2>"),
        "no index of 290"
    );
    assert!(html.contains("De tio kommuner med mest förlorad tid"));
    // The kommuner's own surveys are no national waves: one comparison for their year.
    assert!(!html.contains("<h2>Enkätomgång medarbetarenkat"));
    assert!(
        html.contains("<h3>2025: 290 kommuner</h3>"),
        "no comparison of the own surveys"
    );

    // Each own staff survey is on its kommun's page, with its instrument named.
    let surveys: Vec<String> = std::fs::read_dir(p.path().join("sample-data/survey"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with("medarbetarenkat-"))
        .collect();
    assert_eq!(surveys.len(), 290);
    for f in &surveys {
        let wave = f.trim_end_matches(".xlsx");
        let kod = &wave["medarbetarenkat-".len()..][..4];
        let page = std::fs::read_to_string(dir.join(format!("kommun/{kod}.html")))
            .unwrap_or_else(|e| panic!("kommun/{kod}.html: {e}"));
        assert!(
            page.contains(&format!("<th scope=\"row\">{wave}</th>"))
                && page.contains(
                    "instrumentet Medarbetarenkät med IT-frågor (kommunens egen), version 1"
                ),
            "kommun/{kod}.html does not show {wave}"
        );
    }

    // In Chromium: the first screen and a kommun page kept to look at, and every chart's
    // labels legible on A4 and apart.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let work = p.path().join("browser");
    std::fs::create_dir_all(&work).unwrap();
    let kommun = dir.join("kommun/0180.html");
    screenshot(
        &index,
        &shots.join("national-first-screen.png"),
        (1280, 900),
        &work,
    );
    screenshot(
        &kommun,
        &shots.join("national-kommun-0180.png"),
        (1280, 2400),
        &work,
    );
    for (page, at_least) in [(&index, 200), (&kommun, 40)] {
        let (n, small, overlaps) = chart_labels(page, &work);
        assert!(n > at_least, "{}: {n} labels", page.display());
        assert!(small.is_empty(), "{}: {small:?}", page.display());
        assert!(overlaps.is_empty(), "{}: {overlaps:?}", page.display());
    }

    // The same page in English: nothing new to load, the report written again.
    let o = p.friktion(&["run", "--config", cfg.to_str().unwrap(), "--lang", "en"]);
    assert_ok(&o);
    let en = std::fs::read_to_string(report_path(&text(&o.stdout))).unwrap();
    for words in [
        "<h2 id=\"head-h2\">At a glance</h2>",
        "The municipalities compared, vision-2019",
        "The ten municipalities losing the most time",
        "The municipalities' own staff surveys",
        "<h2>All municipalities (290)</h2>",
    ] {
        assert!(en.contains(words), "no {words:?} in English");
    }
}
