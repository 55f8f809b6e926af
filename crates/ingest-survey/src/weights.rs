//! Survey weights: post-stratification to population totals, or raking to known margins.
//!
//! A population file is CSV (`;`, `,` or tab; Swedish number formats). Two shapes:
//! - cells: one column per stratifier and `population`, e.g. `employer_type;verksamhet;population`
//!   → post-stratification: every respondent in cell h weighs N_h / n_h, so the weights of each
//!   cell add up to its population exactly;
//! - margins: `dimension;category;population`, when only each stratifier's totals are known →
//!   raking (iterative proportional fitting) until every margin is met to 1e-10.
//!
//! Stratifiers are survey_response columns: employer_type, kommun_kod, lan_kod, verksamhet,
//! occupation. A respondent whose stratum is missing or unknown to the population gets weight 0
//! and a quarantine record saying so: left out of weighted estimates, never silently.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::values;

pub const STRATIFIERS: [&str; 5] = [
    "employer_type",
    "kommun_kod",
    "lan_kod",
    "verksamhet",
    "occupation",
];
const MAX_ITERATIONS: usize = 1000;
const TOLERANCE: f64 = 1e-10;

#[derive(Debug, thiserror::Error)]
pub enum WeightError {
    #[error("cannot read population file {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("population file {path}, line {line}: {problem}")]
    Invalid {
        path: PathBuf,
        line: u64,
        problem: String,
    },
    #[error(
        "raking did not converge in {MAX_ITERATIONS} iterations (largest margin error {0:e}); are the margins consistent?"
    )]
    NotConverged(f64),
}

/// Population totals for one survey source, and how to use them.
#[derive(Debug, Clone)]
pub enum Population {
    Cells {
        by: Vec<String>,
        totals: BTreeMap<Vec<String>, f64>,
        content_hash: String,
    },
    Margins {
        /// dimension → category → total
        margins: BTreeMap<String, BTreeMap<String, f64>>,
        content_hash: String,
    },
}

impl Population {
    pub fn load(path: &Path) -> Result<Self, WeightError> {
        let bytes = std::fs::read(path).map_err(|source| WeightError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
            .into_owned();
        let invalid = |line: u64, problem: String| WeightError::Invalid {
            path: path.to_path_buf(),
            line,
            problem,
        };
        let first = text.lines().next().unwrap_or("");
        let delim = [b';', b'\t', b',']
            .into_iter()
            .max_by_key(|d| first.bytes().filter(|b| b == d).count())
            .unwrap_or(b';');
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delim)
            .from_reader(text.as_bytes());
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| invalid(1, e.to_string()))?
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let Some(pop_col) = header.iter().position(|h| h == "population") else {
            return Err(invalid(1, "no 'population' column".into()));
        };
        let content_hash = format!("{:016x}", fnv(&bytes));
        let margins_shape = header.len() == 3
            && header.contains(&"dimension".into())
            && header.contains(&"category".into());
        let key_cols: Vec<usize> = (0..header.len()).filter(|&i| i != pop_col).collect();
        if !margins_shape {
            for &i in &key_cols {
                if !STRATIFIERS.contains(&header[i].as_str()) {
                    return Err(invalid(
                        1,
                        format!(
                            "'{}' is not a stratifier (use {})",
                            header[i],
                            STRATIFIERS.join(", ")
                        ),
                    ));
                }
            }
        }
        let mut cells = BTreeMap::new();
        let mut margins: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for r in rdr.records() {
            let r = r.map_err(|e| invalid(e.position().map_or(0, |p| p.line()), e.to_string()))?;
            let line = r.position().map_or(0, |p| p.line());
            let n = values::number(&r[pop_col])
                .map_err(|e| invalid(line, e.into()))?
                .filter(|n| *n > 0.0)
                .ok_or_else(|| {
                    invalid(
                        line,
                        format!("population '{}' must be a positive number", &r[pop_col]),
                    )
                })?;
            let key: Vec<String> = key_cols.iter().map(|&i| r[i].trim().to_string()).collect();
            if margins_shape {
                let (d, c) = if header[key_cols[0]] == "dimension" {
                    (&key[0], &key[1])
                } else {
                    (&key[1], &key[0])
                };
                if !STRATIFIERS.contains(&d.as_str()) {
                    return Err(invalid(
                        line,
                        format!("'{d}' is not a stratifier (use {})", STRATIFIERS.join(", ")),
                    ));
                }
                if margins
                    .entry(d.clone())
                    .or_default()
                    .insert(c.clone(), n)
                    .is_some()
                {
                    return Err(invalid(line, format!("{d} = {c} appears twice")));
                }
            } else if cells.insert(key.clone(), n).is_some() {
                return Err(invalid(
                    line,
                    format!("cell {} appears twice", key.join(" × ")),
                ));
            }
        }
        if margins_shape {
            Ok(Population::Margins {
                margins,
                content_hash,
            })
        } else {
            Ok(Population::Cells {
                by: key_cols.iter().map(|&i| header[i].clone()).collect(),
                totals: cells,
                content_hash,
            })
        }
    }

    /// The stratifiers the population needs from each respondent, in order.
    pub fn stratifiers(&self) -> Vec<String> {
        match self {
            Population::Cells { by, .. } => by.clone(),
            Population::Margins { margins, .. } => margins.keys().cloned().collect(),
        }
    }

    pub fn content_hash(&self) -> &str {
        match self {
            Population::Cells { content_hash, .. } | Population::Margins { content_hash, .. } => {
                content_hash
            }
        }
    }
}

