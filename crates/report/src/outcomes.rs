//! Time to implementation on the national page: the `time_to_go_live` mart as a table.

use std::fmt::Write;

use friktion_publish::Shown;
use friktion_publish::marts::{CurvePoint, FunnelStage, TimeToGoLive};

use crate::ReportError;
use crate::figure::{DataTable, Figure, csv_field};
use crate::format::{SUPPRESSED, esc};
use crate::i18n::{Lang, num, num_opt, t, tf};

fn track_label(lang: Lang, track: &str) -> String {
    match track {
        "omsorg" => t(lang, "track.omsorg").into(),
        "skola" => t(lang, "track.skola").into(),
        "annan" => t(lang, "track.annan").into(),
        other => esc(other),
    }
}

/// A quantile the curve never reached is shown as "ej nådd": too few projects have gone live.
fn days(lang: Lang, v: Option<f64>) -> String {
    v.map_or_else(
        || t(lang, "ttg.not_reached").to_string(),
        |d| num(lang, d, 0),
    )
}

/// The section, or an empty string when there are no projects; `charts` go after the lead and
/// `after_table` after the table.
pub fn section(
    rows: &[Shown<TimeToGoLive>],
    min_cell: i64,
    lang: Lang,
    charts: &str,
    after_table: &str,
) -> String {
    let pick = |dim: &str| -> Vec<&Shown<TimeToGoLive>> {
        rows.iter().filter(|r| r.row.dimension == dim).collect()
    };
    let (all, tracks, solutions) = (pick("all"), pick("track"), pick("solution"));
    if all.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "<section>\n<h2>{}</h2>\n<p>{}</p>\n{charts}",
        t(lang, "ttg.h2"),
        t(lang, "ttg.lead")
    );
    let _ = write!(
        s,
        "<table>\n<caption>{}</caption>\n<thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>\n",
        t(lang, "ttg.caption"),
        t(lang, "ttg.group"),
        t(lang, "ttg.projects"),
        t(lang, "ttg.live"),
        t(lang, "ttg.abandoned"),
        t(lang, "ttg.running"),
        t(lang, "ttg.median"),
        t(lang, "ttg.quartiles"),
        t(lang, "ttg.share2y"),
        t(lang, "ttg.naive"),
    );
    let mut row = |label: String, Shown { row: r, shown }: &Shown<TimeToGoLive>| {
        let shown = *shown;
        let cell = |v: String| if shown { v } else { SUPPRESSED.to_string() };
        let _ = writeln!(
            s,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            label,
            num(lang, r.n_projects as f64, 0),
            cell(num(lang, r.n_live as f64, 0)),
            cell(num(lang, r.n_abandoned as f64, 0)),
            cell(num(lang, r.n_running as f64, 0)),
            cell(days(lang, r.median_days)),
            cell(format!(
                "{}–{}",
                days(lang, r.q1_days),
                days(lang, r.q3_days)
            )),
            cell(
                r.share_live_within_2y
                    .map_or(SUPPRESSED.into(), |v| format!(
                        "{}&nbsp;%",
                        num(lang, v * 100.0, 0)
                    ))
            ),
            cell(num_opt(lang, r.naive_median_days, 0)),
        );
    };
    for r in &all {
        row(format!("<strong>{}</strong>", t(lang, "ttg.all")), r);
    }
    for r in &tracks {
        row(tf(lang, "ttg.track", &[&track_label(lang, &r.row.grp)]), r);
    }
    for r in &solutions {
        row(esc(&r.row.grp), r);
    }
    let _ = write!(
        s,
        "</tbody>\n</table>\n<p class=\"note\">{}</p>\n{after_table}</section>\n",
        tf(lang, "ttg.note", &[&min_cell])
    );
    s
}

