//! A lake on S3-compatible object storage, where there is no rename: every table (a source
//! table, a mart, a published table, the ledger) is a Delta table, and the lake's versions are
//! numbered records that pin one Delta version of each table.
//!
//! ```text
//! s3://bucket/prefix/
//!   <table>/_delta_log/…                 the table's commits (Delta Lake)
//!   <table>/[<col>=<v>/]part-<stem>.<txn>.parquet
//!   marts/<model>/…, published/<table>/…, _ledger/…   Delta tables too
//!   _lake/versions/<n>.json              lake version n: {table: Delta version}
//!   _lake/latest.json                    the newest n, a hint for readers
//!   _lake/lock.json                      the writer's lease (see [`lease`])
//!   _runs/<run>.json                     run records
//! ```
//!
//! A commit uploads its files under names no version refers to yet, commits each table it
//! touches (a Delta commit: a conditional put of the next log entry), and then writes the next
//! lake version record, create-only. That record is the commit point: friktion's readers read
//! each table as of the newest record, so a writer killed before it leaves nothing they see,
//! and the next writer restores the tables it had committed (see [`delta::recover`]).

pub(crate) mod delta;
pub(crate) mod lease;
pub(crate) mod objects;

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, Once};

use bytes::Bytes;
use deltalake::ObjectStore;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use url::Url;

use crate::location::StoreSettings;
use crate::{LakeError, Result};

pub use delta::LakeVersion;
pub use objects::{TableObject, TableObjects};

const VERSIONS: &str = "_lake/versions";
/// The newest lake version's number, as a hint (see [`delta`]'s `refresh`).
const LATEST: &str = "_lake/latest.json";

/// One lake on object storage, as a process sees it: the bucket, the lake's prefix in it, and
/// the version this process reads (pinned until it looks again or commits).
pub(crate) struct Remote {
    url: Url,
    store: Arc<dyn ObjectStore>,
    prefix: ObjPath,
    options: HashMap<String, String>,
    rt: tokio::runtime::Runtime,
    pinned: Mutex<delta::Pinned>,
    /// A process's commits, one at a time: each builds on the version the last one wrote
    /// (small source files are loaded, and committed, several at a time).
    committing: Mutex<()>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Remote({})", self.url)
    }
}

/// The store of the bucket `url` is in, as `settings` say to reach it (credentials from the
/// environment or a profile): the lake's own, and a cluster executor's for reading it.
pub fn bucket_store(url: &Url, settings: &StoreSettings) -> Result<Arc<dyn ObjectStore>> {
    static HANDLERS: Once = Once::new();
    HANDLERS.call_once(|| deltalake::aws::register_handlers(None));
    settings.check()?;
    let mut bucket = url.clone();
    bucket.set_path("/");
    deltalake::logstore::store_for(&bucket, settings.options()).map_err(|e| LakeError::Store {
        location: url.to_string(),
        problem: e.to_string(),
    })
}

