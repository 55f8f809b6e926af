//! The lake: plain, hive-partitioned, zstd-compressed Parquet under one root directory (or Delta
//! tables on object storage), written so that a killed process never leaves a half-written file
//! or partition visible.
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
//!
//! A lake on S3-compatible object storage (`s3://bucket/prefix`) has no rename: there every
//! table is a Delta table and the lake's numbered versions pin one Delta version of each (see
//! [`remote`]). The writer stages files locally as above and uploads them at commit.

mod error;
mod files;
pub mod gate;
pub mod io;
pub mod ledger;
pub mod location;
pub mod lock;
pub(crate) mod remote;
pub mod source;
mod stems;
pub mod stream;
pub mod txn;

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use friktion_core::schema::TableDef;

pub use error::LakeError;
pub use files::{LakeFile, listing};
pub use ledger::{FileStat, Ledger, LedgerEntry};
pub use location::{LakeLocation, StoreSettings};
pub use remote::{LakeVersion, TableObject, TableObjects, bucket_store};
pub use source::{LoadError, Loaded, Outcome, Source, SourceWriter};
pub use stream::PartitionedWriter;
pub use txn::{TableFile, Txn};

pub type Result<T, E = LakeError> = std::result::Result<T, E>;

const STAGING: &str = "_staging";
const JOURNALS: &str = "_txn";
pub const MARTS: &str = "marts";
/// Where the publication stage writes the disclosure-protected tables.
pub const PUBLISHED: &str = "published";

