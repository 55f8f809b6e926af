//! One writer at a time: `_lock` in the lake root, held with an OS file lock for as long as a
//! writer has the lake open, and naming its owner (pid and start time) for whoever is refused.
//!
//! The OS lock is released when the process dies, however it dies, so a lock can never be left
//! held by a dead process. The owner line is cleared on a clean close; a line still there when
//! the lock is free was left by a process that died holding it, and is reported as taken over.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::{LakeError, Result};

pub const LOCK_FILE: &str = "_lock";

#[derive(Debug)]
pub struct LakeLock {
    file: File,
    path: PathBuf,
    /// The owner line a dead process left, when this lock was taken over from it.
    pub took_over: Option<String>,
}

impl LakeLock {
    pub fn acquire(root: &Path) -> Result<Self> {
        let path = root.join(LOCK_FILE);
        let io = |e| LakeError::io(&path, e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let mut owner = String::new();
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let _ = file.read_to_string(&mut owner);
                return Err(LakeError::Locked {
                    path,
                    owner: describe(&owner),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.read_to_string(&mut owner).map_err(io)?;
        let took_over = (!owner.trim().is_empty()).then(|| describe(&owner));
        let line = format!(
            "pid={} started={}\n",
            std::process::id(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(Self {
            file,
            path,
            took_over,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// "pid 123, started 2026-11-24T02:00:00Z" from the owner line.
fn describe(owner: &str) -> String {
    let field = |k: &str| {
        owner
            .split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .unwrap_or("?")
            .to_string()
    };
    format!("pid {}, started {}", field("pid="), field("started="))
}

impl Drop for LakeLock {
    fn drop(&mut self) {
        // A clean close clears the owner line; the OS lock goes with the file.
        let _ = self.file.set_len(0);
    }
}