/// The Kaplan–Meier curves of the whole country and each track, as the share of projects live
/// by each day, with the data as CSV; groups too small for the table are not drawn either.
pub fn curve_figure(
    points: &[CurvePoint],
    rows: &[Shown<TimeToGoLive>],
    lang: Lang,
) -> Result<(String, String), ReportError> {
    let groups = [("all", "Sverige".to_string(), t(lang, "ttg.all").to_string())]
        .into_iter()
        .chain(["omsorg", "skola", "annan"].map(|g| ("track", g.to_string(), track_label(lang, g))))
        .collect();
    let f = curves(
        points,
        rows,
        lang,
        groups,
        [
            t(lang, "ttg.curve_title"),
            t(lang, "ttg.curve_alt"),
            t(lang, "ttg.curve_caption"),
        ],
        "data/time_to_go_live_curve.csv",
    )?;
    Ok((f.html, f.csv))
}

/// The same curves for each solution (e-arkiv, trygghetslarm, …) with enough projects.
pub fn solution_curve_figure(
    points: &[CurvePoint],
    rows: &[Shown<TimeToGoLive>],
    lang: Lang,
) -> Result<Figure, ReportError> {
    let mut names: Vec<&str> = rows
        .iter()
        .filter(|r| r.row.dimension == "solution")
        .map(|r| r.row.grp.as_str())
        .collect();
    names.sort();
    let groups = names
        .into_iter()
        .map(|g| ("solution", g.to_string(), g.to_string()))
        .collect();
    curves(
        points,
        rows,
        lang,
        groups,
        [
            t(lang, "ttg.solution_title"),
            t(lang, "ttg.solution_alt"),
            t(lang, "ttg.curve_caption"),
        ],
        "data/time_to_go_live_curve_solution.csv",
    )
}

/// Days at which the curves' table reads off the share live.
const READ_AT: [f64; 3] = [180.0, 365.0, 730.0];

fn curves(
    points: &[CurvePoint],
    rows: &[Shown<TimeToGoLive>],
    lang: Lang,
    groups: Vec<(&str, String, String)>,
    [title, alt, caption]: [&str; 3],
    csv_path: &str,
) -> Result<Figure, ReportError> {
    let big_enough = |dim: &str, grp: &str| {
        rows.iter()
            .any(|r| r.shown && r.row.dimension == dim && r.row.grp == grp)
    };
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut csv = String::from("dimension,grp,days,share_live\n");
    let mut table = DataTable {
        caption: esc(title),
        headers: std::iter::once((t(lang, "ttg.group").to_string(), false))
            .chain(
                READ_AT
                    .iter()
                    .map(|d| (tf(lang, "ttg.live_by", &[&num(lang, *d, 0)]), true)),
            )
            .collect(),
        rows: vec![],
    };
    for (dim, grp, label) in groups {
        if !big_enough(dim, &grp) {
            continue;
        }
        let pts: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.dimension == dim && p.grp == grp)
            .map(|p| (p.days, 1.0 - p.survival))
            .collect();
        if pts.is_empty() {
            continue;
        }
        for (d, v) in &pts {
            let _ = writeln!(csv, "{dim},{},{d},{v}", csv_field(&grp));
        }
        // The step function read at each day: the last point on or before it.
        let at = |day: f64| {
            pts.iter()
                .take_while(|p| p.0 <= day)
                .last()
                .map_or(0.0, |p| p.1)
        };
        table.rows.push(
            std::iter::once(esc(&label))
                .chain(
                    READ_AT
                        .iter()
                        .map(|d| format!("{}\u{a0}%", num(lang, at(*d) * 100.0, 0))),
                )
                .collect(),
        );
        series.push((label, pts));
    }
    if series.is_empty() {
        return Ok(Figure::default());
    }
    let svg = crate::chart::step_lines(
        title,
        t(lang, "ttg.curve_x"),
        t(lang, "ttg.curve_y"),
        &series,
        lang,
    )?;
    Ok(Figure {
        html: crate::figure::html(lang, alt, &svg, caption, csv_path, Some(&table)),
        csv_path: csv_path.to_string(),
        csv,
    })
}

