//! A choropleth map of Sweden's municipalities from the SCB boundaries (WKB, WGS 84), drawn
//! with plotters into SVG. Hidden or missing values are drawn as "no data", never by colour.

use std::collections::BTreeMap;

use plotters::prelude::*;

use crate::ReportError;
use crate::i18n::{Lang, num, t};

/// One municipality's outline: its rings of (longitude, latitude).
#[derive(Debug, Clone)]
pub struct Area {
    pub kommun_kod: String,
    pub kommun_name: String,
    pub rings: Vec<Vec<(f64, f64)>>,
}

/// Why a boundary cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WkbError {
    #[error("the geometry ends early")]
    Truncated,
    #[error("unsupported geometry type {0}")]
    Unsupported(u32),
    #[error("a multipolygon holds a geometry of type {0}")]
    NotPolygonPart(u32),
    #[error("geometry type {0} is not a polygon")]
    NotPolygon(u32),
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    little: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], WkbError> {
        let s = self
            .b
            .get(self.at..self.at + N)
            .ok_or(WkbError::Truncated)?;
        self.at += N;
        Ok(s.try_into().expect("length checked"))
    }
    fn u32(&mut self) -> Result<u32, WkbError> {
        let b = self.take::<4>()?;
        Ok(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }
    fn f64(&mut self) -> Result<f64, WkbError> {
        let b = self.take::<8>()?;
        Ok(if self.little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }
    /// A geometry header: byte order and type (2D, or ISO Z/M/ZM reduced to its dimension).
    fn header(&mut self) -> Result<(u32, usize), WkbError> {
        self.little = self.take::<1>()?[0] == 1;
        let ty = self.u32()?;
        let dims = match ty / 1000 {
            0 => 2,
            1 | 2 => 3,
            3 => 4,
            _ => return Err(WkbError::Unsupported(ty)),
        };
        Ok((ty % 1000, dims))
    }
    fn polygon(&mut self, dims: usize, out: &mut Vec<Vec<(f64, f64)>>) -> Result<(), WkbError> {
        for _ in 0..self.u32()? {
            let n = self.u32()? as usize;
            let mut ring = Vec::with_capacity(n);
            for _ in 0..n {
                let (x, y) = (self.f64()?, self.f64()?);
                for _ in 2..dims {
                    self.f64()?;
                }
                ring.push((x, y));
            }
            out.push(ring);
        }
        Ok(())
    }
}

/// The rings of a WKB Polygon or MultiPolygon.
pub fn rings(wkb: &[u8]) -> Result<Vec<Vec<(f64, f64)>>, WkbError> {
    let mut r = Reader {
        b: wkb,
        at: 0,
        little: true,
    };
    let (ty, dims) = r.header()?;
    let mut out = Vec::new();
    match ty {
        3 => r.polygon(dims, &mut out)?,
        6 => {
            for _ in 0..r.u32()? {
                let (ty, dims) = r.header()?;
                if ty != 3 {
                    return Err(WkbError::NotPolygonPart(ty));
                }
                r.polygon(dims, &mut out)?;
            }
        }
        other => return Err(WkbError::NotPolygon(other)),
    }
    Ok(out)
}

/// Drops points closer than `eps` degrees to the last one kept: the map is drawn a few hundred
/// pixels tall, and the boundaries carry far more detail than that shows.
fn simplify(ring: &[(f64, f64)], eps: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for &p in ring {
        if out
            .last()
            .is_none_or(|q| (p.0 - q.0).abs() + (p.1 - q.1).abs() > eps)
        {
            out.push(p);
        }
    }
    out
}

/// Five classes from light to dark.
const CLASSES: [RGBColor; 5] = [
    RGBColor(0xde, 0xeb, 0xf7),
    RGBColor(0x9e, 0xca, 0xe1),
    RGBColor(0x42, 0x92, 0xc6),
    RGBColor(0x21, 0x71, 0xb5),
    RGBColor(0x08, 0x45, 0x94),
];
const NO_DATA: RGBColor = RGBColor(0xd9, 0xd9, 0xd9);

/// Class limits: five equal-count classes of the shown values.
fn breaks(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    (1..5)
        .map(|k| v[(v.len() * k / 5).min(v.len() - 1)])
        .collect()
}

/// The map, with a legend; `values` holds each shown municipality's value (hidden ones absent).
pub fn choropleth(
    title: &str,
    areas: &[Area],
    values: &BTreeMap<String, f64>,
    lang: Lang,
) -> Result<String, ReportError> {
    let err = |e: &dyn std::fmt::Display| ReportError::Chart(title.to_string(), e.to_string());
    // Equirectangular, scaled for Sweden's middle latitude: good enough for a thematic map.
    let k = 62.5f64.to_radians().cos();
    let project = |(lon, lat): (f64, f64)| (lon * k, lat);
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for a in areas {
        for r in &a.rings {
            for &p in r {
                let (x, y) = project(p);
                (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
            }
        }
    }
    if areas.is_empty() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let shown: Vec<f64> = values.values().copied().collect();
    let limits = if shown.is_empty() {
        vec![]
    } else {
        breaks(&shown)
    };
    let class = |v: f64| limits.iter().filter(|l| v > **l).count();
    let mut svg = String::new();
    {
        let height = 820u32;
        let width = ((x1 - x0) / (y1 - y0) * (height as f64 - 60.0)) as u32 + 230;
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let (map_area, legend) = root.split_horizontally(width - 220);
        let mut chart = ChartBuilder::on(&map_area)
            .caption(title, (crate::fonts::CHART_FONT, 20))
            .margin(10)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(&e))?;
        for a in areas {
            let colour = values
                .get(&a.kommun_kod)
                .map_or(NO_DATA, |v| CLASSES[class(*v)]);
            chart
                .draw_series(a.rings.iter().map(|r| {
                    let pts: Vec<(f64, f64)> = simplify(r, 0.01).into_iter().map(project).collect();
                    Polygon::new(pts, colour.filled())
                }))
                .map_err(|e| err(&e))?;
        }
        // The legend: each class's range, then "no data".
        let mut labels: Vec<(RGBColor, String)> = Vec::new();
        if !shown.is_empty() {
            let lo = shown.iter().copied().fold(f64::MAX, f64::min);
            let hi = shown.iter().copied().fold(f64::MIN, f64::max);
            let mut edges = vec![lo];
            edges.extend(&limits);
            edges.push(hi);
            for (i, c) in CLASSES.iter().enumerate() {
                labels.push((
                    *c,
                    format!("{}–{}", num(lang, edges[i], 1), num(lang, edges[i + 1], 1)),
                ));
            }
        }
        labels.push((NO_DATA, t(lang, "map.no_data").to_string()));
        for (i, (c, text)) in labels.iter().enumerate() {
            let y = 60 + 28 * i as i32;
            legend
                .draw(&Rectangle::new([(10, y), (32, y + 18)], c.filled()))
                .map_err(|e| err(&e))?;
            legend
                .draw(&Text::new(
                    text.clone(),
                    (40, y + 3),
                    (crate::fonts::CHART_FONT, 16),
                ))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_wkb(x: f64, y: f64) -> Vec<u8> {
        // A MultiPolygon with one square, little-endian.
        let mut b = vec![1u8];
        b.extend(6u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.push(1);
        b.extend(3u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.extend(5u32.to_le_bytes());
        for (px, py) in [
            (x, y),
            (x + 1.0, y),
            (x + 1.0, y + 1.0),
            (x, y + 1.0),
            (x, y),
        ] {
            b.extend(px.to_le_bytes());
            b.extend(py.to_le_bytes());
        }
        b
    }

    #[test]
    fn wkb_multipolygons_are_read_and_bad_ones_refused() {
        let r = rings(&square_wkb(15.0, 60.0)).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0][2], (16.0, 61.0));
        assert!(rings(&square_wkb(15.0, 60.0)[..20]).is_err());
        let mut point = vec![1u8];
        point.extend(1u32.to_le_bytes());
        assert!(
            rings(&point)
                .unwrap_err()
                .to_string()
                .contains("not a polygon")
        );
    }

    #[test]
    fn a_hidden_area_is_drawn_as_no_data() {
        let areas: Vec<Area> = (0..6)
            .map(|i| Area {
                kommun_kod: format!("k{i}"),
                kommun_name: format!("Kommun {i}"),
                rings: rings(&square_wkb(12.0 + i as f64, 58.0)).unwrap(),
            })
            .collect();
        let values: BTreeMap<String, f64> = (0..5)
            .map(|i| (format!("k{i}"), 10.0 * (i + 1) as f64))
            .collect();
        let svg = choropleth("Karta", &areas, &values, Lang::Sv).unwrap();
        assert!(svg.matches("<polygon").count() >= 6, "{svg}");
        // k5 has no value: grey, and the legend says what grey means.
        assert!(svg.contains("#D9D9D9") || svg.contains("#d9d9d9"), "{svg}");
        assert!(svg.contains("Uppgift saknas eller dold"));
        assert!(svg.contains("10,0–"));
    }
}
