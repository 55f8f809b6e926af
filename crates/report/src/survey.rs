//! The survey's friction beyond the kommun tables, for the national page: by verksamhet, how
//! the minutes spread, what they cost a year, and how they moved across waves.

use std::fmt::Write;

use arrow::array::RecordBatch;
use friktion_core::codes::{VERKSAMHET, find};

use crate::chart::{Bar, BarChart, TrendSeries, bar_chart, trend};
use crate::disclosure::{Cell, is_suppressed, suppress};
use crate::figure::{DataTable, Figure, csv_field, log_suppressions};
use crate::format::{SUPPRESSED, esc};
use crate::i18n::{Lang, num, num_opt, t, tf};
use crate::methods::CostAssumption;
use crate::{Mart, ReportError};

/// One row of `friction_by_group`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFriction {
    pub wave_id: String,
    pub dimension: String,
    pub grp: String,
    pub n: i64,
    pub n_eff: Option<f64>,
    pub mean_minutes: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

pub fn group_friction(batches: &[RecordBatch]) -> Result<Vec<GroupFriction>, ReportError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "friction_by_group",
            batch: b,
        };
        let (waves, dims, grps) = (
            m.strings("wave_id")?,
            m.strings("dimension")?,
            m.strings("grp")?,
        );
        let (n, n_eff, mean, lo, hi) = m.estimates()?;
        for i in 0..b.num_rows() {
            out.push(GroupFriction {
                wave_id: waves[i].clone().unwrap_or_default(),
                dimension: dims[i].clone().unwrap_or_default(),
                grp: grps[i].clone().unwrap_or_default(),
                n: n[i].unwrap_or(0),
                n_eff: n_eff[i],
                mean_minutes: mean[i],
                ci_low: lo[i],
                ci_high: hi[i],
            });
        }
    }
    Ok(out)
}

/// One band of `friction_distribution`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub wave_id: String,
    pub band_order: i64,
    pub band: String,
    pub n: i64,
    pub weighted_share: f64,
}

pub fn distribution(batches: &[RecordBatch]) -> Result<Vec<Band>, ReportError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "friction_distribution",
            batch: b,
        };
        let (waves, bands) = (m.strings("wave_id")?, m.strings("band")?);
        let (order, n, share) = (
            m.ints("band_order")?,
            m.ints("n")?,
            m.floats("weighted_share")?,
        );
        for i in 0..b.num_rows() {
            out.push(Band {
                wave_id: waves[i].clone().unwrap_or_default(),
                band_order: order[i].unwrap_or(0),
                band: bands[i].clone().unwrap_or_default(),
                n: n[i].unwrap_or(0),
                weighted_share: share[i].unwrap_or(0.0),
            });
        }
    }
    Ok(out)
}

/// One row of `friction_cost`: a wave's minutes priced under one set of assumptions.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub wave_id: String,
    pub assumption_set: String,
    pub n: i64,
    pub mean_minutes: Option<f64>,
    pub employees: Option<f64>,
    pub working_days_per_year: Option<f64>,
    pub monthly_salary_sek: Option<f64>,
    pub payroll_overhead: Option<f64>,
    pub cost_per_hour_sek: Option<f64>,
    pub cost: [Option<f64>; 3],
    pub fte: [Option<f64>; 3],
    pub source: String,
}

pub fn friction_cost(batches: &[RecordBatch]) -> Result<Vec<Cost>, ReportError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "friction_cost",
            batch: b,
        };
        let (waves, sets, src) = (
            m.strings("wave_id")?,
            m.strings("assumption_set")?,
            m.strings("source")?,
        );
        let n = m.ints("n")?;
        let f = |c: &str| m.floats(c);
        let (mean, emp, days, salary, po, cph) = (
            f("mean_minutes")?,
            f("employees")?,
            f("working_days_per_year")?,
            f("monthly_salary_sek")?,
            f("payroll_overhead")?,
            f("cost_per_hour_sek")?,
        );
        let (c, cl, ch) = (f("cost_sek")?, f("cost_low_sek")?, f("cost_high_sek")?);
        let (e, el, eh) = (f("fte")?, f("fte_low")?, f("fte_high")?);
        for i in 0..b.num_rows() {
            out.push(Cost {
                wave_id: waves[i].clone().unwrap_or_default(),
                assumption_set: sets[i].clone().unwrap_or_default(),
                n: n[i].unwrap_or(0),
                mean_minutes: mean[i],
                employees: emp[i],
                working_days_per_year: days[i],
                monthly_salary_sek: salary[i],
                payroll_overhead: po[i],
                cost_per_hour_sek: cph[i],
                cost: [c[i], cl[i], ch[i]],
                fte: [e[i], el[i], eh[i]],
                source: src[i].clone().unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

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

fn ci_text(lang: Lang, lo: Option<f64>, hi: Option<f64>, decimals: usize) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) => format!("{}–{}", num(lang, l, decimals), num(lang, h, decimals)),
        _ => SUPPRESSED.into(),
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| SUPPRESSED.to_string(), |v| v.to_string())
}

