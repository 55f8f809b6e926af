//! The lake's tables as Delta tables: what a pinned lake version holds, committing a
//! transaction's files table by table, and restoring what a killed writer committed past the
//! newest lake version.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use deltalake::kernel::engine::arrow_conversion::TryFromArrow;
use deltalake::kernel::transaction::CommitBuilder;
use deltalake::kernel::{Action, Add, StructType};
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::{DeltaTable, DeltaTableBuilder};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use super::{LATEST, Remote, VERSIONS};
use crate::{LakeError, Result, failpoint};

/// One version of the whole lake: the Delta version of each of its tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LakeVersion {
    pub version: u64,
    /// By the table's directory relative to the lake root (`survey_response`, `marts/x`).
    pub tables: BTreeMap<String, u64>,
    pub committed_at: String,
}

#[derive(Default)]
pub(crate) struct Pinned {
    pub version: LakeVersion,
    files: HashMap<String, Arc<Vec<RemoteFile>>>,
    removed: HashMap<String, Arc<Vec<(String, i64)>>>,
}

impl Pinned {
    /// Moves to a version this process committed: only the tables it changed are read again.
    fn advance(&mut self, version: LakeVersion) {
        let old = std::mem::take(&mut self.version);
        let changed = |t: &String| old.tables.get(t) != version.tables.get(t);
        self.files.retain(|t, _| !changed(t));
        self.removed.retain(|t, _| !changed(t));
        self.version = version;
    }

    fn set(&mut self, version: LakeVersion) {
        self.files.clear();
        self.removed.clear();
        self.version = version;
    }
}

/// A data file of a table as a lake version holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// Relative to the lake root, decoded: `it_event/day=2024-01-02/part-<stem>.<txn>.parquet`.
    pub rel: String,
    pub size: u64,
    /// When it was added, in milliseconds since the epoch.
    pub modified_ms: i64,
    pub rows: Option<u64>,
}

/// A table's part of a commit.
pub(crate) struct TableChange {
    pub table: String,
    /// The columns in the files, without the partition columns.
    pub schema: SchemaRef,
    pub partition_cols: Vec<String>,
    /// Files uploaded already, named so that no version refers to them yet.
    pub adds: Vec<NewFile>,
    /// Files (relative to the lake root) this commit takes out.
    pub removes: Vec<String>,
    /// Everything the table held goes, and its schema may change (a mart replaced whole).
    pub whole: bool,
}

impl TableChange {
    /// An empty change of `table`: a contract table's file schema and partition columns, or
    /// (a mart, a published table) the schema of the files staged for it.
    pub fn of(table: &str, staged_schema: SchemaRef) -> Self {
        let def = friktion_core::LakeTable::from_name(table).map(|t| t.def());
        Self {
            table: table.to_string(),
            schema: def.as_ref().map_or(staged_schema, |d| d.file_schema()),
            partition_cols: def
                .as_ref()
                .map(|d| d.partition_cols.iter().map(|c| c.to_string()).collect())
                .unwrap_or_default(),
            adds: vec![],
            removes: vec![],
            whole: table.starts_with(crate::MARTS) || table.starts_with(crate::PUBLISHED),
        }
    }
}

pub(crate) struct NewFile {
    pub rel: String,
    pub size: u64,
    pub rows: u64,
    pub partition: Vec<(String, String)>,
}

/// Characters a Delta log path must escape (it is a URI path); '/' separates directories.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'%')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

pub(crate) fn delta_error(table: &str, e: deltalake::DeltaTableError) -> LakeError {
    LakeError::Delta {
        table: table.to_string(),
        problem: e.to_string(),
    }
}

fn version_name(v: u64) -> String {
    format!("{v:020}.json")
}

