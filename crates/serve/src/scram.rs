//! SCRAM-SHA-256 (RFC 5802, RFC 7677) as a server keeps it: per account a salt, an iteration
//! count, StoredKey and ServerKey, written as PostgreSQL writes them
//! (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64). From these a server
//! checks a client's proof and proves itself back, and nobody who reads them can log in: the
//! password, and the salted password a client derives from it, are never stored.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// PostgreSQL's default, and RFC 7677's minimum.
pub const DEFAULT_ITERATIONS: u32 = 4096;

/// A verifier that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifierError {
    #[error(
        "a verifier starts SCRAM-SHA-256$ and has the form <iterations>:<salt>$<StoredKey>:<ServerKey>"
    )]
    Form,
    #[error("the iteration count '{0}' is not a number of at least 4096")]
    Iterations(String),
    #[error("the {0} is not base64 of the right length")]
    Base64(&'static str),
}

/// What a server keeps of an account's password.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: [u8; 32],
    pub server_key: [u8; 32],
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs and panics.
        write!(f, "Verifier(SCRAM-SHA-256, {} iterations)", self.iterations)
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA256 with one block of output (RFC 8018; SCRAM's Hi()).
pub fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password.as_bytes(), &block);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password.as_bytes(), &u);
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    out
}

impl Verifier {
    /// The verifier of a password with a fresh random salt.
    pub fn new(password: &str) -> Self {
        let salt: [u8; 16] = rand::random();
        Self::from_password(password, &salt, DEFAULT_ITERATIONS)
    }

    pub fn from_password(password: &str, salt: &[u8], iterations: u32) -> Self {
        let salted = salted_password(password, salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        Self {
            iterations,
            salt: salt.to_vec(),
            stored_key: Sha256::digest(client_key).into(),
            server_key: hmac(&salted, b"Server Key"),
        }
    }

    pub fn parse(text: &str) -> Result<Self, VerifierError> {
        let rest = text
            .strip_prefix("SCRAM-SHA-256$")
            .ok_or(VerifierError::Form)?;
        let (params, keys) = rest.split_once('$').ok_or(VerifierError::Form)?;
        let (iterations, salt) = params.split_once(':').ok_or(VerifierError::Form)?;
        let (stored, server) = keys.split_once(':').ok_or(VerifierError::Form)?;
        let iterations = iterations
            .parse::<u32>()
            .ok()
            .filter(|&i| i >= DEFAULT_ITERATIONS)
            .ok_or_else(|| VerifierError::Iterations(iterations.to_string()))?;
        let key = |what: &'static str, b64: &str| -> Result<[u8; 32], VerifierError> {
            STANDARD
                .decode(b64)
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or(VerifierError::Base64(what))
        };
        Ok(Self {
            iterations,
            salt: STANDARD
                .decode(salt)
                .map_err(|_| VerifierError::Base64("salt"))?,
            stored_key: key("StoredKey", stored)?,
            server_key: key("ServerKey", server)?,
        })
    }

    /// The client's proof checked against the AuthMessage of the exchange: the client knew
    /// the password exactly when the key it reveals hashes to StoredKey.
    pub fn accepts(&self, auth_message: &str, client_proof: &[u8]) -> bool {
        if client_proof.len() != 32 {
            return false;
        }
        let signature = hmac(&self.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = client_proof
            .iter()
            .zip(signature)
            .map(|(p, s)| p ^ s)
            .collect();
        let hashed: [u8; 32] = Sha256::digest(&client_key).into();
        // Compared in constant time: the position of the first difference says nothing.
        hashed
            .iter()
            .zip(self.stored_key)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }

    /// The server's signature over the AuthMessage, which proves to the client that the server
    /// holds the account's keys.
    pub fn server_signature(&self, auth_message: &str) -> [u8; 32] {
        hmac(&self.server_key, auth_message.as_bytes())
    }
}

impl std::fmt::Display for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(self.stored_key),
            STANDARD.encode(self.server_key)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SCRAM-SHA-256 exchange of RFC 7677, section 3: user "user", password "pencil".
    const SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";
    const AUTH_MESSAGE: &str = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
        r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
        c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const CLIENT_PROOF: &str = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_SIGNATURE: &str = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    fn rfc_verifier() -> Verifier {
        Verifier::from_password("pencil", &STANDARD.decode(SALT).unwrap(), 4096)
    }

    #[test]
    fn the_rfc_7677_exchange_is_accepted_and_answered() {
        let v = rfc_verifier();
        let proof = STANDARD.decode(CLIENT_PROOF).unwrap();
        assert!(v.accepts(AUTH_MESSAGE, &proof));
        assert_eq!(
            STANDARD.encode(v.server_signature(AUTH_MESSAGE)),
            SERVER_SIGNATURE
        );
    }

    #[test]
    fn a_wrong_password_or_a_changed_message_is_refused() {
        let proof = STANDARD.decode(CLIENT_PROOF).unwrap();
        let wrong = Verifier::from_password("pencils", &STANDARD.decode(SALT).unwrap(), 4096);
        assert!(!wrong.accepts(AUTH_MESSAGE, &proof));
        let v = rfc_verifier();
        assert!(!v.accepts(&AUTH_MESSAGE.replace("i=4096", "i=4097"), &proof));
        assert!(!v.accepts(AUTH_MESSAGE, &proof[..31]));
    }

    #[test]
    fn a_verifier_reads_back_as_it_was_written_and_says_nothing_of_its_keys() {
        let v = Verifier::new("correct horse");
        let text = v.to_string();
        assert!(text.starts_with("SCRAM-SHA-256$4096:"), "{text}");
        assert_eq!(Verifier::parse(&text).unwrap(), v);
        assert_eq!(format!("{v:?}"), "Verifier(SCRAM-SHA-256, 4096 iterations)");
        assert_ne!(
            Verifier::new("correct horse").salt,
            v.salt,
            "a fresh salt each time"
        );
        assert_eq!(Verifier::parse("md5abc"), Err(VerifierError::Form));
        assert!(matches!(
            Verifier::parse("SCRAM-SHA-256$10:c2FsdA==$AAAA:AAAA"),
            Err(VerifierError::Iterations(_))
        ));
    }
}
