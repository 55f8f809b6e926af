//! Keyed pseudonyms: personal identifiers never reach the lake in clear.
//!
//! A pseudonym is HMAC-SHA256(key, domain ‖ 0x00 ‖ identifier), the first 16 bytes in hex. The
//! key is what keeps it from being reversed by hashing candidate identifiers, so it must be kept
//! apart from the data: it comes from `FRIKTION_PSEUDO_KEY`, or a key file named by
//! `FRIKTION_PSEUDO_KEY_FILE` or by the pipeline config. The bundled demo may use a fixed,
//! published key; the CLI warns on stderr whenever it does.

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const KEY_ENV: &str = "FRIKTION_PSEUDO_KEY";
pub const KEY_FILE_ENV: &str = "FRIKTION_PSEUDO_KEY_FILE";
/// Anything shorter is guessable; 16 bytes is the floor NIST sets for HMAC keys' security.
pub const MIN_KEY_BYTES: usize = 16;
const DEMO_KEY: &[u8] = b"friktion-demo-key-PUBLIC-do-not-use-for-real-data";

/// Where the key came from, so the caller can warn about the demo key and record a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    Env,
    File(PathBuf),
    Demo,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "no pseudonymisation key: set {KEY_ENV}, or {KEY_FILE_ENV} / the config's key_file to a file holding the key"
    )]
    Missing,
    #[error("pseudonymisation key from {origin} is {len} bytes; it needs at least {MIN_KEY_BYTES}")]
    TooShort { origin: String, len: usize },
    #[error("cannot read pseudonymisation key file {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Clone)]
pub struct PseudoKey {
    bytes: Vec<u8>,
    origin: KeyOrigin,
}

impl std::fmt::Debug for PseudoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key itself.
        write!(f, "PseudoKey({:?}, {})", self.origin, self.fingerprint())
    }
}

impl PseudoKey {
    pub fn new(bytes: impl Into<Vec<u8>>, origin: KeyOrigin) -> Result<Self, KeyError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort {
                origin: format!("{origin:?}"),
                len: bytes.len(),
            });
        }
        Ok(Self { bytes, origin })
    }

    /// The fixed key of the bundled demo. Public: never use it for real data.
    pub fn demo() -> Self {
        Self {
            bytes: DEMO_KEY.to_vec(),
            origin: KeyOrigin::Demo,
        }
    }

    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let bytes = std::fs::read(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        // A trailing newline from `echo` or an editor is not part of the key.
        let end = bytes
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        Self::new(&bytes[..end], KeyOrigin::File(path.to_path_buf()))
    }

    /// The key in force: the environment first, then a key file, then the demo key if allowed.
    pub fn resolve(config_key_file: Option<&Path>, allow_demo: bool) -> Result<Self, KeyError> {
        if let Some(v) = std::env::var_os(KEY_ENV).filter(|v| !v.is_empty()) {
            return Self::new(v.into_encoded_bytes(), KeyOrigin::Env);
        }
        if let Some(p) = std::env::var_os(KEY_FILE_ENV).filter(|v| !v.is_empty()) {
            return Self::from_file(Path::new(&p));
        }
        if let Some(p) = config_key_file {
            return Self::from_file(p);
        }
        if allow_demo {
            return Ok(Self::demo());
        }
        Err(KeyError::Missing)
    }

    pub fn origin(&self) -> &KeyOrigin {
        &self.origin
    }

    /// Identifies the key without revealing it: recorded in the ledger so that a change of key
    /// (which unlinks every pseudonym) forces a re-ingest rather than mixing two key spaces.
    pub fn fingerprint(&self) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.bytes)
            .expect("HMAC accepts keys of any length");
        mac.update(b"friktion key fingerprint v1");
        hex::encode(&mac.finalize().into_bytes()[..6])
    }
}

/// Computes pseudonyms with one key. Cheap to clone; the keyed state is computed once.
#[derive(Clone)]
pub struct Pseudonymiser {
    keyed: Hmac<Sha256>,
}

impl Pseudonymiser {
    pub fn new(key: &PseudoKey) -> Self {
        Self {
            keyed: <Hmac<Sha256> as Mac>::new_from_slice(&key.bytes)
                .expect("HMAC accepts keys of any length"),
        }
    }

    /// The pseudonym of `identifier` within `domain` ("respondent", "user", …). Surrounding
    /// white space is not part of an identifier; case is (systems differ on that).
    pub fn pseudonym(&self, domain: &str, identifier: &str) -> String {
        let hex = self.pseudonym_hex(domain, identifier);
        String::from_utf8(hex.to_vec()).expect("hex is ASCII")
    }

    /// The same pseudonym as ASCII hex in a buffer, for callers that make millions and need
    /// no allocation for each.
    pub fn pseudonym_hex(&self, domain: &str, identifier: &str) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(identifier.trim().as_bytes());
        let mut out = [0u8; 32];
        hex::encode_to_slice(&mac.finalize().into_bytes()[..16], &mut out)
            .expect("32 hex digits for 16 bytes");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> PseudoKey {
        PseudoKey::new(s.as_bytes(), KeyOrigin::Env).unwrap()
    }

    #[test]
    fn same_input_and_key_give_the_same_pseudonym() {
        let p = Pseudonymiser::new(&key("a key of sufficient length"));
        let a = p.pseudonym("respondent", "19801231-1234");
        assert_eq!(a, p.pseudonym("respondent", " 19801231-1234 "));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!a.contains("1234"));
    }

    #[test]
    fn another_key_or_domain_gives_another_pseudonym() {
        let a = Pseudonymiser::new(&key("a key of sufficient length"));
        let b = Pseudonymiser::new(&key("another key, also long enough"));
        assert_ne!(
            a.pseudonym("respondent", "x1"),
            b.pseudonym("respondent", "x1")
        );
        assert_ne!(a.pseudonym("respondent", "x1"), a.pseudonym("user", "x1"));
        assert_ne!(
            a.pseudonym("respondent", "x1"),
            a.pseudonym("respondent", "x2")
        );
    }

    #[test]
    fn known_answer_matches_a_reference_hmac() {
        // HMAC-SHA256(key="key-of-16-bytes!", "respondent\0abc"), computed with Python's hmac.
        let p = Pseudonymiser::new(&key("key-of-16-bytes!"));
        assert_eq!(
            p.pseudonym("respondent", "abc"),
            "bc571b265606db48fcb267c2efcdb2bb"
        );
    }

    #[test]
    fn short_keys_are_refused_and_debug_hides_the_key() {
        assert!(matches!(
            PseudoKey::new(b"short".to_vec(), KeyOrigin::Env),
            Err(KeyError::TooShort { len: 5, .. })
        ));
        let k = key("secret-secret-secret");
        assert!(!format!("{k:?}").contains("secret"));
        assert_ne!(k.fingerprint(), PseudoKey::demo().fingerprint());
    }

    #[test]
    fn key_file_drops_trailing_newline() {
        let dir = std::env::temp_dir().join(format!("friktion-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("key");
        std::fs::write(&f, "a key of sufficient length\n").unwrap();
        let from_file = Pseudonymiser::new(&PseudoKey::from_file(&f).unwrap());
        let direct = Pseudonymiser::new(&key("a key of sufficient length"));
        assert_eq!(from_file.pseudonym("u", "x"), direct.pseudonym("u", "x"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
