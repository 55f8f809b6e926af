//! Instrument files: how one survey's export maps onto the lake's fields and items.
//!
//! An instrument is TOML in `pipelines/instruments/`. It names the raw column for each canonical
//! field, the label → code maps, and the items to keep in long form. Analysts edit these; the
//! code knows only the kinds of value (minutes, yes/no, Likert, …).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum InstrumentError {
    #[error("cannot read instrument {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("instrument {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// How values in a column are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// Minutes as a number ("30", "ca 30", "1,5 h") or as a band ("16–30 minuter").
    Minutes,
    /// Ja/Nej and their variants; "Vet ej" is missing.
    YesNo,
    /// Five-point agreement, Swedish or English labels or 1–5; "Vet ej" is missing.
    Likert5,
    /// A number, decimal comma allowed.
    Number,
    /// Free text, redacted of personnummer and e-mail addresses.
    Text,
    /// A label mapped through `values`.
    Category,
    /// Local date and time (Europe/Stockholm unless the instrument says otherwise).
    Datetime,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    /// The exact header, compared without regard to case and surrounding white space.
    #[serde(default)]
    pub column: String,
    /// Or a regular expression the header must match (case-insensitive), for exports whose
    /// question texts drift between years.
    pub pattern: Option<String>,
    #[serde(skip)]
    pub regex: Option<regex::Regex>,
    #[serde(default)]
    pub required: bool,
    /// Label → canonical code, for categories (compared without regard to case).
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Upper bound of a plausible value (minutes: one working day).
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    #[serde(default)]
    pub column: String,
    pub pattern: Option<String>,
    #[serde(skip)]
    pub regex: Option<regex::Regex>,
    pub kind: ValueKind,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

pub use friktion_tabular::SourceFormat;

/// A band of minutes as answered: its bounds and the value that stands for it.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Band {
    pub low: f64,
    pub high: Option<f64>,
    pub point: f64,
}

/// The canonical fields of survey_response an instrument can fill.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    pub respondent_id: FieldMap,
    pub employer_type: Option<FieldMap>,
    /// Workplace: a kommun code or name, or a region's name.
    pub workplace: FieldMap,
    pub verksamhet: Option<FieldMap>,
    pub occupation: Option<FieldMap>,
    pub minutes_lost: FieldMap,
    pub involved_in_procurement: Option<FieldMap>,
    pub needs_training: Option<FieldMap>,
    pub submitted_at: Option<FieldMap>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub id: String,
    pub name: String,
    pub version: u32,
    pub source: SourceFormat,
    pub fields: Fields,
    #[serde(default)]
    pub items: Vec<Item>,
    /// Answer labels of banded minutes questions, compared without regard to case.
    #[serde(default)]
    pub minutes_bands: BTreeMap<String, Band>,
    #[serde(skip)]
    pub path: PathBuf,
    /// Hash of the file's text: a changed instrument re-ingests its sources.
    #[serde(skip)]
    pub content_hash: String,
}

