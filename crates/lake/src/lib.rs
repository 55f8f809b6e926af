//! The lake: plain, hive-partitioned, zstd-compressed Parquet under one root directory, written
//! so that a killed process never leaves a half-written file or partition visible.
//!
//! Layout:
//!
//! ```text
//! lake/
//!   <table>/[<col>=<value>/]part-<key>.parquet   one file per source file and partition
//!   marts/<model>/part-0.parquet                 outputs of the SQL models
//!   published/<table>/part-0.parquet             the marts as published (disclosure-protected)
//!   _ledger/part-<run>-<key>.parquet             what each run read, wrote, skipped
//!   _staging/<txn>/…                             files being written (never read)
//!   _txn/<txn>.json                              a commit's journal (present only mid-commit)
//!   _gate, _gate.turn, _generation               readers and commits take turns (see [`gate`])
//! ```
//!
//! Readers that glob `lake/<table>/**/*.parquet` see only committed files: staging lives apart,
//! and every visible file appeared through a single `rename(2)`. See [`txn`] for the protocol.

mod error;
pub mod gate;
pub mod io;
pub mod ledger;
pub mod lock;
pub mod source;
pub mod stream;
pub mod txn;

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use friktion_core::schema::TableDef;

pub use error::LakeError;
pub use ledger::{Ledger, LedgerEntry};
pub use source::{LoadError, Loaded, Outcome, Source, SourceWriter};
pub use stream::PartitionedWriter;
pub use txn::{TableFile, Txn};

pub type Result<T, E = LakeError> = std::result::Result<T, E>;

const STAGING: &str = "_staging";
const JOURNALS: &str = "_txn";
pub const MARTS: &str = "marts";
/// Where the publication stage writes the disclosure-protected tables.
pub const PUBLISHED: &str = "published";

/// A lake rooted at a directory.
#[derive(Debug, Clone)]
pub struct Lake {
    root: PathBuf,
    /// Held by writers ([`Lake::open`]) for as long as any clone of the lake lives.
    lock: Option<std::sync::Arc<lock::LakeLock>>,
}

/// Size facts about one table, read from Parquet footers (no data pages are read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableStats {
    pub name: String,
    pub files: usize,
    pub rows: i64,
    pub columns: Vec<String>,
}

