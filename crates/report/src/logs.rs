//! Friction measured in the systems' own logs, per system, beside what staff reported in the
//! survey: the two measures the project was set up to compare.

use std::fmt::Write;

use friktion_publish::Shown;
use friktion_publish::marts::{LogFriction, NationalFriction};

use crate::ReportError;
use crate::chart::{Bar, bars_with_intervals};
use crate::figure::{DataTable, Figure, csv_field};
use crate::format::esc;
use crate::i18n::{Lang, num, num_opt, t, tf};

/// What the survey said, drawn as a contrasting bar beside the systems.
pub struct SelfReported {
    pub wave_id: String,
    pub mean_minutes: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl SelfReported {
    /// A wave's national total as the survey's bar, when it has a mean.
    pub fn of(t: &NationalFriction) -> Option<Self> {
        Some(Self {
            wave_id: t.wave_id.clone(),
            mean_minutes: t.mean_minutes?,
            ci_low: t.ci_low,
            ci_high: t.ci_high,
        })
    }
}

/// Log-derived minutes per user and day for each system, nationally (`kommun` None) or in one
/// kommun, with the survey's self-reported minutes as the last bar.
pub fn figure(
    rows: &[Shown<LogFriction>],
    kommun: Option<&str>,
    survey: Option<&SelfReported>,
    lang: Lang,
) -> Result<Option<Figure>, ReportError> {
    let mut rows: Vec<&Shown<LogFriction>> = rows
        .iter()
        .filter(|r| match kommun {
            None => r.row.level == "system",
            Some(k) => r.row.level == "kommun" && r.row.kommun_kod.as_deref() == Some(k),
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    rows.sort_by(|a, b| a.row.system_id.cmp(&b.row.system_id));
    // One row per system here: a system's id says which rows the publication hid.
    let hidden: Vec<&str> = rows
        .iter()
        .filter(|r| !r.shown)
        .map(|r| r.row.system_id.as_str())
        .collect();
    let shown = |r: &LogFriction| !hidden.contains(&r.system_id.as_str());
    let rows: Vec<&LogFriction> = rows.iter().map(|r| &r.row).collect();
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
            ink: crate::palette::Ink::Country,
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
