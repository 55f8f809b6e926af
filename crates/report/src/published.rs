//! The published-figure check on the national page: a cost figure reproduced from its own
//! published inputs, beside the published number (the `published_figure_check` mart).

use std::fmt::Write;

use arrow::array::RecordBatch;

use crate::format::{esc, sv_number};
use crate::{Mart, ReportError};

#[derive(Debug, Clone, PartialEq)]
pub struct PublishedCheck {
    pub assumption_set: String,
    pub description: String,
    pub source: String,
    pub reproduced_sek: f64,
    pub published_sek: f64,
}

pub fn published_checks(batches: &[RecordBatch]) -> Result<Vec<PublishedCheck>, ReportError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "published_figure_check",
            batch: b,
        };
        let (set, desc, src) = (
            m.strings("assumption_set")?,
            m.strings("description")?,
            m.strings("source")?,
        );
        let (rep, publ) = (
            m.floats("reproduced_cost_sek")?,
            m.floats("published_cost_sek")?,
        );
        for i in 0..b.num_rows() {
            if let (Some(r), Some(p)) = (rep[i], publ[i]) {
                out.push(PublishedCheck {
                    assumption_set: set[i].clone().unwrap_or_default(),
                    description: desc[i].clone().unwrap_or_default(),
                    source: src[i].clone().unwrap_or_default(),
                    reproduced_sek: r,
                    published_sek: p,
                });
            }
        }
    }
    Ok(out)
}

/// Millions of SEK with one decimal, as the figures are published ("30,5 mnkr").
fn mnkr(v: f64) -> String {
    format!("{}&nbsp;mnkr", sv_number(v / 1e6, 1))
}

pub fn section(checks: &[PublishedCheck]) -> String {
    if checks.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<section>\n<h2>Kontroll mot publicerade siffror</h2>\n<p>Kostnadsberäkningen räknar om publicerade \
         siffror från deras egna publicerade antaganden, så att metoden kan prövas mot ett känt svar.</p>\n\
         <table>\n<caption>Publicerad och omräknad kostnad</caption>\n<thead><tr><th scope=\"col\">Källa</th>\
         <th scope=\"col\">Antaganden</th><th scope=\"col\" class=\"num\">Publicerad</th>\
         <th scope=\"col\" class=\"num\">Omräknad</th><th scope=\"col\" class=\"num\">Skillnad</th></tr></thead>\n<tbody>\n",
    );
    for c in checks {
        let diff = (c.reproduced_sek / c.published_sek - 1.0) * 100.0;
        let _ = writeln!(
            s,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}&nbsp;%</td></tr>",
            esc(&c.source),
            esc(&c.description),
            mnkr(c.published_sek),
            mnkr(c.reproduced_sek),
            sv_number(diff, 2)
        );
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reproduced_figure_stands_beside_the_published_one() {
        let html = section(&[PublishedCheck {
            assumption_set: "vision-2014".into(),
            description: "Visions egna antaganden".into(),
            source: "Vision 2014".into(),
            reproduced_sek: 30_518_292.68,
            published_sek: 30_500_000.0,
        }]);
        assert!(
            html.contains(
                "<td class=\"num\">30,5&nbsp;mnkr</td><td class=\"num\">30,5&nbsp;mnkr</td>"
            ),
            "{html}"
        );
        assert!(html.contains("0,06&nbsp;%"), "{html}");
        assert_eq!(section(&[]), "");
    }
}
