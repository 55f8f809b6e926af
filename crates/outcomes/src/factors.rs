//! The key-factor catalogue (`pipelines/key_factors.toml`): configuration, never code, since
//! analysts name and describe the factors (LEDA's 11 by default).

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key-factor catalogue {path}: {problem}")]
    Invalid { path: PathBuf, problem: String },
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyFactor {
    /// Referred to by project assessments: lower case letters, digits and `_`.
    pub id: String,
    pub name_sv: String,
    pub name_en: String,
    pub description_sv: String,
    pub description_en: String,
    pub enabling_sv: Option<String>,
    pub restricting_sv: Option<String>,
    pub enabling_en: Option<String>,
    pub restricting_en: Option<String>,
    /// Survey item ids read as evidence on this factor.
    #[serde(default)]
    pub survey_items: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    factor: Vec<KeyFactor>,
}

#[derive(Debug, Clone)]
pub struct KeyFactors {
    pub factors: Vec<KeyFactor>,
}

impl KeyFactors {
    pub fn load(path: &Path) -> Result<Self, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, CatalogueError> {
        let bad = |problem: String| CatalogueError::Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for f in &raw.factor {
            if f.id.is_empty()
                || !f
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(bad(format!(
                    "factor id '{}' must be lower case letters, digits and _",
                    f.id
                )));
            }
            if !seen.insert(f.id.as_str()) {
                return Err(bad(format!("factor '{}' is listed twice", f.id)));
            }
            for (what, v) in [
                ("name_sv", &f.name_sv),
                ("name_en", &f.name_en),
                ("description_sv", &f.description_sv),
                ("description_en", &f.description_en),
            ] {
                if v.trim().is_empty() {
                    return Err(bad(format!("factor '{}' has an empty {what}", f.id)));
                }
            }
        }
        if raw.factor.is_empty() {
            return Err(bad("no [[factor]] entries".into()));
        }
        Ok(Self {
            factors: raw.factor,
        })
    }

    pub fn get(&self, id: &str) -> Option<&KeyFactor> {
        self.factors.iter().find(|f| f.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/key_factors.toml")
    }

    #[test]
    fn the_shipped_catalogue_has_eleven_factors_in_both_languages() {
        let k = KeyFactors::load(&shipped()).unwrap();
        assert_eq!(k.factors.len(), 11);
        for f in &k.factors {
            assert_ne!(f.name_sv, f.name_en, "{}: translated", f.id);
            assert!(
                f.enabling_sv.is_some() && f.restricting_sv.is_some(),
                "{}",
                f.id
            );
        }
        assert_eq!(
            k.get("ledarskap").map(|f| f.name_en.as_str()),
            Some("Leadership")
        );
    }

    #[test]
    fn bad_catalogues_are_refused_with_the_reason() {
        let p = Path::new("k.toml");
        let one = |id: &str, en: &str| {
            format!(
                "[[factor]]\nid = '{id}'\nname_sv = 'A'\nname_en = '{en}'\ndescription_sv = 'x'\ndescription_en = 'y'\n"
            )
        };
        let e = KeyFactors::parse(&format!("{}{}", one("a", "A"), one("a", "B")), p).unwrap_err();
        assert!(e.to_string().contains("listed twice"), "{e}");
        let e = KeyFactors::parse(&one("Ledarskap", "L"), p).unwrap_err();
        assert!(e.to_string().contains("lower case"), "{e}");
        let e = KeyFactors::parse(&one("a", " "), p).unwrap_err();
        assert!(e.to_string().contains("empty name_en"), "{e}");
        let e = KeyFactors::parse("[[factor]]\nid = 'a'\nnamn = 'x'\n", p).unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
        assert!(KeyFactors::parse(&one("a", "A"), p).is_ok());
    }
}
