//! The parts of the national page that must hold 290 municipalities: the headline figures of
//! the first screen, every kommun as a dot in its peer group, the ten with the most and the
//! least friction, the kommuner's own staff surveys of a year, and an index of all kommuner.

use std::collections::BTreeMap;
use std::fmt::Write;

use friktion_publish::marts::KommunFriction;
use friktion_publish::{Publication, Shown};

use crate::ReportError;
use crate::figure::{DataTable, Figure, csv_field};
use crate::format::{SUPPRESSED, esc};
use crate::html::RunInfo;
use crate::i18n::{Lang, interval, num, num_opt, t, tf};
use crate::strip::{Band, Dot, Legend, strip};

/// The survey instrument a wave was read through, as the pipeline config names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WaveInstrument {
    pub id: String,
    pub name: String,
    pub version: u32,
}

/// One headline figure: what it is, the number a reader can quote, and where it comes from.
struct Headline {
    label: String,
    value: String,
    detail: String,
    source: String,
}

/// The standard error behind a 95 % interval.
fn se(low: Option<f64>, high: Option<f64>) -> Option<f64> {
    Some((high? - low?) / (2.0 * 1.96))
}

/// The first screen: minutes lost, the change since the previous nationwide wave, the yearly
/// cost, and the share of projects live within two years. Only published cells are used.
pub fn headline(p: &Publication, lang: Lang) -> String {
    let mut figures = Vec::new();
    let waves = &p.nationwide;
    let newest = waves.last().and_then(|w| Some((w, p.national_total(w)?)));
    if let Some((w, tot)) = newest
        && let Some(mean) = tot.mean_minutes
    {
        let ci = match (tot.ci_low, tot.ci_high) {
            (Some(l), Some(h)) => tf(lang, "head.ci", &[&num(lang, l, 1), &num(lang, h, 1)]),
            _ => String::new(),
        };
        figures.push(Headline {
            label: t(lang, "head.minutes").into(),
            value: tf(lang, "head.minutes_value", &[&num(lang, mean, 1)]),
            detail: ci,
            source: tf(
                lang,
                "head.minutes_source",
                &[&esc(w), &num(lang, tot.n as f64, 0)],
            ),
        });
        let before = waves
            .len()
            .checked_sub(2)
            .and_then(|i| Some((&waves[i], p.national_total(&waves[i])?)));
        if let Some((w0, t0)) = before
            && let Some(m0) = t0.mean_minutes
        {
            let d = mean - m0;
            let half = se(tot.ci_low, tot.ci_high)
                .zip(se(t0.ci_low, t0.ci_high))
                .map(|(a, b)| 1.96 * (a * a + b * b).sqrt());
            let sign = if d >= 0.0 { "+" } else { "−" };
            let detail = match half {
                Some(h) => tf(
                    lang,
                    if d.abs() > h {
                        "head.change_sure"
                    } else {
                        "head.change_unsure"
                    },
                    &[&num(lang, d - h, 1), &num(lang, d + h, 1)],
                ),
                None => String::new(),
            };
            figures.push(Headline {
                label: tf(lang, "head.change", &[&esc(w0)]),
                value: tf(
                    lang,
                    "head.change_value",
                    &[
                        &sign,
                        &num(lang, d.abs(), 1),
                        &num(lang, m0, 1),
                        &num(lang, mean, 1),
                    ],
                ),
                detail,
                source: tf(lang, "head.change_source", &[&esc(w0), &esc(w)]),
            });
        }
        let cost = crate::survey::estimates(&p.cost, &p.assumptions, w)
            .into_iter()
            .next();
        if let Some(c) = cost {
            let bn = |v: Option<f64>| num_opt(lang, v.map(|x| x / 1e9), 1);
            figures.push(Headline {
                label: t(lang, "head.cost").into(),
                value: tf(lang, "head.cost_value", &[&bn(c.cost[0])]),
                detail: tf(
                    lang,
                    "head.cost_detail",
                    &[
                        &bn(c.cost[1]),
                        &bn(c.cost[2]),
                        &num_opt(lang, c.fte[0], 0),
                        &num_opt(lang, c.fte[1], 0),
                        &num_opt(lang, c.fte[2], 0),
                    ],
                ),
                source: tf(lang, "head.cost_source", &[&esc(&c.assumption_set)]),
            });
        }
    }
    let live = p
        .time_to_go_live
        .iter()
        .find(|r| r.shown && r.row.dimension == "all")
        .and_then(|r| Some((r.row.share_live_within_2y?, r.row.n_projects)));
    if let Some((share, n)) = live {
        figures.push(Headline {
            label: t(lang, "head.live").into(),
            value: format!("{}&nbsp;%", num(lang, share * 100.0, 0)),
            detail: t(lang, "head.live_detail").into(),
            source: tf(lang, "head.live_source", &[&num(lang, n as f64, 0)]),
        });
    }
    if figures.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "<section class=\"headline\" aria-labelledby=\"head-h2\">\n<h2 id=\"head-h2\">{}</h2>\n<dl class=\"figures\">\n",
        t(lang, "head.h2")
    );
    for f in figures {
        let _ = writeln!(
            s,
            "<div class=\"figure\"><dt>{}</dt><dd class=\"value\">{}</dd><dd>{}</dd><dd class=\"source\">{}</dd></div>",
            f.label, f.value, f.detail, f.source
        );
    }
    s.push_str("</dl>\n</section>\n");
    s
}

