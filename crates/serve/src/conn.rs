//! What the connections share (the settings, the lake, the audit log, each role's session,
//! the cancel registry, each user's query slots) and one connection's state: its login, its
//! session (rebuilt when the lake has taken a commit), its cancel token and when it was last
//! busy.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use datafusion_postgres::DfSessionService;
use datafusion_postgres::hooks::QueryHook;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use friktion_lake::gate::ReadGuard;
use pgwire::api::RandomPidSecretKeyGenerator;
use pgwire::messages::startup::SecretKey;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::audit::{AuditLog, Record};
use crate::auth::Throttle;
use crate::{Role, ServeConfig, ServeError};

/// What every connection shares.
pub struct Shared {
    pub config: ServeConfig,
    pub lake: friktion_lake::Lake,
    pub audit_log: AuditLog,
    pub throttle: Throttle,
    pub pids: RandomPidSecretKeyGenerator,
    /// Salts the exchange for names without an account.
    pub mock_salt: [u8; 32],
    cancels: Mutex<HashMap<i32, (Bytes, Weak<Conn>)>>,
    user_slots: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Each role's session and the lake generation it was built at.
    roles: tokio::sync::Mutex<HashMap<Role, (u64, datafusion::prelude::SessionContext)>>,
    /// What a connection holds until it has logged in: one empty session for all of them, so
    /// a connection that never logs in (or is refused) builds nothing.
    pub(crate) before_login: Arc<DfSessionService>,
}

impl Shared {
    pub fn new(config: ServeConfig, lake: friktion_lake::Lake, audit_log: AuditLog) -> Self {
        Self {
            config,
            lake,
            audit_log,
            throttle: Throttle::default(),
            pids: RandomPidSecretKeyGenerator::default(),
            mock_salt: rand::random(),
            cancels: Mutex::default(),
            user_slots: Mutex::default(),
            roles: tokio::sync::Mutex::default(),
            before_login: service(crate::roles::empty()),
        }
    }

    /// The role's session at `generation`, built when the lake has moved on.
    async fn role_session(
        &self,
        role: Role,
        generation: u64,
    ) -> Result<datafusion::prelude::SessionContext, ServeError> {
        let mut roles = self.roles.lock().await;
        if let Some((g, ctx)) = roles.get(&role)
            && *g == generation
        {
            return Ok(ctx.clone());
        }
        let ctx = crate::roles::context(&self.lake, role, &self.config).await?;
        roles.insert(role, (generation, ctx.clone()));
        Ok(ctx)
    }

    pub fn audit(&self, r: &Record) {
        if let Err(e) = self.audit_log.record(r) {
            tracing::error!(error = %friktion_core::error_chain(&e), "audit record lost");
        }
    }

    pub fn register(&self, pid: i32, secret: &SecretKey, conn: &Arc<Conn>) {
        let mut m = self.cancels.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|_, (_, c)| c.strong_count() > 0);
        m.insert(pid, (secret.to_bytes(), Arc::downgrade(conn)));
    }

    pub(crate) fn cancel(&self, pid: i32, secret: &SecretKey) {
        let conn = {
            let m = self.cancels.lock().unwrap_or_else(|p| p.into_inner());
            m.get(&pid)
                .filter(|(s, _)| *s == secret.to_bytes())
                .and_then(|(_, c)| c.upgrade())
        };
        if let Some(c) = conn {
            c.cancel_token().cancel();
        }
    }

    pub(crate) fn user_slot(&self, user: &str) -> Option<OwnedSemaphorePermit> {
        let sem = {
            let mut m = self.user_slots.lock().unwrap_or_else(|p| p.into_inner());
            m.entry(user.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.config.queries_per_user)))
                .clone()
        };
        sem.try_acquire_owned().ok()
    }
}

struct LoggedIn {
    user: String,
    role: Role,
    pid: i32,
}

