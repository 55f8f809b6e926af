//! One page per municipality with data: kommun/<kommun_kod>.html. Its friction in every wave
//! beside its peer group and the country, its rank, and its projects' time to go-live, under
//! the same disclosure control as the national page.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use friktion_publish::marts::{KommunBenchmark, KommunFriction};
use friktion_publish::{Publication, Shown};

use crate::chart::{Bar, TrendSeries};
use crate::figure::{Figure, csv_field};
use crate::format::{SUPPRESSED, esc};
use crate::html::{RunInfo, page};
use crate::i18n::{Lang, interval, num, num_opt, t, tf};
use crate::logs::SelfReported;
use crate::palette::Ink;
use crate::{ReportError, write_file};

/// Writes a page per kommun that has friction data; returns how many.
pub fn write_pages(dir: &Path, run: &RunInfo, d: &Publication) -> Result<usize, ReportError> {
    let mut by_kommun: BTreeMap<&str, Vec<&Shown<KommunFriction>>> = BTreeMap::new();
    for r in &d.kommun {
        by_kommun
            .entry(r.row.kommun_kod.as_str())
            .or_default()
            .push(r);
    }
    for (kod, rows) in &by_kommun {
        let (html, data) = kommun_page(run, d, kod, rows)?;
        let dir = dir.join("kommun");
        write_file(&dir.join(format!("{kod}.html")), &html)?;
        for f in data {
            write_file(&dir.join(&f.csv_path), &f.csv)?;
        }
    }
    Ok(by_kommun.len())
}

/// The peer group in words: the kommungrupp's name ("Pendlingskommun nära storstad"), or the
/// county's where the reference has no kommungrupp.
pub(crate) fn peer_name(lang: Lang, b: &KommunBenchmark) -> &str {
    let name = match lang {
        Lang::Sv => &b.peer_group_name,
        Lang::En => &b.peer_group_name_en,
    };
    if name.is_empty() { &b.peer_group } else { name }
}

/// A kommun's benchmark row in a wave, and whether its peer group's mean may be shown.
fn benchmark<'a>(d: &'a Publication, wave: &str, kod: &str) -> Option<(&'a KommunBenchmark, bool)> {
    d.benchmark
        .iter()
        .find(|x| x.row.wave_id == wave && x.row.kommun_kod == kod)
        .map(|x| (&x.row, x.peer_shown))
}

