//! Accepting connections: TLS offered whenever a certificate is configured (and required off
//! loopback), the connection limit, the idle timeout, and a clean stop.

use std::net::SocketAddr;
use std::sync::Arc;

use friktion_lake::Lake;
use pgwire::tokio::{TlsAcceptor, process_socket};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::audit::{AuditLog, Kind, Record};
use crate::conn::{Conn, Shared};
use crate::handlers::Handlers;
use crate::{ServeConfig, ServeError};

pub struct Server {
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
}

impl Server {
    /// Checks the settings, loads the certificate and the accounts, opens the audit log and
    /// binds: everything that could stop the server stops it here, before a client connects.
    pub async fn bind(config: ServeConfig, lake: Lake) -> Result<Self, ServeError> {
        config.check()?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::acceptor(cert, key)?),
            _ => None,
        };
        crate::Accounts::load(&config.accounts)?;
        let audit_log = AuditLog::open(lake.root())?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: config.listen,
                    source,
                })?;
        Ok(Self {
            shared: Arc::new(Shared::new(config, lake, audit_log)),
            listener,
            tls,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.shared.config.listen)
    }

    pub fn tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until `stop` resolves.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) -> Result<(), ServeError> {
        let limit = Arc::new(Semaphore::new(self.shared.config.max_connections));
        tokio::pin!(stop);
        loop {
            let (socket, addr) = tokio::select! {
                _ = &mut stop => return Ok(()),
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: keep serving the others.
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                },
            };
            let permit = limit.clone().try_acquire_owned().ok();
            let over = permit
                .is_none()
                .then_some(self.shared.config.max_connections);
            let shared = self.shared.clone();
            let tls = self.tls.clone();
            tokio::spawn(async move {
                let conn = Arc::new(Conn::new(&shared, addr, over));
                shared.audit(&Record::new(Kind::Connect, addr));
                let handlers = Handlers::new(shared.clone(), conn.clone());
                let idle = shared.config.idle_timeout();
                let reason = tokio::select! {
                    r = process_socket(socket, tls, handlers) => match r {
                        Ok(()) => None,
                        Err(e) => Some(e.to_string()),
                    },
                    _ = conn.idle(idle) => Some(format!("idle for {} s", idle.as_secs())),
                };
                let mut r = Record::new(Kind::Disconnect, addr);
                if let Some((user, role, pid)) = conn.user() {
                    r.user = Some(user.to_string());
                    r.role = Some(role.as_str().to_string());
                    r.connection = Some(pid);
                }
                r.reason = reason;
                shared.audit(&r);
                drop(permit);
            });
        }
    }
}
