//! Readers and commits: a reader holds the gate shared while it plans and runs a query; a
//! commit holds it exclusive while it moves files into place. So a reader sees each commit
//! whole or not at all, and no file it listed is deleted under it.
//!
//! A waiting commit must not starve behind a stream of overlapping queries (OS file locks
//! prefer no one), so there are two lock files: a commit first takes the turnstile exclusive,
//! and a reader passes the turnstile (shared, released at once) before taking the gate. Once a
//! commit waits at the turnstile, new readers queue behind it; the running ones finish.
//!
//! Each commit also counts up `_generation`, so a long-lived reader (the SQL server) knows
//! when to look again for new marts and published tables.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::{LakeError, Result};

const GATE: &str = "_gate";
const TURNSTILE: &str = "_gate.turn";
const GENERATION: &str = "_generation";

fn open(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| LakeError::io(path, e))
}

/// A reader may not be allowed to write the lake (the SQL server's user); the files exist once
/// anything has been committed, and a shared lock needs only a read handle.
fn open_to_read(path: &Path) -> Result<File> {
    match File::open(path) {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => open(path),
        Err(e) => Err(LakeError::io(path, e)),
    }
}

/// Held while a query plans and runs: no commit moves files meanwhile.
#[derive(Debug)]
pub struct ReadGuard {
    _gate: Option<File>,
    generation: u64,
}

impl ReadGuard {
    /// A reader of a lake on object storage holds nothing: it reads as of a lake version,
    /// which is its generation.
    pub(crate) fn version(version: u64) -> Self {
        Self {
            _gate: None,
            generation: version,
        }
    }

    /// The lake's commit count as this reader sees it.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Waits for any commit in progress, then holds the lake still for the reader. Blocks: call it
/// off an async runtime's worker threads.
pub fn read(root: &Path) -> Result<ReadGuard> {
    let turn_path = root.join(TURNSTILE);
    let turn = open_to_read(&turn_path)?;
    turn.lock_shared()
        .map_err(|e| LakeError::io(&turn_path, e))?;
    let gate_path = root.join(GATE);
    let gate = open_to_read(&gate_path)?;
    gate.lock_shared()
        .map_err(|e| LakeError::io(&gate_path, e))?;
    drop(turn);
    Ok(ReadGuard {
        _gate: Some(gate),
        generation: generation(root),
    })
}

/// Held by a commit while it moves files into place.
pub(crate) struct CommitGuard {
    _turn: File,
    _gate: File,
}

pub(crate) fn commit(root: &Path) -> Result<CommitGuard> {
    let turn_path = root.join(TURNSTILE);
    let turn = open(&turn_path)?;
    turn.lock().map_err(|e| LakeError::io(&turn_path, e))?;
    let gate_path = root.join(GATE);
    let gate = open(&gate_path)?;
    gate.lock().map_err(|e| LakeError::io(&gate_path, e))?;
    Ok(CommitGuard {
        _turn: turn,
        _gate: gate,
    })
}

impl CommitGuard {
    /// Counts the commit; called while the files are held still.
    pub(crate) fn bump(&self, root: &Path) -> Result<()> {
        let next = generation(root) + 1;
        let path = root.join(GENERATION);
        let tmp = root.join(format!("{GENERATION}.tmp"));
        std::fs::write(&tmp, next.to_string()).map_err(|e| LakeError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| LakeError::io(&path, e))
    }
}

/// The lake's commit count (0 before the first commit, or if the counter is unreadable: a
/// reader then simply looks again).
pub fn generation(root: &Path) -> u64 {
    std::fs::read_to_string(root.join(GENERATION))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[test]
    fn a_commit_waits_for_the_readers_and_new_readers_wait_for_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let first = read(&root).unwrap();
        assert_eq!(first.generation(), 0);
        let order = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let (root, order) = (root.clone(), order.clone());
            std::thread::spawn(move || {
                let g = commit(&root).unwrap();
                g.bump(&root).unwrap();
                order.lock().unwrap().push("commit");
            })
        };
        // The writer is now queued at the gate behind `first`.
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            order.lock().unwrap().is_empty(),
            "the commit ran under a reader"
        );
        let second = {
            let (root, order) = (root.clone(), order.clone());
            std::thread::spawn(move || {
                let r = read(&root).unwrap();
                order.lock().unwrap().push("reader");
                r.generation()
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            order.lock().unwrap().is_empty(),
            "a reader passed a waiting commit"
        );
        drop(first);
        writer.join().unwrap();
        assert_eq!(
            second.join().unwrap(),
            1,
            "the later reader sees the commit"
        );
        assert_eq!(*order.lock().unwrap(), ["commit", "reader"]);
    }
}
