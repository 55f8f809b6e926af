//! The national page: notebooks-out/<run-id>/index.html.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use friktion_core::LedgerAction;

use friktion_publish::marts::{KommunFriction, NationalFriction};
use friktion_publish::{Publication, Shown};

use crate::figure::{Figure, csv_field};
use crate::format::{SUPPRESSED, esc};
use crate::i18n::{Lang, interval, num, num_opt, t, tf};
use crate::{ReportError, write_file};

/// What the run did, for the page's colophon.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub run_id: String,
    /// The data's date (not the wall clock), so identical inputs give identical pages.
    pub data_label: String,
    pub sources: Vec<SourceLine>,
    /// Source files whose figures are made up (the demo's Kolada-shaped values): marked so.
    pub synthetic: Vec<String>,
    /// Cells with fewer respondents than this are shown as "..".
    pub min_cell: i64,
    pub lang: Lang,
    /// The lake version the figures were computed from, and where the lake is (object
    /// storage; a local lake keeps no versions).
    pub lake_version: Option<(u64, String)>,
    /// The instrument each survey wave was read through, where the config still names its
    /// files: the kommuner's own surveys are compared only within one instrument.
    pub instruments: BTreeMap<String, crate::national::WaveInstrument>,
}

#[derive(Debug, Clone)]
pub struct SourceLine {
    pub file: String,
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_quarantined: i64,
    /// Values left out of rows that were loaded (an unknown label, say).
    pub values_nulled: i64,
    pub action: friktion_core::LedgerAction,
}

