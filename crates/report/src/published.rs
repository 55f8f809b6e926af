//! The published-figure check on the national page: a cost figure reproduced from its own
//! published inputs, beside the published number (the `published_figure_check` mart).

use std::fmt::Write;

use friktion_publish::marts::PublishedCheck;

use crate::format::esc;
use crate::i18n::{Lang, num, t, tf};

/// Millions of SEK with one decimal, as the figures are published ("30,5 mnkr").
fn mnkr(lang: Lang, v: f64) -> String {
    tf(lang, "unit.msek", &[&num(lang, v / 1e6, 1)])
}

pub fn section(checks: &[PublishedCheck], lang: Lang) -> String {
    if checks.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "<section>\n<h2>{}</h2>\n<p>{}</p>\n<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>\n",
        t(lang, "pub.h2"),
        t(lang, "pub.lead"),
        t(lang, "pub.caption"),
        t(lang, "pub.source"),
        t(lang, "pub.assumptions"),
        t(lang, "pub.published"),
        t(lang, "pub.recomputed"),
        t(lang, "pub.difference"),
    );
    for c in checks {
        let diff = (c.reproduced_sek / c.published_sek - 1.0) * 100.0;
        let _ = writeln!(
            s,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}&nbsp;%</td></tr>",
            esc(&c.source),
            esc(match (lang, &c.description_en) {
                (Lang::En, Some(en)) => en,
                _ => &c.description,
            }),
            mnkr(lang, c.published_sek),
            mnkr(lang, c.reproduced_sek),
            num(lang, diff, 2)
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
        let html = section(
            &[PublishedCheck {
                assumption_set: "vision-2014".into(),
                description: "Visions egna antaganden".into(),
                description_en: None,
                source: "Vision 2014".into(),
                reproduced_sek: 30_518_292.68,
                published_sek: 30_500_000.0,
            }],
            Lang::Sv,
        );
        assert!(
            html.contains(
                "<td class=\"num\">30,5&nbsp;mnkr</td><td class=\"num\">30,5&nbsp;mnkr</td>"
            ),
            "{html}"
        );
        assert!(html.contains("0,06&nbsp;%"), "{html}");
        assert_eq!(section(&[], Lang::Sv), "");
    }
}
