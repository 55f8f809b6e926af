//! Time to implementation on the national page: the `time_to_go_live` mart as a table.

use std::fmt::Write;

use arrow::array::RecordBatch;

use crate::format::{SUPPRESSED, esc, sv_number, sv_opt};
use crate::{Mart, ReportError};

/// One row of the time_to_go_live mart.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeToGoLive {
    /// all, solution, track, peer_group or kommun.
    pub dimension: String,
    pub grp: String,
    pub n_projects: i64,
    pub n_live: i64,
    pub n_abandoned: i64,
    pub n_running: i64,
    pub q1_days: Option<f64>,
    pub median_days: Option<f64>,
    pub q3_days: Option<f64>,
    pub share_live_within_2y: Option<f64>,
    pub naive_median_days: Option<f64>,
}

pub fn time_to_go_live(batches: &[RecordBatch]) -> Result<Vec<TimeToGoLive>, ReportError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "time_to_go_live",
            batch: b,
        };
        let (dim, grp) = (m.strings("dimension")?, m.strings("grp")?);
        let (n, live, gave_up, running) = (
            m.ints("n_projects")?,
            m.ints("n_live")?,
            m.ints("n_abandoned")?,
            m.ints("n_running")?,
        );
        let (q1, med, q3, two, naive) = (
            m.floats("q1_days")?,
            m.floats("median_days")?,
            m.floats("q3_days")?,
            m.floats("share_live_within_2y")?,
            m.floats("naive_median_days")?,
        );
        for i in 0..b.num_rows() {
            out.push(TimeToGoLive {
                dimension: dim[i].clone().unwrap_or_default(),
                grp: grp[i].clone().unwrap_or_default(),
                n_projects: n[i].unwrap_or(0),
                n_live: live[i].unwrap_or(0),
                n_abandoned: gave_up[i].unwrap_or(0),
                n_running: running[i].unwrap_or(0),
                q1_days: q1[i],
                median_days: med[i],
                q3_days: q3[i],
                share_live_within_2y: two[i],
                naive_median_days: naive[i],
            });
        }
    }
    Ok(out)
}

fn track_label(t: &str) -> &str {
    match t {
        "omsorg" => "Vård och omsorg",
        "skola" => "Skola",
        "annan" => "Övrigt",
        other => other,
    }
}

/// A quantile the curve never reached is shown as "ej nådd": too few projects have gone live.
fn days(v: Option<f64>) -> String {
    v.map_or_else(|| "ej nådd".to_string(), |d| sv_number(d, 0))
}

/// The section, or an empty string when there are no projects.
pub fn section(rows: &[TimeToGoLive], min_cell: i64) -> String {
    let pick =
        |dim: &str| -> Vec<&TimeToGoLive> { rows.iter().filter(|r| r.dimension == dim).collect() };
    let (all, tracks, solutions) = (pick("all"), pick("track"), pick("solution"));
    if all.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<section>\n<h2>Tid till införande</h2>\n<p>Dagar från beslut till driftsättning för kommunernas \
         införandeprojekt, skattade med Kaplan–Meier. Projekt som ännu pågår räknas fram till uttagsdatumet och \
         avbrutna projekt fram till avbrottet (censurerade) i stället för att tas bort; avbrott redovisas som \
         ett eget utfall. Medianen bland enbart avslutade projekt visas för jämförelse: den underskattar tiden \
         eftersom de långsamma projekten ännu inte är klara.</p>\n",
    );
    let _ = write!(
        s,
        "<table>\n<caption>Tid från beslut till driftsättning</caption>\n<thead><tr>\
         <th scope=\"col\">Grupp</th><th scope=\"col\" class=\"num\">Projekt</th>\
         <th scope=\"col\" class=\"num\">Driftsatta</th><th scope=\"col\" class=\"num\">Avbrutna</th>\
         <th scope=\"col\" class=\"num\">Pågående</th><th scope=\"col\" class=\"num\">Median, dagar</th>\
         <th scope=\"col\" class=\"num\">Kvartiler, dagar</th>\
         <th scope=\"col\" class=\"num\">Andel i drift inom 2 år</th>\
         <th scope=\"col\" class=\"num\">Median bland enbart avslutade</th></tr></thead>\n<tbody>\n"
    );
    let mut row = |label: String, r: &TimeToGoLive| {
        let shown = r.n_projects >= min_cell;
        let cell = |v: String| if shown { v } else { SUPPRESSED.to_string() };
        let _ = writeln!(
            s,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            label,
            sv_number(r.n_projects as f64, 0),
            cell(sv_number(r.n_live as f64, 0)),
            cell(sv_number(r.n_abandoned as f64, 0)),
            cell(sv_number(r.n_running as f64, 0)),
            cell(days(r.median_days)),
            cell(format!("{}–{}", days(r.q1_days), days(r.q3_days))),
            cell(
                r.share_live_within_2y
                    .map_or(SUPPRESSED.into(), |v| format!(
                        "{}&nbsp;%",
                        sv_number(v * 100.0, 0)
                    ))
            ),
            cell(sv_opt(r.naive_median_days, 0)),
        );
    };
    for r in &all {
        row("<strong>Alla projekt</strong>".into(), r);
    }
    for r in &tracks {
        row(format!("Spår: {}", esc(track_label(&r.grp))), r);
    }
    for r in &solutions {
        row(esc(&r.grp), r);
    }
    let _ = write!(
        s,
        "</tbody>\n</table>\n<p class=\"note\">”ej nådd”: för få projekt har hunnit driftsättas för att kurvan ska \
         nå dit. Grupper med färre än {min_cell} projekt visas som ”..”.</p>\n</section>\n"
    );
    s
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
        let rows = [
            r("all", "Sverige", 40, Some(1234.0)),
            r("track", "omsorg", 30, Some(400.0)),
            r("solution", "GPS-larm", 3, Some(777.0)),
            r("kommun", "0163", 12, Some(999.0)),
        ];
        let html = section(&rows, 5);
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
        assert_eq!(section(&[], 5), "");
    }
}
