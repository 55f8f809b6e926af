//! The survey's friction beyond the kommun tables, for the national page: by verksamhet, how
//! the minutes spread, what they cost a year, and how they moved across waves.

use std::fmt::Write;

use friktion_core::codes::{VERKSAMHET, find};
use friktion_publish::marts::{Band, Cost, CostAssumption, GroupFriction};
use friktion_publish::{Publication, Shown};

use crate::ReportError;
use crate::chart::{Bar, BarChart, TrendSeries, bar_chart, trend};
use crate::figure::{DataTable, Figure, csv_field};
use crate::format::{SUPPRESSED, esc};
use crate::i18n::{Lang, num, num_opt, t, tf};

/// A verksamhet code's label in the page's language (the code itself if it is not known).
pub fn verksamhet_label(lang: Lang, code: &str) -> String {
    find(VERKSAMHET, code).map_or_else(
        || code.to_string(),
        |c| match lang {
            Lang::Sv => c.sv.to_string(),
            Lang::En => c.en.to_string(),
        },
    )
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| SUPPRESSED.to_string(), |v| v.to_string())
}

/// Minutes by verksamhet in one wave, with 95 % whiskers, as the publication protects them.
pub fn verksamhet_figure(
    groups: &[Shown<GroupFriction>],
    wave: &str,
    min_cell: i64,
    lang: Lang,
) -> Result<Option<Figure>, ReportError> {
    let mut rows: Vec<&GroupFriction> = groups
        .iter()
        .filter(|g| g.row.wave_id == wave && g.row.dimension == "verksamhet")
        .map(|g| &g.row)
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let hidden: Vec<&str> = groups
        .iter()
        .filter(|g| !g.shown)
        .map(|g| g.row.grp.as_str())
        .collect();
    let shown = |g: &GroupFriction| !hidden.contains(&g.grp.as_str());
    rows.sort_by(|a, b| {
        let key = |g: &GroupFriction| {
            if shown(g) {
                g.mean_minutes.unwrap_or(0.0)
            } else {
                f64::NEG_INFINITY
            }
        };
        key(b).total_cmp(&key(a)).then_with(|| a.grp.cmp(&b.grp))
    });
    let bars: Vec<Bar> = rows
        .iter()
        .filter(|g| shown(g))
        .map(|g| Bar {
            label: verksamhet_label(lang, &g.grp),
            value: g.mean_minutes.unwrap_or(0.0),
            low: g.ci_low,
            high: g.ci_high,
            ink: crate::palette::Ink::Kommun,
        })
        .collect();
    let title = tf(lang, "verksamhet.title", &[&wave]);
    let svg = crate::chart::bars_with_intervals(&title, t(lang, "wave.axis"), &bars, lang)?;
    let mut csv = String::from("verksamhet,label,n,n_eff,mean_minutes,ci_low,ci_high\n");
    let mut table = DataTable {
        caption: esc(&title),
        headers: vec![
            (t(lang, "col.verksamhet").into(), false),
            (t(lang, "col.n").into(), true),
            (t(lang, "col.mean").into(), true),
            (t(lang, "col.ci").into(), true),
        ],
        rows: vec![],
    };
    for g in &rows {
        let label = verksamhet_label(lang, &g.grp);
        if shown(g) {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{}",
                g.grp,
                csv_field(&label),
                g.n,
                opt(g.n_eff),
                opt(g.mean_minutes),
                opt(g.ci_low),
                opt(g.ci_high)
            );
            table.rows.push(vec![
                esc(&label),
                num(lang, g.n as f64, 0),
                num_opt(lang, g.mean_minutes, 1),
                crate::i18n::interval(lang, g.ci_low, g.ci_high, 1),
            ]);
        } else {
            let _ = writeln!(csv, "{},{},..,..,..,..,..", g.grp, csv_field(&label));
            table
                .rows
                .push(vec![esc(&label), "..".into(), "..".into(), "..".into()]);
        }
    }
    let csv_path = format!("data/friction_by_verksamhet_{}.csv", safe(wave));
    Ok(Some(Figure {
        html: crate::figure::html(
            lang,
            &tf(lang, "verksamhet.alt", &[&wave]),
            &svg,
            &tf(lang, "verksamhet.caption", &[&min_cell]),
            &csv_path,
            Some(&table),
        ),
        csv_path,
        csv,
    }))
}

