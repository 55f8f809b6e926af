//! The server's settings: `[serve]` in the pipeline config, each overridable by a flag.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("[serve] in {config}: {source}")]
    Parse {
        config: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error(
        "friktion serve listens on {0}, which is not loopback: give it a certificate and key \
         (tls_cert and tls_key in [serve], or --tls-cert and --tls-key); off loopback it \
         accepts TLS connections only"
    )]
    TlsRequired(SocketAddr),
    #[error("tls_cert and tls_key go together; only the {0} was given")]
    TlsHalf(&'static str),
    #[error("{what} must be at least 1")]
    Zero { what: &'static str },
}

/// `[serve]` as written in the config; absent keys take the defaults below.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeConfig {
    /// Where to listen. Anything but loopback requires TLS.
    pub listen: SocketAddr,
    /// The accounts file (see `friktion serve user`).
    pub accounts: PathBuf,
    /// PEM certificate chain and PKCS#8 key.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Connections open at once; the next is refused ("too many clients").
    pub max_connections: usize,
    /// Queries one user may have running at once, over all their connections.
    pub queries_per_user: usize,
    /// A query running longer is cancelled.
    pub query_timeout_secs: u64,
    /// Memory one query may hold (sorts, joins, aggregates) before it fails.
    pub query_memory_mib: usize,
    /// A connection with no query for this long is closed.
    pub idle_timeout_secs: u64,
    /// Threads one query may use.
    pub query_threads: usize,
    /// Where queries run: here, or on a Ballista cluster (`--engine ballista`; a flag, not a
    /// `[serve]` key).
    #[serde(skip)]
    pub engine: friktion_cluster::Engine,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 5433)),
            accounts: PathBuf::from("/etc/friktion/accounts.toml"),
            tls_cert: None,
            tls_key: None,
            max_connections: 64,
            queries_per_user: 4,
            query_timeout_secs: 300,
            query_memory_mib: 1024,
            idle_timeout_secs: 3600,
            query_threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            engine: friktion_cluster::Engine::Local,
        }
    }
}

impl ServeConfig {
    /// The `[serve]` table of the config at `config` (for messages).
    pub fn from_table(table: toml::Table, config: PathBuf) -> Result<Self, ConfigError> {
        table
            .try_into()
            .map_err(|source| ConfigError::Parse { config, source })
    }

    /// Refuses settings the server could not honour; never weakens them.
    pub fn check(&self) -> Result<(), ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => return Err(ConfigError::TlsHalf("certificate")),
            (None, Some(_)) => return Err(ConfigError::TlsHalf("key")),
            (None, None) if !self.listen.ip().is_loopback() => {
                return Err(ConfigError::TlsRequired(self.listen));
            }
            _ => {}
        }
        for (what, n) in [
            ("max_connections", self.max_connections),
            ("queries_per_user", self.queries_per_user),
            ("query_memory_mib", self.query_memory_mib),
            ("query_threads", self.query_threads),
            ("query_timeout_secs", self.query_timeout_secs as usize),
            ("idle_timeout_secs", self.idle_timeout_secs as usize),
        ] {
            if n == 0 {
                return Err(ConfigError::Zero { what });
            }
        }
        Ok(())
    }

    /// Plaintext is refused on every address but loopback.
    pub fn tls_required(&self) -> bool {
        !self.listen.ip().is_loopback()
    }

    pub fn query_timeout(&self) -> Duration {
        Duration::from_secs(self.query_timeout_secs)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_loopback_without_a_certificate_is_refused() {
        let mut c = ServeConfig {
            listen: "0.0.0.0:5433".parse().unwrap(),
            ..Default::default()
        };
        assert!(matches!(c.check(), Err(ConfigError::TlsRequired(_))));
        c.tls_cert = Some("c.pem".into());
        assert!(matches!(
            c.check(),
            Err(ConfigError::TlsHalf("certificate"))
        ));
        c.tls_key = Some("k.pem".into());
        assert!(c.check().is_ok());
        assert!(c.tls_required());
        assert!(!ServeConfig::default().tls_required());
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let t: toml::Table =
            toml::from_str("listen = \"127.0.0.1:1\"\nmax_conections = 3").unwrap();
        let e = ServeConfig::from_table(t, "n.toml".into()).unwrap_err();
        assert!(e.to_string().contains("max_conections"), "{e}");
    }
}
