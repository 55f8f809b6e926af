//! Charts drawn with plotters into SVG strings, to be inlined in the pages.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::ReportError;
use crate::i18n::{Lang, num};

/// One bar: a label, the estimate and its 95 % interval.
#[derive(Debug, Clone, Default)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Whom the bar stands for, which gives its colour: a reference bar (the country, the
    /// survey's own figure beside the logs') stands out from the kommuner's.
    pub ink: Ink,
}

use crate::palette::{Ink, SERIES as COLOURS};
const WHISKER: RGBColor = RGBColor(0x22, 0x22, 0x22);
const FONT: &str = crate::fonts::CHART_FONT;
const WIDTH: u32 = 760;

/// Horizontal bars with interval whiskers, values labelled in the page's language.
pub fn bars_with_intervals(
    title: &str,
    x_label: &str,
    bars: &[Bar],
    lang: Lang,
) -> Result<String, ReportError> {
    bar_chart(
        &BarChart {
            title,
            x_label,
            bars,
            decimals: 1,
            notes: &[],
        },
        lang,
    )
}

/// A bar chart with its own number format and lines of text under it (the assumptions a cost
/// rests on belong on the chart, where a reader who copies the picture keeps them).
pub struct BarChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub bars: &'a [Bar],
    pub decimals: usize,
    pub notes: &'a [String],
}

/// Lines of at most `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

pub fn bar_chart(c: &BarChart<'_>, lang: Lang) -> Result<String, ReportError> {
    let (title, bars) = (c.title, c.bars);
    let err = |e: &dyn std::fmt::Display| ReportError::Chart(title.to_string(), e.to_string());
    let n = bars.len().max(1);
    let notes: Vec<String> = c.notes.iter().flat_map(|l| wrap(l, 96)).collect();
    let notes_h = if notes.is_empty() {
        0
    } else {
        12 + 18 * notes.len() as u32
    };
    let height = 90 + 26 * n as u32 + notes_h;
    let max = bars
        .iter()
        .map(|b| b.high.unwrap_or(b.value).max(b.value))
        .fold(0.0f64, f64::max);
    let x_max = nice_max(max);
    // The bars' labels sit left of the axis in 13 px type (under 8 px a character): as wide
    // as the longest needs, within half the chart.
    let longest = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0);
    let label_area = (longest as u32 * 8 + 24).clamp(120, 380);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let (plot, below) = root.split_vertically(height - notes_h);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, (FONT, 20))
            .margin(12)
            // Room for the last tick's label ("80 000"), centred on the axis' end.
            .margin_right(40)
            .x_label_area_size(40)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0.0..x_max, (0..n as i32).into_segmented())
            .map_err(|e| err(&e))?;
        // Plotters counts segments from the bottom; the first bar belongs at the top.
        let seg = |i: usize| (n - 1 - i) as i32;
        let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(c.x_label)
            .x_label_formatter(&|v| num(lang, *v, 0))
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => usize::try_from(n as i32 - 1 - *i)
                    .ok()
                    .and_then(|i| labels.get(i))
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .x_labels(8)
            .light_line_style(WHITE)
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 17))
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let i = seg(i);
                let colour = b.ink.rgb();
                let mut r = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (b.value, SegmentValue::Exact(i + 1)),
                    ],
                    colour.mix(0.85).filled(),
                );
                r.set_margin(4, 4, 0, 0);
                r
            }))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
                let (lo, hi) = (b.low?, b.high?);
                let y = SegmentValue::CenterOf(seg(i));
                Some(PathElement::new(
                    vec![(lo.max(0.0), y.clone()), (hi, y)],
                    WHISKER.stroke_width(2),
                ))
            }))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                Text::new(
                    num(lang, b.value, c.decimals),
                    (
                        b.high.unwrap_or(b.value).max(b.value) + x_max * 0.01,
                        SegmentValue::CenterOf(seg(i)),
                    ),
                    (FONT, 16).into_font().color(&WHISKER),
                )
            }))
            .map_err(|e| err(&e))?;
        for (i, line) in notes.iter().enumerate() {
            below
                .draw(&Text::new(
                    line.clone(),
                    (14, 4 + 18 * i as i32),
                    (FONT, 16).into_font().color(&WHISKER),
                ))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// An axis end a little above the largest value, rounded to a readable number.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 10.0;
    }
    let step = 10f64.powf((max * 1.12).log10().floor()) / 2.0;
    ((max * 1.12) / step).ceil() * step
}