/// How the wave's answers spread over bands of minutes, as shares of the weighted respondents.
pub fn distribution_figure(
    bands: &[Shown<Band>],
    wave: &str,
    min_cell: i64,
    lang: Lang,
) -> Result<Option<Figure>, ReportError> {
    let mut rows: Vec<&Band> = bands
        .iter()
        .filter(|b| b.row.wave_id == wave)
        .map(|b| &b.row)
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    rows.sort_by_key(|b| b.band_order);
    let hidden: Vec<&str> = bands
        .iter()
        .filter(|b| !b.shown)
        .map(|b| b.row.band.as_str())
        .collect();
    let shown = |b: &Band| !hidden.contains(&b.band.as_str());
    let minutes = t(lang, "distribution.minutes");
    let bars: Vec<Bar> = rows
        .iter()
        .filter(|b| shown(b))
        .map(|b| Bar {
            label: format!("{} {minutes}", b.band),
            value: b.weighted_share * 100.0,
            ..Bar::default()
        })
        .collect();
    let title = tf(lang, "distribution.title", &[&wave]);
    let svg = crate::chart::bars_with_intervals(&title, t(lang, "distribution.axis"), &bars, lang)?;
    let mut csv = String::from("band,n,weighted_share\n");
    let mut table = DataTable {
        caption: esc(&title),
        headers: vec![
            (t(lang, "distribution.band").into(), false),
            (t(lang, "col.n").into(), true),
            (t(lang, "distribution.share").into(), true),
        ],
        rows: vec![],
    };
    for b in &rows {
        if shown(b) {
            let _ = writeln!(csv, "{},{},{}", b.band, b.n, b.weighted_share);
            table.rows.push(vec![
                format!("{} {minutes}", b.band),
                num(lang, b.n as f64, 0),
                num(lang, b.weighted_share * 100.0, 1),
            ]);
        } else {
            let _ = writeln!(csv, "{},..,..", b.band);
            table.rows.push(vec![
                format!("{} {minutes}", b.band),
                "..".into(),
                "..".into(),
            ]);
        }
    }
    let csv_path = format!("data/friction_distribution_{}.csv", safe(wave));
    Ok(Some(Figure {
        html: crate::figure::html(
            lang,
            &tf(lang, "distribution.alt", &[&wave]),
            &svg,
            &tf(lang, "distribution.caption", &[&min_cell]),
            &csv_path,
            Some(&table),
        ),
        csv_path,
        csv,
    }))
}

/// The wave's minutes priced a year, in SEK and in full-time equivalents, under each set of
/// assumptions that estimates (sets that reproduce a published figure are on the methods page).
/// The assumptions are written on the chart itself.
/// A wave's published cost estimates: shown, with a value, and not a set that only reproduces a
/// published figure (a check, not an estimate).
pub(crate) fn estimates<'a>(
    costs: &'a [Shown<Cost>],
    sets: &[CostAssumption],
    wave: &str,
) -> Vec<&'a Cost> {
    costs
        .iter()
        .filter(|c| c.shown)
        .map(|c| &c.row)
        .filter(|c| c.wave_id == wave && c.cost[0].is_some())
        .filter(|c| {
            !sets
                .iter()
                .any(|s| s.assumption_set == c.assumption_set && s.published_cost_sek.is_some())
        })
        .collect()
}

