//! A strip chart that holds 290 municipalities: one band per peer group, each kommun a dot
//! with its interval, the group's mean as a line and the country's as a reference across all
//! bands. Written as SVG by hand: every label is placed, so none can overlap another.

use std::fmt::Write;

use crate::format::esc;
use crate::i18n::{Lang, num};
use crate::palette::{COUNTRY, KOMMUN, PEER, TEXT};

/// One kommun: its estimate and 95 % interval.
#[derive(Debug, Clone)]
pub struct Dot {
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// One band: a peer group's name, its mean where it may be shown, and its kommuner.
#[derive(Debug, Clone)]
pub struct Band {
    pub name: String,
    /// Under the name, smaller: the group's code and how many kommuner are drawn.
    pub detail: String,
    pub mean: Option<f64>,
    pub dots: Vec<Dot>,
}

/// The legend's words, in the page's language.
pub struct Legend<'a> {
    pub kommun: &'a str,
    pub group_mean: &'a str,
    pub country: &'a str,
}

const WIDTH: f64 = 760.0;
const LEFT: f64 = 290.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 84.0;
const BAND: f64 = 64.0;
const BOTTOM: f64 = 56.0;
/// The smallest type: 13 px is 11.3 px on an A4 page, where the 760 px chart is 658 px wide.
const SMALL: u32 = 13;
/// Rows the dots of a band are spread over, so that close values do not hide each other.
const ROWS: usize = 9;

/// The chart as SVG; `country` is the national mean drawn as the reference line.
pub fn strip(
    title: &str,
    x_label: &str,
    bands: &[Band],
    country: Option<f64>,
    legend: &Legend<'_>,
    lang: Lang,
) -> String {
    let max = bands
        .iter()
        .flat_map(|b| {
            b.dots
                .iter()
                .map(|d| d.high.unwrap_or(d.value).max(d.value))
        })
        .chain(country)
        .fold(0.0f64, f64::max);
    let (x_max, step) = axis(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let x = |v: f64| LEFT + plot_w * (v / x_max).clamp(0.0, 1.0);
    let height = TOP + BAND * bands.len().max(1) as f64 + BOTTOM;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"{}\">\n\
         <rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>\n",
        crate::fonts::CHART_FONT
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"22\" font-size=\"17\" font-weight=\"700\" fill=\"{TEXT}\" text-anchor=\"middle\">{}</text>",
        WIDTH / 2.0,
        esc(title)
    );
    legend_row(&mut s, legend);
    // Grid and axis.
    let bottom = height - BOTTOM;
    let mut v = 0.0;
    while v <= x_max + 1e-9 {
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{TOP}\" x2=\"{0:.1}\" y2=\"{bottom}\" stroke=\"#e3e3e3\"/>\n\
             <text x=\"{0:.1}\" y=\"{1}\" font-size=\"{SMALL}\" fill=\"{TEXT}\" text-anchor=\"middle\">{2}</text>",
            x(v),
            bottom + 18.0,
            num(lang, v, 0)
        );
        v += step;
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"{SMALL}\" fill=\"{TEXT}\" text-anchor=\"middle\">{}</text>",
        LEFT + plot_w / 2.0,
        bottom + 42.0,
        esc(x_label)
    );
    for (i, b) in bands.iter().enumerate() {
        let top = TOP + BAND * i as f64;
        if i % 2 == 0 {
            let _ = writeln!(
                s,
                "<rect x=\"{LEFT}\" y=\"{top}\" width=\"{plot_w}\" height=\"{BAND}\" fill=\"#f6f6f6\"/>"
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{0}\" y=\"{1:.1}\" font-size=\"{SMALL}\" fill=\"{TEXT}\" text-anchor=\"end\">{2}</text>\n\
             <text x=\"{0}\" y=\"{3:.1}\" font-size=\"{SMALL}\" fill=\"#555555\" text-anchor=\"end\">{4}</text>",
            LEFT - 10.0,
            top + BAND / 2.0 - 3.0,
            esc(&b.name),
            top + BAND / 2.0 + 14.0,
            esc(&b.detail)
        );
        let mut dots: Vec<&Dot> = b.dots.iter().collect();
        dots.sort_by(|a, b| a.value.total_cmp(&b.value));
        for (k, d) in dots.iter().enumerate() {
            let y = top + 8.0 + (BAND - 16.0) * ((k % ROWS) as f64 + 0.5) / ROWS as f64;
            if let (Some(l), Some(h)) = (d.low, d.high) {
                let _ = writeln!(
                    s,
                    "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{KOMMUN}\" stroke-opacity=\"0.35\"/>",
                    x(l),
                    x(h)
                );
            }
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"2.6\" fill=\"{KOMMUN}\"/>",
                x(d.value)
            );
        }
        if let Some(m) = b.mean {
            let _ = writeln!(
                s,
                "<line x1=\"{0:.1}\" y1=\"{1:.1}\" x2=\"{0:.1}\" y2=\"{2:.1}\" stroke=\"{PEER}\" stroke-width=\"3\"/>",
                x(m),
                top + 3.0,
                top + BAND - 3.0
            );
        }
    }
    if let Some(c) = country {
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{bottom}\" stroke=\"{COUNTRY}\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n\
             <text x=\"{0:.1}\" y=\"{2}\" font-size=\"{SMALL}\" fill=\"{COUNTRY}\" text-anchor=\"middle\">{3} {4}</text>",
            x(c),
            TOP - 16.0,
            TOP - 22.0,
            esc(legend.country),
            num(lang, c, 1)
        );
    }
    s.push_str("</svg>");
    s
}

