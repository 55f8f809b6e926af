//! The systems catalogue (`pipelines/systems.toml`): which system a log line is about, its
//! vendor and verksamhet, and which kommun runs it; plus the friction model's parameters.

use std::path::Path;
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;

use crate::LogError;
use crate::friction::FrictionParams;
use crate::fxhash::FxMap;

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
pub struct Resolved<'c> {
    pub system: Option<&'c System>,
    pub host_kommun: Option<Arc<str>>,
}

impl PartialEq for Resolved<'_> {
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
    pub fn resolve(
        &self,
        host: Option<&str>,
        app: Option<&str>,
        path: Option<&str>,
    ) -> Resolved<'_> {
        for s in &self.systems {
            if let Some(host_kommun) = s.host_app_match(host, app) {
                if s.path_match(path) {
                    return Resolved {
                        system: Some(s),
                        host_kommun,
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
    /// Whether the host and app matchers pass (Some), with the kommun the host name gives.
    fn host_app_match(&self, host: Option<&str>, app: Option<&str>) -> Option<Option<Arc<str>>> {
        let mut kommun = None;
        if let Some(re) = &self.host {
            let c = host.and_then(|h| re.captures(h))?;
            kommun = c.name("kommun_kod").map(|m| Arc::from(m.as_str()));
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
    /// host → app → candidate systems with the kommun the host gave. Nested so that lookups
    /// take the line's `&str`s without allocating; a missing host or app is "".
    by_host_app: FxMap<String, FxMap<String, Vec<(usize, Option<Arc<str>>)>>>,
}

impl<'c> Resolver<'c> {
    pub fn new(catalog: &'c Catalog) -> Self {
        Self {
            catalog,
            by_host_app: FxMap::default(),
        }
    }

    pub fn resolve(
        &mut self,
        host: Option<&str>,
        app: Option<&str>,
        path: Option<&str>,
    ) -> Resolved<'c> {
        let cat = self.catalog;
        let (h, a) = (host.unwrap_or(""), app.unwrap_or(""));
        // One lookup on the hot path; the catalogue is consulted once per new host and app.
        if let Some(cands) = self.by_host_app.get(h).and_then(|m| m.get(a)) {
            return pick(cat, cands, path);
        }
        let found: Vec<(usize, Option<Arc<str>>)> = cat
            .systems
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.host_app_match(host, app).map(|k| (i, k)))
            .collect();
        let r = pick(cat, &found, path);
        self.by_host_app
            .entry(h.to_string())
            .or_default()
            .insert(a.to_string(), found);
        r
    }
}

/// The first candidate whose path prefixes admit `path`.
fn pick<'c>(
    cat: &'c Catalog,
    cands: &[(usize, Option<Arc<str>>)],
    path: Option<&str>,
) -> Resolved<'c> {
    for (i, k) in cands {
        let s = &cat.systems[*i];
        if s.path_match(path) {
            return Resolved {
                system: Some(s),
                host_kommun: k.clone(),
            };
        }
    }
    Resolved {
        system: None,
        host_kommun: None,
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