impl Remote {
    /// Reads the newest lake version and pins it. Returns it.
    ///
    /// Versions accumulate (one per commit), so this lists only the records after the newest
    /// one known: the one pinned, or `_lake/latest.json`, a hint each writer updates after its
    /// record. A stale hint (a writer killed in between) costs one longer listing, never a
    /// wrong answer: the records are the truth.
    pub fn refresh(&self) -> Result<LakeVersion> {
        use futures::TryStreamExt;
        let pinned = self.pinned().version;
        let hint = match self.get(LATEST) {
            Ok(b) => std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .unwrap_or(0),
            Err(_) => 0,
        };
        let known = pinned.max(hint);
        let (store, prefix) = (self.store.clone(), self.key(VERSIONS));
        let offset = self.key(&format!("{VERSIONS}/{}", version_name(known)));
        let listed: Vec<object_store::ObjectMeta> = self
            .block(async move {
                store
                    .list_with_offset(Some(&prefix), &offset)
                    .try_collect()
                    .await
            })
            .map_err(|e| self.store_error(VERSIONS, e))?;
        let newest = listed
            .iter()
            .filter_map(|o| {
                o.location
                    .filename()?
                    .strip_suffix(".json")?
                    .parse::<u64>()
                    .ok()
            })
            .chain((known > 0).then_some(known))
            .max();
        if newest == Some(pinned) {
            return Ok(self.pinned());
        }
        let version = match newest {
            None => LakeVersion::default(),
            Some(n) => self.read_version(n)?,
        };
        let mut p = self.pinned.lock().expect("pinned");
        if p.version != version {
            p.set(version.clone());
        }
        Ok(version)
    }

    fn read_version(&self, n: u64) -> Result<LakeVersion> {
        let rel = format!("{VERSIONS}/{}", version_name(n));
        let bytes = self.get(&rel)?;
        serde_json::from_slice(&bytes).map_err(|e| LakeError::Journal {
            path: self.key(&rel).to_string().into(),
            problem: e.to_string(),
        })
    }

    /// The version this process reads.
    pub fn pinned(&self) -> LakeVersion {
        self.pinned.lock().expect("pinned").version.clone()
    }

    /// Pins an older version (a report recomputed as of the version it names).
    pub fn pin(&self, version: u64) -> Result<LakeVersion> {
        let v = self.read_version(version).map_err(|e| match e {
            LakeError::Store { .. } => LakeError::Location {
                location: self.url.to_string(),
                problem: format!("the lake has no version {version}"),
            },
            other => other,
        })?;
        self.pinned.lock().expect("pinned").set(v.clone());
        Ok(v)
    }

    fn table(&self, table: &str) -> Result<DeltaTable> {
        let url = self.table_url(table);
        DeltaTableBuilder::from_url(url.clone())
            .and_then(|b| {
                b.with_storage_backend(self.store.clone(), url)
                    .with_storage_options(self.options.clone())
                    .build()
            })
            .map_err(|e| delta_error(table, e))
    }

    /// A table loaded as of the pinned lake version; `None` when that version has no such
    /// table.
    pub fn table_at_pinned(&self, table: &str) -> Result<Option<DeltaTable>> {
        let pinned = self
            .pinned
            .lock()
            .expect("pinned")
            .version
            .tables
            .get(table)
            .copied();
        let Some(v) = pinned else {
            return Ok(None);
        };
        let mut t = self.table(table)?;
        let name = table.to_string();
        let t = self
            .block(async move { t.load_version(v).await.map(|()| t) })
            .map_err(|e| delta_error(&name, e))?;
        Ok(Some(t))
    }

    /// The files of a table in the pinned lake version.
    pub fn files(&self, table: &str) -> Result<Arc<Vec<RemoteFile>>> {
        if let Some(f) = self.pinned.lock().expect("pinned").files.get(table) {
            return Ok(f.clone());
        }
        let files = match self.table_at_pinned(table)? {
            None => vec![],
            Some(t) => list_files(table, &t)?,
        };
        let files = Arc::new(files);
        self.pinned
            .lock()
            .expect("pinned")
            .files
            .insert(table.to_string(), files.clone());
        Ok(files)
    }

    /// Files taken out of a table and when (milliseconds since the epoch), as far back as
    /// Delta keeps them (a week by default): a day whose events lost a file must be
    /// recomputed although no remaining file is newer.
    pub fn removed(&self, table: &str) -> Result<Arc<Vec<(String, i64)>>> {
        use futures::TryStreamExt;
        if let Some(r) = self.pinned.lock().expect("pinned").removed.get(table) {
            return Ok(r.clone());
        }
        let Some(t) = self.table_at_pinned(table)? else {
            return Ok(Arc::new(vec![]));
        };
        let name = table.to_string();
        let removed = self
            .block(async move {
                let snapshot = t.snapshot()?;
                let log_store = t.log_store();
                let views: Vec<_> = snapshot
                    .all_tombstones(log_store.as_ref())
                    .try_collect()
                    .await?;
                Ok(views
                    .iter()
                    .map(|v| {
                        (
                            format!("{name}/{}", v.path()),
                            v.deletion_timestamp().unwrap_or(0),
                        )
                    })
                    .collect::<Vec<_>>())
            })
            .map_err(|e| delta_error(table, e))?;
        let removed = Arc::new(removed);
        self.pinned
            .lock()
            .expect("pinned")
            .removed
            .insert(table.to_string(), removed.clone());
        Ok(removed)
    }

