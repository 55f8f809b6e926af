//! The audit log: every connection, login, failed login and statement as one JSON line in
//! `<lake>/_audit/audit-<UTC date>.jsonl`, a new file each day. Written before the client hears
//! the outcome of a login and as each statement finishes, so a log line is never missing for
//! something that happened; `friktion serve audit` reads them back.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Where the audit files live, under the lake root.
pub const AUDIT_DIR: &str = "_audit";

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot write the audit log {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the audit log {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: not an audit record ({source})")]
    Parse {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A client connected (before it logged in).
    #[default]
    Connect,
    Login,
    LoginFailed,
    /// Refused before login: too many connections, plaintext where TLS is required.
    Rejected,
    Statement,
    Disconnect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// Refused by the server's rules (not a query, a table outside the role, a limit).
    Refused,
    /// Failed while running (a planning error, out of memory, timed out, cancelled).
    Failed,
}

/// One line of the log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Record {
    pub time: DateTime<Utc>,
    pub kind: Kind,
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The connection's backend id (the pid a cancel request names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Bytes of row data sent to the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// TLS or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// Failed logins for this user from this address in the last quarter hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<u32>,
}

impl Record {
    pub fn new(kind: Kind, address: impl ToString) -> Self {
        Self {
            time: Utc::now(),
            kind,
            address: address.to_string(),
            ..Default::default()
        }
    }
}

/// The log a server appends to.
#[derive(Debug)]
pub struct AuditLog {
    dir: PathBuf,
    open: Mutex<Option<(NaiveDate, File)>>,
}

impl AuditLog {
    /// The log under `lake_root/_audit`, created if need be (checked now, so a server that
    /// could not log does not start).
    pub fn open(lake_root: &Path) -> Result<Self, AuditError> {
        let dir = lake_root.join(AUDIT_DIR);
        std::fs::create_dir_all(&dir).map_err(|source| AuditError::Write {
            path: dir.clone(),
            source,
        })?;
        let log = Self {
            dir,
            open: Mutex::new(None),
        };
        log.with_file(Utc::now().date_naive(), |_| Ok(()))?;
        Ok(log)
    }

    fn path(&self, day: NaiveDate) -> PathBuf {
        self.dir.join(format!("audit-{day}.jsonl"))
    }

    fn with_file(
        &self,
        day: NaiveDate,
        f: impl FnOnce(&mut File) -> std::io::Result<()>,
    ) -> Result<(), AuditError> {
        let path = self.path(day);
        let err = |source| AuditError::Write {
            path: path.clone(),
            source,
        };
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.as_ref().is_none_or(|(d, _)| *d != day) {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(err)?;
            *open = Some((day, file));
        }
        let (_, file) = open.as_mut().expect("opened above");
        f(file).map_err(err)
    }

    /// Appends one record, in the file of the day it happened.
    pub fn record(&self, r: &Record) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(r).expect("a record serialises");
        line.push(b'\n');
        // One write per line: lines from concurrent connections never interleave.
        self.with_file(r.time.date_naive(), |f| f.write_all(&line))
    }
}

/// Every record in the audit files of `lake_root`, oldest file first, from `since` on.
pub fn read(lake_root: &Path, since: Option<NaiveDate>) -> Result<Vec<Record>, AuditError> {
    let dir = lake_root.join(AUDIT_DIR);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(source) => return Err(AuditError::Read { path: dir, source }),
    };
    files.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("audit-")?.strip_suffix(".jsonl"))
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .is_some_and(|d| since.is_none_or(|s| d >= s))
    });
    files.sort();
    let mut out = vec![];
    for path in files {
        let f = File::open(&path).map_err(|source| AuditError::Read {
            path: path.clone(),
            source,
        })?;
        for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
            let line = line.map_err(|source| AuditError::Read {
                path: path.clone(),
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            out.push(
                serde_json::from_str(&line).map_err(|source| AuditError::Parse {
                    path: path.clone(),
                    line: i + 1,
                    source,
                })?,
            );
        }
    }
    Ok(out)
}

/// Per user: what they did, for `friktion serve audit`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UserSummary {
    pub logins: u64,
    pub failed_logins: u64,
    pub statements: u64,
    pub refused: u64,
    pub failed: u64,
    pub rows: u64,
    pub bytes: u64,
    pub addresses: std::collections::BTreeSet<String>,
    pub last_seen: Option<DateTime<Utc>>,
}

/// The records summed by user (a failed login for a user that does not exist is counted
/// under the name tried), and the refusals, newest last.
pub fn summarise(records: &[Record]) -> (BTreeMap<String, UserSummary>, Vec<&Record>) {
    let mut users: BTreeMap<String, UserSummary> = BTreeMap::new();
    let mut refusals = vec![];
    for r in records {
        let Some(user) = &r.user else {
            if r.kind == Kind::Rejected {
                refusals.push(r);
            }
            continue;
        };
        let u = users.entry(user.clone()).or_default();
        u.addresses.insert(
            r.address
                .rsplit_once(':')
                .map_or(r.address.clone(), |(ip, _)| ip.to_string()),
        );
        u.last_seen = Some(u.last_seen.map_or(r.time, |t| t.max(r.time)));
        match r.kind {
            Kind::Login => u.logins += 1,
            Kind::LoginFailed => {
                u.failed_logins += 1;
                refusals.push(r);
            }
            Kind::Statement => {
                u.statements += 1;
                u.rows += r.rows.unwrap_or(0);
                u.bytes += r.bytes.unwrap_or(0);
                match r.outcome {
                    Some(Outcome::Refused) => {
                        u.refused += 1;
                        refusals.push(r);
                    }
                    Some(Outcome::Failed) => u.failed += 1,
                    _ => {}
                }
            }
            Kind::Rejected => refusals.push(r),
            Kind::Connect | Kind::Disconnect => {}
        }
    }
    (users, refusals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_go_to_the_file_of_their_day_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        let mut a = Record::new(Kind::Statement, "127.0.0.1:4000");
        a.user = Some("anna".into());
        a.time = "2026-11-29T23:59:59Z".parse().unwrap();
        a.outcome = Some(Outcome::Ok);
        a.rows = Some(3);
        let mut b = a.clone();
        b.time = "2026-11-30T00:00:01Z".parse().unwrap();
        b.outcome = Some(Outcome::Refused);
        b.reason = Some("DROP is refused".into());
        log.record(&a).unwrap();
        log.record(&b).unwrap();
        let audit = dir.path().join(AUDIT_DIR);
        assert!(audit.join("audit-2026-11-29.jsonl").is_file());
        assert!(audit.join("audit-2026-11-30.jsonl").is_file());
        let all = read(dir.path(), None).unwrap();
        assert_eq!(all.len(), 2);
        let later = read(dir.path(), Some("2026-11-30".parse().unwrap())).unwrap();
        assert_eq!(later.len(), 1);
        let (users, refusals) = summarise(&all);
        let anna = &users["anna"];
        assert_eq!((anna.statements, anna.refused, anna.rows), (2, 1, 6));
        assert_eq!(refusals.len(), 1);
        assert_eq!(anna.addresses.iter().next().unwrap(), "127.0.0.1");
    }

    #[test]
    fn a_line_that_is_not_a_record_is_named_by_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join(AUDIT_DIR);
        std::fs::create_dir_all(&audit).unwrap();
        std::fs::write(audit.join("audit-2026-11-30.jsonl"), "{}\nnot json\n").unwrap();
        let e = read(dir.path(), None).unwrap_err().to_string();
        assert!(e.contains("audit-2026-11-30.jsonl, line 1"), "{e}");
    }
}
