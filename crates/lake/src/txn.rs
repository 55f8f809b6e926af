//! Atomic commits.
//!
//! The protocol, and why each step is there:
//! 1. Every file is written under `_staging/<txn>/` and fsynced. A crash here leaves only
//!    staging, which no reader globs and which the next [`Lake::open`] deletes.
//! 2. A journal listing the renames and deletions is written to `_txn/<txn>.json.tmp`, fsynced
//!    and renamed to `_txn/<txn>.json`. That rename is the commit point.
//! 3. Deletions (of files the commit replaces without overwriting), then one `rename(2)` per
//!    file into place, then the parent directories are fsynced. Each file appears whole.
//! 4. The journal and staging are removed.
//!
//! A crash during 3 leaves a journal, so the next [`Lake::open`] rolls the commit forward:
//! renames whose staged file is gone already happened, deletions of absent files are no-ops.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use friktion_core::schema::TableDef;
use serde::{Deserialize, Serialize};

use crate::io::{encode_partition_value, write_parquet, writer_properties};
use crate::remote::delta::{NewFile, TableChange};
use crate::remote::{TableObject, TableObjects};
use crate::{JOURNALS, Lake, LakeError, MARTS, Result, STAGING, failpoint};
use parquet::arrow::ArrowWriter;

static COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    /// (staged, final), relative to the lake root.
    renames: Vec<(PathBuf, PathBuf)>,
    /// Files to remove, relative to the lake root.
    deletes: Vec<PathBuf>,
}

/// A set of file writes and deletions that become visible together.
pub struct Txn<'a> {
    lake: &'a Lake,
    id: String,
    journal: Journal,
    /// Once the journal exists, staging belongs to the roll-forward and must not be removed.
    journaled: bool,
    /// Staged files of a lake on object storage uploaded before the commit, for a cluster to
    /// read ([`Txn::staged_mart`]): staged path → (name in the bucket, size). The commit adds
    /// them without uploading again.
    uploaded: std::collections::HashMap<PathBuf, (String, u64)>,
    /// Whether the staging directory exists yet. Atomic, not a `Cell`, because staging takes
    /// `&self` and a `Txn` is shared by reference with the survey sink's writer thread, so it
    /// must stay `Sync`; two threads that both see `false` both create the directory, which is
    /// harmless.
    staging_made: std::sync::atomic::AtomicBool,
}