/// A kommun's peer group in a wave: (code, name in `lang`, the group's mean where shown).
fn peer_groups(
    p: &Publication,
    wave: &str,
    lang: Lang,
) -> BTreeMap<String, (String, String, Option<f64>)> {
    p.benchmark
        .iter()
        .filter(|b| b.row.wave_id == wave)
        .map(|b| {
            (
                b.row.kommun_kod.clone(),
                (
                    b.row.peer_group.clone(),
                    crate::kommun::peer_name(lang, &b.row).to_string(),
                    b.row.peer_mean_minutes.filter(|_| b.peer_shown),
                ),
            )
        })
        .collect()
}

/// Every shown kommun of `rows` as a dot in the band of its peer group (from `groups_of`).
fn bands(
    rows: &[&Shown<KommunFriction>],
    groups_of: &BTreeMap<String, (String, String, Option<f64>)>,
    with_mean: bool,
    lang: Lang,
) -> Vec<Band> {
    let mut by_group: BTreeMap<String, Band> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.shown) {
        let Some(mean) = r.row.mean_minutes else {
            continue;
        };
        let (code, name, group_mean) = groups_of
            .get(&r.row.kommun_kod)
            .cloned()
            .unwrap_or_else(|| (String::new(), t(lang, "compare.no_group").into(), None));
        let band = by_group.entry(code).or_insert_with(|| Band {
            name,
            detail: String::new(),
            mean: group_mean.filter(|_| with_mean),
            dots: vec![],
        });
        band.dots.push(Dot {
            value: mean,
            low: r.row.ci_low,
            high: r.row.ci_high,
        });
    }
    // Each band says how many kommuner it draws, counted once they are all in.
    by_group
        .into_iter()
        .map(|(code, mut band)| {
            band.detail = tf(
                lang,
                "compare.band_detail",
                &[&esc(&code), &band.dots.len()],
            );
            band
        })
        .collect()
}

/// Every kommun of the newest nationwide wave as a dot in its kommungrupp, with the table of
/// every kommun under it, and the ten with the most and the least friction.
pub fn compare(
    p: &Publication,
    wave: &str,
    table: &str,
    csv_path: &str,
    older: &str,
    lang: Lang,
) -> Option<String> {
    let rows: Vec<&Shown<KommunFriction>> =
        p.kommun.iter().filter(|r| r.row.wave_id == wave).collect();
    if rows.len() < 2 {
        return None;
    }
    let groups = peer_groups(p, wave, lang);
    let country = p.national_total(wave).and_then(|t| t.mean_minutes);
    let title = tf(lang, "compare.title", &[&esc(wave)]);
    let svg = strip(
        &title,
        t(lang, "wave.axis"),
        &bands(&rows, &groups, true, lang),
        country,
        &legend(lang),
        lang,
    );
    let hidden = rows.iter().filter(|r| !r.shown).count();
    let sup = if hidden > 0 {
        tf(lang, "wave.suppressed", &[&hidden, &p.min_cell])
    } else {
        String::new()
    };
    let mut s = format!(
        "<section>\n<h2>{}</h2>\n<p>{}</p>\n",
        tf(lang, "compare.h2", &[&esc(wave)]),
        t(lang, "compare.lead")
    );
    s.push_str(&figure_with_table(
        lang,
        &tf(lang, "compare.alt", &[&esc(wave)]),
        &svg,
        &tf(lang, "compare.caption", &[&sup]),
        csv_path,
        table,
    ));
    s.push_str(older);
    s.push_str(&extremes(&rows, &groups, country, lang));
    s.push_str("</section>\n");
    Some(s)
}

