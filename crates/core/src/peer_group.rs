//! SKR's kommungrupper (the peer groups kommuner are benchmarked against), read from the
//! `kommungrupp-<version>.csv` files in the reference directory; one file per revision, so a
//! later revision can sit beside the 2023 one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::reference::{Reference, ReferenceError};

/// The file name's prefix: `kommungrupp-2023.csv` is the 2023 revision.
pub const FILE_PREFIX: &str = "kommungrupp-";

/// One kommungrupp of a revision.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGroup {
    /// A1 … C9.
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// A, B or C.
    pub main_group: String,
    pub main_group_name: String,
    pub main_group_name_en: String,
    /// Kolada's id for the group's unweighted mean (G92786 …), where the file gives one.
    pub kolada_group_id: Option<String>,
}

/// One revision of the kommungruppsindelning: every kommun's group.
#[derive(Debug, Clone)]
pub struct PeerGroups {
    pub version: String,
    pub path: PathBuf,
    /// code → group
    pub groups: BTreeMap<String, PeerGroup>,
    /// kommun_kod → code
    pub members: BTreeMap<String, String>,
}

/// SKR's names of the three main groups, and the English names SKR uses for the nine groups
/// ("Municipality groups"). A later revision that renames a group keeps its Swedish name from
/// the file; the English name then falls back to this table by code.
const MAIN_GROUPS: [(&str, &str, &str); 3] = [
    (
        "A",
        "Storstäder och storstadsnära kommuner",
        "Large cities and municipalities near large cities",
    ),
    (
        "B",
        "Större städer och kommuner nära större stad",
        "Medium-sized towns and municipalities near medium-sized towns",
    ),
    (
        "C",
        "Mindre städer/tätorter och landsbygdskommuner",
        "Small towns/urban areas and rural municipalities",
    ),
];

const ENGLISH: [(&str, &str); 9] = [
    ("A1", "Large cities"),
    ("A2", "Commuter municipality near a large city"),
    ("B3", "Medium-sized town"),
    ("B4", "Commuter municipality near a medium-sized town"),
    ("B5", "Low-commuting municipality near a medium-sized town"),
    ("C6", "Small town/urban area"),
    ("C7", "Commuter municipality near a small town"),
    ("C8", "Rural municipality"),
    ("C9", "Rural municipality with a visitor industry"),
];

fn invalid(path: &Path, line: Option<u64>, problem: String) -> ReferenceError {
    let path = path.to_path_buf();
    let problem = match line {
        Some(l) => format!("line {l}: {problem}"),
        None => problem,
    };
    ReferenceError::Invalid { path, problem }
}