/// One connection's state.
pub struct Conn {
    pub addr: SocketAddr,
    /// Set when the connection came over the limit: its login is refused.
    pub over_limit: Option<usize>,
    tls: AtomicBool,
    login: OnceLock<LoggedIn>,
    /// The session and the lake generation it was built at.
    service: RwLock<(u64, Arc<DfSessionService>)>,
    cancel: Mutex<CancellationToken>,
    last_active: Mutex<Instant>,
    pub(crate) busy: AtomicUsize,
}

impl Conn {
    pub fn new(shared: &Shared, addr: SocketAddr, over_limit: Option<usize>) -> Self {
        Self {
            addr,
            over_limit,
            tls: AtomicBool::new(false),
            login: OnceLock::new(),
            service: RwLock::new((u64::MAX, shared.before_login.clone())),
            cancel: Mutex::new(CancellationToken::new()),
            last_active: Mutex::new(Instant::now()),
            busy: AtomicUsize::new(0),
        }
    }

    pub fn set_tls(&self, tls: bool) {
        self.tls.store(tls, Ordering::Relaxed);
    }

    pub fn is_tls(&self) -> bool {
        self.tls.load(Ordering::Relaxed)
    }

    pub fn user(&self) -> Option<(&str, Role, i32)> {
        self.login.get().map(|l| (l.user.as_str(), l.role, l.pid))
    }

    /// Records the login and builds the role's session.
    pub async fn login(
        &self,
        shared: &Shared,
        user: &str,
        role: Role,
        pid: i32,
    ) -> Result<(), ServeError> {
        let _ = self.login.set(LoggedIn {
            user: user.to_string(),
            role,
            pid,
        });
        let gate = read_gate(shared).await?;
        self.refresh(shared, role, gate.generation()).await?;
        Ok(())
    }

    /// The session for the lake at `generation`, rebuilt if the lake has moved on (new marts,
    /// new published tables, changed columns).
    pub(crate) async fn refresh(
        &self,
        shared: &Shared,
        role: Role,
        generation: u64,
    ) -> Result<Arc<DfSessionService>, ServeError> {
        {
            let s = self.service.read().unwrap_or_else(|p| p.into_inner());
            if s.0 == generation {
                return Ok(s.1.clone());
            }
        }
        let base = shared.role_session(role, generation).await?;
        let ctx = crate::roles::for_connection(&base, &shared.config)?;
        let fresh = service(Arc::new(ctx));
        *self.service.write().unwrap_or_else(|p| p.into_inner()) = (generation, fresh.clone());
        Ok(fresh)
    }

    pub(crate) fn current(&self) -> Arc<DfSessionService> {
        self.service
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    fn cancel_token(&self) -> CancellationToken {
        self.cancel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A new token for the next statement (a cancel aimed at an earlier one is spent).
    pub(crate) fn fresh_token(&self) -> CancellationToken {
        let t = CancellationToken::new();
        *self.cancel.lock().unwrap_or_else(|p| p.into_inner()) = t.clone();
        t
    }

    pub(crate) fn touch(&self) {
        *self.last_active.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Resolves when the connection has had no statement for `timeout`.
    pub async fn idle(&self, timeout: Duration) {
        loop {
            let since = self
                .last_active
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .elapsed();
            if since >= timeout && self.busy.load(Ordering::Relaxed) == 0 {
                return;
            }
            tokio::time::sleep(
                timeout
                    .saturating_sub(since)
                    .max(Duration::from_millis(200)),
            )
            .await;
        }
    }
}

fn service(ctx: Arc<datafusion::prelude::SessionContext>) -> Arc<DfSessionService> {
    let hooks: Vec<Arc<dyn QueryHook>> = vec![
        Arc::new(crate::guard::ReadOnly),
        Arc::new(CursorStatementHook),
        Arc::new(SetShowHook),
        Arc::new(TransactionStatementHook),
    ];
    Arc::new(DfSessionService::new_with_hooks(ctx, hooks))
}

pub(crate) async fn read_gate(shared: &Shared) -> Result<ReadGuard, ServeError> {
    let lake = shared.lake.clone();
    let gate = tokio::task::spawn_blocking(move || lake.read_gate())
        .await
        .map_err(|e| ServeError::Gate(std::io::Error::other(e)))??;
    Ok(gate)
}