/// The legend on a line of its own under the title: a dot, a solid line, a dashed line, each
/// entry placed after the previous one's text (DejaVu Sans at 13 px: under 8 px a character).
fn legend_row(s: &mut String, l: &Legend<'_>) {
    let y = 44.0;
    let width = |t: &str| t.chars().count() as f64 * 8.0;
    let x0 = LEFT;
    let x1 = x0 + 9.0 + width(l.kommun) + 24.0;
    let x2 = x1 + 8.0 + width(l.group_mean) + 24.0;
    let _ = writeln!(
        s,
        "<circle cx=\"{x0}\" cy=\"{cy}\" r=\"3.5\" fill=\"{KOMMUN}\"/>\
         <text x=\"{tx0}\" y=\"{y}\" font-size=\"{SMALL}\" fill=\"{TEXT}\">{k}</text>\n\
         <line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x1}\" y2=\"{y2}\" stroke=\"{PEER}\" stroke-width=\"3\"/>\
         <text x=\"{tx1}\" y=\"{y}\" font-size=\"{SMALL}\" fill=\"{TEXT}\">{g}</text>\n\
         <line x1=\"{x2}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"{COUNTRY}\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{tx2}\" y=\"{y}\" font-size=\"{SMALL}\" fill=\"{TEXT}\">{c}</text>",
        cy = y - 4.5,
        tx0 = x0 + 9.0,
        k = esc(l.kommun),
        y1 = y - 12.0,
        y2 = y + 2.0,
        tx1 = x1 + 8.0,
        g = esc(l.group_mean),
        tx2 = x2 + 8.0,
        c = esc(l.country),
    );
}

/// The axis' end and step: a round number above `max`, in 4 to 8 steps.
fn axis(max: f64) -> (f64, f64) {
    if !(max.is_finite() && max > 0.0) {
        return (10.0, 2.0);
    }
    let raw = max * 1.05 / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    (((max * 1.05) / step).ceil() * step, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_on_a_round_number_above_every_value() {
        assert_eq!(axis(34.2), (40.0, 10.0));
        assert_eq!(axis(118.0), (125.0, 25.0));
        assert_eq!(axis(0.0), (10.0, 2.0));
    }

    #[test]
    fn every_kommun_is_a_dot_and_every_group_a_label() {
        let band = |name: &str, n: usize| Band {
            name: name.into(),
            detail: format!("{n} kommuner"),
            mean: Some(30.0),
            dots: (0..n)
                .map(|i| Dot {
                    value: 20.0 + i as f64,
                    low: Some(15.0 + i as f64),
                    high: Some(25.0 + i as f64),
                })
                .collect(),
        };
        let legend = Legend {
            kommun: "Kommun",
            group_mean: "Gruppens medel",
            country: "Riket",
        };
        let svg = strip(
            "T",
            "min",
            &[band("A & B", 30), band("C", 12)],
            Some(31.5),
            &legend,
            Lang::Sv,
        );
        assert_eq!(svg.matches("<circle").count(), 42 + 1);
        assert!(svg.contains(">A &amp; B<") && svg.contains(">Riket 31,5<"));
        assert!(!svg.contains("font-size=\"12\""));
    }
}