/// A figure whose table (already HTML) opens under it, as [`crate::figure::html`] does.
fn figure_with_table(
    lang: Lang,
    alt: &str,
    svg: &str,
    caption: &str,
    csv: &str,
    table: &str,
) -> String {
    format!(
        "<figure role=\"group\">\n<div role=\"img\" aria-label=\"{}\">{svg}</div>\n\
         <figcaption>{caption} <a href=\"{csv}\">{}</a></figcaption>\n\
         <details class=\"data\"><summary>{}</summary>\n{table}</details>\n</figure>\n",
        esc(alt),
        t(lang, "wave.csv"),
        t(lang, "figure.table"),
    )
}

fn legend(lang: Lang) -> Legend<'static> {
    Legend {
        kommun: t(lang, "compare.legend_kommun"),
        group_mean: t(lang, "compare.legend_group"),
        country: t(lang, "compare.legend_country"),
    }
}

/// The ten kommuner with the most and the ten with the least friction, each with its interval
/// and whether it differs from the country beyond the uncertainty.
fn extremes(
    rows: &[&Shown<KommunFriction>],
    groups: &BTreeMap<String, (String, String, Option<f64>)>,
    country: Option<f64>,
    lang: Lang,
) -> String {
    let mut shown: Vec<&KommunFriction> = rows
        .iter()
        .filter(|r| r.shown && r.row.mean_minutes.is_some())
        .map(|r| &r.row)
        .collect();
    if shown.len() < 20 {
        return String::new();
    }
    shown.sort_by(|a, b| {
        b.mean_minutes
            .unwrap_or(0.0)
            .total_cmp(&a.mean_minutes.unwrap_or(0.0))
            .then_with(|| a.kommun_name.cmp(&b.kommun_name))
    });
    let n = shown.len();
    let mut s = String::new();
    for (key, list) in [
        ("compare.most", &shown[..10]),
        ("compare.least", &shown[n - 10..]),
    ] {
        let differs = |r: &KommunFriction| match (country, r.ci_low, r.ci_high) {
            (Some(c), Some(l), Some(h)) => Some(c < l || c > h),
            _ => None,
        };
        let table = DataTable {
            caption: t(lang, key).into(),
            headers: vec![
                (t(lang, "col.kommun").into(), false),
                (t(lang, "kommun.peer_group").into(), false),
                (t(lang, "col.mean").into(), true),
                (t(lang, "col.ci").into(), true),
                (t(lang, "compare.differs").into(), false),
            ],
            rows: list
                .iter()
                .map(|r| {
                    vec![
                        format!(
                            "<a href=\"kommun/{}.html\">{}</a>",
                            esc(&r.kommun_kod),
                            esc(&r.kommun_name)
                        ),
                        groups
                            .get(&r.kommun_kod)
                            .map_or(String::new(), |g| esc(&g.1)),
                        num_opt(lang, r.mean_minutes, 1),
                        interval(lang, r.ci_low, r.ci_high, 1),
                        match differs(r) {
                            Some(true) => t(lang, "compare.yes").into(),
                            Some(false) => t(lang, "compare.no").into(),
                            None => SUPPRESSED.into(),
                        },
                    ]
                })
                .collect(),
        };
        s.push_str(&table.html());
        let within = list.iter().filter(|r| differs(r) == Some(false)).count();
        let overlapping = list
            .windows(2)
            .filter(|w| match (w[0].ci_low, w[1].ci_high) {
                (Some(l0), Some(h1)) => l0 <= h1,
                _ => true,
            })
            .count();
        let _ = writeln!(
            s,
            "<p class=\"note\">{}</p>",
            tf(lang, "compare.note", &[&within, &overlapping])
        );
    }
    s
}