/// Weights for each respondent, and why some got none.
#[derive(Debug, Clone, PartialEq)]
pub struct Weighting {
    pub weights: Vec<f64>,
    /// (row index, reason) for rows left with weight 0.
    pub unweighted: Vec<(usize, String)>,
    /// Population cells or categories no respondent falls in: their totals cannot be met.
    pub warnings: Vec<String>,
}

/// `strata[i][k]` is respondent i's value of the k-th stratifier; `eligible[i]` is false for
/// rows that must not count (duplicates).
pub fn weigh(
    pop: &Population,
    strata: &[Vec<Option<String>>],
    eligible: &[bool],
) -> Result<Weighting, WeightError> {
    let mut cells = Strata::default();
    let rows: Vec<u32> = strata.iter().map(|s| cells.id(s)).collect();
    weigh_rows(pop, &cells, &rows, eligible)
}

/// The distinct strata of a file's respondents, each stored once: a national export has
/// millions of rows but a few thousand strata.
#[derive(Debug, Default)]
pub struct Strata {
    ids: std::collections::HashMap<Vec<Option<String>>, u32>,
    cells: Vec<Vec<Option<String>>>,
}

impl Strata {
    /// The id of a stratum (the stratifiers' values, in the population's order).
    pub fn id(&mut self, s: &[Option<String>]) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = u32::try_from(self.cells.len()).expect("fewer than 2^32 strata");
        self.cells.push(s.to_vec());
        self.ids.insert(s.to_vec(), i);
        i
    }
}