/// One line of a trend chart: a value (with its interval) at some of the x positions.
pub struct TrendSeries {
    pub name: String,
    /// Its colour where it stands for someone (a kommun, the country); otherwise the next
    /// of the palette's series colours.
    pub ink: Option<Ink>,
    pub points: Vec<(usize, f64, Option<f64>, Option<f64>)>,
}

/// Lines across categories (survey waves) with whiskers at each point.
pub fn trend(
    title: &str,
    y_label: &str,
    x_labels: &[String],
    series: &[TrendSeries],
    lang: Lang,
) -> Result<String, ReportError> {
    let err = |e: &dyn std::fmt::Display| ReportError::Chart(title.to_string(), e.to_string());
    let n = x_labels.len().max(1);
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.3.unwrap_or(p.1).max(p.1)))
        .fold(0.0f64, f64::max);
    let y_max = nice_max(max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 380)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((0..n as i32 - 1).into_segmented(), 0.0..y_max)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => usize::try_from(*i)
                    .ok()
                    .and_then(|i| x_labels.get(i))
                    .cloned()
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|v| num(lang, *v, 0))
            .light_line_style(WHITE)
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 17))
            .draw()
            .map_err(|e| err(&e))?;
        for (k, s) in series.iter().enumerate() {
            let colour = s.ink.map_or(COLOURS[k % COLOURS.len()], Ink::rgb);
            let at = |i: usize| SegmentValue::CenterOf(i as i32);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    s.points.iter().map(|p| (at(p.0), p.1)).collect::<Vec<_>>(),
                    colour.stroke_width(2),
                )))
                .map_err(|e| err(&e))?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
                });
            chart
                .draw_series(s.points.iter().filter_map(|p| {
                    Some(PathElement::new(
                        vec![(at(p.0), p.2?), (at(p.0), p.3?)],
                        colour.stroke_width(2),
                    ))
                }))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(
                    s.points
                        .iter()
                        .map(|p| Circle::new((at(p.0), p.1), 4, colour.filled())),
                )
                .map_err(|e| err(&e))?;
        }
        // Value labels right of their points, moved apart where two series' values at one
        // wave are close: each label at least a line below the one above it.
        let at = |i: usize| SegmentValue::CenterOf(i as i32);
        for i in 0..n {
            let mut labels: Vec<(i32, f64)> = series
                .iter()
                .filter_map(|s| s.points.iter().find(|p| p.0 == i))
                .map(|p| (chart.backend_coord(&(at(i), p.1)).1, p.1))
                .collect();
            labels.sort_by_key(|l| l.0);
            let mut floor = i32::MIN;
            for (y, v) in labels {
                let top = (y - 16).max(floor);
                floor = top + 16;
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((at(i), v))
                            + Text::new(
                                num(lang, v, 1),
                                (7, top - y),
                                (FONT, 16).into_font().color(&WHISKER),
                            ),
                    ))
                    .map_err(|e| err(&e))?;
            }
        }
        legend(&mut chart).map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// A grid of scores (1–5) in shades of one colour, each cell with its value written in it;