/// The stage funnel as bars (share of all projects that reached each stage), with its CSV.
pub fn funnel_figure(
    stages: &[Shown<FunnelStage>],
    lang: Lang,
) -> Result<(String, String), ReportError> {
    let stages: Vec<&FunnelStage> = stages.iter().filter(|s| s.shown).map(|s| &s.row).collect();
    if stages.is_empty() {
        return Ok((String::new(), String::new()));
    }
    let mut csv = String::from("stage,n_projects,n_reached,share_reached\n");
    let mut table = DataTable {
        caption: esc(t(lang, "funnel.title")),
        headers: vec![
            (t(lang, "funnel.stage").into(), false),
            (t(lang, "funnel.reached").into(), true),
            (t(lang, "funnel.axis").into(), true),
        ],
        rows: vec![],
    };
    let bars: Vec<crate::chart::Bar> = stages
        .iter()
        .map(|s| {
            let share = s.n_reached as f64 / s.n_projects as f64 * 100.0;
            table.rows.push(vec![
                t(lang, &format!("stage.{}", s.stage)).to_string(),
                format!(
                    "{} / {}",
                    num(lang, s.n_reached as f64, 0),
                    num(lang, s.n_projects as f64, 0)
                ),
                num(lang, share, 1),
            ]);
            let _ = writeln!(
                csv,
                "{},{},{},{}",
                s.stage,
                s.n_projects,
                s.n_reached,
                share / 100.0
            );
            crate::chart::Bar {
                label: t(lang, &format!("stage.{}", s.stage)).to_string(),
                value: share,
                low: None,
                high: None,
                ink: crate::palette::Ink::Kommun,
            }
        })
        .collect();
    let svg = crate::chart::bars_with_intervals(
        t(lang, "funnel.title"),
        t(lang, "funnel.axis"),
        &bars,
        lang,
    )?;
    Ok((
        crate::figure::html(
            lang,
            t(lang, "funnel.alt"),
            &svg,
            t(lang, "funnel.caption"),
            "data/project_funnel.csv",
            Some(&table),
        ),
        csv,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(dim: &str, grp: &str, n: i64, median: Option<f64>) -> TimeToGoLive {
        TimeToGoLive {
            dimension: dim.into(),
            grp: grp.into(),
            n_projects: n,
            n_live: n / 2,
            n_abandoned: 1,
            n_running: n - n / 2 - 1,
            q1_days: Some(120.0),
            median_days: median,
            q3_days: None,
            share_live_within_2y: Some(0.64),
            naive_median_days: Some(200.0),
        }
    }

    #[test]
    fn the_table_shows_medians_unreached_quantiles_and_small_groups_suppressed() {
        let marts = friktion_publish::Marts {
            time_to_go_live: vec![
                r("all", "Sverige", 40, Some(1234.0)),
                r("track", "omsorg", 30, Some(400.0)),
                r("solution", "GPS-larm", 3, Some(777.0)),
                r("kommun", "0163", 12, Some(999.0)),
            ],
            ..Default::default()
        };
        let p = friktion_publish::Publication::compute(&marts, &Default::default(), 5);
        let rows = &p.time_to_go_live;
        let html = section(rows, 5, Lang::Sv, "", "");
        assert!(
            html.contains("<td class=\"num\">1\u{202f}234</td>"),
            "{html}"
        );
        assert!(html.contains("Spår: Vård och omsorg"));
        assert!(html.contains("120–ej nådd"));
        assert!(html.contains("64&nbsp;%"));
        // GPS-larm has 3 projects: its median is not shown; kommun rows are not on this page.
        assert!(!html.contains("777") && !html.contains("999"), "{html}");
        assert!(html.contains(
            "<th scope=\"row\">GPS-larm</th><td class=\"num\">3</td><td class=\"num\">..</td>"
        ));
        assert_eq!(section(&[], 5, Lang::Sv, "", ""), "");
        let en = section(rows, 5, Lang::En, "", "");
        assert!(
            en.contains("Track: Health and social care") && en.contains("120–not reached"),
            "{en}"
        );
        assert!(en.contains("<td class=\"num\">1,234</td>"), "{en}");
    }
}
