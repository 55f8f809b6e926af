//! Friction measured in the systems' own logs, per system, beside what staff reported in the
//! survey: the two measures the project was set up to compare.

use std::fmt::Write;

use arrow::array::RecordBatch;

use crate::chart::{Bar, bars_with_intervals};
use crate::disclosure::{Cell, Suppression, is_suppressed, suppress};
use crate::figure::{DataTable, Figure, csv_field, log_suppressions};
use crate::format::esc;
use crate::i18n::{Lang, num, num_opt, t, tf};
use crate::{Mart, ReportError};

/// One row of `log_friction_by_system`: a system nationally (level system) or in one kommun.
#[derive(Debug, Clone, PartialEq)]
pub struct LogFriction {
    pub level: String,
    pub system_id: String,
    pub kommun_kod: Option<String>,
    pub first_day: String,
    pub last_day: String,
    pub user_days: i64,
    pub minutes_lost_per_user_day: Option<f64>,
}

pub fn log_friction(batches: &[RecordBatch]) -> Result<Vec<LogFriction>, ReportError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "log_friction_by_system",
            batch: b,
        };
        let (level, system, kommun) = (
            m.strings("level")?,
            m.strings("system_id")?,
            m.strings("kommun_kod")?,
        );
        let (first, last) = (m.strings("first_day")?, m.strings("last_day")?);
        let (user_days, per) = (m.ints("user_days")?, m.floats("minutes_lost_per_user_day")?);
        for i in 0..b.num_rows() {
            out.push(LogFriction {
                level: level[i].clone().unwrap_or_default(),
                system_id: system[i].clone().unwrap_or_default(),
                kommun_kod: kommun[i].clone(),
                first_day: first[i].clone().unwrap_or_default(),
                last_day: last[i].clone().unwrap_or_default(),
                user_days: user_days[i].unwrap_or(0),
                minutes_lost_per_user_day: per[i],
            });
        }
    }
    Ok(out)
}

/// The kommun-level cells hidden because too few user-days lie behind them. The national row
/// of each system is its total, so a lone small kommun takes a second one with it.
pub fn suppressions(rows: &[LogFriction], min_cell: i64, log: &mut String) -> Vec<Suppression> {
    let cells: Vec<Cell> = rows
        .iter()
        .filter(|r| r.level == "kommun")
        .map(|r| Cell {
            key: cell_key(r),
            groups: vec![format!("system:{}", r.system_id)],
            n: r.user_days,
        })
        .collect();
    let hidden = suppress(&cells, min_cell);
    log_suppressions(log, "log_friction_by_system", &hidden, |k| {
        cells.iter().find(|c| c.key == k).map_or(0, |c| c.n)
    });
    hidden
}

fn cell_key(r: &LogFriction) -> String {
    format!(
        "{}/{}",
        r.kommun_kod.as_deref().unwrap_or_default(),
        r.system_id
    )
}

/// What the survey said, drawn as a contrasting bar beside the systems.
pub struct SelfReported {
    pub wave_id: String,
    pub mean_minutes: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// Log-derived minutes per user and day for each system, nationally (`kommun` None) or in one
/// kommun, with the survey's self-reported minutes as the last bar.
pub fn figure(
    rows: &[LogFriction],
    kommun: Option<&str>,
    hidden: &[Suppression],
    survey: Option<&SelfReported>,
    min_cell: i64,
    lang: Lang,
) -> Result<Option<Figure>, ReportError> {
    let mut rows: Vec<&LogFriction> = rows
        .iter()
        .filter(|r| match kommun {
            None => r.level == "system",
            Some(k) => r.level == "kommun" && r.kommun_kod.as_deref() == Some(k),
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let shown = |r: &LogFriction| {
        r.minutes_lost_per_user_day.is_some()
            && r.user_days >= min_cell
            && !is_suppressed(hidden, &cell_key(r))
    };
    rows.sort_by(|a, b| a.system_id.cmp(&b.system_id));
    let mut bars: Vec<Bar> = rows
        .iter()
        .filter(|r| shown(r))
        .map(|r| Bar {
            label: r.system_id.clone(),
            value: r.minutes_lost_per_user_day.unwrap_or(0.0),
            ..Bar::default()
        })
        .collect();
    if let Some(s) = survey {
        bars.push(Bar {
            label: tf(lang, "logs.self_reported", &[&s.wave_id]),
            value: s.mean_minutes,
            low: s.ci_low,
            high: s.ci_high,
            accent: true,
        });
    }
    let period = format!(
        "{}–{}",
        rows.iter()
            .map(|r| r.first_day.as_str())
            .min()
            .unwrap_or(""),
        rows.iter().map(|r| r.last_day.as_str()).max().unwrap_or("")
    );
    let title = tf(lang, "logs.title", &[&period]);
    let svg = bars_with_intervals(&title, t(lang, "logs.axis"), &bars, lang)?;
    let mut csv = String::from("measure,system_id,first_day,last_day,user_days,minutes_per_day\n");
    let mut table = DataTable {
        caption: esc(&title),
        headers: vec![
            (t(lang, "logs.system").into(), false),
            (t(lang, "logs.user_days").into(), true),
            (t(lang, "logs.axis").into(), true),
        ],
        rows: vec![],
    };
    for r in &rows {
        if shown(r) {
            let _ = writeln!(
                csv,
                "log,{},{},{},{},{}",
                csv_field(&r.system_id),
                r.first_day,
                r.last_day,
                r.user_days,
                r.minutes_lost_per_user_day.unwrap_or(0.0)
            );
            table.rows.push(vec![
                esc(&r.system_id),
                num(lang, r.user_days as f64, 0),
                num_opt(lang, r.minutes_lost_per_user_day, 1),
            ]);
        } else {
            let _ = writeln!(
                csv,
                "log,{},{},{},..,..",
                csv_field(&r.system_id),
                r.first_day,
                r.last_day
            );
            table
                .rows
                .push(vec![esc(&r.system_id), "..".into(), "..".into()]);
        }
    }
    if let Some(s) = survey {
        let _ = writeln!(
            csv,
            "survey {},,,,,{}",
            csv_field(&s.wave_id),
            s.mean_minutes
        );
        table.rows.push(vec![
            tf(lang, "logs.self_reported", &[&esc(&s.wave_id)]),
            String::new(),
            num(lang, s.mean_minutes, 1),
        ]);
    }
    let csv_path = match kommun {
        None => "data/log_friction_by_system.csv".to_string(),
        Some(k) => format!("data/log_friction_{k}.csv"),
    };
    Ok(Some(Figure {
        html: crate::figure::html(
            lang,
            t(lang, "logs.alt"),
            &svg,
            t(lang, "logs.caption"),
            &csv_path,
            Some(&table),
        ),
        csv_path,
        csv,
    }))
}