impl PeerGroups {
    /// Every `kommungrupp-<version>.csv` in `dir`, oldest version first. None is no error: the
    /// benchmark then uses the county.
    pub fn load_dir(dir: &Path, reference: &Reference) -> Result<Vec<PeerGroups>, ReferenceError> {
        let entries = std::fs::read_dir(dir).map_err(|source| ReferenceError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(FILE_PREFIX) && n.to_ascii_lowercase().ends_with(".csv")
                })
            })
            .collect();
        files.sort();
        let mut out = Vec::new();
        for f in files {
            out.push(Self::load(&f, reference)?);
        }
        out.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(out)
    }

    /// One revision. Every one of the 290 kommuner must have exactly one group, and a group
    /// the same name on every line.
    pub fn load(path: &Path, reference: &Reference) -> Result<PeerGroups, ReferenceError> {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let version = stem.strip_prefix(FILE_PREFIX).unwrap_or(stem).to_string();
        if version.is_empty() {
            return Err(invalid(
                path,
                None,
                "the file name must say the revision: kommungrupp-2023.csv".into(),
            ));
        }
        let mut r = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| invalid(path, None, e.to_string()))?;
        let headers = r
            .headers()
            .map_err(|e| invalid(path, Some(1), e.to_string()))?
            .clone();
        let col = |name: &'static str| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == name)
        };
        let need = |name: &'static str| {
            col(name).ok_or_else(|| invalid(path, Some(1), format!("no column '{name}'")))
        };
        let (kod, code, name) = (need("kommun_kod")?, need("gruppkod")?, need("kommungrupp")?);
        let kolada = col("kolada_group_id");
        let mut groups: BTreeMap<String, PeerGroup> = BTreeMap::new();
        let mut members = BTreeMap::new();
        // One record a line (the names hold no line breaks), after the header.
        for (i, rec) in r.records().enumerate() {
            let line = Some(i as u64 + 2);
            let rec = rec.map_err(|e| invalid(path, line, e.to_string()))?;
            let field = |i: usize| rec.get(i).unwrap_or("").trim();
            let k = reference
                .validate_kommun_kod(field(kod))
                .map_err(|e| invalid(path, line, format!("kommun_kod: {e}")))?;
            let c = field(code);
            let main = c.get(..1).unwrap_or("");
            let Some((_, main_sv, main_en)) = MAIN_GROUPS.iter().find(|(m, _, _)| *m == main)
            else {
                return Err(invalid(
                    path,
                    line,
                    format!("gruppkod '{c}' is not a kommungrupp code (A1 … C9)"),
                ));
            };
            let g = PeerGroup {
                code: c.to_string(),
                name: field(name).to_string(),
                name_en: ENGLISH
                    .iter()
                    .find(|(e, _)| *e == c)
                    .map_or_else(|| field(name).to_string(), |(_, en)| en.to_string()),
                main_group: main.to_string(),
                main_group_name: main_sv.to_string(),
                main_group_name_en: main_en.to_string(),
                kolada_group_id: kolada
                    .map(field)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            };
            match groups.get(c) {
                Some(seen) if seen.name != g.name => {
                    return Err(invalid(
                        path,
                        line,
                        format!(
                            "group {c} is named '{}' here and '{}' above",
                            g.name, seen.name
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    groups.insert(c.to_string(), g);
                }
            }
            if members
                .insert(k.kommun_kod.clone(), c.to_string())
                .is_some()
            {
                return Err(invalid(
                    path,
                    line,
                    format!("kommun {} ({}) appears twice", k.kommun_kod, k.name),
                ));
            }
        }
        let missing: Vec<String> = reference
            .kommuner()
            .filter(|k| !members.contains_key(&k.kommun_kod))
            .map(|k| format!("{} {}", k.kommun_kod, k.name))
            .collect();
        if !missing.is_empty() {
            return Err(invalid(
                path,
                None,
                format!(
                    "{} kommuner have no group: {}",
                    missing.len(),
                    missing.join(", ")
                ),
            ));
        }
        Ok(PeerGroups {
            version,
            path: path.to_path_buf(),
            groups,
            members,
        })
    }

    /// The kommun's group in this revision.
    pub fn group_of(&self, kommun_kod: &str) -> Option<&PeerGroup> {
        self.groups.get(self.members.get(kommun_kod)?)
    }

    /// How many kommuner each group has.
    pub fn sizes(&self) -> BTreeMap<&str, usize> {
        let mut n = BTreeMap::new();
        for c in self.members.values() {
            *n.entry(c.as_str()).or_insert(0) += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn reference_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/reference")
    }

    fn load() -> (Reference, Vec<PeerGroups>) {
        let r = Reference::load(&reference_dir()).unwrap();
        let g = PeerGroups::load_dir(&reference_dir(), &r).unwrap();
        (r, g)
    }

    #[test]
    fn all_290_kommuner_have_a_kommungrupp_of_the_2023_revision() {
        let (r, g) = load();
        assert_eq!(g.len(), 1);
        let g = &g[0];
        assert_eq!(g.version, "2023");
        assert_eq!(g.members.len(), 290);
        for k in r.kommuner() {
            assert!(g.group_of(&k.kommun_kod).is_some(), "{}", k.name);
        }
        let sizes: Vec<(&str, usize)> = g.sizes().into_iter().collect();
        assert_eq!(
            sizes,
            [
                ("A1", 3),
                ("A2", 43),
                ("B3", 23),
                ("B4", 63),
                ("B5", 24),
                ("C6", 27),
                ("C7", 51),
                ("C8", 35),
                ("C9", 21)
            ]
        );
        let a2 = g.group_of("0163").unwrap();
        assert_eq!(
            (
                a2.name.as_str(),
                a2.name_en.as_str(),
                a2.main_group.as_str()
            ),
            (
                "Pendlingskommun nära storstad",
                "Commuter municipality near a large city",
                "A"
            )
        );
        assert_eq!(g.group_of("0180").unwrap().code, "A1");
        assert_eq!(a2.kolada_group_id.as_deref(), Some("G92793"));
    }

    #[test]
    fn a_file_with_a_kommun_missing_twice_or_unknown_is_refused_with_its_line() {
        let (r, _) = load();
        let text = std::fs::read_to_string(reference_dir().join("kommungrupp-2023.csv")).unwrap();
        let dir = tempfile_dir();
        let write = |name: &str, body: &str| {
            let p = dir.join(name);
            std::fs::write(&p, body).unwrap();
            p
        };
        let mut lines: Vec<&str> = text.lines().collect();
        let dropped = lines.remove(1);
        let missing = write("kommungrupp-m.csv", &lines.join("\n"));
        let e = PeerGroups::load(&missing, &r).unwrap_err().to_string();
        assert!(
            e.contains("1 kommuner have no group: 0114 Upplands Väsby"),
            "{e}"
        );
        lines.push(lines[1]);
        lines.push(dropped);
        let twice = write("kommungrupp-t.csv", &lines.join("\n"));
        let e = PeerGroups::load(&twice, &r).unwrap_err().to_string();
        assert!(e.contains("line 291") && e.contains("appears twice"), "{e}");
        let bad = text.replacen("0114,Upplands Väsby,A2", "0199,Upplands Väsby,A2", 1);
        let e = PeerGroups::load(&write("kommungrupp-u.csv", &bad), &r)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2: kommun_kod") && e.contains("0199"),
            "{e}"
        );
        let bad = text.replacen("0114,Upplands Väsby,A2", "0114,Upplands Väsby,D2", 1);
        let e = PeerGroups::load(&write("kommungrupp-c.csv", &bad), &r)
            .unwrap_err()
            .to_string();
        assert!(e.contains("gruppkod 'D2'"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("friktion-peer-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
