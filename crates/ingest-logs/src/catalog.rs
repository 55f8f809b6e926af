//! The systems catalogue (`pipelines/systems.toml`): which system a log line is about, its
//! vendor and verksamhet, and which kommun runs it; plus the friction model's parameters.

use std::ops::Range;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use crate::LogError;
use crate::friction::FrictionParams;
use crate::keymap::KeyMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    friction: FrictionParams,
    #[serde(default)]
    system: Vec<RawSystem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    id: String,
    name: Option<String>,
    vendor: Option<String>,
    verksamhet: Option<String>,
    /// Responses slower than this are friction (default: `[friction] slow_ms`).
    slow_ms: Option<f64>,
    #[serde(rename = "match", default)]
    matcher: RawMatch,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    /// A regex on the host name; a named group `kommun_kod` gives the kommun.
    host: Option<String>,
    /// Application or syslog program names, any case.
    #[serde(default)]
    app: Vec<String>,
    /// URL path prefixes.
    #[serde(default)]
    path_prefix: Vec<String>,
    /// The kommun of every event of this system, when neither the event nor the host says.
    kommun_kod: Option<String>,
}

#[derive(Debug, Clone)]
pub struct System {
    pub id: String,
    pub name: Option<String>,
    pub vendor: Option<String>,
    pub verksamhet: Option<String>,
    pub slow_ms: f64,
    host: Option<Regex>,
    app: Vec<String>,
    path_prefix: Vec<String>,
    pub kommun_kod: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub systems: Vec<System>,
    pub friction: FrictionParams,
    /// SHA-256 of the file: a changed catalogue reloads every log source.
    pub content_hash: String,
}

/// Which system a (host, app, path) belongs to, and a kommun the host name gives.
#[derive(Debug, Clone)]
pub struct Resolved<'c, 'h> {
    pub system: Option<&'c System>,
    /// Borrowed from the host name it was read from.
    pub host_kommun: Option<&'h str>,
}

impl PartialEq for Resolved<'_, '_> {
    fn eq(&self, o: &Self) -> bool {
        self.system.map(|s| &s.id) == o.system.map(|s| &s.id) && self.host_kommun == o.host_kommun
    }
}

impl Catalog {
    pub fn load(path: &Path) -> Result<Self, LogError> {
        let text = std::fs::read_to_string(path).map_err(|e| LogError::io(path, e))?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, LogError> {
        let bad = |problem: String| LogError::Catalog {
            path: path.to_path_buf(),
            problem,
        };
        let raw: RawCatalog = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        raw.friction.validate().map_err(|e| bad(e.to_string()))?;
        let mut systems = Vec::new();
        for s in raw.system {
            if systems.iter().any(|o: &System| o.id == s.id) {
                return Err(bad(format!("system '{}' is listed twice", s.id)));
            }
            let m = s.matcher;
            if m.host.is_none() && m.app.is_empty() && m.path_prefix.is_empty() {
                return Err(bad(format!(
                    "system '{}' has no [system.match] host, app or path_prefix",
                    s.id
                )));
            }
            let host = match m.host {
                Some(h) => Some(
                    Regex::new(&h)
                        .map_err(|e| bad(format!("system '{}': host regex: {e}", s.id)))?,
                ),
                None => None,
            };
            systems.push(System {
                slow_ms: s.slow_ms.unwrap_or(raw.friction.slow_ms),
                id: s.id,
                name: s.name,
                vendor: s.vendor,
                verksamhet: s.verksamhet,
                host,
                app: m.app.iter().map(|a| a.to_lowercase()).collect(),
                path_prefix: m.path_prefix,
                kommun_kod: m.kommun_kod,
            });
        }
        Ok(Self {
            systems,
            friction: raw.friction,
            content_hash: hex_sha256(text.as_bytes()),
        })
    }

    pub fn by_id(&self, id: &str) -> Option<&System> {
        self.systems.iter().find(|s| s.id == id)
    }

    /// The first system whose every given matcher matches.
    pub fn resolve<'h>(
        &self,
        host: Option<&'h str>,
        app: Option<&str>,
        path: Option<&str>,
    ) -> Resolved<'_, 'h> {
        for s in &self.systems {
            if let Some(at) = s.host_app_match(host, app) {
                if s.path_match(path) {
                    return Resolved {
                        system: Some(s),
                        host_kommun: at.and_then(|r| host?.get(r)),
                    };
                }
            }
        }
        Resolved {
            system: None,
            host_kommun: None,
        }
    }
}

impl System {
    /// Whether the host and app matchers pass (Some), with where in the host name its kommun
    /// is written.
    fn host_app_match(
        &self,
        host: Option<&str>,
        app: Option<&str>,
    ) -> Option<Option<Range<usize>>> {
        let mut kommun = None;
        if let Some(re) = &self.host {
            let c = host.and_then(|h| re.captures(h))?;
            kommun = c.name("kommun_kod").map(|m| m.range());
        }
        if !self.app.is_empty()
            && !app.is_some_and(|a| self.app.iter().any(|x| x.eq_ignore_ascii_case(a)))
        {
            return None;
        }
        Some(kommun)
    }

