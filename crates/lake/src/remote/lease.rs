//! One writer at a time on object storage, where there are no OS locks: `_lake/lock.json` is
//! created only if absent (a conditional put), names its owner and when it expires, and is
//! renewed by the writer every third of its lease, each time only if it is still the object
//! the writer wrote (If-Match). A lock left to expire is a dead writer's: the next writer takes
//! it over with the same conditional overwrite, so of two that try at once one wins.
//!
//! A writer that stalls past its lease and finds its lock taken over stops before its next
//! lake version: [`Lease::check`] is called at every commit point.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};

use super::Remote;
use crate::{LakeError, Result};

const LOCK: &str = "_lake/lock.json";

#[derive(Debug, Serialize, Deserialize)]
struct Owner {
    pid: u32,
    host: String,
    started: String,
    expires_ms: i64,
}

impl Owner {
    fn describe(&self) -> String {
        format!(
            "pid {} on {}, started {}",
            self.pid, self.host, self.started
        )
    }
}

pub(crate) struct Lease {
    remote: Arc<Remote>,
    stop: Arc<AtomicBool>,
    lost: Arc<AtomicBool>,
    heartbeat: Option<std::thread::JoinHandle<()>>,
    /// Who held the lock before, when this writer took it over from a dead one.
    pub took_over: Option<String>,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lease({}{LOCK})", self.remote.url())
    }
}

fn body(owner: &Owner) -> PutPayload {
    PutPayload::from(serde_json::to_vec(owner).expect("owner serialises"))
}

impl Lease {
    pub fn acquire(remote: Arc<Remote>, lease: Duration) -> Result<Self> {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "?".into());
        let mut owner = Owner {
            pid: std::process::id(),
            host,
            started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            expires_ms: 0,
        };
        let lease_ms = lease.as_millis() as i64;
        owner.expires_ms = chrono::Utc::now().timestamp_millis() + lease_ms;
        let (store, key) = (remote.store.clone(), remote.key(LOCK));
        let payload = body(&owner);
        let created = remote.block(async move {
            store
                .put_opts(&key, payload, PutOptions::from(PutMode::Create))
                .await
        });
        let (version, took_over) = match created {
            Ok(r) => (
                UpdateVersion {
                    e_tag: r.e_tag,
                    version: r.version,
                },
                None,
            ),
            Err(object_store::Error::AlreadyExists { .. }) => Self::take_over(&remote, &owner)?,
            Err(e) => return Err(remote.store_error(LOCK, e)),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = {
            let (remote, stop, lost) = (remote.clone(), stop.clone(), lost.clone());
            let version = Mutex::new(version);
            std::thread::Builder::new()
                .name("friktion-lease".into())
                .spawn(move || {
                    let tick = Duration::from_millis((lease_ms / 3).max(100) as u64);
                    let mut waited = Duration::ZERO;
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(50));
                        waited += Duration::from_millis(50);
                        if waited < tick {
                            continue;
                        }
                        waited = Duration::ZERO;
                        owner.expires_ms = chrono::Utc::now().timestamp_millis() + lease_ms;
                        let v = version.lock().expect("lease version").clone();
                        let (store, key, payload) =
                            (remote.store.clone(), remote.key(LOCK), body(&owner));
                        let renewed = remote.block(async move {
                            store
                                .put_opts(&key, payload, PutOptions::from(PutMode::Update(v)))
                                .await
                        });
                        match renewed {
                            Ok(r) => {
                                *version.lock().expect("lease version") = UpdateVersion {
                                    e_tag: r.e_tag,
                                    version: r.version,
                                }
                            }
                            Err(object_store::Error::Precondition { .. }) => {
                                lost.store(true, Ordering::Relaxed);
                                return;
                            }
                            // A failed renewal is tried again next tick; the lease has slack.
                            Err(_) => {}
                        }
                    }
                })
                .map_err(|e| LakeError::io(std::path::Path::new("lease thread"), e))?
        };
        Ok(Self {
            remote,
            stop,
            lost,
            heartbeat: Some(heartbeat),
            took_over,
        })
    }

    /// Takes over a lock whose lease ran out, if no one else does first.
    fn take_over(remote: &Remote, me: &Owner) -> Result<(UpdateVersion, Option<String>)> {
        let (store, key) = (remote.store.clone(), remote.key(LOCK));
        let got = remote
            .block(async move {
                let r = store.get(&key).await?;
                let meta = r.meta.clone();
                Ok::<_, object_store::Error>((meta, r.bytes().await?))
            })
            .map_err(|e| remote.store_error(LOCK, e))?;
        let (meta, bytes) = got;
        let held: Option<Owner> = serde_json::from_slice(&bytes).ok();
        let now = chrono::Utc::now().timestamp_millis();
        let locked = |owner: String| LakeError::Locked {
            path: remote.key(LOCK).to_string().into(),
            owner,
        };
        if let Some(h) = &held
            && h.expires_ms > now
        {
            return Err(locked(h.describe()));
        }
        let v = UpdateVersion {
            e_tag: meta.e_tag,
            version: meta.version,
        };
        let (store, key, payload) = (remote.store.clone(), remote.key(LOCK), body(me));
        let put = remote.block(async move {
            store
                .put_opts(&key, payload, PutOptions::from(PutMode::Update(v)))
                .await
        });
        let before = held.map_or_else(|| "an unreadable lock".to_string(), |h| h.describe());
        match put {
            Ok(r) => Ok((
                UpdateVersion {
                    e_tag: r.e_tag,
                    version: r.version,
                },
                Some(before),
            )),
            Err(object_store::Error::Precondition { .. }) => {
                Err(locked("another writer, which took it over just now".into()))
            }
            Err(e) => Err(remote.store_error(LOCK, e)),
        }
    }

    /// Fails if another writer took the lock over (this one stalled past its lease).
    pub fn check(&self) -> Result<()> {
        if self.lost.load(Ordering::Relaxed) {
            return Err(LakeError::Conflict {
                location: self.remote.url().to_string(),
                problem: "this writer's lease ran out and another writer took the lake over".into(),
            });
        }
        Ok(())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        if !self.lost.load(Ordering::Relaxed) {
            let _ = self.remote.delete(LOCK);
        }
    }
}
