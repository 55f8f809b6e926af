//! Charts drawn with plotters into SVG strings, to be inlined in the pages.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::ReportError;
use crate::i18n::{Lang, num};

/// One bar: a label, the estimate and its 95 % interval.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

const BAR: RGBColor = RGBColor(0x1f, 0x5a, 0x96);
const WHISKER: RGBColor = RGBColor(0x22, 0x22, 0x22);
const FONT: &str = "sans-serif";

/// Horizontal bars with interval whiskers, largest first, values labelled in Swedish style.
pub fn bars_with_intervals(
    title: &str,
    x_label: &str,
    bars: &[Bar],
    lang: Lang,
) -> Result<String, ReportError> {
    let err = |e: &dyn std::fmt::Display| ReportError::Chart(title.to_string(), e.to_string());
    let n = bars.len().max(1);
    let height = 90 + 26 * n as u32;
    let max = bars
        .iter()
        .map(|b| b.high.unwrap_or(b.value).max(b.value))
        .fold(0.0f64, f64::max);
    let x_max = if max > 0.0 {
        (max * 1.12 / 10.0).ceil() * 10.0
    } else {
        10.0
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(190)
            .build_cartesian_2d(0.0..x_max, (0..n as i32).into_segmented())
            .map_err(|e| err(&e))?;
        // Plotters counts segments from the bottom; the first bar belongs at the top.
        let seg = |i: usize| (n - 1 - i) as i32;
        let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_label)
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
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let i = seg(i);
                let mut r = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (b.value, SegmentValue::Exact(i + 1)),
                    ],
                    BAR.mix(0.85).filled(),
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
                    num(lang, b.value, 1),
                    (
                        b.high.unwrap_or(b.value).max(b.value) + x_max * 0.01,
                        SegmentValue::CenterOf(seg(i)),
                    ),
                    (FONT, 12).into_font().color(&WHISKER),
                )
            }))
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
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
    const COLOURS: [RGBColor; 6] = [
        RGBColor(0x1f, 0x5a, 0x96),
        RGBColor(0xd9, 0x5f, 0x02),
        RGBColor(0x1b, 0x9e, 0x77),
        RGBColor(0x75, 0x70, 0xb3),
        RGBColor(0xe7, 0x29, 0x8a),
        RGBColor(0x66, 0x66, 0x66),
    ];
    let x_max = series
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 18))
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
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(|e| err(&e))?;
        for (i, (name, pts)) in series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            // A step function: flat until the next day on which a project went live.
            let mut steps = vec![(0.0, 0.0)];
            for &(x, y) in pts {
                let last = steps.last().map_or(0.0, |p: &(f64, f64)| p.1);
                steps.push((x, last));
                steps.push((x, y));
            }
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
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
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
            },
            Bar {
                label: "Malmö".into(),
                value: 28.31,
                low: None,
                high: None,
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
}