impl Instrument {
    pub fn load(path: &Path) -> Result<Self, InstrumentError> {
        let text = std::fs::read_to_string(path).map_err(|source| InstrumentError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut i = Self::parse(&text, path)?;
        i.path = path.to_path_buf();
        Ok(i)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, InstrumentError> {
        let invalid = |message: String| InstrumentError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let mut i: Instrument = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        use fnv::hash_hex;
        i.content_hash = hash_hex(text.as_bytes());
        let compile = |name: &str,
                       column: &str,
                       pattern: &Option<String>|
         -> Result<Option<regex::Regex>, InstrumentError> {
            match (column.trim().is_empty(), pattern) {
                (true, None) => Err(invalid(format!("{name}: give a column or a pattern"))),
                (_, Some(p)) => regex::RegexBuilder::new(p)
                    .case_insensitive(true)
                    .build()
                    .map(Some)
                    .map_err(|e| {
                        invalid(format!(
                            "{name}: pattern {p:?} is not a valid regular expression: {e}"
                        ))
                    }),
                (false, None) => Ok(None),
            }
        };
        // Labels are matched without regard to case or surrounding space: normalise the keys
        // once here, so a lookup per cell is one map access.
        let norm = |m: &mut BTreeMap<String, String>| {
            *m = std::mem::take(m)
                .into_iter()
                .map(|(k, v)| (k.trim().to_lowercase(), v))
                .collect();
        };
        i.minutes_bands = std::mem::take(&mut i.minutes_bands)
            .into_iter()
            .map(|(k, v)| (k.trim().to_lowercase(), v))
            .collect();
        for it in &mut i.items {
            norm(&mut it.values);
        }
        let f = &mut i.fields;
        for m in [
            Some(&mut f.respondent_id),
            f.employer_type.as_mut(),
            Some(&mut f.workplace),
            f.verksamhet.as_mut(),
            f.occupation.as_mut(),
            Some(&mut f.minutes_lost),
            f.involved_in_procurement.as_mut(),
            f.needs_training.as_mut(),
            f.submitted_at.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            norm(&mut m.values);
        }
        let f = &mut i.fields;
        for (name, m) in [
            ("respondent_id", Some(&mut f.respondent_id)),
            ("employer_type", f.employer_type.as_mut()),
            ("workplace", Some(&mut f.workplace)),
            ("verksamhet", f.verksamhet.as_mut()),
            ("occupation", f.occupation.as_mut()),
            ("minutes_lost", Some(&mut f.minutes_lost)),
            (
                "involved_in_procurement",
                f.involved_in_procurement.as_mut(),
            ),
            ("needs_training", f.needs_training.as_mut()),
            ("submitted_at", f.submitted_at.as_mut()),
        ] {
            if let Some(m) = m {
                m.regex = compile(&format!("fields.{name}"), &m.column, &m.pattern)?;
            }
        }
        for it in &mut i.items {
            it.regex = compile(&format!("item {}", it.id), &it.column, &it.pattern)?;
        }
        let mut seen = std::collections::HashSet::new();
        for it in &i.items {
            if !seen.insert(it.id.as_str()) {
                return Err(invalid(format!("item id '{}' appears twice", it.id)));
            }
            if it.kind == ValueKind::Category && it.values.is_empty() {
                return Err(invalid(format!("category item '{}' has no values", it.id)));
            }
        }
        if i.source.header_row == 0 {
            return Err(invalid("header_row is 1-based".into()));
        }
        if i.source.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(invalid(format!(
                "unknown time zone '{}'",
                i.source.timezone
            )));
        }
        Ok(i)
    }
}

fn describe(column: &str, pattern: &Option<String>) -> String {
    match pattern {
        Some(p) if column.trim().is_empty() => format!("/{p}/"),
        _ => format!("'{column}'"),
    }
}

/// A column pattern that matches more than one header: an error, not a guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pattern /{pattern}/ matches {} columns: {}", .columns.len(), .columns.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", "))]
pub struct Ambiguous {
    pub pattern: String,
    pub columns: Vec<String>,
}

/// Finds the column in a header: the exact name first, then the pattern. A pattern matching
/// several headers is an error, not a guess.
pub fn locate(
    header: &[String],
    column: &str,
    regex: Option<&regex::Regex>,
) -> Result<Option<usize>, Ambiguous> {
    let want = column.trim().to_lowercase();
    if !want.is_empty() {
        if let Some(i) = header.iter().position(|h| h.trim().to_lowercase() == want) {
            return Ok(Some(i));
        }
    }
    let Some(re) = regex else { return Ok(None) };
    let hits: Vec<usize> = (0..header.len())
        .filter(|&i| re.is_match(&header[i]))
        .collect();
    match hits.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        many => Err(Ambiguous {
            pattern: re.as_str().to_string(),
            columns: many.iter().map(|&i| header[i].clone()).collect(),
        }),
    }
}

impl FieldMap {
    pub fn describe(&self) -> String {
        describe(&self.column, &self.pattern)
    }

    pub fn locate(&self, header: &[String]) -> Result<Option<usize>, Ambiguous> {
        locate(header, &self.column, self.regex.as_ref())
    }
}

impl Instrument {
    /// The instrument as it applies to a file with this header: items whose column the file
    /// lacks are left out, and so are the name and version (documentation). Adding an item
    /// for a column that a new export brings changes nothing for the files loaded before it,
    /// so their rows stay as they are instead of being loaded again: the history is not
    /// rewritten. Changing a field, a label or an item the file has changes it.
    pub fn hash_for(&self, header: &[String]) -> String {
        self.hash_of(|it| matches!(it.locate(header), Ok(Some(_))))
    }

    /// The whole instrument, every item: known before any file is read. When it is the same as
    /// at a file's last sighting, so is [`Instrument::hash_for`] of the unchanged file.
    pub fn hash_whole(&self) -> String {
        self.hash_of(|_| true)
    }

    fn hash_of(&self, with: impl Fn(&Item) -> bool) -> String {
        let mut s = format!(
            "{}|{:?}|{:?}|{:?}",
            self.id, self.source, self.fields, self.minutes_bands
        );
        for it in self.items.iter().filter(|it| with(it)) {
            s.push_str(&format!(
                "|{:?}|{:?}|{:?}|{:?}|{:?}",
                it.id, it.column, it.pattern, it.kind, it.values
            ));
        }
        fnv::hash_hex(s.as_bytes())
    }
}

impl Item {
    pub fn describe(&self) -> String {
        describe(&self.column, &self.pattern)
    }

    pub fn locate(&self, header: &[String]) -> Result<Option<usize>, Ambiguous> {
        locate(header, &self.column, self.regex.as_ref())
    }
}

/// The instrument hash needs no cryptographic strength, only stability; FNV-1a 64 is enough
/// and keeps this crate free of a hashing dependency.
mod fnv {
    pub fn hash_hex(bytes: &[u8]) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}