/// The year a wave id ends in (`medarbetarenkat-0180-2025`), if any.
fn year_of(wave: &str) -> Option<u32> {
    let tail = wave.rsplit(['-', '_']).next()?;
    (tail.len() == 4 && tail.bytes().all(|b| b.is_ascii_digit()))
        .then(|| tail.parse().ok())
        .flatten()
}

/// The kommuner's own staff surveys (waves of one kommun each), one comparison per year and
/// instrument: only surveys that asked the same item through the same instrument are drawn
/// together, and the text says how far they compare with each other and with the nationwide
/// waves.
pub fn own_surveys(p: &Publication, run: &RunInfo) -> Result<(String, Vec<Figure>), ReportError> {
    let lang = run.lang;
    let mut by_wave: BTreeMap<&str, Vec<&Shown<KommunFriction>>> = BTreeMap::new();
    for r in &p.kommun {
        by_wave.entry(r.row.wave_id.as_str()).or_default().push(r);
    }
    // (year, instrument) → the waves' rows.
    let mut groups: BTreeMap<(Option<u32>, Option<&WaveInstrument>), Vec<&Shown<KommunFriction>>> =
        BTreeMap::new();
    for (wave, rows) in &by_wave {
        if p.nationwide.iter().any(|w| w == wave) {
            continue;
        }
        groups
            .entry((year_of(wave), run.instruments.get(*wave)))
            .or_default()
            .extend(rows.iter().copied());
    }
    if groups.is_empty() {
        return Ok((String::new(), vec![]));
    }
    let kommun_groups: BTreeMap<String, (String, String, Option<f64>)> = p
        .nationwide
        .last()
        .map(|w| peer_groups(p, w, lang))
        .unwrap_or_default();
    let mut s = format!(
        "<section>\n<h2>{}</h2>\n<p>{}</p>\n",
        t(lang, "own.h2"),
        t(lang, "own.lead")
    );
    let mut figures = Vec::new();
    for ((year, instrument), rows) in &groups {
        let year_text = year.map_or_else(|| t(lang, "own.no_year").to_string(), |y| y.to_string());
        let instrument_text = instrument.map_or_else(
            || t(lang, "own.no_instrument").to_string(),
            |i| tf(lang, "own.instrument", &[&esc(&i.name), &i.version]),
        );
        let _ = writeln!(
            s,
            "<h3>{}</h3>\n<p>{}</p>",
            tf(lang, "own.h3", &[&year_text, &rows.len()]),
            match instrument {
                Some(_) => tf(lang, "own.comparable", &[&rows.len(), &instrument_text]),
                None => tf(lang, "own.not_comparable", &[&rows.len()]),
            }
        );
        let slug = format!(
            "{}_{}",
            year.map_or("unknown".to_string(), |y| y.to_string()),
            instrument.map_or("unknown".to_string(), |i| crate::survey::safe(&i.id))
        );
        let csv_path = format!("data/own_surveys_{slug}.csv");
        let mut csv = String::from("kommun_kod,kommun,wave_id,n,mean_minutes,ci_low,ci_high\n");
        let mut sorted = rows.clone();
        sorted.sort_by(|a, b| a.row.kommun_name.cmp(&b.row.kommun_name));
        let f = |v: Option<f64>| v.map_or_else(|| SUPPRESSED.to_string(), |v| v.to_string());
        let mut table = DataTable {
            caption: tf(lang, "own.table", &[&year_text]),
            headers: vec![
                (t(lang, "col.kommun").into(), false),
                (t(lang, "kommun.wave").into(), false),
                (t(lang, "col.n").into(), true),
                (t(lang, "col.mean").into(), true),
                (t(lang, "col.ci").into(), true),
            ],
            rows: vec![],
        };
        for Shown { row: r, shown } in sorted.iter().copied() {
            if *shown {
                let _ = writeln!(
                    csv,
                    "{},{},{},{},{},{},{}",
                    r.kommun_kod,
                    csv_field(&r.kommun_name),
                    csv_field(&r.wave_id),
                    r.n,
                    f(r.mean_minutes),
                    f(r.ci_low),
                    f(r.ci_high)
                );
            } else {
                let _ = writeln!(
                    csv,
                    "{},{},{},..,..,..,..",
                    r.kommun_kod,
                    csv_field(&r.kommun_name),
                    csv_field(&r.wave_id)
                );
            }
            let cell = |v: String| if *shown { v } else { SUPPRESSED.to_string() };
            table.rows.push(vec![
                format!(
                    "<a href=\"kommun/{}.html\">{}</a>",
                    esc(&r.kommun_kod),
                    esc(&r.kommun_name)
                ),
                esc(&r.wave_id),
                cell(num(lang, r.n as f64, 0)),
                cell(num_opt(lang, r.mean_minutes, 1)),
                cell(interval(lang, r.ci_low, r.ci_high, 1)),
            ]);
        }
        let drawable = instrument.is_some() && sorted.iter().filter(|r| r.shown).count() >= 2;
        if drawable {
            let title = tf(lang, "own.title", &[&year_text]);
            let svg = strip(
                &title,
                t(lang, "wave.axis"),
                &bands(&sorted, &kommun_groups, false, lang),
                None,
                &legend(lang),
                lang,
            );
            s.push_str(&figure_with_table(
                lang,
                &tf(lang, "own.alt", &[&year_text]),
                &svg,
                t(lang, "own.caption"),
                &csv_path,
                &table.html(),
            ));
        } else {
            let _ = writeln!(
                s,
                "<details class=\"data\"><summary>{}</summary>\n{}</details>\n<p class=\"note\"><a href=\"{csv_path}\">{}</a></p>",
                t(lang, "figure.table"),
                table.html(),
                t(lang, "wave.csv")
            );
        }
        figures.push(Figure {
            html: String::new(),
            csv_path,
            csv,
        });
    }
    s.push_str("</section>\n");
    Ok((s, figures))
}