impl<'a> Txn<'a> {
    pub(crate) fn begin(lake: &'a Lake) -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let id = format!(
            "{nanos:020}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        Ok(Self {
            lake,
            id,
            journal: Journal::default(),
            journaled: false,
            uploaded: Default::default(),
            staging_made: Default::default(),
        })
    }

    fn staging(&self) -> PathBuf {
        self.lake.root.join(STAGING).join(&self.id)
    }

    /// Where `rel` is staged: flat in the transaction's one directory, named uniquely, so that
    /// a commit makes one directory rather than one per table and partition (the journal
    /// names every file's place).
    fn staged_rel(&self, rel: &Path) -> Result<PathBuf> {
        let dir = Path::new(STAGING).join(&self.id);
        if !self.staging_made.load(Ordering::Relaxed) {
            staging_dir(&self.lake.root.join(&dir))?;
            self.staging_made.store(true, Ordering::Relaxed);
        }
        let name = rel.file_name().unwrap_or_default().to_string_lossy();
        Ok(dir.join(format!(
            "{}-{name}",
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )))
    }

    /// Stages one file of `def`, in the partition given by `partition` (one value per partition
    /// column, in order), named `part-<stem>.parquet`. Batches must match the table's file
    /// schema exactly: the lake contract is enforced here, at the only door into the lake.
    pub fn write_table(
        &mut self,
        def: &TableDef,
        partition: &[&str],
        stem: &str,
        batches: &[RecordBatch],
    ) -> Result<u64> {
        let schema = def.file_schema();
        check_partition(def, partition)?;
        for b in batches {
            if b.schema().fields() != schema.fields() {
                return Err(LakeError::Contract {
                    table: def.name.into(),
                    problem: format!("batch schema {:?} differs from {:?}", b.schema(), schema),
                });
            }
        }
        let rel = table_rel(def, partition, stem);
        self.stage(rel, &schema, batches)
    }

    /// Opens a staged file of `def` to be written batch by batch, for outputs too large to
    /// hold in memory. It becomes part of the commit only through [`Txn::close_file`]: a file
    /// dropped unfinished is never renamed into place.
    pub fn create_file(&self, def: &TableDef, partition: &[&str], stem: &str) -> Result<TableFile> {
        check_partition(def, partition)?;
        let rel = table_rel(def, partition, stem);
        let staged_rel = self.staged_rel(&rel)?;
        let path = self.lake.root.join(&staged_rel);
        let file = std::fs::File::create(&path).map_err(|e| LakeError::io(&path, e))?;
        let schema = def.file_schema();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(writer_properties()))
            .map_err(|e| LakeError::parquet(&path, e))?;
        Ok(TableFile {
            table: def.name,
            rel,
            staged_rel,
            path,
            schema,
            writer,
            rows: 0,
        })
    }

    /// Finishes a file from [`Txn::create_file`], makes it durable and adds it to the commit.
    pub fn close_file(&mut self, f: TableFile) -> Result<u64> {
        let file = f
            .writer
            .into_inner()
            .map_err(|e| LakeError::parquet(&f.path, e))?;
        file.sync_all().map_err(|e| LakeError::io(&f.path, e))?;
        self.journal.renames.retain(|(_, r)| r != &f.rel);
        self.journal.renames.push((f.staged_rel, f.rel));
        Ok(f.rows)
    }

    /// Stages a mart: its directory is replaced whole by one file.
    pub fn write_mart(
        &mut self,
        name: &str,
        schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<u64> {
        self.write_dir(&format!("{MARTS}/{name}"), schema, batches)
    }

    /// Where a mart staged by [`Txn::write_mart`] can be read before the commit, by any query
    /// engine that reaches the lake: on object storage the file is uploaded now, under the
    /// name the commit gives it, which no lake version names until the commit does (a run
    /// that fails deletes it; a killed one leaves it to [`Lake::vacuum`]); in a local lake it
    /// is the staged file itself.
    pub fn staged_mart(&mut self, name: &str) -> Result<TableObjects> {
        let rel = Path::new(MARTS).join(name).join("part-0.parquet");
        let staged_rel = self
            .journal
            .renames
            .iter()
            .find(|(_, f)| f == &rel)
            .map(|(s, _)| s.clone())
            .ok_or_else(|| LakeError::Contract {
                table: format!("{MARTS}/{name}"),
                problem: "read before it was staged".into(),
            })?;
        let local = self.lake.root.join(&staged_rel);
        let (_, schema) = footer(&local)?;
        let (store_url, key, size) = match self.lake.remote.clone() {
            Some(remote) => {
                let unique = unique_name(&rel, &self.id);
                let size = remote.upload(&local, &unique)?;
                self.uploaded.insert(staged_rel, (unique.clone(), size));
                let (mut bucket, _) = remote.bucket_store();
                bucket.set_path("");
                let url = bucket.to_string().trim_end_matches('/').to_string();
                (url, remote.key(&unique).to_string(), size)
            }
            None => {
                let abs = std::path::absolute(&local).map_err(|e| LakeError::io(&local, e))?;
                let key = object_store::path::Path::from_absolute_path(&abs).map_err(|e| {
                    LakeError::io(
                        &abs,
                        std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
                    )
                })?;
                let size = std::fs::metadata(&abs)
                    .map_err(|e| LakeError::io(&abs, e))?
                    .len();
                ("file://".to_string(), key.to_string(), size)
            }
        };
        Ok(TableObjects {
            store_url,
            schema,
            partition_cols: vec![],
            files: vec![TableObject {
                key,
                size,
                partition: vec![],
            }],
        })
    }

    /// Stages a directory's whole content (`dir`, relative to the lake root) as one file,
    /// `part-0.parquet`: every other file in it goes.
    pub fn write_dir(
        &mut self,
        dir: &str,
        schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<u64> {
        let target = Path::new(dir).join("part-0.parquet");
        self.delete_under(dir, Some(&target))?;
        self.stage(target, schema, batches)
    }

    /// Marks every file under `dir` (relative to the lake root) for deletion, but `keep`.
    fn delete_under(&mut self, dir: &str, keep: Option<&Path>) -> Result<()> {
        for f in self.lake.files_under(dir)? {
            let rel = PathBuf::from(f.rel);
            if Some(rel.as_path()) != keep {
                self.journal.deletes.push(rel);
            }
        }
        Ok(())
    }

    /// Marks the files of every directory under `parent` (relative to the lake root) whose
    /// name is not in `keep` for removal: a table no longer published goes.
    pub fn remove_dirs_except(&mut self, parent: &str, keep: &[&str]) -> Result<()> {
        for name in self.lake.dirs_under(parent)? {
            if !keep.contains(&name.as_str()) {
                self.delete_under(&format!("{parent}/{name}"), None)?;
            }
        }
        Ok(())
    }

    /// Marks every file of `def` for deletion; files the transaction also writes are
    /// overwritten by their rename instead.
    pub fn replace_table(&mut self, def: &TableDef) -> Result<()> {
        self.delete_under(def.name, None)
    }

    /// Marks every file named `part-<stem>.parquet` in `def`, in any partition, for deletion:
    /// a source that changed gives up all the rows it gave before. Files the transaction also
    /// writes are overwritten by their rename instead, so readers never see a gap.
    pub fn replace_source(&mut self, def: &TableDef, stem: &str) -> Result<()> {
        for rel in self.lake.files_of_stem(def.name, stem)? {
            self.journal.deletes.push(PathBuf::from(rel));
        }
        Ok(())
    }

    fn stage(&mut self, rel: PathBuf, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<u64> {
        let staged_rel = self.staged_rel(&rel)?;
        let path = self.lake.root.join(&staged_rel);
        let rows = write_parquet(&path, schema, batches)?;
        self.journal.renames.retain(|(_, f)| f != &rel);
        self.journal.renames.push((staged_rel, rel));
        Ok(rows)
    }

    /// Makes every staged write and deletion visible, or none of them.
    pub fn commit(mut self) -> Result<()> {
        if self.lake.remote.is_some() {
            return self.commit_remote();
        }
        let root = self.lake.root.clone();
        if !self.journal.renames.is_empty() {
            fsync_dir(&self.staging())?;
        }
        failpoint("lake.before_journal")?;
        // Readers wait from the commit point until every file is in place.
        let gate = crate::gate::commit(&root)?;
        let jdir = root.join(JOURNALS);
        std::fs::create_dir_all(&jdir).map_err(|e| LakeError::io(&jdir, e))?;
        let jpath = jdir.join(format!("{}.json", self.id));
        let tmp = jdir.join(format!("{}.json.tmp", self.id));
        let body = serde_json::to_vec(&self.journal).expect("journal serialises");
        write_durable(&tmp, &body)?;
        std::fs::rename(&tmp, &jpath).map_err(|e| LakeError::io(&jpath, e))?;
        fsync_dir(&jdir)?;
        self.journaled = true;
        failpoint("lake.after_journal")?;
        let applied = apply(&root, &self.journal);
        self.lake.index_commit(
            &self.journal.renames,
            &self.journal.deletes,
            applied.is_ok(),
        );
        applied?;
        std::fs::remove_file(&jpath).map_err(|e| LakeError::io(&jpath, e))?;
        gate.bump(&root)?;
        drop(gate);
        let _ = std::fs::remove_dir_all(self.staging());
        // Succeeds only when no other transaction is staging: an empty _staging/ is clutter.
        let _ = std::fs::remove_dir(self.lake.root.join(STAGING));
        Ok(())
    }
}

impl Drop for Txn<'_> {
    fn drop(&mut self) {
        if !self.journaled {
            // Never visible; removing it is tidiness, and Lake::open does it anyway.
            let _ = std::fs::remove_dir_all(self.staging());
            if let Some(remote) = &self.lake.remote {
                for (unique, _) in self.uploaded.values() {
                    let _ = remote.delete(unique);
                }
            }
        }
    }
}

/// A transaction's id: `<nanos, 20 digits>-<pid>-<counter>`. On object storage it is part of
/// every file name the transaction uploads.
pub(crate) fn is_txn_id(s: &str) -> bool {
    let mut parts = s.split('-');
    let (Some(nanos), Some(pid), Some(n), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    nanos.len() == 20 && digits(nanos) && digits(pid) && digits(n)
}

fn check_partition(def: &TableDef, partition: &[&str]) -> Result<()> {
    if partition.len() == def.partition_cols.len() {
        return Ok(());
    }
    Err(LakeError::Contract {
        table: def.name.into(),
        problem: format!(
            "{} partition values given for columns {:?}",
            partition.len(),
            def.partition_cols
        ),
    })
}

/// `<table>/<col>=<value>/…/part-<stem>.parquet`, relative to the lake root.
fn table_rel(def: &TableDef, partition: &[&str], stem: &str) -> PathBuf {
    let mut rel = PathBuf::from(def.name);
    for (c, v) in def.partition_cols.iter().zip(partition) {
        rel.push(format!("{c}={}", encode_partition_value(v)));
    }
    rel.push(format!("part-{stem}.parquet"));
    rel
}

/// A lake file written in pieces; see [`Txn::create_file`].
pub struct TableFile {
    table: &'static str,
    rel: PathBuf,
    staged_rel: PathBuf,
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<std::fs::File>,
    rows: u64,
}

impl TableFile {
    /// Appends a batch, which must have the table's file schema exactly.
    pub fn write(&mut self, b: &RecordBatch) -> Result<()> {
        if b.schema().fields() != self.schema.fields() {
            return Err(LakeError::Contract {
                table: self.table.into(),
                problem: format!(
                    "batch schema {:?} differs from {:?}",
                    b.schema(),
                    self.schema
                ),
            });
        }
        self.rows += b.num_rows() as u64;
        self.writer
            .write(b)
            .map_err(|e| LakeError::parquet(&self.path, e))
    }

    /// Bytes buffered for the row group in progress: what this file holds in memory.
    pub fn buffered_bytes(&self) -> usize {
        self.writer.in_progress_size()
    }

    /// Ends the row group in progress early, to give its memory back.
    pub fn flush(&mut self) -> Result<()> {
        self.writer
            .flush()
            .map_err(|e| LakeError::parquet(&self.path, e))
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }
}

fn apply(root: &Path, j: &Journal) -> Result<()> {
    for d in &j.deletes {
        if j.renames.iter().any(|(_, f)| f == d) {
            continue;
        }
        match std::fs::remove_file(root.join(d)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(LakeError::io(&root.join(d), e)),
        }
    }
    let mut first = true;
    for (staged, fin) in &j.renames {
        let (s, f) = (root.join(staged), root.join(fin));
        if !s.exists() {
            if f.exists() {
                continue; // rolled forward already
            }
            return Err(LakeError::Journal {
                path: s,
                problem: "staged file and its target are both missing".into(),
            });
        }
        let dir = f.parent().expect("target has a parent");
        std::fs::create_dir_all(dir).map_err(|e| LakeError::io(dir, e))?;
        std::fs::rename(&s, &f).map_err(|e| LakeError::io(&f, e))?;
        if first {
            failpoint("lake.after_first_rename")?;
            first = false;
        }
    }
    let mut dirs: Vec<PathBuf> = j
        .renames
        .iter()
        .map(|(_, f)| f)
        .chain(&j.deletes)
        .filter_map(|f| root.join(f).parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        if d.exists() {
            fsync_dir(&d)?;
        }
    }
    Ok(())
}

/// Rolls forward every journaled commit and discards unjournaled staging.
pub(crate) fn recover(lake: &Lake) -> Result<()> {
    let root = &lake.root;
    let jdir = root.join(JOURNALS);
    if jdir.exists() {
        let gate = crate::gate::commit(root)?;
        let mut journals: Vec<PathBuf> = std::fs::read_dir(&jdir)
            .map_err(|e| LakeError::io(&jdir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        journals.sort();
        for p in journals {
            let name = p.to_string_lossy();
            if name.ends_with(".json.tmp") {
                std::fs::remove_file(&p).map_err(|e| LakeError::io(&p, e))?;
            } else if name.ends_with(".json") {
                let bytes = std::fs::read(&p).map_err(|e| LakeError::io(&p, e))?;
                let j: Journal =
                    serde_json::from_slice(&bytes).map_err(|e| LakeError::Journal {
                        path: p.clone(),
                        problem: e.to_string(),
                    })?;
                apply(root, &j)?;
                std::fs::remove_file(&p).map_err(|e| LakeError::io(&p, e))?;
            }
        }
        fsync_dir(&jdir)?;
        gate.bump(root)?;
    }
    let staging = root.join(STAGING);
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| LakeError::io(&staging, e))?;
    }
    Ok(())
}

/// Creates a staging directory. Another transaction's commit removes `_staging/` when it is
/// empty, which can fall between creating `_staging/` and the directory inside it: that
/// NotFound is a race lost, not a failure, and is tried again. Once the directory exists,
/// `_staging/` is not empty and stays.
fn staging_dir(dir: &Path) -> Result<()> {
    let mut tries = 0;
    loop {
        match std::fs::create_dir_all(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && tries < 8 => tries += 1,
            r => return r.map_err(|e| LakeError::io(dir, e)),
        }
    }
}

fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(|e| LakeError::io(path, e))?;
    f.write_all(bytes).map_err(|e| LakeError::io(path, e))?;
    f.sync_all().map_err(|e| LakeError::io(path, e))
}

fn fsync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| LakeError::io(dir, e))
}