const CSS: &str = r#"
:root { color-scheme: light; }
body { font-family: "friktion-sans", sans-serif; color: #1a1a1a;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { font-size: 1.3rem; margin-top: 2.2rem; }
.lead { font-size: 1.05rem; color: #333; }
figure { margin: 1rem 0; } figcaption { font-size: .9rem; color: #333; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; margin: .8rem 0; }
caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
th, td { border-bottom: 1px solid #c8c8c8; padding: .3rem .5rem; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { font-size: .88rem; color: #333; }
.headline dl.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: .8rem; margin: .6rem 0; }
.headline .figure { border-left: 4px solid #0072b2; padding: .2rem .7rem; }
.headline dt { font-weight: 600; } .headline dd { margin: 0; font-size: .88rem; }
.headline dd.value { font-size: 1.6rem; font-weight: 700; line-height: 1.25; }
.headline dd.source { color: #444; }
.index p { margin: .25rem 0; font-size: .92rem; }
footer { margin-top: 3rem; border-top: 1px solid #c8c8c8; padding-top: .8rem; }
details.data summary { cursor: pointer; font-size: .9rem; }
/* An A4 page holds about 658 CSS pixels between 18 mm margins: tables get smaller type there
   and on narrow screens, and the numbers of a range may break at the dash. */
@media (max-width: 48rem), print {
  table { font-size: .78rem; } th, td { padding: .2rem .25rem; overflow-wrap: anywhere; hyphens: auto; }
  td.num { white-space: normal; } }
@media print { body { max-width: none; margin: 0; padding: 0; } figure, tr { break-inside: avoid; }
               details.data { display: none; } a { color: inherit; text-decoration: none; }
               @page { size: A4; margin: 18mm; } }
"#;

/// What the national page and the municipality pages draw on: the publication (every table
/// already protected) and the municipal boundaries.
pub struct IndexData<'a> {
    pub publication: &'a Publication,
    /// Municipal boundaries, for the map.
    pub areas: &'a [crate::map::Area],
}

/// The whole page around a body, styled inline; its font is the report's `fonts/` beside it.
pub(crate) fn page(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{fonts}{CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        code = lang.code(),
        fonts = crate::fonts::css(),
    )
}

/// Writes `index.html`, `methods.html` and `kommun/<kommun_kod>.html` under `dir`, with every
/// chart's data beside them; returns the index's path.
pub fn write_index(
    dir: &Path,
    run: &RunInfo,
    data: &IndexData<'_>,
) -> Result<PathBuf, ReportError> {
    let p = data.publication;
    let mut by_wave: BTreeMap<&str, Vec<&Shown<KommunFriction>>> = BTreeMap::new();
    for r in &p.kommun {
        by_wave.entry(r.row.wave_id.as_str()).or_default().push(r);
    }
    let mut body = String::new();
    let lang = run.lang;
    let _ = write!(
        body,
        "<h1>{}</h1>\n<p class=\"lead\">{}</p>\n",
        t(lang, "page.h1"),
        tf(
            lang,
            "page.lead",
            &[&p.nationwide.len(), &(by_wave.len() - p.nationwide.len())]
        )
    );
    body.push_str(&crate::national::headline(p, lang));
    let mut tables = BTreeMap::new();
    for (wave, rows) in &by_wave {
        let (table, csv) = wave_table(wave, rows, p.national_total(wave), lang);
        write_file(&dir.join(csv_name(wave)), &csv)?;
        tables.insert(*wave, table);
    }
    if let Some(newest) = p.nationwide.last() {
        let older: Vec<String> = p.nationwide[..p.nationwide.len() - 1]
            .iter()
            .rev()
            .map(|w| format!("<a href=\"{}\">{}</a>", csv_name(w), esc(w)))
            .collect();
        let older = if older.is_empty() {
            String::new()
        } else {
            format!(
                "<p class=\"note\">{}</p>\n",
                tf(lang, "compare.older", &[&older.join(", ")])
            )
        };
        let table = tables.get(newest.as_str()).cloned().unwrap_or_default();
        if let Some(section) =
            crate::national::compare(p, newest, &table, &csv_name(newest), &older, lang)
        {
            body.push_str(&section);
        }
    }
    let mut figures: Vec<Figure> = Vec::new();
    if let Some(map) = map_section(run, data, &by_wave)? {
        body.push_str(&map.html);
        figures.push(map);
    }
    // The deeper look: the newest wave that covers more than one kommun.
    let national_waves: Vec<&str> = p.nationwide.iter().map(String::as_str).collect();
    if let Some(wave) = national_waves.last() {
        let mut section = String::new();
        let min = run.min_cell;
        for f in [
            crate::survey::verksamhet_figure(&p.verksamhet, wave, min, lang)?,
            crate::survey::distribution_figure(&p.bands, wave, min, lang)?,
            crate::survey::cost_figure(&p.cost, &p.assumptions, wave, lang)?,
        ]
        .into_iter()
        .flatten()
        {
            section.push_str(&f.html);
            figures.push(f);
        }
        if !section.is_empty() {
            let _ = write!(
                body,
                "<section>\n<h2>{}</h2>\n{section}</section>\n",
                tf(lang, "deeper.h2", &[&esc(wave)])
            );
        }
    }
    if let Some(f) = crate::survey::trend_figure(p, &national_waves, lang)? {
        let _ = write!(
            body,
            "<section>\n<h2>{}</h2>\n{}</section>\n",
            t(lang, "trend.h2"),
            f.html
        );
        figures.push(f);
    }
    let survey_total = national_waves
        .last()
        .and_then(|w| crate::logs::SelfReported::of(p.national_total(w)?));
    let (own, own_data) = crate::national::own_surveys(p, run)?;
    body.push_str(&own);
    figures.extend(own_data);
    if let Some(f) = crate::logs::figure(&p.logs, None, survey_total.as_ref(), lang)? {
        let _ = write!(
            body,
            "<section>\n<h2>{}</h2>\n{}</section>\n",
            t(lang, "logs.h2"),
            f.html
        );
        figures.push(f);
    }
    crate::fonts::write(dir)?;
    crate::fonts::write(&dir.join("kommun"))?;
    crate::methods::write_methods(dir, run, &p.assumptions)?;
    crate::kommun::write_pages(dir, run, p)?;
    let ttg = &p.time_to_go_live;
    let (curve_html, curve_csv) = crate::outcomes::curve_figure(&p.curve, ttg, lang)?;
    if !curve_csv.is_empty() {
        write_file(&dir.join("data/time_to_go_live_curve.csv"), &curve_csv)?;
    }
    let solutions = crate::outcomes::solution_curve_figure(&p.curve, ttg, lang)?;
    let (funnel_html, funnel_csv) = crate::outcomes::funnel_figure(&p.funnel, lang)?;
    if !funnel_csv.is_empty() {
        write_file(&dir.join("data/project_funnel.csv"), &funnel_csv)?;
    }
    body.push_str(&crate::outcomes::section(
        ttg,
        run.min_cell,
        lang,
        &format!("{curve_html}{}", solutions.html),
        &funnel_html,
    ));
    if !solutions.csv.is_empty() {
        figures.push(solutions);
    }
    let names: BTreeMap<String, String> = data
        .areas
        .iter()
        .map(|a| (a.kommun_kod.clone(), a.kommun_name.clone()))
        .collect();
    // A row per kommun: at national scale a page of its own, linked from here.
    if let Some(f) = crate::factors::heatmap_figure(&p.factors, &names, run.min_cell, lang)? {
        let back = format!(
            "<p><a href=\"index.html\">{}</a></p>\n",
            t(lang, "kommun.back")
        );
        write_file(
            &dir.join("factors.html"),
            &page(lang, t(lang, "factors.h2"), &format!("{back}{}", f.html)),
        )?;
        let _ = write!(
            body,
            "<section>\n<h2>{}</h2>\n<p>{} <a href=\"factors.html\">{}</a></p>\n</section>\n",
            t(lang, "factors.h2"),
            t(lang, "factors.lead"),
            t(lang, "factors.link")
        );
        figures.push(f);
    }
    for f in &figures {
        write_file(&dir.join(&f.csv_path), &f.csv)?;
    }
    body.push_str(&crate::published::section(&p.published, lang));
    body.push_str(&crate::national::kommun_index(p, lang));
    body.push_str(&colophon(run));
    let html = page(lang, t(lang, "page.title"), &body);
    let path = dir.join("index.html");
    write_file(&path, &html)?;
    Ok(path)
}

/// The map of the newest wave that covers more than one kommun, hidden cells as "no data",
/// with its data (every kommun, hidden ones as "..") beside it.
fn map_section(
    run: &RunInfo,
    data: &IndexData<'_>,
    by_wave: &BTreeMap<&str, Vec<&Shown<KommunFriction>>>,
) -> Result<Option<Figure>, ReportError> {
    let lang = run.lang;
    let Some((wave, rows)) = by_wave.iter().rev().find(|(_, r)| r.len() > 1) else {
        return Ok(None);
    };
    if data.areas.is_empty() {
        return Ok(None);
    }
    let values: BTreeMap<String, f64> = rows
        .iter()
        .filter(|r| r.shown)
        .filter_map(|r| Some((r.row.kommun_kod.clone(), r.row.mean_minutes?)))
        .collect();
    let svg = crate::map::choropleth(&tf(lang, "map.title", &[wave]), data.areas, &values, lang)?;
    let mut csv = String::from("kommun_kod,kommun,mean_minutes\n");
    for a in data.areas {
        let v = values
            .get(&a.kommun_kod)
            .map_or_else(|| SUPPRESSED.to_string(), f64::to_string);
        let _ = writeln!(csv, "{},{},{v}", a.kommun_kod, csv_field(&a.kommun_name));
    }
    let csv_path = format!("data/map_{}.csv", crate::survey::safe(wave));
    Ok(Some(Figure {
        html: format!(
            "<section>\n<h2>{}</h2>\n{}</section>\n",
            t(lang, "map.h2"),
            crate::figure::html(
                lang,
                &tf(lang, "map.alt", &[wave]),
                &svg,
                t(lang, "map.caption"),
                &csv_path,
                None,
            )
        ),
        csv_path,
        csv,
    }))
}

/// The chart's data file beside the page: data/friction_<wave>.csv, the wave id made safe.
pub(crate) fn csv_name(wave: &str) -> String {
    format!("data/friction_{}.csv", crate::survey::safe(wave))
}

/// The chart's data as CSV, hidden cells as ".." (numbers with a point, no separators).
fn wave_csv(rows: &[&Shown<KommunFriction>], total: Option<&NationalFriction>) -> String {
    let f = |v: Option<f64>| v.map_or_else(|| SUPPRESSED.to_string(), |v| v.to_string());
    let mut out = String::from("kommun_kod,kommun,lan,n,n_eff,mean_minutes,ci_low,ci_high\n");
    for Shown { row: r, shown } in rows.iter().copied() {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        if *shown {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                r.kommun_kod,
                q(&r.kommun_name),
                q(&r.lan_name),
                r.n,
                f(r.n_eff),
                f(r.mean_minutes),
                f(r.ci_low),
                f(r.ci_high)
            );
        } else {
            let _ = writeln!(
                out,
                "{},{},{},..,..,..,..,..",
                r.kommun_kod,
                q(&r.kommun_name),
                q(&r.lan_name)
            );
        }
    }
    if let Some(t) = total {
        let _ = writeln!(
            out,
            "alla,,,{},{},{},{},{}",
            t.n,
            f(t.n_eff),
            f(t.mean_minutes),
            f(t.ci_low),
            f(t.ci_high)
        );
    }
    out
}

/// One wave's table of every kommun, most friction first, and its CSV; `total` is the wave's
/// national total where it may be shown.
fn wave_table(
    wave: &str,
    rows: &[&Shown<KommunFriction>],
    total: Option<&NationalFriction>,
    lang: Lang,
) -> (String, String) {
    let mut sorted: Vec<&Shown<KommunFriction>> = rows.to_vec();
    sorted.sort_by(|a, b| {
        let key = |r: &Shown<KommunFriction>| {
            if r.shown {
                r.row.mean_minutes.unwrap_or(0.0)
            } else {
                f64::NEG_INFINITY
            }
        };
        key(b)
            .total_cmp(&key(a))
            .then_with(|| a.row.kommun_name.cmp(&b.row.kommun_name))
    });
    let w = esc(wave);
    let mut s = String::new();
    let _ = write!(
        s,
        "<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>\n",
        tf(lang, "wave.table_caption", &[&w]),
        t(lang, "col.kommun"),
        t(lang, "col.lan"),
        t(lang, "col.n"),
        t(lang, "col.n_eff"),
        t(lang, "col.mean"),
        t(lang, "col.ci"),
    );
    for Shown { row: r, shown } in sorted.iter().copied() {
        let (n, n_eff, mean, ci) = if *shown {
            (
                num(lang, r.n as f64, 0),
                num_opt(lang, r.n_eff, 1),
                num_opt(lang, r.mean_minutes, 1),
                interval(lang, r.ci_low, r.ci_high, 1),
            )
        } else {
            // The count goes too: with n and the others' values, a mean can be worked back.
            (
                SUPPRESSED.into(),
                SUPPRESSED.into(),
                SUPPRESSED.into(),
                SUPPRESSED.into(),
            )
        };
        let _ = writeln!(
            s,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{n}</td><td class=\"num\">{n_eff}</td><td class=\"num\">{mean}</td><td class=\"num\">{ci}</td></tr>",
            format!(
                "<a href=\"kommun/{}.html\">{}</a>",
                esc(&r.kommun_kod),
                esc(&r.kommun_name)
            ),
            esc(&r.lan_name)
        );
    }
    let csv = wave_csv(&sorted, total);
    if let Some(tot) = total {
        let ci = interval(lang, tot.ci_low, tot.ci_high, 1);
        let _ = writeln!(
            s,
            "<tr class=\"total\"><th scope=\"row\">{}</th><td></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{ci}</td></tr>",
            t(lang, "row.total"),
            num(lang, tot.n as f64, 0),
            num_opt(lang, tot.n_eff, 1),
            num_opt(lang, tot.mean_minutes, 1)
        );
    }
    s.push_str("</tbody>\n</table>\n");
    (s, csv)
}

fn colophon(run: &RunInfo) -> String {
    let lang = run.lang;
    let mut s = String::new();
    let _ = write!(
        s,
        "<footer class=\"note\">\n<p>{method}</p>\n<p>{run}</p>\n<table>\n<caption>{cap}</caption>\n\
         <thead><tr><th scope=\"col\">{file}</th><th scope=\"col\">{action}</th><th scope=\"col\" class=\"num\">{read}</th>\
         <th scope=\"col\" class=\"num\">{loaded}</th><th scope=\"col\" class=\"num\">{q}</th></tr></thead>\n<tbody>\n",
        method = tf(lang, "method", &[&run.min_cell]),
        run = tf(lang, "run", &[&esc(&run.run_id), &esc(&run.data_label)]),
        cap = t(lang, "sources.caption"),
        file = t(lang, "sources.file"),
        action = t(lang, "sources.action"),
        read = t(lang, "sources.read"),
        loaded = t(lang, "sources.loaded"),
        q = t(lang, "sources.quarantined"),
    );
    for src in &run.sources {
        let action = match src.action {
            LedgerAction::Ingested => t(lang, "action.ingested"),
            LedgerAction::Replaced => t(lang, "action.replaced"),
            LedgerAction::Skipped => t(lang, "action.skipped"),
            LedgerAction::Removed => "removed",
        };
        let mark = if run.synthetic.contains(&src.file) {
            format!(" <strong>({})</strong>", t(lang, "sources.synthetic_mark"))
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "<tr><td>{}{mark}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&src.file),
            action,
            num(lang, src.rows_read as f64, 0),
            num(lang, src.rows_written as f64, 0),
            num(lang, src.rows_quarantined as f64, 0)
        );
    }
    s.push_str("</tbody>\n</table>\n");
    if let Some((v, at)) = &run.lake_version {
        let _ = writeln!(
            s,
            "<p class=\"lake-version\">{}</p>",
            tf(lang, "run.lake_version", &[v, &esc(at)])
        );
    }
    if !run.synthetic.is_empty() {
        let files: Vec<String> = run.synthetic.iter().map(|f| esc(f)).collect();
        let _ = writeln!(
            s,
            "<p class=\"synthetic\">{}</p>",
            tf(lang, "sources.synthetic", &[&files.join(", ")])
        );
    }
    let _ = write!(
        s,
        "<p><a href=\"methods.html\">{}</a>. {}</p>\n</footer>\n",
        t(lang, "methods.link"),
        t(lang, "credits")
    );
    s
}