fn kommun_page(
    run: &RunInfo,
    d: &Publication,
    kod: &str,
    rows: &[&Shown<KommunFriction>],
) -> Result<(String, Vec<Figure>), ReportError> {
    let lang = run.lang;
    let first = &rows[0].row;
    let name = esc(&first.kommun_name);
    let mut b = String::new();
    let _ = write!(
        b,
        "<p><a href=\"../index.html\">{}</a></p>\n<h1>{name}</h1>\n<p class=\"lead\">{}</p>\n",
        t(lang, "kommun.back"),
        tf(lang, "kommun.lead", &[&esc(&first.lan_name), &kod])
    );
    let _ = write!(
        b,
        "<section>\n<h2>{}</h2>\n<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>\n",
        t(lang, "kommun.friction_h2"),
        tf(lang, "kommun.friction_caption", &[&name]),
        t(lang, "kommun.wave"),
        t(lang, "col.n"),
        t(lang, "col.mean"),
        t(lang, "col.ci"),
        t(lang, "kommun.peer_group"),
        t(lang, "kommun.peer_mean"),
        t(lang, "kommun.county_mean"),
        t(lang, "kommun.rank"),
    );
    let mut sorted = rows.to_vec();
    sorted.sort_by(|a, b| b.row.wave_id.cmp(&a.row.wave_id));
    let figures = benchmark_figures(run, d, kod, &sorted)?;
    for Shown { row: r, shown } in sorted {
        let shown = *shown;
        if !d.nationwide.contains(&r.wave_id) {
            // The kommun's own survey: no other kommun answered it, so there is no peer
            // group, county or rank to compare with.
            let cell = |v: String| if shown { v } else { SUPPRESSED.to_string() };
            let ci = interval(lang, r.ci_low, r.ci_high, 1);
            let _ = writeln!(
                b,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td>{}</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td></tr>",
                esc(&r.wave_id),
                cell(num(lang, r.n as f64, 0)),
                cell(num_opt(lang, r.mean_minutes, 1)),
                cell(ci),
                t(lang, "kommun.own_survey"),
            );
            continue;
        }
        let found = benchmark(d, &r.wave_id, kod);
        let bench = found.map(|(b, _)| b);
        let peer = bench.map_or(String::new(), |x| esc(peer_name(lang, x)));
        let peer_shown = found.is_some_and(|(_, shown)| shown);
        let cell = |v: String, ok: bool| if ok { v } else { SUPPRESSED.to_string() };
        let ci = interval(lang, r.ci_low, r.ci_high, 1);
        let rank = bench
            .and_then(|x| Some((x.rank_national?, x.kommuner_national?)))
            .map_or(SUPPRESSED.to_string(), |(r, of)| {
                tf(lang, "kommun.rank_of", &[&r, &of])
            });
        let _ = writeln!(
            b,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td>{peer}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&r.wave_id),
            cell(num(lang, r.n as f64, 0), shown),
            cell(num_opt(lang, r.mean_minutes, 1), shown),
            cell(ci, shown),
            cell(
                num_opt(lang, bench.and_then(|x| x.peer_mean_minutes), 1),
                peer_shown
            ),
            // A county mean the publication hid is None, shown as "..".
            num_opt(lang, bench.and_then(|x| x.county_mean_minutes), 1),
            // A rank would place a hidden value between its neighbours.
            cell(rank, shown),
        );
    }
    b.push_str("</tbody>\n</table>\n");
    // The kommun's own staff surveys belong here, each with the instrument it was read through.
    for Shown { row: r, shown } in rows.iter().copied() {
        if d.nationwide.contains(&r.wave_id) {
            continue;
        }
        let instrument = run.instruments.get(&r.wave_id).map_or_else(
            || t(lang, "own.no_instrument").to_string(),
            |i| tf(lang, "own.instrument", &[&esc(&i.name), &i.version]),
        );
        let n = if *shown {
            num(lang, r.n as f64, 0)
        } else {
            SUPPRESSED.to_string()
        };
        let _ = writeln!(
            b,
            "<p class=\"own-survey\">{}</p>",
            tf(
                lang,
                "own.kommun_page",
                &[&esc(&r.wave_id), &instrument, &n]
            )
        );
    }
    let _ = write!(
        b,
        "<p class=\"note\">{}</p>\n</section>\n",
        tf(lang, "kommun.note", &[&run.min_cell])
    );
    let mut data = Vec::new();
    for f in figures {
        b.push_str(&f.html);
        data.push(f);
    }
    let newest = d
        .kommun
        .iter()
        .filter(|r| r.shown && r.row.kommun_kod == kod)
        .map(|r| &r.row)
        .max_by(|a, b| a.wave_id.cmp(&b.wave_id));
    let survey = newest.map(|r| SelfReported {
        wave_id: r.wave_id.clone(),
        mean_minutes: r.mean_minutes.unwrap_or(0.0),
        ci_low: r.ci_low,
        ci_high: r.ci_high,
    });
    if let Some(f) = crate::logs::figure(&d.logs, Some(kod), survey.as_ref(), lang)? {
        let _ = write!(
            b,
            "<section>\n<h2>{}</h2>\n{}</section>\n",
            t(lang, "logs.h2"),
            f.html
        );
        data.push(f);
    }
    if let Some(Shown { row: p, shown }) = d
        .time_to_go_live
        .iter()
        .find(|x| x.row.dimension == "kommun" && x.row.grp == kod)
    {
        let _ = write!(b, "<section>\n<h2>{}</h2>\n", t(lang, "ttg.h2"));
        if *shown {
            let days = |v: Option<f64>| {
                v.map_or_else(
                    || t(lang, "ttg.not_reached").to_string(),
                    |d| num(lang, d, 0),
                )
            };
            let _ = write!(
                b,
                "<p>{}</p>\n",
                tf(
                    lang,
                    "kommun.ttg",
                    &[
                        &p.n_projects,
                        &p.n_live,
                        &p.n_abandoned,
                        &p.n_running,
                        &days(p.median_days),
                        &days(p.q1_days),
                        &days(p.q3_days)
                    ]
                )
            );
        } else {
            let _ = write!(
                b,
                "<p>{}</p>\n",
                tf(lang, "kommun.ttg_few", &[&run.min_cell])
            );
        }
        b.push_str("</section>\n");
    }
    Ok((
        page(lang, &format!("{name} – {}", t(lang, "page.title")), &b),
        data,
    ))
}