    fn path_match(&self, path: Option<&str>) -> bool {
        self.path_prefix.is_empty()
            || path.is_some_and(|p| self.path_prefix.iter().any(|x| p.starts_with(x.as_str())))
    }
}

/// Remembers resolutions per (host, app): path prefixes are checked each time, host regexes
/// once per distinct host. One per worker, so no locking.
pub struct Resolver<'c> {
    catalog: &'c Catalog,
    /// (host, app) → candidate systems. Most keys fit in the slot (see [`KeyMap`]); a missing
    /// host or app is a byte no string holds.
    by_host_app: KeyMap<6, Cands>,
}

/// A system that matches a (host, app), and where in the host its kommun is written.
#[derive(Clone)]
struct Cand {
    system: usize,
    kommun: Option<Range<usize>>,
}

/// Nearly every (host, app) has one candidate: it is held in the slot, not behind a pointer.
enum Cands {
    One(Cand),
    Many(Box<[Cand]>),
}

impl Cands {
    fn as_slice(&self) -> &[Cand] {
        match self {
            Cands::One(c) => std::slice::from_ref(c),
            Cands::Many(cs) => cs,
        }
    }
}

const MISSING: &[u8] = &[0xFE];

impl<'c> Resolver<'c> {
    pub fn new(catalog: &'c Catalog) -> Self {
        Self {
            catalog,
            by_host_app: KeyMap::default(),
        }
    }

    pub fn resolve<'h>(
        &mut self,
        host: Option<&'h str>,
        app: Option<&str>,
        path: Option<&str>,
    ) -> Resolved<'c, 'h> {
        let cat = self.catalog;
        let key = [
            host.map_or(MISSING, str::as_bytes),
            app.map_or(MISSING, str::as_bytes),
        ];
        // One lookup on the hot path; the catalogue is consulted once per new host and app.
        let cands = self.by_host_app.get_or_insert_with(&key, || {
            let mut found: Vec<Cand> = cat
                .systems
                .iter()
                .enumerate()
                .filter_map(|(system, s)| {
                    s.host_app_match(host, app)
                        .map(|kommun| Cand { system, kommun })
                })
                .collect();
            match found.len() {
                1 => Cands::One(found.remove(0)),
                _ => Cands::Many(found.into_boxed_slice()),
            }
        });
        for c in cands.as_slice() {
            let s = &cat.systems[c.system];
            if s.path_match(path) {
                return Resolved {
                    system: Some(s),
                    host_kommun: c.kommun.clone().and_then(|r| host?.get(r)),
                };
            }
        }
        Resolved {
            system: None,
            host_kommun: None,
        }
    }
}

fn hex_sha256(b: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAT: &str = r#"
[friction]
slow_ms = 3000

[[system]]
id = "lifecare"
vendor = "Tietoevry"
verksamhet = "aldreomsorg"
slow_ms = 2000
[system.match]
host = '^lifecare-web\d+\.k(?P<kommun_kod>\d{4})\.example\.se$'
path_prefix = ["/lifecare"]

[[system]]
id = "idp"
[system.match]
app = ["shibboleth-idp", "sshd"]
kommun_kod = "0180"
"#;

    #[test]
    fn first_full_match_wins_and_host_gives_kommun() {
        let c = Catalog::parse(CAT, Path::new("systems.toml")).unwrap();
        let mut r = Resolver::new(&c);
        for _ in 0..2 {
            let x = r.resolve(
                Some("lifecare-web01.k0163.example.se"),
                None,
                Some("/lifecare/a"),
            );
            assert_eq!(x.system.map(|s| s.id.as_str()), Some("lifecare"));
            assert_eq!(x.host_kommun.as_deref(), Some("0163"));
            assert_eq!(
                x,
                c.resolve(
                    Some("lifecare-web01.k0163.example.se"),
                    None,
                    Some("/lifecare/a")
                )
            );
        }
        assert!(
            r.resolve(
                Some("lifecare-web01.k0163.example.se"),
                None,
                Some("/other")
            )
            .system
            .is_none()
        );
        let x = r.resolve(Some("idp01"), Some("SSHD"), None);
        assert_eq!(x.system.map(|s| s.slow_ms), Some(3000.0));
        assert_eq!(x.system.and_then(|s| s.kommun_kod.as_deref()), Some("0180"));
    }

    #[test]
    fn bad_catalogues_are_refused_with_the_reason() {
        let p = Path::new("s.toml");
        let e = Catalog::parse("[[system]]\nid='a'\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no [system.match]"), "{e}");
        let e = Catalog::parse("[[system]]\nid='a'\n[system.match]\nhost='('\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("host regex"), "{e}");
        let e = Catalog::parse("[friction]\nsession_gap_minutes = -1\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("session_gap_minutes"), "{e}");
    }
}