impl Txn<'_> {
    /// The commit on object storage (see [`crate::remote`]): every staged file is uploaded
    /// under a name carrying this transaction's id, each table gets one Delta commit, and the
    /// next lake version record makes them all visible at once.
    fn commit_remote(mut self) -> Result<()> {
        let remote = self.lake.remote.clone().expect("a remote lake");
        failpoint("lake.before_journal")?;
        match &self.lake.lease {
            Some(l) => l.check()?,
            None => {
                return Err(LakeError::Conflict {
                    location: remote.url().to_string(),
                    problem: "the lake was opened to read; a writer opens it with its lease".into(),
                });
            }
        }
        let root = self.lake.root.clone();
        let mut changes: std::collections::BTreeMap<String, TableChange> = Default::default();
        for (staged, rel) in &self.journal.renames {
            let rel = rel.to_string_lossy().replace('\\', "/");
            let table = crate::files::table_of(&rel).to_string();
            let local = root.join(staged);
            let (rows, schema) = footer(&local)?;
            let change = changes
                .entry(table.clone())
                .or_insert_with(|| TableChange::of(&table, schema));
            let partition_cols = change.partition_cols.clone();
            let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
            let (unique, size) = match self.uploaded.get(staged) {
                Some(done) => done.clone(),
                None => {
                    let unique = unique_name(Path::new(&rel), &self.id);
                    let size = remote.upload(&local, &unique)?;
                    (unique, size)
                }
            };
            let file = crate::LakeFile {
                rel: rel.clone(),
                modified: None,
                rows: None,
            };
            let values = file.partition(
                &table,
                &partition_cols
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            )?;
            // A file written under a name the table holds already replaces that file.
            for old in self.lake.files_under(dir)? {
                if old.rel.rsplit_once('/').map(|(d, _)| d) == Some(dir)
                    && old.stem() == file.stem()
                {
                    change.removes.push(old.rel);
                }
            }
            change.adds.push(NewFile {
                rel: unique,
                size,
                rows,
                partition: partition_cols.iter().cloned().zip(values).collect(),
            });
        }
        for d in &self.journal.deletes {
            let d = d.to_string_lossy().replace('\\', "/");
            let table = crate::files::table_of(&d).to_string();
            changes
                .entry(table.clone())
                .or_insert_with(|| {
                    // Only removals: the table stays, files go (a table no longer published).
                    let empty = std::sync::Arc::new(arrow::datatypes::Schema::empty());
                    TableChange {
                        whole: false,
                        ..TableChange::of(&table, empty)
                    }
                })
                .removes
                .push(d);
        }
        failpoint("lake.after_journal")?;
        // Only removals from a table no version holds: nothing to do there.
        let known = remote.pinned().tables;
        changes.retain(|t, c| !c.adds.is_empty() || known.contains_key(t));
        // From here on a version may name the early uploads: a failure must not delete them.
        self.uploaded.clear();
        if !changes.is_empty() {
            remote.commit(changes.into_values().collect())?;
        }
        self.journaled = false;
        let _ = std::fs::remove_dir_all(self.staging());
        let _ = std::fs::remove_dir(root.join(STAGING));
        self.journal = Journal::default();
        Ok(())
    }
}

/// The name a staged file gets in the bucket: its own with the transaction's id before the
/// extension, so that a commit never overwrites an object an older lake version names.
fn unique_name(rel: &Path, id: &str) -> String {
    let rel = rel.to_string_lossy().replace('\\', "/");
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", &rel));
    match name.strip_suffix(".parquet") {
        Some(base) => format!("{dir}/{base}.{id}.parquet"),
        None => format!("{dir}/{name}.{id}"),
    }
}

/// Rows and columns of a staged file, from its footer.
fn footer(path: &Path) -> Result<(u64, SchemaRef)> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let f = std::fs::File::open(path).map_err(|e| LakeError::io(path, e))?;
    let r = SerializedFileReader::new(f).map_err(|e| LakeError::parquet(path, e))?;
    let meta = r.metadata().file_metadata();
    let schema =
        parquet::arrow::parquet_to_arrow_schema(meta.schema_descr(), meta.key_value_metadata())
            .map_err(|e| LakeError::parquet(path, e))?;
    Ok((meta.num_rows().max(0) as u64, std::sync::Arc::new(schema)))
}