/// A lake rooted at a directory, or on object storage (see [`remote`]).
#[derive(Debug, Clone)]
pub struct Lake {
    /// The lake's directory; for a lake on object storage, the local directory where a writer
    /// stages files (and the SQL server keeps its audit log).
    root: PathBuf,
    /// Held by writers ([`Lake::open`]) for as long as any clone of the lake lives.
    lock: Option<std::sync::Arc<lock::LakeLock>>,
    remote: Option<std::sync::Arc<remote::Remote>>,
    /// A writer's lock on object storage, held like `lock`.
    lease: Option<std::sync::Arc<remote::lease::Lease>>,
    /// A local writer's files by source stem (see [`stems`]); `None` for readers, which list.
    stems: Option<std::sync::Arc<std::sync::Mutex<stems::StemIndex>>>,
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
            remote: None,
            lease: None,
            stems: Some(Default::default()),
        };
        txn::recover(&lake)?;
        Ok(lake)
    }

    /// Opens a lake wherever it lives to write. A lake on object storage stages its files in
    /// `work` (a local directory), takes the lake's lease (one writer at a time) and restores
    /// whatever a killed writer committed past the newest lake version.
    pub fn open_at(location: &LakeLocation, settings: &StoreSettings, work: &Path) -> Result<Self> {
        let url = match location {
            LakeLocation::Local(p) => return Self::open(p),
            LakeLocation::ObjectStore(u) => u,
        };
        let remote = std::sync::Arc::new(remote::Remote::connect(url, settings)?);
        let lease = remote::lease::Lease::acquire(remote.clone(), settings.lease())?;
        remote.recover()?;
        std::fs::create_dir_all(work).map_err(|e| LakeError::io(work, e))?;
        let staging = work.join(STAGING);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| LakeError::io(&staging, e))?;
        }
        Ok(Self {
            root: work.to_path_buf(),
            lock: None,
            remote: Some(remote),
            lease: Some(std::sync::Arc::new(lease)),
            stems: None,
        })
    }

    /// Opens a lake wherever it lives to read; `work` is a local directory for what a reader
    /// keeps beside it (the SQL server's audit log), used only for a lake on object storage.
    pub fn open_read_at(
        location: &LakeLocation,
        settings: &StoreSettings,
        work: &Path,
    ) -> Result<Self> {
        match location {
            LakeLocation::Local(p) => Self::open_read(p),
            LakeLocation::ObjectStore(u) => Ok(Self {
                root: work.to_path_buf(),
                lock: None,
                remote: Some(std::sync::Arc::new(remote::Remote::connect(u, settings)?)),
                lease: None,
                stems: None,
            }),
        }
    }

    /// Whether the lake is on object storage (Delta tables) rather than in a directory.
    pub fn is_remote(&self) -> bool {
        self.remote.is_some()
    }

    /// Where the lake lives.
    pub fn location(&self) -> LakeLocation {
        match &self.remote {
            Some(r) => LakeLocation::ObjectStore(r.url().clone()),
            None => LakeLocation::Local(self.root.clone()),
        }
    }

    /// The lake version read (object storage: the newest when opened or last looked at;
    /// `None` for a local lake, which has no versions).
    pub fn version(&self) -> Option<LakeVersion> {
        self.remote.as_ref().map(|r| r.pinned())
    }

    /// Reads the lake as of an earlier version (object storage only), so that a published
    /// figure can be recomputed from the data it was computed from.
    pub fn pin_version(&self, version: u64) -> Result<LakeVersion> {
        match &self.remote {
            Some(r) => r.pin(version),
            None => Err(LakeError::Location {
                location: self.root.display().to_string(),
                problem: "a local lake keeps no versions; only a lake on object storage does"
                    .into(),
            }),
        }
    }

    /// Deletes superseded files a lake on object storage keeps for reading earlier versions,
    /// once they have been superseded for longer than `retain`, and uploads a killed writer
    /// left. Returns the files deleted; a local lake deletes superseded files at commit and
    /// has nothing to do.
    pub fn vacuum(&self, retain: std::time::Duration) -> Result<usize> {
        match (&self.remote, &self.lease) {
            (Some(r), Some(l)) => {
                l.check()?;
                r.vacuum(retain)
            }
            _ => Ok(0),
        }
    }

    /// The bucket of a lake on object storage and the store that reaches it, for a query
    /// engine in this process to read [`TableObjects`] with.
    pub fn object_store(
        &self,
    ) -> Option<(url::Url, std::sync::Arc<dyn object_store::ObjectStore>)> {
        self.remote.as_ref().map(|r| r.bucket_store())
    }

    /// A table of a lake on object storage as an engine reads it without Delta: its files in
    /// the version read ([`TableObjects`]). `None` for a local lake, or a table that version
    /// lacks.
    pub fn table_objects(&self, rel_dir: &str) -> Result<Option<TableObjects>> {
        match &self.remote {
            Some(r) => r.objects(rel_dir.trim_end_matches('/')),
            None => Ok(None),
        }
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
        Ok(Self {
            root,
            lock: None,
            remote: None,
            lease: None,
            stems: None,
        })
    }

    /// Holds the lake still for a reader (see [`gate`]); blocks while a commit moves files.
    /// On object storage nothing moves: the reader looks for a newer lake version and reads
    /// as of it.
    pub fn read_gate(&self) -> Result<gate::ReadGuard> {
        match &self.remote {
            Some(r) => Ok(gate::ReadGuard::version(r.refresh()?.version)),
            None => gate::read(&self.root),
        }
    }

    /// A commit a writer journaled but did not finish (it died moving files into place): what
    /// readers would see is part old, part new, until the next writer opens the lake and rolls
    /// it forward. Checked by readers while they hold the gate.
    pub fn unfinished_commit(&self) -> Option<PathBuf> {
        if self.remote.is_some() {
            // Readers read as of a lake version, which a killed writer never wrote.
            return None;
        }
        let jdir = self.root.join(JOURNALS);
        std::fs::read_dir(&jdir).ok()?.find_map(|e| {
            let p = e.ok()?.path();
            p.to_string_lossy().ends_with(".json").then_some(p)
        })
    }

    /// The owner a dead writer left in the lock, when this writer took it over.
    pub fn took_over_lock(&self) -> Option<&str> {
        self.lock
            .as_ref()
            .and_then(|l| l.took_over.as_deref())
            .or_else(|| self.lease.as_ref().and_then(|l| l.took_over.as_deref()))
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
        self.read_logical(def.name, &def.schema(), def.partition_cols)
    }

    /// The directory of a published (disclosure-protected) table.
    pub fn published_dir(&self, name: &str) -> PathBuf {
        self.root.join(PUBLISHED).join(name)
    }

    /// Reads a published table.
    pub fn read_published(&self, name: &str) -> Result<Vec<RecordBatch>> {
        self.read_any(&format!("{PUBLISHED}/{name}"))
    }

    /// Reads a mart (no partition columns).
    pub fn read_mart(&self, name: &str) -> Result<Vec<RecordBatch>> {
        self.read_any(&format!("{MARTS}/{name}"))
    }

    /// Stats of every contract table that has files, in the contract's order.
    pub fn table_stats(&self) -> Result<Vec<TableStats>> {
        let mut out = Vec::new();
        for t in friktion_core::LakeTable::ALL {
            let def = t.def();
            let st = self.stats_of(def.name, def.name, def.partition_cols)?;
            if st.files > 0 {
                out.push(st);
            }
        }
        Ok(out)
    }

    /// The partitions of a table that hold a file of the source named `stem`: where a source
    /// put its rows, so that replacing it knows which partitions change.
    pub fn source_partitions(&self, def: &TableDef, stem: &str) -> Result<Vec<Vec<String>>> {
        let mut out = Vec::new();
        for f in self.files_under(def.name)? {
            if f.stem() == stem {
                out.push(f.partition(def.name, def.partition_cols)?);
            }
        }
        Ok(out)
    }

    /// Every file of one partition of a table, with its time.
    pub fn partition_files(&self, def: &TableDef, partition: &[&str]) -> Result<Vec<LakeFile>> {
        let mut dir = def.name.to_string();
        for (c, v) in def.partition_cols.iter().zip(partition) {
            dir.push_str(&format!("/{c}={}", io::encode_partition_value(v)));
        }
        self.files_with_times(&dir)
    }

    /// When a file last left a partition of a table (a removal shows in no remaining file):
    /// a local lake's directory time, or the newest removal the Delta log keeps.
    pub fn partition_removed_at(
        &self,
        def: &TableDef,
        partition: &[&str],
    ) -> Result<Option<std::time::SystemTime>> {
        let mut dir = def.name.to_string();
        for (c, v) in def.partition_cols.iter().zip(partition) {
            dir.push_str(&format!("/{c}={}", io::encode_partition_value(v)));
        }
        let Some(r) = &self.remote else {
            return Ok(std::fs::metadata(self.root.join(dir))
                .and_then(|m| m.modified())
                .ok());
        };
        let prefix = format!("{dir}/");
        Ok(r.removed(def.name)?
            .iter()
            .filter(|(rel, _)| rel.starts_with(&prefix))
            .map(|(_, ms)| {
                std::time::UNIX_EPOCH + std::time::Duration::from_millis((*ms).max(0) as u64)
            })
            .max())
    }

    /// The values of every partition of a table that has files, sorted.
    pub fn partitions(&self, def: &TableDef) -> Result<Vec<Vec<String>>> {
        let mut out = Vec::new();
        for f in self.files_under(def.name)? {
            out.push(f.partition(def.name, def.partition_cols)?);
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

    /// The tables under `marts/` or `published/`, by name, sorted. On object storage, those
    /// the lake version holds files of.
    pub(crate) fn dirs_under(&self, parent: &str) -> Result<Vec<String>> {
        if let Some(r) = &self.remote {
            let prefix = format!("{parent}/");
            let mut names = Vec::new();
            for t in r.pinned().tables.keys() {
                if let Some(name) = t.strip_prefix(&prefix)
                    && !r.files(t)?.is_empty()
                {
                    names.push(name.to_string());
                }
            }
            return Ok(names);
        }
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

    /// Whether a mart has been committed.
    pub fn has_mart(&self, name: &str) -> Result<bool> {
        Ok(!self.files_under(&format!("{MARTS}/{name}"))?.is_empty())
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
    let mut h = ContentHasher::default();
    h.update(bytes);
    h.finish()
}

/// [`content_hash`] of a file handed over a block at a time, so that it is hashed in the same
/// pass that reads it, never held whole.
#[derive(Default)]
pub struct ContentHasher(sha2::Sha256);

impl ContentHasher {
    pub fn update(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.0, bytes);
    }

    pub fn finish(self) -> String {
        hex::encode(sha2::Digest::finalize(self.0))
    }
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
/// as if killed. Points: lake.before_journal, lake.after_journal, lake.after_first_rename,
/// lake.stream_write (a batch streamed into a source's files, before the commit).
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
