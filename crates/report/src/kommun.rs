//! One page per municipality with data: kommun/<kommun_kod>.html. Its friction in every wave
//! beside its peer group and the country, its rank, and its projects' time to go-live, under
//! the same disclosure control as the national page.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::disclosure::{Suppression, is_suppressed};
use crate::format::{SUPPRESSED, esc};
use crate::html::{RunInfo, page};
use crate::i18n::{num, num_opt, t, tf};
use crate::outcomes::TimeToGoLive;
use crate::{KommunBenchmark, KommunFriction, ReportError, write_file};

/// Everything the municipality pages draw on.
pub struct KommunData<'a> {
    pub friction: &'a [KommunFriction],
    pub benchmark: &'a [KommunBenchmark],
    pub time_to_go_live: &'a [TimeToGoLive],
    /// Per wave, the cells (and totals) hidden on every page.
    pub hidden: &'a BTreeMap<String, Vec<Suppression>>,
}

/// Writes a page per kommun that has friction data; returns how many.
pub fn write_pages(dir: &Path, run: &RunInfo, d: &KommunData<'_>) -> Result<usize, ReportError> {
    let mut by_kommun: BTreeMap<&str, Vec<&KommunFriction>> = BTreeMap::new();
    for r in d.friction {
        by_kommun.entry(r.kommun_kod.as_str()).or_default().push(r);
    }
    for (kod, rows) in &by_kommun {
        let html = kommun_page(run, d, kod, rows);
        write_file(&dir.join("kommun").join(format!("{kod}.html")), &html)?;
    }
    Ok(by_kommun.len())
}

fn kommun_page(run: &RunInfo, d: &KommunData<'_>, kod: &str, rows: &[&KommunFriction]) -> String {
    let lang = run.lang;
    let first = rows[0];
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
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>\n",
        t(lang, "kommun.friction_h2"),
        tf(lang, "kommun.friction_caption", &[&name]),
        t(lang, "kommun.wave"),
        t(lang, "col.n"),
        t(lang, "col.mean"),
        t(lang, "col.ci"),
        t(lang, "kommun.peer_group"),
        t(lang, "kommun.peer_mean"),
        t(lang, "kommun.rank"),
    );
    let mut sorted = rows.to_vec();
    sorted.sort_by(|a, b| b.wave_id.cmp(&a.wave_id));
    for r in sorted {
        let hidden = d.hidden.get(&r.wave_id).map_or(&[][..], Vec::as_slice);
        let shown = r.mean_minutes.is_some() && !is_suppressed(hidden, kod);
        let bench = d
            .benchmark
            .iter()
            .find(|x| x.wave_id == r.wave_id && x.kommun_kod == kod);
        let peer = bench.map_or(String::new(), |x| esc(&x.peer_group));
        let peer_shown =
            bench.is_some_and(|x| !is_suppressed(hidden, &format!("total:peer:{}", x.peer_group)));
        let cell = |v: String, ok: bool| if ok { v } else { SUPPRESSED.to_string() };
        let ci = match (r.ci_low, r.ci_high) {
            (Some(l), Some(h)) => format!("{}–{}", num(lang, l, 1), num(lang, h, 1)),
            _ => SUPPRESSED.into(),
        };
        let rank = bench
            .and_then(|x| Some((x.rank_national?, x.kommuner_national?)))
            .map_or(SUPPRESSED.to_string(), |(r, of)| {
                tf(lang, "kommun.rank_of", &[&r, &of])
            });
        let _ = writeln!(
            b,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td>{peer}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&r.wave_id),
            cell(num(lang, r.n as f64, 0), shown),
            cell(num_opt(lang, r.mean_minutes, 1), shown),
            cell(ci, shown),
            cell(
                num_opt(lang, bench.and_then(|x| x.peer_mean_minutes), 1),
                peer_shown
            ),
            // A rank would place a hidden value between its neighbours.
            cell(rank, shown),
        );
    }
    let _ = write!(
        b,
        "</tbody>\n</table>\n<p class=\"note\">{}</p>\n</section>\n",
        tf(lang, "kommun.note", &[&run.min_cell])
    );
    if let Some(p) = d
        .time_to_go_live
        .iter()
        .find(|x| x.dimension == "kommun" && x.grp == kod)
    {
        let _ = write!(b, "<section>\n<h2>{}</h2>\n", t(lang, "ttg.h2"));
        if p.n_projects >= run.min_cell {
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
    page(lang, &format!("{name} – {}", t(lang, "page.title")), &b)
}
