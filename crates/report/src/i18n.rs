//! Every label of the report in one table, Swedish first and English too, with numbers written
//! the way each language writes them (1 234,5 and 1,234.5).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::LazyLock;

use crate::format::{SUPPRESSED, sv_number};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    /// The page's `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// key, Swedish, English. `{}` marks where arguments go, in order.
/// The texts, read once from `i18n/texts.toml` (built into the binary).
static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    Texts::parse(include_str!("../i18n/texts.toml")).expect("i18n/texts.toml is checked by a test")
});

/// key → (Swedish, English).
pub struct Texts {
    by_key: BTreeMap<String, (String, String)>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    sv: String,
    en: String,
}

impl Texts {
    /// Reads a translation table: one `[key]` with `sv` and `en` each.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        let raw: BTreeMap<String, Entry> = toml::from_str(text)?;
        Ok(Self {
            by_key: raw.into_iter().map(|(k, e)| (k, (e.sv, e.en))).collect(),
        })
    }

    /// Every entry: key, Swedish, English.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.by_key
            .iter()
            .map(|(k, (sv, en))| (k.as_str(), sv.as_str(), en.as_str()))
    }

    fn get(&self, key: &str) -> Option<&(String, String)> {
        self.by_key.get(key)
    }
}

/// The report's translation table.
pub fn texts() -> &'static Texts {
    &TEXTS
}

/// A label; a key missing from the table shows itself in brackets (and a test finds it).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match TEXTS.get(key) {
        Some((sv, en)) => match lang {
            Lang::Sv => sv,
            Lang::En => en,
        },
        None => "[missing label]",
    }
}

/// A label with its `{}` filled in order.
pub fn tf(lang: Lang, key: &str, args: &[&dyn Display]) -> String {
    let mut out = String::new();
    let mut rest = t(lang, key);
    for a in args {
        match rest.split_once("{}") {
            Some((head, tail)) => {
                out.push_str(head);
                out.push_str(&a.to_string());
                rest = tail;
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// A number as the language writes it: "1 234,5" (narrow no-break space) or "1,234.5".
pub fn num(lang: Lang, v: f64, decimals: usize) -> String {
    let sv = sv_number(v, decimals);
    match lang {
        Lang::Sv => sv,
        Lang::En => sv
            .replace(crate::format::THIN, "\u{1}")
            .replace(',', ".")
            .replace('\u{1}', ",")
            .replace('−', "-"),
    }
}

pub fn num_opt(lang: Lang, v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| SUPPRESSED.into(), |v| num(lang, v, decimals))
}

/// A 95 % interval as the pages write it (`20,9–28,2`), ".." where either end is hidden.
pub fn interval(lang: Lang, low: Option<f64>, high: Option<f64>, decimals: usize) -> String {
    match (low, high) {
        (Some(l), Some(h)) => format!("{}–{}", num(lang, l, decimals), num(lang, h, decimals)),
        _ => SUPPRESSED.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(num(Lang::Sv, 1234.56, 1), "1\u{202f}234,6");
        assert_eq!(num(Lang::En, 1234.56, 1), "1,234.6");
        assert_eq!(num(Lang::En, -0.5, 1), "-0.5");
        assert_eq!(num_opt(Lang::En, None, 1), "..");
    }

    #[test]
    fn every_label_has_both_languages_and_every_key_used_is_in_the_table() {
        // A key twice is a TOML error: parsing the file checks it.
        let texts = Texts::parse(include_str!("../i18n/texts.toml")).unwrap();
        let mut keys = std::collections::HashSet::new();
        for (k, sv, en) in texts.entries() {
            keys.insert(k);
            assert!(!sv.trim().is_empty() && !en.trim().is_empty(), "{k}");
            assert_eq!(
                sv.matches("{}").count(),
                en.matches("{}").count(),
                "{k}: arguments"
            );
        }
        // Every t(…, "key") and tf(…, "key", …) in the report's sources names a key here.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = 0;
        for f in std::fs::read_dir(dir).unwrap() {
            // Whitespace folded, so calls that rustfmt spread over lines are found too.
            let text = std::fs::read_to_string(f.unwrap().path())
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            for call in [
                "t(lang, \"",
                "tf(lang, \"",
                "tf( lang, \"",
                "t(run.lang, \"",
                "tf(run.lang, \"",
                "tf( run.lang, \"",
            ] {
                for part in text.split(call).skip(1) {
                    let key = &part[..part.find('"').unwrap()];
                    if key == "key" {
                        continue;
                    }
                    used += 1;
                    assert!(keys.contains(key), "'{key}' is used but not in TEXTS");
                }
            }
        }
        assert!(used > 120, "{used} labels used");
    }
}