/// [`weigh`] of respondents given by their stratum's id in `strata`: the same arithmetic, in
/// the same order, so the weights are the same to the last bit.
pub fn weigh_rows(
    pop: &Population,
    strata: &Strata,
    rows: &[u32],
    eligible: &[bool],
) -> Result<Weighting, WeightError> {
    let names = pop.stratifiers();
    let mut w = vec![0.0; rows.len()];
    let mut unweighted = Vec::new();
    let mut warnings = Vec::new();
    // Per stratum: its key when the population knows it, else why its respondents get none.
    let judged: Vec<Result<Vec<String>, String>> = strata
        .cells
        .iter()
        .map(|s| {
            if let Some(k) = s.iter().position(Option::is_none) {
                return Err(format!(
                    "{} is missing, so the respondent cannot be weighted",
                    names[k]
                ));
            }
            let key: Vec<String> = s.iter().map(|v| v.clone().unwrap_or_default()).collect();
            let known = match pop {
                Population::Cells { totals, .. } => totals.contains_key(&key),
                Population::Margins { margins, .. } => names
                    .iter()
                    .zip(&key)
                    .all(|(d, c)| margins[d].contains_key(c)),
            };
            if known {
                Ok(key)
            } else {
                Err(format!(
                    "stratum {} is not in the population file",
                    key.join(" × ")
                ))
            }
        })
        .collect();
    let mut usable: Vec<(usize, &Vec<String>)> = Vec::new();
    for (i, &cell) in rows.iter().enumerate() {
        if !eligible[i] {
            continue;
        }
        match &judged[cell as usize] {
            Ok(key) => usable.push((i, key)),
            Err(why) => unweighted.push((i, why.clone())),
        }
    }
    match pop {
        Population::Cells { totals, .. } => {
            let mut n: BTreeMap<&Vec<String>, f64> = BTreeMap::new();
            for (_, key) in &usable {
                *n.entry(*key).or_default() += 1.0;
            }
            for (i, key) in &usable {
                w[*i] = totals[*key] / n[*key];
            }
            for key in totals.keys() {
                if !n.contains_key(key) {
                    warnings.push(format!(
                        "population cell {} has no respondents",
                        key.join(" × ")
                    ));
                }
            }
        }
        Population::Margins { margins, .. } => {
            for (i, _) in &usable {
                w[*i] = 1.0;
            }
            let present: Vec<BTreeSet<&String>> = (0..names.len())
                .map(|k| usable.iter().map(|(_, key)| &key[k]).collect())
                .collect();
            for (k, d) in names.iter().enumerate() {
                for c in margins[d].keys() {
                    if !present[k].contains(c) {
                        warnings.push(format!("population category {d} = {c} has no respondents"));
                    }
                }
            }
            let mut worst = f64::INFINITY;
            for _ in 0..MAX_ITERATIONS {
                worst = 0.0;
                for (k, d) in names.iter().enumerate() {
                    let mut sum: BTreeMap<&String, f64> = BTreeMap::new();
                    for (i, key) in &usable {
                        *sum.entry(&key[k]).or_default() += w[*i];
                    }
                    for (i, key) in &usable {
                        let target = margins[d][&key[k]];
                        let factor = target / sum[&key[k]];
                        worst = f64::max(worst, (factor - 1.0).abs());
                        w[*i] *= factor;
                    }
                }
                if worst < TOLERANCE {
                    break;
                }
            }
            if worst >= TOLERANCE {
                return Err(WeightError::NotConverged(worst));
            }
        }
    }
    Ok(Weighting {
        weights: w,
        unweighted,
        warnings,
    })
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<Option<String>> {
        v.iter()
            .map(|x| (!x.is_empty()).then(|| x.to_string()))
            .collect()
    }

    #[test]
    fn post_stratified_weights_reproduce_cell_totals() {
        let pop = Population::Cells {
            by: vec!["verksamhet".into()],
            totals: [
                (vec!["skola".to_string()], 300.0),
                (vec!["ifo".to_string()], 50.0),
                (vec!["teknik".to_string()], 10.0),
            ]
            .into(),
            content_hash: String::new(),
        };
        let strata = vec![
            s(&["skola"]),
            s(&["skola"]),
            s(&["ifo"]),
            s(&["skola"]),
            s(&[""]),
            s(&["kultur"]),
        ];
        let eligible = vec![true, true, true, false, true, true];
        let r = weigh(&pop, &strata, &eligible).unwrap();
        assert_eq!(r.weights, vec![150.0, 150.0, 50.0, 0.0, 0.0, 0.0]);
        assert_eq!(
            r.unweighted.iter().map(|u| u.0).collect::<Vec<_>>(),
            vec![4, 5]
        );
        assert!(r.unweighted[1].1.contains("kultur"));
        assert_eq!(
            r.warnings,
            vec!["population cell teknik has no respondents"]
        );
    }

    #[test]
    fn raking_meets_every_margin() {
        let margins: BTreeMap<String, BTreeMap<String, f64>> = [
            (
                "employer_type".to_string(),
                [("kommun".to_string(), 900.0), ("region".to_string(), 300.0)].into(),
            ),
            (
                "verksamhet".to_string(),
                [("skola".to_string(), 500.0), ("vard".to_string(), 700.0)].into(),
            ),
        ]
        .into();
        let pop = Population::Margins {
            margins: margins.clone(),
            content_hash: String::new(),
        };
        let strata = vec![
            s(&["kommun", "skola"]),
            s(&["kommun", "skola"]),
            s(&["kommun", "vard"]),
            s(&["region", "vard"]),
            s(&["region", "vard"]),
            s(&["region", "skola"]),
        ];
        let r = weigh(&pop, &strata, &[true; 6]).unwrap();
        for (k, d) in ["employer_type", "verksamhet"].iter().enumerate() {
            for (c, total) in &margins[*d] {
                let sum: f64 = strata
                    .iter()
                    .zip(&r.weights)
                    .filter(|(s, _)| s[k].as_deref() == Some(c))
                    .map(|(_, w)| w)
                    .sum();
                assert!((sum - total).abs() < 1e-6, "{d}={c}: {sum} vs {total}");
            }
        }
    }
}