    /// Commits each table's change, then the next lake version: the commit point.
    pub fn commit(&self, changes: Vec<TableChange>) -> Result<LakeVersion> {
        let _one = self.committing.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = self.pinned();
        let mut first = true;
        for c in changes {
            let table = c.table.clone();
            let version = self.commit_table(c, next.tables.contains_key(&table))?;
            next.tables.insert(table, version);
            if first {
                failpoint("lake.after_first_table")?;
                first = false;
            }
        }
        failpoint("lake.before_version")?;
        self.write_version(next)
    }

    /// Writes the next lake version, create-only: the commit point.
    fn write_version(&self, mut next: LakeVersion) -> Result<LakeVersion> {
        next.version += 1;
        next.committed_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let body = serde_json::to_vec_pretty(&next).expect("version serialises");
        let rel = format!("{VERSIONS}/{}", version_name(next.version));
        if !self.put(&rel, body.into(), true)? {
            return Err(LakeError::Conflict {
                location: self.url.to_string(),
                problem: format!(
                    "lake version {} was written by another writer meanwhile",
                    next.version
                ),
            });
        }
        // Only a hint for readers (see `refresh`): losing it costs them a longer listing.
        let _ = self.put(LATEST, next.version.to_string().into_bytes().into(), false);
        self.pinned.lock().expect("pinned").advance(next.clone());
        Ok(next)
    }

    fn commit_table(&self, c: TableChange, known: bool) -> Result<u64> {
        let name = c.table.clone();
        let prefix = format!("{}/", c.table);
        let adds: Vec<Action> = c
            .adds
            .iter()
            .map(|f| {
                let rel = f.rel.strip_prefix(&prefix).unwrap_or(&f.rel);
                Action::Add(Add {
                    path: utf8_percent_encode(rel, PATH).to_string(),
                    partition_values: f
                        .partition
                        .iter()
                        .map(|(k, v)| (k.clone(), Some(v.clone())))
                        .collect(),
                    size: f.size as i64,
                    modification_time: chrono::Utc::now().timestamp_millis(),
                    data_change: true,
                    stats: Some(format!("{{\"numRecords\":{}}}", f.rows)),
                    ..Default::default()
                })
            })
            .collect();
        let mut table = self.table(&c.table)?;
        let removes: HashSet<String> = c
            .removes
            .iter()
            .map(|r| r.strip_prefix(&prefix).unwrap_or(r).to_string())
            .collect();
        let fields = delta_fields(&c.table, &c.schema, &c.partition_cols)?;
        let whole = c.whole || !known;
        self.block(async move {
            let exists = table.verify_deltatable_existence().await?;
            if whole || !exists {
                // Also takes over a table a killed writer created but no lake version names.
                let t = CreateBuilder::new()
                    .with_log_store(table.log_store())
                    .with_columns(fields)
                    .with_partition_columns(c.partition_cols.clone())
                    .with_actions(adds)
                    .with_save_mode(SaveMode::Overwrite)
                    .await?;
                return Ok(t.version().unwrap_or(0));
            }
            table.load().await?;
            let snapshot = table.snapshot()?;
            let mut actions = adds;
            for f in snapshot.log_data().iter() {
                if removes.contains(f.path().as_ref()) {
                    actions.push(Action::Remove(f.remove_action(true)));
                }
            }
            let op = DeltaOperation::Write {
                mode: SaveMode::Append,
                partition_by: None,
                predicate: None,
            };
            let done = CommitBuilder::default()
                .with_actions(actions)
                .build(Some(snapshot), table.log_store(), op)
                .await?;
            Ok(done.version())
        })
        .map_err(|e| delta_error(&name, e))
    }