pub fn cost_figure(
    costs: &[Shown<Cost>],
    sets: &[CostAssumption],
    wave: &str,
    lang: Lang,
) -> Result<Option<Figure>, ReportError> {
    let rows = estimates(costs, sets, wave);
    if rows.is_empty() {
        return Ok(None);
    }
    let billions = rows.iter().any(|c| c.cost[0].unwrap_or(0.0) >= 1e9);
    let (scale, unit) = if billions {
        (1e9, t(lang, "cost.bn_sek"))
    } else {
        (1e6, t(lang, "cost.m_sek"))
    };
    let notes: Vec<String> = rows
        .iter()
        .map(|c| {
            tf(
                lang,
                "cost.assumption",
                &[
                    &c.assumption_set,
                    &num_opt(lang, c.employees, 0),
                    &num_opt(lang, c.working_days_per_year, 0),
                    &num_opt(lang, c.monthly_salary_sek, 0),
                    &num_opt(lang, c.payroll_overhead.map(|p| p * 100.0), 2),
                    &num_opt(lang, c.cost_per_hour_sek, 2),
                    &num_opt(lang, c.mean_minutes, 1),
                    &c.n,
                    &c.source,
                ],
            )
        })
        .chain(std::iter::once(t(lang, "cost.interval").to_string()))
        .collect();
    let bar = |c: &Cost, v: [Option<f64>; 3], s: f64| Bar {
        label: c.assumption_set.clone(),
        value: v[0].unwrap_or(0.0) / s,
        low: v[1].map(|x| x / s),
        high: v[2].map(|x| x / s),
        ink: crate::palette::Ink::Kommun,
    };
    let sek_title = tf(lang, "cost.sek_title", &[&wave]);
    let sek = bar_chart(
        &BarChart {
            title: &sek_title,
            x_label: unit,
            bars: &rows
                .iter()
                .map(|c| bar(c, c.cost, scale))
                .collect::<Vec<_>>(),
            decimals: 1,
            notes: &notes,
        },
        lang,
    )?;
    let fte_title = tf(lang, "cost.fte_title", &[&wave]);
    let fte = bar_chart(
        &BarChart {
            title: &fte_title,
            x_label: t(lang, "cost.fte_axis"),
            bars: &rows.iter().map(|c| bar(c, c.fte, 1.0)).collect::<Vec<_>>(),
            decimals: 0,
            notes: &notes,
        },
        lang,
    )?;
    let mut csv = String::from(
        "assumption_set,n,mean_minutes,employees,working_days_per_year,monthly_salary_sek,payroll_overhead,cost_per_hour_sek,cost_sek,cost_low_sek,cost_high_sek,fte,fte_low,fte_high,source\n",
    );
    let mut table = DataTable {
        caption: esc(&sek_title),
        headers: vec![
            (t(lang, "cost.set").into(), false),
            (unit.to_string(), true),
            (t(lang, "col.ci").into(), true),
            (t(lang, "cost.fte_axis").into(), true),
            (t(lang, "col.ci").into(), true),
        ],
        rows: vec![],
    };
    for c in &rows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&c.assumption_set),
            c.n,
            opt(c.mean_minutes),
            opt(c.employees),
            opt(c.working_days_per_year),
            opt(c.monthly_salary_sek),
            opt(c.payroll_overhead),
            opt(c.cost_per_hour_sek),
            opt(c.cost[0]),
            opt(c.cost[1]),
            opt(c.cost[2]),
            opt(c.fte[0]),
            opt(c.fte[1]),
            opt(c.fte[2]),
            csv_field(&c.source)
        );
        let s = |v: Option<f64>| v.map(|x| x / scale);
        table.rows.push(vec![
            esc(&c.assumption_set),
            num_opt(lang, s(c.cost[0]), 1),
            crate::i18n::interval(lang, s(c.cost[1]), s(c.cost[2]), 1),
            num_opt(lang, c.fte[0], 0),
            crate::i18n::interval(lang, c.fte[1], c.fte[2], 0),
        ]);
    }
    let csv_path = format!("data/friction_cost_{}.csv", safe(wave));
    let alt = tf(lang, "cost.alt", &[&wave]);
    let caption = t(lang, "cost.caption");
    // The first screen's cost links here (#cost).
    let mut html = String::from("<div id=\"cost\"></div>\n");
    html.push_str(&crate::figure::html(
        lang, &alt, &sek, caption, &csv_path, None,
    ));
    html.push_str(&crate::figure::html(
        lang,
        &alt,
        &fte,
        caption,
        &csv_path,
        Some(&table),
    ));
    Ok(Some(Figure {
        html,
        csv_path,
        csv,
    }))
}