/// hidden cells are grey with "..". Columns are numbered; `key` says what each number is.
pub fn heatmap(
    title: &str,
    rows: &[String],
    columns: usize,
    values: &[Vec<Option<f64>>],
    key: &[String],
    lang: Lang,
) -> Result<String, ReportError> {
    let err = |e: &dyn std::fmt::Display| ReportError::Chart(title.to_string(), e.to_string());
    let (cell_w, cell_h, left, top) = (44i32, 20i32, 190i32, 56i32);
    let key: Vec<String> = key.iter().flat_map(|l| wrap(l, 96)).collect();
    let height = (top + cell_h * rows.len() as i32 + 24 + 17 * key.len() as i32) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        root.draw(&Text::new(title.to_string(), (12, 8), (FONT, 20)))
            .map_err(|e| err(&e))?;
        for c in 0..columns {
            root.draw(&Text::new(
                (c + 1).to_string(),
                (left + cell_w * c as i32 + cell_w / 2 - 6, top - 20),
                (FONT, 16),
            ))
            .map_err(|e| err(&e))?;
        }
        for (r, label) in rows.iter().enumerate() {
            let y = top + cell_h * r as i32;
            root.draw(&Text::new(label.clone(), (12, y + 3), (FONT, 16)))
                .map_err(|e| err(&e))?;
            for c in 0..columns {
                let x = left + cell_w * c as i32;
                let v = values.get(r).and_then(|row| row.get(c)).copied().flatten();
                // 1 (restricting) is light, 5 (enabling) dark; the text flips to white on dark.
                let (fill, ink, text) = match v {
                    Some(v) => {
                        let f = ((v - 1.0) / 4.0).clamp(0.0, 1.0);
                        let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f) as u8;
                        let fill = RGBColor(mix(0xe8, 0x08), mix(0xf1, 0x30), mix(0xfa, 0x6b));
                        // Both inks keep 4.5:1 contrast on either side of the switch.
                        let ink = if f > 0.62 { WHITE } else { BLACK };
                        (fill, ink, num(lang, v, 1))
                    }
                    None => (
                        RGBColor(0xd9, 0xd9, 0xd9),
                        BLACK,
                        crate::format::SUPPRESSED.into(),
                    ),
                };
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell_w - 2, y + cell_h - 2)],
                    fill.filled(),
                ))
                .map_err(|e| err(&e))?;
                root.draw(&Text::new(
                    text,
                    (x + 8, y + 3),
                    (FONT, 16).into_font().color(&ink),
                ))
                .map_err(|e| err(&e))?;
            }
        }
        let key_top = top + cell_h * rows.len() as i32 + 14;
        for (i, line) in key.iter().enumerate() {
            root.draw(&Text::new(
                line.clone(),
                (12, key_top + 17 * i as i32),
                (FONT, 16).into_font().color(&WHISKER),
            ))
            .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// The series' legend, in the lower right where the curves and lines leave room.
fn legend<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>>
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()
}

/// Step lines, one per series of (x, y) points with y in 0–1 shown as a percentage: the share
/// of projects live by each day (1 − the Kaplan–Meier S(t)).
pub fn step_lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    lang: Lang,
) -> Result<String, ReportError> {
    let err = |e: &dyn std::fmt::Display| ReportError::Chart(title.to_string(), e.to_string());
    let x_max = series
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max * 1.02, 0.0..1.0)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_label_formatter(&|v| num(lang, *v, 0))
            .y_label_formatter(&|v| format!("{}\u{a0}%", num(lang, *v * 100.0, 0)))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 17))
            .draw()
            .map_err(|e| err(&e))?;
        for (i, (name, pts)) in series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let steps = steps(pts, x_max / 350.0);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    steps,
                    colour.stroke_width(2),
                )))
                .map_err(|e| err(&e))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
                });
        }
        legend(&mut chart).map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// A step function through `pts`: flat until the next day on which a project went live. Rises
