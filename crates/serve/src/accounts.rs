//! The server's accounts: a file of users, each with a role and a SCRAM-SHA-256 verifier, and
//! nothing from which a password could be read back. The file must be readable by its owner
//! only; friktion refuses to use one that others can read.
//!
//! ```toml
//! [[user]]
//! name = "anna"
//! role = "researcher"
//! verifier = "SCRAM-SHA-256$4096:…$…:…"
//! ```

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::scram::{Verifier, VerifierError};

/// What a user may read (see docs/SERVE.md when the server lands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything in the lake, quarantine tables included.
    Analyst,
    /// The pseudonymised tables and every mart; not the quarantine (it holds raw input text).
    Researcher,
    /// Only the published, disclosure-protected tables.
    Public,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "analyst" => Some(Role::Analyst),
            "researcher" => Some(Role::Researcher),
            "public" => Some(Role::Public),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Researcher => "researcher",
            Role::Public => "public",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub role: Role,
    pub verifier: Verifier,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("cannot read the accounts file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the accounts file {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the accounts file {path} can be read by others (mode {mode:o}); make it the owner's alone: chmod 600 {path}"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("the accounts file {path} is not valid")]
    Syntax {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("the accounts file {path}: user {name}")]
    Verifier {
        path: PathBuf,
        name: String,
        #[source]
        source: VerifierError,
    },
    #[error("'{0}' is not a user name: letters, digits, '_', '.' and '-', at most 63")]
    Name(String),
    #[error("there is a user {0} already (remove it first to change it)")]
    Exists(String),
    #[error("there is no user {0}")]
    Unknown(String),
    #[error("a password needs at least 12 characters")]
    ShortPassword,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    user: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    role: Role,
    verifier: String,
}

/// The accounts of one file.
#[derive(Debug)]
pub struct Accounts {
    path: PathBuf,
    users: Vec<Account>,
}

const HEADER: &str = "# friktion serve accounts: SCRAM-SHA-256 verifiers, no passwords. Keep this file \
readable by its owner only;\n# manage it with `friktion serve user add|remove|list`.\n\n";

impl Accounts {
    /// The accounts in `path`; none when the file does not exist yet.
    pub fn load(path: &Path) -> Result<Self, AccountsError> {
        let read = |source| AccountsError::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    path: path.to_path_buf(),
                    users: vec![],
                });
            }
            Err(e) => return Err(read(e)),
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AccountsError::Exposed {
                path: path.to_path_buf(),
                mode,
            });
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        let file: File = toml::from_str(&text).map_err(|source| AccountsError::Syntax {
            path: path.to_path_buf(),
            source,
        })?;
        let users = file
            .user
            .into_iter()
            .map(|e| {
                let verifier =
                    Verifier::parse(&e.verifier).map_err(|source| AccountsError::Verifier {
                        path: path.to_path_buf(),
                        name: e.name.clone(),
                        source,
                    })?;
                Ok(Account {
                    name: e.name,
                    role: e.role,
                    verifier,
                })
            })
            .collect::<Result<_, AccountsError>>()?;
        Ok(Self {
            path: path.to_path_buf(),
            users,
        })
    }

    pub fn users(&self) -> &[Account] {
        &self.users
    }

    pub fn get(&self, name: &str) -> Option<&Account> {
        self.users.iter().find(|a| a.name == name)
    }

    /// Adds a user with a fresh verifier of `password`.
    pub fn add(&mut self, name: &str, role: Role, password: &str) -> Result<(), AccountsError> {
        let valid = !name.is_empty()
            && name.len() <= 63
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            return Err(AccountsError::Name(name.to_string()));
        }
        if self.get(name).is_some() {
            return Err(AccountsError::Exists(name.to_string()));
        }
        if password.chars().count() < 12 {
            return Err(AccountsError::ShortPassword);
        }
        self.users.push(Account {
            name: name.to_string(),
            role,
            verifier: Verifier::new(password),
        });
        Ok(())
    }

    pub fn remove(&mut self, name: &str) -> Result<(), AccountsError> {
        let before = self.users.len();
        self.users.retain(|a| a.name != name);
        if self.users.len() == before {
            return Err(AccountsError::Unknown(name.to_string()));
        }
        Ok(())
    }

    /// Writes the file whole (a temporary file, mode 0600, renamed over it).
    pub fn save(&self) -> Result<(), AccountsError> {
        let write = |source| AccountsError::Write {
            path: self.path.clone(),
            source,
        };
        let file = File {
            user: self
                .users
                .iter()
                .map(|a| Entry {
                    name: a.name.clone(),
                    role: a.role,
                    verifier: a.verifier.to_string(),
                })
                .collect(),
        };
        let text = HEADER.to_string() + &toml::to_string(&file).expect("accounts serialise");
        let tmp = self.path.with_extension("tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(write)?;
        f.write_all(text.as_bytes()).map_err(write)?;
        f.sync_all().map_err(write)?;
        std::fs::rename(&tmp, &self.path).map_err(write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_added_saved_read_back_and_removed_and_no_password_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.toml");
        let mut a = Accounts::load(&path).unwrap();
        a.add("anna", Role::Researcher, "a long enough passphrase")
            .unwrap();
        a.add("pub", Role::Public, "another long passphrase")
            .unwrap();
        a.save().unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("passphrase"), "{text}");
        assert!(text.contains("role = \"researcher\""), "{text}");
        let b = Accounts::load(&path).unwrap();
        assert_eq!(b.users(), a.users());
        let anna = b.get("anna").unwrap();
        assert_eq!(
            anna.verifier,
            Verifier::from_password("a long enough passphrase", &anna.verifier.salt, 4096)
        );
        let mut b = b;
        b.remove("pub").unwrap();
        assert!(matches!(b.remove("pub"), Err(AccountsError::Unknown(_))));
        assert!(matches!(
            b.add("anna", Role::Analyst, "whatever it is long"),
            Err(AccountsError::Exists(_))
        ));
        assert!(matches!(
            b.add("robert'); DROP", Role::Analyst, "whatever it is long"),
            Err(AccountsError::Name(_))
        ));
        assert!(matches!(
            b.add("kim", Role::Analyst, "short"),
            Err(AccountsError::ShortPassword)
        ));
    }

    #[test]
    fn a_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.toml");
        let mut a = Accounts::load(&path).unwrap();
        a.add("anna", Role::Researcher, "a long enough passphrase")
            .unwrap();
        a.save().unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Accounts::load(&path).unwrap_err();
        assert!(
            matches!(e, AccountsError::Exposed { mode: 0o644, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }
}
