//! The LEDA key factors per kommun as a heatmap: how the kommun's projects scored each factor
//! (1 restricting … 5 enabling). No total of these cells is published, so a cell with too few
//! assessed projects is hidden on its own.

use std::collections::BTreeMap;
use std::fmt::Write;

use friktion_publish::Shown;
use friktion_publish::marts::FactorScore;

use crate::ReportError;
use crate::figure::{DataTable, Figure, csv_field};
use crate::format::{SUPPRESSED, esc};
use crate::i18n::{Lang, num, t, tf};

/// The heatmap with its table and CSV; `names` gives each kommun's name.
pub fn heatmap_figure(
    protected: &[Shown<FactorScore>],
    names: &BTreeMap<String, String>,
    min_cell: i64,
    lang: Lang,
) -> Result<Option<Figure>, ReportError> {
    if protected.is_empty() {
        return Ok(None);
    }
    // A hidden cell has no score left: its score is what the publication shows.
    let scores: Vec<&FactorScore> = protected.iter().map(|s| &s.row).collect();
    // Columns: the factors in the catalogue's order.
    let mut factors: BTreeMap<i64, (&str, &str)> = BTreeMap::new();
    for s in &scores {
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
            let s: Option<&FactorScore> = scores
                .iter()
                .find(|s| s.kommun_kod == *k && s.factor_id == *id)
                .copied();
            let v = s.and_then(|s| s.mean_score);
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