    /// Deletes the files no version younger than `retain` refers to, and files a killed
    /// writer uploaded but never committed once they are that old (Delta's full VACUUM), in
    /// every table. Vacuum records itself in each Delta log, so a new lake version follows,
    /// naming the same content. Returns the files deleted.
    pub fn vacuum(&self, retain: std::time::Duration) -> Result<usize> {
        let pinned = self.pinned();
        let mut next = pinned.clone();
        let mut deleted = 0;
        let period = chrono::Duration::from_std(retain).unwrap_or(chrono::Duration::days(7));
        for t in pinned.tables.keys() {
            let mut table = self.table(t)?;
            let (n, version) = self
                .block(async move {
                    table.load().await?;
                    let (table, metrics) = table
                        .vacuum()
                        .with_retention_period(period)
                        .with_enforce_retention_duration(false)
                        .with_mode(deltalake::operations::vacuum::VacuumMode::Full)
                        .await?;
                    Ok::<_, deltalake::DeltaTableError>((
                        metrics.files_deleted.len(),
                        table.version().unwrap_or(0),
                    ))
                })
                .map_err(|e| delta_error(t, e))?;
            deleted += n;
            next.tables.insert(t.clone(), version);
        }
        if next.tables != pinned.tables {
            self.write_version(next)?;
        }
        Ok(deleted)
    }

    /// The table directories of the lake: top-level ones and those under marts/ and
    /// published/, each holding a Delta log.
    fn table_dirs(&self) -> Result<Vec<String>> {
        let (_, top) = self.list_dir("")?;
        let mut out = Vec::new();
        for d in top {
            if d == crate::MARTS || d == crate::PUBLISHED {
                for s in self.list_dir(&d)?.1 {
                    out.push(format!("{d}/{s}"));
                }
            } else if !d.starts_with("_lake") && d != "_runs" {
                out.push(d);
            }
        }
        out.retain(|t| {
            self.list_dir(&format!("{t}/_delta_log"))
                .is_ok_and(|(f, _)| !f.is_empty())
        });
        Ok(out)
    }

    /// Undoes what a writer killed mid-commit left: every table whose Delta log went past the
    /// newest lake version is restored to the version that names it (a new Delta commit with
    /// the old content), and a table no version names is emptied. Readers of the lake version
    /// saw none of it; this makes the tables' newest Delta versions agree with it again.
    pub fn recover(&self) -> Result<Vec<String>> {
        let pinned = self.pinned();
        let mut restored = Vec::new();
        for t in self.table_dirs()? {
            let table = self.table(&t)?;
            let name = t.clone();
            let latest = self
                .block(async move { table.get_latest_version().await })
                .map_err(|e| delta_error(&name, e))?;
            match pinned.tables.get(&t) {
                Some(&v) if latest > v => {
                    let mut table = self.table(&t)?;
                    self.block(async move {
                        table.load().await?;
                        table.restore().with_version_to_restore(v).await.map(|_| ())
                    })
                    .map_err(|e| delta_error(&t, e))?;
                    restored.push(t);
                }
                Some(_) => {}
                None => {
                    let mut table = self.table(&t)?;
                    self.block(async move {
                        table.load().await?;
                        let snapshot = table.snapshot()?;
                        let fields: Vec<_> = snapshot.schema().fields().cloned().collect();
                        let parts = snapshot.metadata().partition_columns().to_vec();
                        CreateBuilder::new()
                            .with_log_store(table.log_store())
                            .with_columns(fields)
                            .with_partition_columns(parts)
                            .with_save_mode(SaveMode::Overwrite)
                            .await
                            .map(|_| ())
                    })
                    .map_err(|e| delta_error(&t, e))?;
                    restored.push(t);
                }
            }
        }
        Ok(restored)
    }
}

pub(crate) fn list_files(table: &str, t: &DeltaTable) -> Result<Vec<RemoteFile>> {
    let snapshot = t.snapshot().map_err(|e| delta_error(table, e))?;
    let mut out: Vec<RemoteFile> = snapshot
        .log_data()
        .iter()
        .map(|f| RemoteFile {
            rel: format!("{table}/{}", f.path()),
            size: f.size().max(0) as u64,
            modified_ms: f.modification_time(),
            rows: f.num_records().map(|n| n as u64),
        })
        .collect();
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// The Delta schema of a table: the file's columns, then the partition columns as strings
/// (where a hive-partitioned reader puts them too).
fn delta_fields(
    table: &str,
    schema: &SchemaRef,
    partition_cols: &[String],
) -> Result<Vec<deltalake::kernel::StructField>> {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    for c in partition_cols {
        if !fields.iter().any(|f| f.name() == c) {
            // Every file has its partition's value: never null, as in a directory lake.
            fields.push(Field::new(c, DataType::Utf8, false));
        }
    }
    let st = StructType::try_from_arrow(&Schema::new(fields)).map_err(|e| LakeError::Delta {
        table: table.to_string(),
        problem: format!("its columns cannot be a Delta table's: {e}"),
    })?;
    Ok(st.fields().cloned().collect())
}