/// The national mean across the waves that cover the country, with 95 % whiskers.
pub fn trend_figure(
    p: &Publication,
    waves: &[&str],
    lang: Lang,
) -> Result<Option<Figure>, ReportError> {
    let rows: Vec<&GroupFriction> = waves
        .iter()
        .filter_map(|w| p.national_total(w))
        .filter(|g| g.mean_minutes.is_some())
        .collect();
    if rows.len() < 2 {
        return Ok(None);
    }
    let labels: Vec<String> = rows.iter().map(|g| g.wave_id.clone()).collect();
    let series = [TrendSeries {
        name: t(lang, "row.total").into(),
        ink: Some(crate::palette::Ink::Country),
        points: rows
            .iter()
            .enumerate()
            .map(|(i, g)| (i, g.mean_minutes.unwrap_or(0.0), g.ci_low, g.ci_high))
            .collect(),
    }];
    let title = t(lang, "trend.title");
    let svg = trend(title, t(lang, "wave.axis"), &labels, &series, lang)?;
    let mut csv = String::from("wave_id,n,n_eff,mean_minutes,ci_low,ci_high\n");
    let mut table = DataTable {
        caption: esc(title),
        headers: vec![
            (t(lang, "kommun.wave").into(), false),
            (t(lang, "col.n").into(), true),
            (t(lang, "col.mean").into(), true),
            (t(lang, "col.ci").into(), true),
        ],
        rows: vec![],
    };
    for g in &rows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{}",
            csv_field(&g.wave_id),
            g.n,
            opt(g.n_eff),
            opt(g.mean_minutes),
            opt(g.ci_low),
            opt(g.ci_high)
        );
        table.rows.push(vec![
            esc(&g.wave_id),
            num(lang, g.n as f64, 0),
            num_opt(lang, g.mean_minutes, 1),
            crate::i18n::interval(lang, g.ci_low, g.ci_high, 1),
        ]);
    }
    let csv_path = "data/friction_trend.csv".to_string();
    Ok(Some(Figure {
        html: crate::figure::html(
            lang,
            t(lang, "trend.alt"),
            &svg,
            t(lang, "trend.caption"),
            &csv_path,
            Some(&table),
        ),
        csv_path,
        csv,
    }))
}

/// A wave id made safe for a file name.
pub(crate) fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use friktion_publish::Marts;
    use friktion_publish::marts::KommunFriction;

    use super::*;

    fn g(grp: &str, n: i64, mean: f64) -> GroupFriction {
        GroupFriction {
            wave_id: "w".into(),
            dimension: "verksamhet".into(),
            grp: grp.into(),
            n,
            n_eff: Some(n as f64),
            mean_minutes: Some(mean),
            ci_low: Some(mean - 1.0),
            ci_high: Some(mean + 1.0),
        }
    }

    fn kommun(kod: &str) -> KommunFriction {
        KommunFriction {
            wave_id: "w".into(),
            kommun_kod: kod.into(),
            kommun_name: kod.into(),
            lan_name: "län".into(),
            n: 60,
            n_eff: Some(60.0),
            mean_minutes: Some(30.0),
            ci_low: Some(28.0),
            ci_high: Some(32.0),
        }
    }

    #[test]
    fn a_lone_small_verksamhet_takes_the_next_smallest_with_it() {
        let marts = Marts {
            friction: vec![kommun("0114"), kommun("0180")],
            groups: vec![
                g("skola", 40, 21.5),
                g("ifo", 3, 47.75),
                g("teknik", 12, 33.125),
                g("aldreomsorg", 80, 30.0),
            ],
            ..Marts::default()
        };
        let p = Publication::compute(&marts, &Default::default(), 5);
        assert!(p.log.contains("ifo,primary,3,") && p.log.contains("teknik,complementary,12,"));
        let f = verksamhet_figure(&p.verksamhet, "w", 5, Lang::Sv)
            .unwrap()
            .unwrap();
        for hidden in ["47,8", "33,1", "47.75", "33.125"] {
            assert!(!f.html.contains(hidden), "{hidden} on the page");
            assert!(!f.csv.contains(hidden), "{hidden} in the CSV");
        }
        assert!(
            f.csv
                .contains("\nifo,Individ- och familjeomsorg,..,..,..,..,..\n")
        );
        assert!(f.html.contains(">21,5<") && f.csv.contains(",21.5,"));
    }
}