/// Swedish alphabetical order: å, ä and ö after z.
fn sv_key(s: &str) -> Vec<u32> {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'å' => 'z' as u32 + 1,
            'ä' | 'æ' => 'z' as u32 + 2,
            'ö' | 'ø' => 'z' as u32 + 3,
            c => c as u32,
        })
        .collect()
}

/// Every kommun with a page, by county and alphabetically, each a link to its page.
pub fn kommun_index(p: &Publication, lang: Lang) -> String {
    let mut kommuner: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for r in &p.kommun {
        kommuner
            .entry(r.row.kommun_kod.as_str())
            .or_insert((r.row.kommun_name.as_str(), r.row.lan_name.as_str()));
    }
    if kommuner.is_empty() {
        return String::new();
    }
    let link =
        |kod: &str, name: &str| format!("<a href=\"kommun/{}.html\">{}</a>", esc(kod), esc(name));
    let mut by_lan: BTreeMap<Vec<u32>, (&str, Vec<(Vec<u32>, String)>)> = BTreeMap::new();
    let mut all: Vec<(Vec<u32>, String)> = Vec::new();
    for (kod, (name, lan)) in &kommuner {
        by_lan
            .entry(sv_key(lan))
            .or_insert((lan, vec![]))
            .1
            .push((sv_key(name), link(kod, name)));
        all.push((sv_key(name), link(kod, name)));
    }
    all.sort();
    let mut s = format!(
        "<section class=\"index\">\n<h2>{}</h2>\n<h3>{}</h3>\n",
        tf(lang, "index.h2", &[&kommuner.len()]),
        t(lang, "index.by_lan")
    );
    for (lan, mut list) in by_lan.into_values() {
        list.sort();
        let links: Vec<String> = list.into_iter().map(|(_, l)| l).collect();
        let _ = writeln!(
            s,
            "<p><strong>{}</strong>: {}</p>",
            esc(lan),
            links.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "<h3>{}</h3>\n<p class=\"alpha\">{}</p>\n</section>",
        t(lang, "index.alpha"),
        all.into_iter()
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join(" · ")
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(wave: &str, mean: f64, ci: (f64, f64)) -> friktion_publish::marts::NationalFriction {
        friktion_publish::marts::NationalFriction {
            wave_id: wave.into(),
            dimension: "all".into(),
            grp: "all".into(),
            n: 1000,
            n_eff: Some(900.0),
            mean_minutes: Some(mean),
            ci_low: Some(ci.0),
            ci_high: Some(ci.1),
        }
    }

    fn kommun(wave: &str, kod: &str, mean: f64, ci: (f64, f64)) -> Shown<KommunFriction> {
        Shown {
            row: KommunFriction {
                wave_id: wave.into(),
                kommun_kod: kod.into(),
                kommun_name: format!("K{kod}"),
                lan_name: "Län".into(),
                n: 40,
                n_eff: Some(35.0),
                mean_minutes: Some(mean),
                ci_low: Some(ci.0),
                ci_high: Some(ci.1),
            },
            shown: true,
        }
    }

    fn two_waves(older: (f64, (f64, f64)), newer: (f64, (f64, f64))) -> Publication {
        Publication {
            nationwide: vec!["vision_2014".into(), "vision_2019".into()],
            national: vec![
                total("vision_2014", older.0, older.1),
                total("vision_2019", newer.0, newer.1),
            ],
            ..Publication::default()
        }
    }

    #[test]
    fn the_headline_says_a_change_beyond_its_interval_is_sure() {
        // 26 → 34 minutes with half-widths of 1: the difference's 95 % half-width is
        // 1.96·√(2·(1/1.96)²) = √2 ≈ 1.41, far below 8.
        let html = headline(
            &two_waves((26.0, (25.0, 27.0)), (34.0, (33.0, 35.0))),
            Lang::En,
        );
        assert!(html.contains("34.0 minutes"), "{html}");
        assert!(
            html.contains("95&nbsp;% confidence interval 33.0–35.0 minutes"),
            "{html}"
        );
        assert!(html.contains("Change since vision_2014"), "{html}");
        assert!(html.contains("+8.0 minutes (26.0 → 34.0)"), "{html}");
        assert!(
            html.contains("larger than the uncertainty (95&nbsp;%: 6.6 to 9.4 minutes)"),
            "{html}"
        );
    }

    #[test]
    fn the_headline_says_a_change_within_its_interval_is_not_sure() {
        let html = headline(
            &two_waves((27.0, (21.0, 33.0)), (26.0, (20.0, 32.0))),
            Lang::Sv,
        );
        assert!(html.contains("−1,0 minuter (27,0 → 26,0)"), "{html}");
        assert!(html.contains("ryms inom osäkerheten"), "{html}");
        assert!(!html.contains("större än osäkerheten"), "{html}");
    }

    #[test]
    fn the_headline_leaves_out_what_was_not_published() {
        // The older wave's total was suppressed: no change figure; nothing at all without waves.
        let mut p = two_waves((26.0, (25.0, 27.0)), (34.0, (33.0, 35.0)));
        p.national.remove(0);
        let html = headline(&p, Lang::En);
        assert!(html.contains("34.0 minutes"), "{html}");
        assert!(!html.contains("Change since"), "{html}");
        assert_eq!(headline(&Publication::default(), Lang::En), "");
    }

    #[test]
    fn the_extremes_say_which_differ_from_the_country() {
        // 25 kommuner at 10…34 minutes, each ± 2, the country at 22: the ten most (25…34, lowest
        // bound 23) and the ten least (10…19, highest bound 21) all differ from it. With the
        // country at 20, 19 (17–21) and 18 (16–20) are within.
        let rows: Vec<Shown<KommunFriction>> = (0..25)
            .map(|i| {
                let m = 10.0 + i as f64;
                kommun(
                    "vision_2019",
                    &format!("{:04}", 100 + i),
                    m,
                    (m - 2.0, m + 2.0),
                )
            })
            .collect();
        let refs: Vec<&Shown<KommunFriction>> = rows.iter().collect();
        let groups = BTreeMap::new();
        let count = |html: &str, word: &str| html.matches(&format!("<td>{word}</td>")).count();

        let html = extremes(&refs, &groups, Some(22.0), Lang::En);
        assert_eq!(count(&html, "yes"), 20, "{html}");
        assert_eq!(count(&html, "no, within the uncertainty"), 0, "{html}");
        // Neighbours one minute apart with ± 2 intervals all overlap: 9 of 9 pairs, twice.
        assert_eq!(html.matches("For 0 of the ten").count(), 2, "{html}");
        assert_eq!(
            html.matches("9 of nine neighbouring pairs").count(),
            2,
            "{html}"
        );
        let most = html.find("K0124").unwrap();
        let least = html.find("K0109").unwrap();
        assert!(most < least, "the most come first");
        assert!(
            !html.contains("K0114\""),
            "the middle five are in neither list"
        );

        let html = extremes(&refs, &groups, Some(20.0), Lang::En);
        assert_eq!(count(&html, "no, within the uncertainty"), 2, "{html}");
        assert!(html.contains("For 2 of the ten"), "{html}");
    }

    #[test]
    fn the_extremes_need_twenty_shown_kommuner() {
        let mut rows: Vec<Shown<KommunFriction>> = (0..20)
            .map(|i| kommun("w", &format!("{i:04}"), i as f64, (0.0, 40.0)))
            .collect();
        rows[3].shown = false;
        let refs: Vec<&Shown<KommunFriction>> = rows.iter().collect();
        assert_eq!(extremes(&refs, &BTreeMap::new(), Some(1.0), Lang::En), "");
    }

    #[test]
    fn an_own_survey_of_unknown_instrument_is_tabled_not_drawn() {
        let mut p = two_waves((26.0, (25.0, 27.0)), (34.0, (33.0, 35.0)));
        for kod in ["0180", "1480", "1280"] {
            p.kommun.push(kommun(
                &format!("medarbetarenkat-{kod}-2025"),
                kod,
                30.0,
                (25.0, 35.0),
            ));
        }
        let mut run = RunInfo {
            run_id: "r".into(),
            data_label: "2025".into(),
            sources: vec![],
            synthetic: vec![],
            min_cell: 5,
            lang: Lang::En,
            lake_version: None,
            instruments: BTreeMap::new(),
        };
        let (html, figures) = own_surveys(&p, &run).unwrap();
        assert!(
            html.contains("The instrument of these 3 surveys is not known"),
            "{html}"
        );
        assert!(!html.contains("<svg"), "{html}");
        assert_eq!(figures.len(), 1);
        assert_eq!(figures[0].csv_path, "data/own_surveys_2025_unknown.csv");
        assert_eq!(figures[0].csv.lines().count(), 4, "{}", figures[0].csv);

        // With the instrument known for all three, they are drawn together.
        let instrument = WaveInstrument {
            id: "medarbetarenkat".into(),
            name: "Medarbetarenkät".into(),
            version: 2,
        };
        for kod in ["0180", "1480", "1280"] {
            run.instruments
                .insert(format!("medarbetarenkat-{kod}-2025"), instrument.clone());
        }
        let (html, figures) = own_surveys(&p, &run).unwrap();
        assert!(html.contains("<svg"), "{html}");
        assert!(html.contains("Medarbetarenkät"), "{html}");
        assert_eq!(
            figures[0].csv_path,
            "data/own_surveys_2025_medarbetarenkat.csv"
        );
    }

    #[test]
    fn a_wave_id_ending_in_a_year_gives_it() {
        assert_eq!(year_of("medarbetarenkat-0180-2025"), Some(2025));
        assert_eq!(year_of("vision_2019"), Some(2019));
        assert_eq!(year_of("enkat-var"), None);
    }

    #[test]
    fn swedish_order_puts_a_ring_a_umlaut_and_o_umlaut_last() {
        let mut names = vec!["Örebro", "Ale", "Åre", "Älvsbyn", "Zzz"];
        names.sort_by_key(|n| sv_key(n));
        assert_eq!(names, ["Ale", "Zzz", "Åre", "Älvsbyn", "Örebro"]);
    }
}