impl Lake {
    /// Opens (creating if need be) the lake at `root`, and first finishes or discards whatever
    /// an interrupted process left: journaled commits are rolled forward, bare staging removed.
    ///
    /// Takes the lake's writer lock first (see [`lock`]): a second writer is refused with the
    /// owner's pid and start time, and recovery never runs under a live writer.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| LakeError::io(&root, e))?;
        let lock = lock::LakeLock::acquire(&root)?;
        let lake = Self {
            root,
            lock: Some(std::sync::Arc::new(lock)),
        };
        txn::recover(&lake)?;
        Ok(lake)
    }

    /// Opens the lake to read: no lock, no recovery. Readers see only committed files (staging
    /// is never globbed), so they can run beside a writer.
    pub fn open_read(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if !root.is_dir() {
            return Err(LakeError::io(
                &root,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no lake here"),
            ));
        }
        Ok(Self { root, lock: None })
    }

    /// Holds the lake still for a reader (see [`gate`]); blocks while a commit moves files.
    pub fn read_gate(&self) -> Result<gate::ReadGuard> {
        gate::read(&self.root)
    }

    /// A commit a writer journaled but did not finish (it died moving files into place): what
    /// readers would see is part old, part new, until the next writer opens the lake and rolls
    /// it forward. Checked by readers while they hold the gate.
    pub fn unfinished_commit(&self) -> Option<PathBuf> {
        let jdir = self.root.join(JOURNALS);
        std::fs::read_dir(&jdir).ok()?.find_map(|e| {
            let p = e.ok()?.path();
            p.to_string_lossy().ends_with(".json").then_some(p)
        })
    }

    /// The owner a dead writer left in the lock, when this writer took it over.
    pub fn took_over_lock(&self) -> Option<&str> {
        self.lock.as_ref().and_then(|l| l.took_over.as_deref())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of a lake table.
    pub fn table_dir(&self, def: &TableDef) -> PathBuf {
        self.root.join(def.name)
    }

    /// The directory of a mart.
    pub fn mart_dir(&self, name: &str) -> PathBuf {
        self.root.join(MARTS).join(name)
    }

    /// Starts a transaction: files written through it become visible together on commit.
    pub fn begin(&self) -> Result<Txn<'_>> {
        Txn::begin(self)
    }

    /// Reads a whole table, partition columns included, in a stable file order.
    pub fn read_table(&self, def: &TableDef) -> Result<Vec<RecordBatch>> {
        io::read_dir(&self.table_dir(def), &def.schema(), def.partition_cols)
    }

    /// The directory of a published (disclosure-protected) table.
    pub fn published_dir(&self, name: &str) -> PathBuf {
        self.root.join(PUBLISHED).join(name)
    }

    /// Reads a published table.
    pub fn read_published(&self, name: &str) -> Result<Vec<RecordBatch>> {
        io::read_dir_any(&self.published_dir(name))
    }

    /// Reads a mart (no partition columns).
    pub fn read_mart(&self, name: &str) -> Result<Vec<RecordBatch>> {
        io::read_dir_any(&self.mart_dir(name))
    }

    /// Row and file counts of a table or mart directory, from the Parquet footers.
    pub fn stats(&self, dir: &Path, name: &str, partition_cols: &[&str]) -> Result<TableStats> {
        io::stats(dir, name, partition_cols)
    }

    /// Stats of every contract table that has files, in the contract's order.
    pub fn table_stats(&self) -> Result<Vec<TableStats>> {
        let mut out = Vec::new();
        for t in friktion_core::LakeTable::ALL {
            let def = t.def();
            let st = self.stats(&self.table_dir(&def), def.name, def.partition_cols)?;
            if st.files > 0 {
                out.push(st);
            }
        }
        Ok(out)
    }

    /// The partitions of a table that hold a file named `part-<stem>.parquet`: where a source
    /// put its rows, so that replacing it knows which partitions change.
    pub fn source_partitions(&self, def: &TableDef, stem: &str) -> Result<Vec<Vec<String>>> {
        let dir = self.table_dir(def);
        let name = format!("part-{stem}.parquet");
        let mut out = Vec::new();
        for f in io::parquet_files(&dir)? {
            if f.file_name().is_some_and(|n| n.to_string_lossy() == name) {
                out.push(io::partition_values(&dir, &f, def.partition_cols)?);
            }
        }
        Ok(out)
    }

    /// Every file of one partition of a table.
    pub fn partition_files(&self, def: &TableDef, partition: &[&str]) -> Result<Vec<PathBuf>> {
        let mut dir = self.table_dir(def);
        for (c, v) in def.partition_cols.iter().zip(partition) {
            dir.push(format!("{c}={}", io::encode_partition_value(v)));
        }
        io::parquet_files(&dir)
    }

    /// The values of every partition of a table that has files, sorted.
    pub fn partitions(&self, def: &TableDef) -> Result<Vec<Vec<String>>> {
        let dir = self.table_dir(def);
        let mut out = Vec::new();
        for f in io::parquet_files(&dir)? {
            out.push(io::partition_values(&dir, &f, def.partition_cols)?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The published tables present, by name.
    pub fn published(&self) -> Result<Vec<String>> {
        self.dirs_under(PUBLISHED)
    }

    /// The marts present, by name.
    pub fn marts(&self) -> Result<Vec<String>> {
        self.dirs_under(MARTS)
    }

    /// The directories under a directory of the lake, by name, sorted.
    fn dirs_under(&self, parent: &str) -> Result<Vec<String>> {
        let dir = self.root.join(parent);
        if !dir.exists() {
            return Ok(vec![]);
        }
        let mut names = Vec::new();
        for e in std::fs::read_dir(&dir).map_err(|e| LakeError::io(&dir, e))? {
            let e = e.map_err(|e| LakeError::io(&dir, e))?;
            if e.path().is_dir() {
                names.push(e.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }
}

/// A short, stable key for a source file, used to name the files it gives in every table, so
/// that a changed source replaces exactly its own rows.
pub fn source_key(source_file: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(source_file.as_bytes())[..8])
}

/// SHA-256 of a file's bytes, hex.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

thread_local! {
    static FAILPOINT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// For tests of crash safety in this thread: makes the named point fail with an error.
#[doc(hidden)]
pub fn set_failpoint(name: Option<&str>) {
    FAILPOINT.with(|f| *f.borrow_mut() = name.map(str::to_string));
}

/// For tests of crash safety: the failpoint set in this thread, or `FRIKTION_FAILPOINT=<name>`,
/// makes the named point fail with an error, and `<name>:abort` makes the process abort there
/// as if killed. Points: lake.before_journal, lake.after_journal, lake.after_first_rename.
pub(crate) fn failpoint(name: &str) -> Result<()> {
    if FAILPOINT.with(|f| f.borrow().as_deref() == Some(name)) {
        return Err(LakeError::Injected(name.to_string()));
    }
    let Ok(v) = std::env::var("FRIKTION_FAILPOINT") else {
        return Ok(());
    };
    match v.strip_suffix(":abort") {
        Some(n) if n == name => std::process::abort(),
        _ if v == name => Err(LakeError::Injected(name.to_string())),
        _ => Ok(()),
    }
}
