//! TLS for the server: a certificate and key from PEM files, or a self-signed pair made for
//! trials (`--dev-cert`). A pair that fails to load stops the server; it never falls back to
//! plaintext.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS {what} {path}")]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the TLS {what} {path} holds no PEM {expected}")]
    Empty {
        what: &'static str,
        path: PathBuf,
        expected: &'static str,
    },
    #[error("the certificate {cert} and key {key} cannot be used together")]
    Pair {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: tokio_rustls::rustls::Error,
    },
    #[error("cannot make a development certificate")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write the development certificate to {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn read(what: &'static str, path: &Path) -> Result<BufReader<File>, TlsError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|source| TlsError::Read {
            what,
            path: path.to_path_buf(),
            source,
        })
}

/// The acceptor for a PEM certificate chain and its private key (PKCS#8, PKCS#1 or SEC1).
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let certs = rustls_pemfile::certs(&mut read("certificate", cert)?)
        .collect::<Result<Vec<CertificateDer>, _>>()
        .map_err(|source| TlsError::Read {
            what: "certificate",
            path: cert.to_path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::Empty {
            what: "certificate",
            path: cert.to_path_buf(),
            expected: "CERTIFICATE block",
        });
    }
    let private: PrivateKeyDer = rustls_pemfile::private_key(&mut read("key", key)?)
        .map_err(|source| TlsError::Read {
            what: "key",
            path: key.to_path_buf(),
            source,
        })?
        .ok_or_else(|| TlsError::Empty {
            what: "key",
            path: key.to_path_buf(),
            expected: "PRIVATE KEY block",
        })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, private))
        .map_err(|source| TlsError::Pair {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            source,
        })?;
    // Direct TLS (PostgreSQL 17's sslnegotiation=direct) needs the protocol named by ALPN.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A self-signed certificate for localhost and 127.0.0.1, written as `dev-cert.pem` and
/// `dev-key.pem` (mode 0600) in `dir`. For tests and trials only: clients cannot verify it
/// against any authority.
pub fn dev_cert(dir: &Path) -> Result<(PathBuf, PathBuf), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let pair =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    let cert = dir.join("dev-cert.pem");
    let key = dir.join("dev-key.pem");
    let write = |path: &Path, text: &str| -> Result<(), TlsError> {
        let err = |source| TlsError::Write {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(err)
    };
    write(&cert, &pair.cert.pem())?;
    write(&key, &pair.signing_key.serialize_pem())?;
    Ok((cert, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dev_pair_loads_and_a_broken_one_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = dev_cert(dir.path()).unwrap();
        acceptor(&cert, &key).unwrap();
        let Err(e) = acceptor(&key, &key) else {
            panic!("a key is not a certificate")
        };
        assert!(e.to_string().contains("holds no PEM CERTIFICATE"), "{e}");
        let missing = dir.path().join("nope.pem");
        let Err(e) = acceptor(&cert, &missing) else {
            panic!("a missing key")
        };
        assert!(e.to_string().contains("nope.pem"), "{e}");
    }
}