impl Remote {
    /// Reaches the store and reads the newest lake version.
    pub fn connect(url: &Url, settings: &StoreSettings) -> Result<Self> {
        let options = settings.options();
        let store = bucket_store(url, settings)?;
        let prefix = ObjPath::from(url.path().trim_matches('/'));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("friktion-store")
            .enable_all()
            .build()
            .map_err(|e| LakeError::io(Path::new("tokio runtime"), e))?;
        let remote = Self {
            url: url.clone(),
            store,
            prefix,
            options,
            rt,
            pinned: Mutex::new(delta::Pinned::default()),
            committing: Mutex::new(()),
        };
        // The first listing is the check: a wrong endpoint, a missing bucket or refused
        // credentials stop here with the store's own words.
        remote.refresh()?;
        Ok(remote)
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The bucket's URL (`s3://bucket/`) and its store.
    pub(crate) fn bucket_store(&self) -> (Url, Arc<dyn ObjectStore>) {
        let mut bucket = self.url.clone();
        bucket.set_path("/");
        (bucket, self.store.clone())
    }

    /// The key of a path relative to the lake's root.
    pub(crate) fn key(&self, rel: &str) -> ObjPath {
        let mut parts: Vec<String> = self
            .prefix
            .parts()
            .map(|p| p.as_ref().to_string())
            .collect();
        parts.extend(rel.split('/').filter(|s| !s.is_empty()).map(str::to_string));
        ObjPath::from_iter(parts)
    }

    /// The URL of a table (a directory relative to the lake's root).
    pub(crate) fn table_url(&self, table: &str) -> Url {
        self.url
            .join(&format!("{table}/"))
            .expect("table names are relative paths")
    }

    pub(crate) fn store_error(&self, rel: &str, e: object_store::Error) -> LakeError {
        LakeError::Store {
            location: format!("{}{rel}", self.url),
            problem: e.to_string(),
        }
    }

    /// Runs a future on this lake's own runtime and waits for it, from plain threads and from
    /// inside another runtime alike (the models run in one; `block_on` there would panic).
    pub(crate) fn block<F>(&self, f: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if tokio::runtime::Handle::try_current().is_err() {
            return self.rt.block_on(f);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.rt.spawn(async move {
            let _ = tx.send(f.await);
        });
        rx.recv().expect("the lake's runtime outlives its tasks")
    }

    pub(crate) fn get(&self, rel: &str) -> Result<Bytes> {
        let (store, key) = (self.store.clone(), self.key(rel));
        self.block(async move { store.get(&key).await?.bytes().await })
            .map_err(|e| self.store_error(rel, e))
    }

    /// Writes an object whole. `create_only`: refused (`Ok(false)`) if it exists already.
    pub(crate) fn put(&self, rel: &str, bytes: Bytes, create_only: bool) -> Result<bool> {
        let (store, key) = (self.store.clone(), self.key(rel));
        let mode = if create_only {
            PutMode::Create
        } else {
            PutMode::Overwrite
        };
        let opts = PutOptions::from(mode);
        match self.block(async move { store.put_opts(&key, PutPayload::from(bytes), opts).await }) {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) if create_only => Ok(false),
            Err(e) => Err(self.store_error(rel, e)),
        }
    }

    /// Uploads a local file to `rel`, in parts when it is large.
    pub(crate) fn upload(&self, local: &Path, rel: &str) -> Result<u64> {
        use tokio::io::AsyncReadExt;
        let (store, key) = (self.store.clone(), self.key(rel));
        let local = local.to_path_buf();
        let path = local.clone();
        self.block(async move {
            let mut f = tokio::fs::File::open(&local).await?;
            let mut w = object_store::buffered::BufWriter::new(store, key);
            let mut buf = vec![0u8; 8 << 20];
            let mut n = 0u64;
            loop {
                let k = f.read(&mut buf).await?;
                if k == 0 {
                    break;
                }
                n += k as u64;
                tokio::io::AsyncWriteExt::write_all(&mut w, &buf[..k]).await?;
            }
            tokio::io::AsyncWriteExt::shutdown(&mut w).await?;
            Ok::<_, std::io::Error>(n)
        })
        .map_err(|e| LakeError::Store {
            location: format!("{}{rel}", self.url),
            problem: format!("uploading {}: {e}", path.display()),
        })
    }

    /// Keys directly under a directory (relative to the lake root): (files, subdirectories).
    pub(crate) fn list_dir(&self, rel: &str) -> Result<(Vec<String>, Vec<String>)> {
        let (store, key) = (self.store.clone(), self.key(rel));
        let listed = self
            .block(async move { store.list_with_delimiter(Some(&key)).await })
            .map_err(|e| self.store_error(rel, e))?;
        let name = |p: &ObjPath| p.filename().unwrap_or_default().to_string();
        Ok((
            listed.objects.iter().map(|o| name(&o.location)).collect(),
            listed.common_prefixes.iter().map(name).collect(),
        ))
    }

    /// Deletes an object; one already gone is no error.
    pub(crate) fn delete(&self, rel: &str) -> Result<()> {
        let (store, key) = (self.store.clone(), self.key(rel));
        match self.block(async move { store.delete(&key).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.store_error(rel, e)),
        }
    }
}