/// Minutes by verksamhet in one wave, with 95 % whiskers. The wave's total is published, so a
/// lone small verksamhet takes a second one with it.
pub fn verksamhet_figure(
    groups: &[GroupFriction],
    wave: &str,
    min_cell: i64,
    lang: Lang,
    log: &mut String,
) -> Result<Option<Figure>, ReportError> {
    let mut rows: Vec<&GroupFriction> = groups
        .iter()
        .filter(|g| g.wave_id == wave && g.dimension == "verksamhet")
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let cells: Vec<Cell> = rows
        .iter()
        .map(|g| Cell {
            key: g.grp.clone(),
            groups: vec!["riket".into()],
            n: if g.mean_minutes.is_some() { g.n } else { 0 },
        })
        .collect();
    let hidden = suppress(&cells, min_cell);
    log_suppressions(
        log,
        &format!("friction_by_group {wave} verksamhet"),
        &hidden,
        |k| rows.iter().find(|g| g.grp == k).map_or(0, |g| g.n),
    );
    let shown = |g: &GroupFriction| g.mean_minutes.is_some() && !is_suppressed(&hidden, &g.grp);
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
            accent: false,
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
                ci_text(lang, g.ci_low, g.ci_high, 1),
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
    bands: &[Band],
    wave: &str,
    min_cell: i64,
    lang: Lang,
    log: &mut String,
) -> Result<Option<Figure>, ReportError> {
    let mut rows: Vec<&Band> = bands.iter().filter(|b| b.wave_id == wave).collect();
    if rows.is_empty() {
        return Ok(None);
    }
    rows.sort_by_key(|b| b.band_order);
    let cells: Vec<Cell> = rows
        .iter()
        .map(|b| Cell {
            key: b.band.clone(),
            groups: vec!["riket".into()],
            n: b.n,
        })
        .collect();
    let hidden = suppress(&cells, min_cell);
    log_suppressions(
        log,
        &format!("friction_distribution {wave}"),
        &hidden,
        |k| rows.iter().find(|b| b.band == k).map_or(0, |b| b.n),
    );
    let shown = |b: &Band| !is_suppressed(&hidden, &b.band);
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
pub fn cost_figure(
    costs: &[Cost],
    sets: &[CostAssumption],
    wave: &str,
    min_cell: i64,
    lang: Lang,
) -> Result<Option<Figure>, ReportError> {
    let rows: Vec<&Cost> = costs
        .iter()
        .filter(|c| c.wave_id == wave && c.n >= min_cell && c.cost[0].is_some())
        .filter(|c| {
            !sets
                .iter()
                .any(|s| s.assumption_set == c.assumption_set && s.published_cost_sek.is_some())
        })
        .collect();
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
        accent: false,
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
            ci_text(lang, s(c.cost[1]), s(c.cost[2]), 1),
            num_opt(lang, c.fte[0], 0),
            ci_text(lang, c.fte[1], c.fte[2], 0),
        ]);
    }
    let csv_path = format!("data/friction_cost_{}.csv", safe(wave));
    let alt = tf(lang, "cost.alt", &[&wave]);
    let caption = t(lang, "cost.caption");
    let mut html = crate::figure::html(lang, &alt, &sek, caption, &csv_path, None);
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
    groups: &[GroupFriction],
    waves: &[&str],
    min_cell: i64,
    lang: Lang,
) -> Result<Option<Figure>, ReportError> {
    let rows: Vec<&GroupFriction> = waves
        .iter()
        .filter_map(|w| {
            groups
                .iter()
                .find(|g| g.wave_id == *w && g.dimension == "all" && g.n >= min_cell)
        })
        .filter(|g| g.mean_minutes.is_some())
        .collect();
    if rows.len() < 2 {
        return Ok(None);
    }
    let labels: Vec<String> = rows.iter().map(|g| g.wave_id.clone()).collect();
    let series = [TrendSeries {
        name: t(lang, "row.total").into(),
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
            ci_text(lang, g.ci_low, g.ci_high, 1),
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

    #[test]
    fn a_lone_small_verksamhet_takes_the_next_smallest_with_it() {
        let rows = [
            g("skola", 40, 21.5),
            g("ifo", 3, 47.75),
            g("teknik", 12, 33.125),
            g("aldreomsorg", 80, 30.0),
        ];
        let mut log = String::new();
        let f = verksamhet_figure(&rows, "w", 5, Lang::Sv, &mut log)
            .unwrap()
            .unwrap();
        assert!(log.contains("ifo,primary,3,") && log.contains("teknik,complementary,12,"));
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