/// The kommun beside its peer group and the country in its newest shown nationwide wave
/// (bars), and across the nationwide waves it was shown in (trend), with one CSV for both.
fn benchmark_figures(
    run: &RunInfo,
    d: &Publication,
    kod: &str,
    rows: &[&Shown<KommunFriction>],
) -> Result<Vec<Figure>, ReportError> {
    let lang = run.lang;
    // Only waves that cover the country compare a kommun with it: a kommun's own staff survey
    // is a wave of one, its "country" the kommun itself.
    let shown_rows: Vec<&KommunFriction> = rows
        .iter()
        .filter(|r| r.shown && d.nationwide.contains(&r.row.wave_id))
        .map(|r| &r.row)
        .collect();
    let Some(newest) = shown_rows.first() else {
        return Ok(vec![]);
    };
    let country = |wave: &str| d.national_total(wave);
    let peer = |wave: &str| {
        benchmark(d, wave, kod)
            .filter(|(_, shown)| *shown)
            .map(|(b, _)| b)
    };
    let county = |wave: &str| benchmark(d, wave, kod).map(|(b, _)| b);
    let csv_path = format!("data/{kod}.csv");
    let mut csv = String::from(
        "wave_id,kommun_kod,n,mean_minutes,ci_low,ci_high,peer_group,peer_group_name,peer_mean_minutes,lan_name,county_mean_minutes,national_mean_minutes,rank_national,kommuner_national\n",
    );
    let o = |v: Option<f64>| v.map_or_else(|| SUPPRESSED.to_string(), |v| v.to_string());
    for r in &shown_rows {
        let p = peer(&r.wave_id);
        let _ = writeln!(
            csv,
            "{},{kod},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.wave_id),
            r.n,
            o(r.mean_minutes),
            o(r.ci_low),
            o(r.ci_high),
            csv_field(&p.map_or(String::new(), |b| b.peer_group.clone())),
            csv_field(p.map_or("", |b| peer_name(lang, b))),
            o(p.and_then(|b| b.peer_mean_minutes)),
            csv_field(&county(&r.wave_id).map_or(String::new(), |b| b.lan_name.clone())),
            o(county(&r.wave_id).and_then(|b| b.county_mean_minutes)),
            o(country(&r.wave_id).and_then(|n| n.mean_minutes)),
            p.and_then(|b| b.rank_national)
                .map_or(SUPPRESSED.to_string(), |v| v.to_string()),
            p.and_then(|b| b.kommuner_national)
                .map_or(SUPPRESSED.to_string(), |v| v.to_string()),
        );
    }
    let mut bars = vec![Bar {
        label: newest.kommun_name.clone(),
        value: newest.mean_minutes.unwrap_or(0.0),
        low: newest.ci_low,
        high: newest.ci_high,
        ink: Ink::Kommun,
    }];
    if let Some(p) = peer(&newest.wave_id) {
        if let Some(v) = p.peer_mean_minutes {
            bars.push(Bar {
                label: tf(lang, "kommun.peer_bar", &[&peer_name(lang, p)]),
                value: v,
                ink: Ink::Peer,
                ..Bar::default()
            });
        }
    }
    // The county as a second comparison, where it is not already the peer group.
    if let Some(c) = county(&newest.wave_id).filter(|c| c.peer_group != c.lan_name) {
        if let Some(v) = c.county_mean_minutes {
            bars.push(Bar {
                label: c.lan_name.clone(),
                value: v,
                ink: Ink::County,
                ..Bar::default()
            });
        }
    }
    if let Some(c) = country(&newest.wave_id) {
        bars.push(Bar {
            label: t(lang, "kommun.country").into(),
            value: c.mean_minutes.unwrap_or(0.0),
            low: c.ci_low,
            high: c.ci_high,
            ink: Ink::Country,
        });
    }
    let title = tf(
        lang,
        "kommun.bar_title",
        &[&newest.kommun_name, &newest.wave_id],
    );
    let svg = crate::chart::bars_with_intervals(&title, t(lang, "wave.axis"), &bars, lang)?;
    let rank = peer(&newest.wave_id)
        .and_then(|b| Some((b.rank_national?, b.kommuner_national?)))
        .map_or(String::new(), |(r, of)| {
            tf(lang, "kommun.rank_sentence", &[&r, &of])
        });
    let mut out = vec![Figure {
        html: format!(
            "<section>\n<h2>{}</h2>\n{}</section>\n",
            t(lang, "kommun.compare_h2"),
            crate::figure::html(
                lang,
                &tf(lang, "kommun.bar_alt", &[&newest.kommun_name]),
                &svg,
                &format!("{} {rank}", t(lang, "kommun.bar_caption")),
                &csv_path,
                None,
            )
        ),
        csv_path: csv_path.clone(),
        csv,
    }];
    if shown_rows.len() >= 2 {
        let mut chrono: Vec<&KommunFriction> = shown_rows.clone();
        chrono.reverse();
        let labels: Vec<String> = chrono.iter().map(|r| r.wave_id.clone()).collect();
        let mine = TrendSeries {
            name: newest.kommun_name.clone(),
            ink: Some(Ink::Kommun),
            points: chrono
                .iter()
                .enumerate()
                .map(|(i, r)| (i, r.mean_minutes.unwrap_or(0.0), r.ci_low, r.ci_high))
                .collect(),
        };
        let all = TrendSeries {
            name: t(lang, "kommun.country").into(),
            ink: Some(Ink::Country),
            points: chrono
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    let c = country(&r.wave_id)?;
                    Some((i, c.mean_minutes?, None, None))
                })
                .collect(),
        };
        let title = tf(lang, "kommun.trend_title", &[&newest.kommun_name]);
        let svg = crate::chart::trend(&title, t(lang, "wave.axis"), &labels, &[mine, all], lang)?;
        out.push(Figure {
            html: crate::figure::html(
                lang,
                &tf(lang, "kommun.trend_alt", &[&newest.kommun_name]),
                &svg,
                t(lang, "kommun.trend_caption"),
                &csv_path,
                None,
            ),
            csv_path: csv_path.clone(),
            csv: out[0].csv.clone(),
        });
    }
    Ok(out)
}
