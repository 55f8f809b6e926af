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
    let w = weigh_strata(pop, &cells, &rows, eligible)?;
    Ok(Weighting {
        weights: rows
            .iter()
            .zip(eligible)
            .map(|(&r, &e)| w.of(r, e))
            .collect(),
        unweighted: w.unweighted,
        warnings: w.warnings,
    })
}

/// Weights of respondents given by their stratum's id: every respondent of a stratum who
/// counts weighs the same, so a weight per stratum is all that is kept, not one per row.
#[derive(Debug, Clone, PartialEq)]
pub struct StratumWeights {
    /// By stratum id; 0 for strata the population does not know.
    pub per_stratum: Vec<f64>,
    /// (row index, reason) for rows left with weight 0.
    pub unweighted: Vec<(usize, String)>,
    /// Population cells or categories no respondent falls in: their totals cannot be met.
    pub warnings: Vec<String>,
}

impl StratumWeights {
    /// The weight of a respondent in `stratum`; 0 for one who does not count (a duplicate).
    pub fn of(&self, stratum: u32, eligible: bool) -> f64 {
        if eligible {
            self.per_stratum[stratum as usize]
        } else {
            0.0
        }
    }
}

/// The distinct strata of a file's respondents, each stored once: a national export has
/// millions of rows but a few thousand strata.
#[derive(Debug, Default)]
pub struct Strata {
    ids: std::collections::HashMap<Vec<Option<String>>, u32>,
    cells: Vec<Vec<Option<String>>>,
}

impl Strata {
    /// The strata in the order of their ids.
    pub fn cells(&self) -> &[Vec<Option<String>>] {
        &self.cells
    }

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

/// The weights of respondents given by their stratum's id in `strata`. The sums run over the
/// respondents in file order, as a weighing of each row would, so the weights are the same to
/// the last bit as those of a row-by-row weighing.
pub fn weigh_strata(
    pop: &Population,
    strata: &Strata,
    rows: &[u32],
    eligible: &[bool],
) -> Result<StratumWeights, WeightError> {
    let names = pop.stratifiers();
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
    // Strata with a respondent who counts, and those respondents' keys in file order.
    let mut used = vec![false; judged.len()];
    for (i, &cell) in rows.iter().enumerate() {
        if !eligible[i] {
            continue;
        }
        match &judged[cell as usize] {
            Ok(_) => used[cell as usize] = true,
            Err(why) => unweighted.push((i, why.clone())),
        }
    }
    let usable = || {
        rows.iter()
            .zip(eligible)
            .filter(|(c, e)| **e && used[**c as usize])
            .map(|(&c, _)| (c as usize, judged[c as usize].as_ref().expect("used")))
    };
    let cells = || (0..judged.len()).filter(|&c| used[c]);
    let key = |c: usize| judged[c].as_ref().expect("used");
    let mut w = vec![0.0; judged.len()];
    match pop {
        Population::Cells { totals, .. } => {
            let mut n: BTreeMap<&Vec<String>, f64> = BTreeMap::new();
            for (_, key) in usable() {
                *n.entry(key).or_default() += 1.0;
            }
            for c in cells() {
                w[c] = totals[key(c)] / n[key(c)];
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
            for c in cells() {
                w[c] = 1.0;
            }
            let present: Vec<BTreeSet<&String>> = (0..names.len())
                .map(|k| cells().map(|c| &key(c)[k]).collect())
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
                    // Summed row by row, in file order: the same additions as a row-wise
                    // weighing, so the same bits.
                    let mut sum: BTreeMap<&String, f64> = BTreeMap::new();
                    for (c, key) in usable() {
                        *sum.entry(&key[k]).or_default() += w[c];
                    }
                    for c in cells() {
                        let category = &key(c)[k];
                        let factor = margins[d][category] / sum[category];
                        worst = f64::max(worst, (factor - 1.0).abs());
                        w[c] *= factor;
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
    Ok(StratumWeights {
        per_stratum: w,
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

    /// Raking as it was done before weights were kept per stratum: a weight per row.
    fn raked_row_by_row(
        margins: &BTreeMap<String, BTreeMap<String, f64>>,
        strata: &[Vec<Option<String>>],
        eligible: &[bool],
    ) -> Vec<f64> {
        let usable: Vec<usize> = (0..strata.len()).filter(|&i| eligible[i]).collect();
        let mut w: Vec<f64> = (0..strata.len())
            .map(|i| if eligible[i] { 1.0 } else { 0.0 })
            .collect();
        for _ in 0..MAX_ITERATIONS {
            let mut worst: f64 = 0.0;
            for (k, d) in margins.keys().enumerate() {
                let mut sum: BTreeMap<&str, f64> = BTreeMap::new();
                for &i in &usable {
                    *sum.entry(strata[i][k].as_deref().unwrap()).or_default() += w[i];
                }
                for &i in &usable {
                    let c = strata[i][k].as_deref().unwrap();
                    let factor = margins[d][c] / sum[c];
                    worst = worst.max((factor - 1.0).abs());
                    w[i] *= factor;
                }
            }
            if worst < TOLERANCE {
                break;
            }
        }
        w
    }

    #[test]
    fn weights_kept_per_stratum_are_those_of_a_row_by_row_raking_to_the_last_bit() {
        let dims = [("employer_type", 2), ("kommun_kod", 7), ("verksamhet", 5)];
        let margins: BTreeMap<String, BTreeMap<String, f64>> = dims
            .iter()
            .map(|(d, n)| {
                let cats = (0..*n).map(|c| (format!("{d}{c}"), 1000.0 / *n as f64 + c as f64));
                (d.to_string(), cats.collect())
            })
            .collect();
        // Totals of each dimension must agree for raking to converge.
        let margins: BTreeMap<String, BTreeMap<String, f64>> = margins
            .into_iter()
            .map(|(d, cats)| {
                let total: f64 = cats.values().sum();
                (
                    d,
                    cats.into_iter()
                        .map(|(c, v)| (c, v * 1000.0 / total))
                        .collect(),
                )
            })
            .collect();
        let pop = Population::Margins {
            margins: margins.clone(),
            content_hash: String::new(),
        };
        // Uneven cells in a scrambled order, with duplicates among them.
        let strata: Vec<Vec<Option<String>>> = (0..5000u64)
            .map(|i| {
                let x = i.wrapping_mul(2_654_435_761) % 1_000_003;
                margins
                    .keys()
                    .zip([2, 7, 5])
                    .map(|(d, n)| Some(format!("{d}{}", (x / (n * n + 1)) % n)))
                    .collect()
            })
            .collect();
        let eligible: Vec<bool> = (0..5000).map(|i| i % 11 != 3).collect();
        let r = weigh(&pop, &strata, &eligible).unwrap();
        let want = raked_row_by_row(&margins, &strata, &eligible);
        let bits = |w: &[f64]| w.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&r.weights), bits(&want));
        assert!(r.weights.iter().any(|w| *w != 1.0 && *w != 0.0));
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
