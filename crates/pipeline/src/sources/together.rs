//! A source's files loaded in their order, runs of small ones several at a time.
//!
//! A small file (a staff survey's workbook, a few hundred rows) is read on one core in
//! milliseconds and then waits on its commit's fsyncs; loaded one after another, 290 of them
//! leave the cores idle most of the time. A log file of a day's events keeps every core busy
//! while it is parsed, but its tail (the last Parquet row groups encoded, files synced, the
//! commit) runs on one. Each file keeps its own commit, so what a crash leaves and what the
//! ledger says do not change; only the waits and tails overlap. A large file is loaded alone:
//! its reader already keeps every core busy, and two at once would double the memory a load
//! may hold.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::PipelineError;

/// Survey files up to this size are small: one block of the survey reader's scan, so one core
/// reads the whole file.
pub const SMALL_FILE: u64 = 4 << 20;

/// Log files up to this size load two at a time: a national night's files are a kommun's
/// system's day, 6–20 MB, and each load holds at most its write budget and a few chunks.
pub const SMALL_LOG_FILE: u64 = 64 << 20;

/// Which files of a source count as small, and how many small ones load at once.
#[derive(Debug, Clone, Copy)]
pub struct Together {
    pub small: u64,
    pub at_once: usize,
}

impl Together {
    /// Survey files: their loads mostly wait on the disk, so more than the cores at once.
    pub fn surveys() -> Self {
        Self {
            small: SMALL_FILE,
            at_once: 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// Log files: each load's parsing uses every core already, so two, to overlap one's tail.
    pub fn logs() -> Self {
        Self {
            small: SMALL_LOG_FILE,
            at_once: 2,
        }
    }
}

/// Loads each of `files` with `load` and hands each result to `done` in the files' order, as
/// soon as it and every file before it are loaded. Stops at the first error `done` returns:
/// no load starts after it, loads already running finish (each is its own commit).
pub fn load_in_order<F: AsRef<Path> + Sync, T: Send>(
    files: &[F],
    together: Together,
    load: impl Fn(&F) -> T + Sync,
    mut done: impl FnMut(&F, T) -> Result<(), PipelineError>,
) -> Result<(), PipelineError> {
    let mut i = 0;
    while i < files.len() {
        let run = files[i..]
            .iter()
            .take_while(|f| is_small(f.as_ref(), together.small))
            .count();
        if run < 2 {
            done(&files[i], load(&files[i]))?;
            i += 1;
            continue;
        }
        load_group(&files[i..i + run], together.at_once, &load, &mut done)?;
        i += run;
    }
    Ok(())
}

fn is_small(f: &Path, small: u64) -> bool {
    // A file that cannot be read counts as small: its load fails at once with its reason.
    std::fs::metadata(f).map_or(true, |m| m.len() <= small)
}

/// A run of small files, several loads at a time, each result handed on in the run's order.
fn load_group<F: Sync, T: Send>(
    group: &[F],
    at_once: usize,
    load: &(impl Fn(&F) -> T + Sync),
    done: &mut impl FnMut(&F, T) -> Result<(), PipelineError>,
) -> Result<(), PipelineError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, T)>();
    std::thread::scope(|s| {
        for _ in 0..at_once.min(group.len()) {
            let tx = tx.clone();
            let (next, stop) = (&next, &stop);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = group.get(k) else { break };
                    if tx.send((k, load(f))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Results arrive in any order; each waits here until the files before it are done.
        let mut waiting = std::collections::BTreeMap::new();
        let mut handed = 0;
        for (k, r) in rx {
            waiting.insert(k, r);
            while let Some(r) = waiting.remove(&handed) {
                if let Err(e) = done(&group[handed], r) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
                handed += 1;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    fn files(dir: &Path, sizes: &[u64]) -> Vec<PathBuf> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let p = dir.join(format!("{i:02}.csv"));
                std::fs::File::create(&p).unwrap().set_len(len).unwrap();
                p
            })
            .collect()
    }

    /// How many loads run at once, and the most there ever were while each file loaded.
    #[derive(Default)]
    struct Overlap {
        now: AtomicUsize,
        seen: Mutex<Vec<(PathBuf, usize)>>,
    }

    impl Overlap {
        fn load(&self, f: &Path, pause: Duration) -> PathBuf {
            let at_start = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            std::thread::sleep(pause);
            let at_end = self.now.fetch_sub(1, Ordering::SeqCst);
            let most = at_start.max(at_end);
            self.seen.lock().unwrap().push((f.to_path_buf(), most));
            f.to_path_buf()
        }
        fn most(&self, f: &Path) -> usize {
            let seen = self.seen.lock().unwrap();
            seen.iter().find(|(p, _)| p == f).unwrap().1
        }
    }

    #[test]
    fn small_files_load_together_a_large_one_alone_and_results_come_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut sizes = vec![1_000; 12];
        sizes[6] = SMALL_FILE + 1;
        let files = files(dir.path(), &sizes);
        let overlap = Overlap::default();
        // Earlier files take longer, so loads finish out of order.
        let load = |f: &PathBuf| {
            let k = files.iter().position(|p| p == f).unwrap() as u64;
            overlap.load(f, Duration::from_millis(5 + 5 * (12 - k)))
        };
        let mut handed = Vec::new();
        load_in_order(&files, Together::surveys(), load, |f, r| {
            assert_eq!(f, &r, "a file's result is handed with its own path");
            handed.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(handed, files, "every result, in the files' order");
        let together = Together::surveys().at_once.min(6);
        assert!(together >= 2, "this test needs room for two loads");
        assert!(
            files[..6].iter().any(|f| overlap.most(f) >= 2),
            "the first six (small) files were loaded one at a time"
        );
        assert_eq!(overlap.most(&files[6]), 1, "the large file loads alone");
    }

    #[test]
    fn log_files_of_a_day_load_two_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        // Larger than a small survey file, within a small log file.
        let files = files(dir.path(), &vec![SMALL_FILE + 1; 6]);
        let overlap = Overlap::default();
        let load = |f: &PathBuf| overlap.load(f, Duration::from_millis(30));
        let mut handed = Vec::new();
        load_in_order(&files, Together::logs(), load, |_, r| {
            handed.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(handed, files, "every result, in the files' order");
        let most = files.iter().map(|f| overlap.most(f)).max().unwrap();
        assert_eq!(most, 2, "log files load two at a time, never more");
    }

    #[test]
    fn no_load_starts_after_a_result_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let at_once = Together::surveys().at_once;
        let n = 3 + 4 * at_once;
        let files = files(dir.path(), &vec![10; n]);
        let started = AtomicUsize::new(0);
        let load = |f: &PathBuf| {
            started.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(10));
            f.to_path_buf()
        };
        let mut handed = 0;
        let err = load_in_order(&files, Together::surveys(), load, |f, _| {
            handed += 1;
            if *f == files[2] {
                return Err(PipelineError::Io {
                    what: "test refuses",
                    path: f.to_path_buf(),
                    source: std::io::Error::other("refused"),
                });
            }
            Ok(())
        })
        .unwrap_err();
        assert!(matches!(err, PipelineError::Io { ref path, .. } if path == &files[2]));
        assert_eq!(handed, 3, "nothing is handed on after the refusal");
        let started = started.load(Ordering::SeqCst);
        // Those running at the refusal finish, and a few that finished out of order may have
        // started one more each; the rest never start.
        assert!(
            started <= 3 + 2 * at_once,
            "{started} of {n} loads started after the third was refused"
        );
    }
}
