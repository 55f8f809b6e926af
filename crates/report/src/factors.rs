//! The LEDA key factors per kommun as a heatmap: how the kommun's projects scored each factor
//! (1 restricting … 5 enabling). No total of these cells is published, so a cell with too few
//! assessed projects is hidden on its own.

use std::collections::BTreeMap;
use std::fmt::Write;

use arrow::array::RecordBatch;

use crate::figure::{DataTable, Figure, csv_field};
use crate::format::{SUPPRESSED, esc};
use crate::i18n::{Lang, num, t, tf};
use crate::{Mart, ReportError};

/// One row of `factor_scores_by_kommun`.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorScore {
    pub kommun_kod: String,
    pub factor_id: String,
    pub factor_position: i64,
    pub name_sv: String,
    pub name_en: String,
    pub n_assessed: i64,
    pub mean_score: Option<f64>,
}

pub fn factor_scores(batches: &[RecordBatch]) -> Result<Vec<FactorScore>, ReportError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "factor_scores_by_kommun",
            batch: b,
        };
        let (kod, id, sv, en) = (
            m.strings("kommun_kod")?,
            m.strings("factor_id")?,
            m.strings("factor_name_sv")?,
            m.strings("factor_name_en")?,
        );
        let (pos, n, mean) = (
            m.ints("factor_position")?,
            m.ints("n_assessed")?,
            m.floats("mean_score")?,
        );
        for i in 0..b.num_rows() {
            out.push(FactorScore {
                kommun_kod: kod[i].clone().unwrap_or_default(),
                factor_id: id[i].clone().unwrap_or_default(),
                factor_position: pos[i].unwrap_or(0),
                name_sv: sv[i].clone().unwrap_or_default(),
                name_en: en[i].clone().unwrap_or_default(),
                n_assessed: n[i].unwrap_or(0),
                mean_score: mean[i],
            });
        }
    }
    Ok(out)
}

/// The heatmap with its table and CSV; `names` gives each kommun's name.
pub fn heatmap_figure(
    scores: &[FactorScore],
    names: &BTreeMap<String, String>,
    min_cell: i64,
    lang: Lang,
    log: &mut String,
) -> Result<Option<Figure>, ReportError> {
    if scores.is_empty() {
        return Ok(None);
    }
    // Columns: the factors in the catalogue's order.
    let mut factors: BTreeMap<i64, (&str, &str)> = BTreeMap::new();
    for s in scores {
        let name = match lang {
            Lang::Sv => s.name_sv.as_str(),
            Lang::En => s.name_en.as_str(),
        };
        factors.insert(s.factor_position, (s.factor_id.as_str(), name));
    }
    let columns: Vec<(&str, &str)> = factors.values().copied().collect();
    let name_of = |kod: &str| names.get(kod).cloned().unwrap_or_else(|| kod.to_string());
    let mut kommuner: Vec<&str> = scores.iter().map(|s| s.kommun_kod.as_str()).collect();
    kommuner.sort_by_key(|k| (name_of(k), k.to_string()));
    kommuner.dedup();
    let shown = |s: &FactorScore| s.n_assessed >= min_cell && s.mean_score.is_some();
    let mut csv =
        String::from("kommun_kod,kommun,factor_id,factor_position,n_assessed,mean_score\n");
    let mut values = Vec::new();
    let mut table = DataTable {
        caption: esc(t(lang, "factors.title")),
        headers: std::iter::once((t(lang, "col.kommun").to_string(), false))
            .chain(columns.iter().map(|(_, n)| (esc(n), true)))
            .collect(),
        rows: vec![],
    };
    for k in &kommuner {
        let mut row = Vec::new();
        let mut cells = vec![esc(&name_of(k))];
        for (id, _) in &columns {
            let s = scores
                .iter()
                .find(|s| s.kommun_kod == *k && s.factor_id == *id);
            let v = s.filter(|s| shown(s)).and_then(|s| s.mean_score);
            if let Some(s) = s {
                if v.is_some() {
                    let _ = writeln!(
                        csv,
                        "{k},{},{id},{},{},{}",
                        csv_field(&name_of(k)),
                        s.factor_position,
                        s.n_assessed,
                        s.mean_score.unwrap_or(0.0)
                    );
                } else {
                    if s.n_assessed < min_cell {
                        let _ = writeln!(
                            log,
                            "factor_scores_by_kommun,{k}/{id},primary,{},\"n = {} is below the minimum of {min_cell}\"",
                            s.n_assessed, s.n_assessed
                        );
                    }
                    let _ = writeln!(
                        csv,
                        "{k},{},{id},{},..,..",
                        csv_field(&name_of(k)),
                        s.factor_position
                    );
                }
            }
            cells.push(v.map_or_else(|| SUPPRESSED.to_string(), |v| num(lang, v, 1)));
            row.push(v);
        }
        values.push(row);
        table.rows.push(cells);
    }
    let key: Vec<String> = vec![
        columns
            .iter()
            .enumerate()
            .map(|(i, (_, n))| format!("{} {n}", i + 1))
            .collect::<Vec<_>>()
            .join(" · "),
        t(lang, "factors.scale").to_string(),
    ];
    let labels: Vec<String> = kommuner.iter().map(|k| name_of(k)).collect();
    let svg = crate::chart::heatmap(
        t(lang, "factors.title"),
        &labels,
        columns.len(),
        &values,
        &key,
        lang,
    )?;
    let csv_path = "data/factor_scores_by_kommun.csv".to_string();
    Ok(Some(Figure {
        html: format!(
            "<section>\n<h2>{}</h2>\n{}</section>\n",
            t(lang, "factors.h2"),
            crate::figure::html(
                lang,
                t(lang, "factors.alt"),
                &svg,
                &tf(lang, "factors.caption", &[&min_cell]),
                &csv_path,
                Some(&table),
            )
        ),
        csv_path,
        csv,
    }))
}