/// closer together than `eps` are drawn as one: at national scale a curve has thousands of
/// steps, and the page would carry every one of them.
fn steps(pts: &[(f64, f64)], eps: f64) -> Vec<(f64, f64)> {
    let mut steps = vec![(0.0, 0.0)];
    let mut last_x = f64::NEG_INFINITY;
    for &(x, y) in pts {
        if x - last_x < eps {
            if let Some(p) = steps.last_mut() {
                p.1 = y;
            }
        } else {
            let level = steps.last().map_or(0.0, |p| p.1);
            steps.push((x, level));
            steps.push((x, y));
            last_x = x;
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_render_to_svg_with_labels_and_whiskers() {
        let bars = vec![
            Bar {
                label: "Göteborg".into(),
                value: 36.5,
                low: Some(30.0),
                high: Some(43.0),
                ink: Ink::Kommun,
            },
            Bar {
                label: "Malmö".into(),
                value: 28.31,
                low: None,
                high: None,
                ink: Ink::Kommun,
            },
        ];
        let svg = bars_with_intervals("Förlorad tid", "minuter per dag", &bars, Lang::Sv).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..50]);
        assert!(svg.contains("Göteborg") && svg.contains("Malmö"));
        assert!(svg.contains("36,5") && svg.contains("28,3"));
        assert!(svg.matches("<rect").count() >= 3, "background and two bars");
        assert!(svg.contains("<polyline"), "a whisker");
        // The first bar is drawn at the top: its label's y is smaller.
        let y_of = |label: &str| -> f64 {
            let at = svg.find(label).unwrap();
            let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
            let y = tag.split("y=\"").nth(1).unwrap();
            y[..y.find('"').unwrap()].parse().unwrap()
        };
        assert!(y_of("Göteborg") < y_of("Malmö"));
    }

    /// The y of every `<text>` whose content is `label`.
    fn text_ys(svg: &str, label: &str) -> Vec<f64> {
        svg.split("<text")
            .skip(1)
            .filter_map(|el| {
                let (tag, rest) = el.split_once('>')?;
                (rest.split("</text>").next()?.trim() == label).then_some(tag)
            })
            .map(|tag| {
                let y = tag.split(" y=\"").nth(1).unwrap();
                y[..y.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn close_values_in_a_trend_get_labels_a_line_apart() {
        let series = |name: &str, v: f64, ink| TrendSeries {
            name: name.into(),
            ink: Some(ink),
            points: vec![(0, 20.0, None, None), (1, v, None, None)],
        };
        let svg = trend(
            "Trend",
            "minutes",
            &["2014".into(), "2019".into()],
            &[
                series("Kommun", 34.1, Ink::Kommun),
                series("Riket", 34.0, Ink::Country),
            ],
            Lang::En,
        )
        .unwrap();
        let (a, b) = (text_ys(&svg, "34.1"), text_ys(&svg, "34.0"));
        assert_eq!((a.len(), b.len()), (1, 1), "{svg}");
        assert!((a[0] - b[0]).abs() >= 16.0, "labels at {a:?} and {b:?}");
        // Equal values at the first wave are moved apart too.
        let at_20 = text_ys(&svg, "20.0");
        assert_eq!(at_20.len(), 2, "{svg}");
        assert!((at_20[0] - at_20[1]).abs() >= 16.0, "{at_20:?}");
    }

    #[test]
    fn every_role_keeps_its_colour() {
        let bar = |label: &str, ink| Bar {
            label: label.into(),
            value: 30.0,
            low: None,
            high: None,
            ink,
        };
        let bars = [
            bar("Kommunen", Ink::Kommun),
            bar("Kommungruppen", Ink::Peer),
            bar("Länet", Ink::County),
            bar("Riket", Ink::Country),
        ];
        let svg = bars_with_intervals("t", "minutes", &bars, Lang::En)
            .unwrap()
            .to_ascii_lowercase();
        for colour in ["#0072b2", "#d55e00", "#009e73", "#222222"] {
            assert!(
                svg.contains(&format!("fill=\"{colour}\"")),
                "{colour} missing"
            );
        }
        // A page with only the kommun and the country still draws the country in its own ink.
        let svg = bars_with_intervals(
            "t",
            "minutes",
            &[bars[0].clone(), bars[3].clone()],
            Lang::En,
        )
        .unwrap()
        .to_ascii_lowercase();
        assert!(svg.contains("fill=\"#222222\"") && !svg.contains("fill=\"#d55e00\""));
    }

    #[test]
    fn a_curve_of_thousands_of_steps_is_drawn_with_a_few_hundred() {
        // 5 000 projects live on days 0.7, 1.4, …: a rise every 0.7 days over 3 500 days.
        let pts: Vec<(f64, f64)> = (1..=5000)
            .map(|i| (i as f64 * 0.7, i as f64 / 5000.0))
            .collect();
        let s = steps(&pts, 3500.0 / 350.0);
        assert!(s.len() <= 2 * 351 + 1, "{} points", s.len());
        assert!(s.len() >= 2 * 300, "{} points", s.len());
        assert_eq!(
            s.last().map(|p| p.1),
            Some(1.0),
            "the curve still reaches its end"
        );
        assert!(s.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        // Steps further apart than eps are all kept.
        let few = [(10.0, 0.5), (30.0, 1.0)];
        assert_eq!(
            steps(&few, 1.0),
            [
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 0.5),
                (30.0, 0.5),
                (30.0, 1.0)
            ]
        );
    }
}
