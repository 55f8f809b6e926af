//! Logging in: SCRAM-SHA-256 and nothing else. The server offers only that mechanism, so a
//! client set on cleartext or MD5 gets nothing it can use, and one that answers with a
//! password message is refused. An unknown user goes through the same exchange, with a salt
//! derived from the name, and fails at the same point as a wrong password: the answer does not
//! tell who has an account. Failures are counted per user and address, and each failure is
//! answered more slowly than the last.

use std::collections::HashMap;
use std::fmt::Debug;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    DefaultServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{ClientInfo, PgWireConnectionState, PidSecretKeyGenerator};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::{Authentication, PasswordMessageFamily};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};

use crate::audit::{Kind, Record};
use crate::conn::{Conn, Shared};
use crate::scram::Verifier;
use crate::{Accounts, Role};

const MECHANISM: &str = "SCRAM-SHA-256";

pub fn fatal(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".into(),
        code.into(),
        message.into(),
    )))
}

/// Failed logins per (user, address) in the last quarter hour.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<(String, IpAddr), (u32, Instant)>>,
}

const WINDOW: Duration = Duration::from_secs(15 * 60);

impl Throttle {
    /// Counts a failure and says how many there have been.
    pub fn fail(&self, user: &str, ip: IpAddr) -> u32 {
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        m.retain(|_, (_, t)| now.duration_since(*t) < WINDOW);
        let e = m.entry((user.to_string(), ip)).or_insert((0, now));
        e.0 += 1;
        e.1 = now;
        e.0
    }

    pub fn clear(&self, user: &str, ip: IpAddr) {
        let mut m = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        m.remove(&(user.to_string(), ip));
    }

    /// How long to wait before answering the n-th failure: 0.5 s, doubling, at most 8 s.
    pub fn delay(n: u32) -> Duration {
        Duration::from_millis(500u64 << n.saturating_sub(1).min(4))
    }
}

enum Exchange {
    Start,
    /// AuthenticationSASL sent; the user named at startup, and their account if any.
    Offered {
        user: String,
        account: Option<(Verifier, Role)>,
    },
    /// server-first sent.
    Challenged {
        user: String,
        account: Option<(Verifier, Role)>,
        gs2_header: String,
        client_first_bare: String,
        server_first: String,
        nonce: String,
    },
}

/// One connection's login.
pub struct Startup {
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    exchange: tokio::sync::Mutex<Exchange>,
}

impl Startup {
    pub fn new(shared: Arc<Shared>, conn: Arc<Conn>) -> Self {
        Self {
            shared,
            conn,
            exchange: tokio::sync::Mutex::new(Exchange::Start),
        }
    }

    fn record(&self, kind: Kind, user: Option<&str>) -> Record {
        let mut r = Record::new(kind, self.conn.addr);
        r.user = user.map(str::to_string);
        r.tls = Some(self.conn.is_tls());
        r
    }

    /// Logs a refusal before login and returns it.
    fn reject(&self, user: Option<&str>, code: &str, message: String) -> PgWireError {
        let mut r = self.record(Kind::Rejected, user);
        r.reason = Some(message.clone());
        self.shared.audit(&r);
        fatal(code, message)
    }

    /// A salt for a name without an account: the same name gets the same salt every time,
    /// as a real account's would.
    fn mock_verifier(&self, user: &str) -> Verifier {
        let salt = crate::scram::salted_password(user, &self.shared.mock_salt, 1);
        Verifier {
            iterations: crate::scram::DEFAULT_ITERATIONS,
            salt: salt[..16].to_vec(),
            stored_key: rand::random(),
            server_key: rand::random(),
        }
    }

    async fn fail(&self, user: &str, why: &str) -> PgWireError {
        let ip = self.conn.addr.ip();
        let n = self.shared.throttle.fail(user, ip);
        let mut r = self.record(Kind::LoginFailed, Some(user));
        r.reason = Some(why.to_string());
        r.failures = Some(n);
        self.shared.audit(&r);
        tokio::time::sleep(Throttle::delay(n)).await;
        fatal(
            "28P01",
            format!("password authentication failed for user \"{user}\""),
        )
    }
}

/// A SASLInitialResponse's mechanism and data, read here rather than by pgwire, whose decoder
/// panics on a body that is not one (a cleartext password, say).
fn sasl_initial(msg: PasswordMessageFamily) -> Option<(String, Vec<u8>)> {
    let PasswordMessageFamily::Raw(body) = msg else {
        return None;
    };
    let nul = body.iter().position(|&b| b == 0)?;
    let mechanism = std::str::from_utf8(&body[..nul]).ok()?.to_string();
    let rest = &body[nul + 1..];
    let len = i32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
    let data = match usize::try_from(len) {
        Ok(n) => rest.get(4..4 + n)?.to_vec(),
        Err(_) => vec![],
    };
    Some((mechanism, data))
}

/// `n,,n=user,r=nonce` → (gs2 header, client-first-bare, client nonce).
fn client_first(data: &[u8]) -> Option<(String, String, String)> {
    let text = std::str::from_utf8(data).ok()?;
    let (cbind, rest) = text.split_once(',')?;
    // "n": the client does not do channel binding; "y": it does, but thinks we do not (true:
    // we offer no -PLUS). "p=…" asks for binding we never offered.
    if cbind != "n" && cbind != "y" {
        return None;
    }
    let (authzid, bare) = rest.split_once(',')?;
    let nonce = bare
        .split(',')
        .find_map(|a| a.strip_prefix("r="))
        .filter(|n| !n.is_empty())?;
    Some((
        format!("{cbind},{authzid},"),
        bare.to_string(),
        nonce.to_string(),
    ))
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut exchange = self.exchange.lock().await;
        match (&*exchange, message) {
            (Exchange::Start, PgWireFrontendMessage::Startup(startup)) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                self.conn.set_tls(client.is_secure());
                let user = client.metadata().get("user").cloned();
                if let Some(limit) = self.conn.over_limit {
                    return Err(self.reject(
                        user.as_deref(),
                        "53300",
                        format!("sorry, too many clients already (friktion serve allows {limit} connections)"),
                    ));
                }
                if self.shared.config.tls_required() && !client.is_secure() {
                    return Err(self.reject(
                        user.as_deref(),
                        "28000",
                        format!(
                            "friktion serve on {} accepts TLS connections only: connect with \
                             sslmode=require (or verify-full with the server's certificate)",
                            self.shared.config.listen
                        ),
                    ));
                }
                let Some(user) = user.filter(|u| !u.is_empty()) else {
                    return Err(self.reject(None, "28000", "no user name given".into()));
                };
                let accounts = Accounts::load(&self.shared.config.accounts).map_err(|e| {
                    tracing::error!(error = %friktion_core::error_chain(&e), "cannot read the accounts");
                    fatal("28000", "the server cannot read its accounts; tell its operator")
                })?;
                let account = accounts.get(&user).map(|a| (a.verifier.clone(), a.role));
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                        vec![MECHANISM.to_string()],
                    )))
                    .await?;
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                *exchange = Exchange::Offered { user, account };
                Ok(())
            }
            (
                Exchange::Offered { user, account },
                PgWireFrontendMessage::PasswordMessageFamily(msg),
            ) => {
                let user = user.clone();
                let initial = sasl_initial(msg);
                let Some((_, data)) = initial.filter(|(mechanism, _)| mechanism == MECHANISM)
                else {
                    return Err(self.fail(&user, "the client did not answer with SCRAM-SHA-256 (cleartext, MD5 and other methods are refused)").await);
                };
                let Some((gs2_header, client_first_bare, client_nonce)) = client_first(&data)
                else {
                    return Err(self
                        .fail(&user, "malformed SCRAM client-first message")
                        .await);
                };
                let verifier = match account {
                    Some((v, _)) => v.clone(),
                    None => self.mock_verifier(&user),
                };
                let server_nonce: [u8; 18] = rand::random();
                let nonce = format!("{client_nonce}{}", STANDARD.encode(server_nonce));
                let server_first = format!(
                    "r={nonce},s={},i={}",
                    STANDARD.encode(&verifier.salt),
                    verifier.iterations
                );
                client
                    .send(PgWireBackendMessage::Authentication(
                        Authentication::SASLContinue(server_first.clone().into()),
                    ))
                    .await?;
                *exchange = Exchange::Challenged {
                    user,
                    account: account.clone(),
                    gs2_header,
                    client_first_bare,
                    server_first,
                    nonce,
                };
                Ok(())
            }
            (
                Exchange::Challenged {
                    user,
                    account,
                    gs2_header,
                    client_first_bare,
                    server_first,
                    nonce,
                },
                PgWireFrontendMessage::PasswordMessageFamily(msg),
            ) => {
                let user = user.clone();
                let text = match msg {
                    PasswordMessageFamily::Raw(body) => {
                        String::from_utf8(body.to_vec()).unwrap_or_default()
                    }
                    _ => String::new(),
                };
                let Some((without_proof, proof)) = text.rsplit_once(",p=") else {
                    return Err(self
                        .fail(&user, "malformed SCRAM client-final message")
                        .await);
                };
                let binding_ok = without_proof
                    .split(',')
                    .any(|a| a == format!("c={}", STANDARD.encode(gs2_header.as_bytes())));
                let nonce_ok = without_proof.split(',').any(|a| a == format!("r={nonce}"));
                let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
                let proof = STANDARD.decode(proof).unwrap_or_default();
                let Some((verifier, role)) = account
                    .as_ref()
                    .filter(|(v, _)| binding_ok && nonce_ok && v.accepts(&auth_message, &proof))
                else {
                    let why = if account.is_none() {
                        "no such user"
                    } else if !(binding_ok && nonce_ok) {
                        "SCRAM nonce or channel binding did not match"
                    } else {
                        "wrong password"
                    };
                    return Err(self.fail(&user, why).await);
                };
                let role = *role;
                let signature = verifier.server_signature(&auth_message);
                client
                    .send(PgWireBackendMessage::Authentication(
                        Authentication::SASLFinal(
                            format!("v={}", STANDARD.encode(signature)).into(),
                        ),
                    ))
                    .await?;
                self.shared.throttle.clear(&user, self.conn.addr.ip());
                let (pid, secret) = self.shared.pids.generate(client);
                client.set_pid_and_secret_key(pid, secret.clone());
                self.shared.register(pid, &secret, &self.conn);
                if let Err(e) = self.conn.login(&self.shared, &user, role, pid).await {
                    tracing::error!(error = %friktion_core::error_chain(&e), "cannot open the lake for {user}");
                    return Err(fatal("58000", format!("cannot open the lake: {e}")));
                }
                let mut r = self.record(Kind::Login, Some(&user));
                r.role = Some(role.as_str().into());
                r.connection = Some(pid);
                self.shared.audit(&r);
                *exchange = Exchange::Start;
                let mut params = DefaultServerParameterProvider::default();
                params.default_transaction_read_only = true;
                params.is_superuser = false;
                finish_authentication(client, &params).await
            }
            (_, _) => Err(fatal(
                "08P01",
                "unexpected message during login: friktion serve accepts SCRAM-SHA-256 only",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_message_is_not_taken_for_a_sasl_response() {
        let raw = |b: &[u8]| PasswordMessageFamily::Raw(bytes::BytesMut::from(b));
        assert_eq!(sasl_initial(raw(b"hunter2\0")), None);
        assert_eq!(sasl_initial(raw(b"")), None);
        assert_eq!(
            sasl_initial(raw(b"SCRAM-SHA-256\0\0\0\0\x09n,,n=")),
            None,
            "shorter than it says"
        );
        let mut ok = b"SCRAM-SHA-256\0".to_vec();
        ok.extend(5i32.to_be_bytes());
        ok.extend(b"n,,n=");
        assert_eq!(
            sasl_initial(raw(&ok)),
            Some(("SCRAM-SHA-256".to_string(), b"n,,n=".to_vec()))
        );
    }

    #[test]
    fn client_first_is_split_and_channel_binding_requests_are_refused() {
        let (h, bare, nonce) = client_first(b"n,,n=,r=abc").unwrap();
        assert_eq!(
            (h.as_str(), bare.as_str(), nonce.as_str()),
            ("n,,", "n=,r=abc", "abc")
        );
        assert!(client_first(b"p=tls-server-end-point,,n=,r=abc").is_none());
        assert!(client_first(b"n,,n=,r=").is_none());
        assert!(client_first(b"garbage").is_none());
    }

    #[test]
    fn failures_slow_down_and_are_counted_per_user_and_address() {
        let t = Throttle::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(t.fail("anna", ip), 1);
        assert_eq!(t.fail("anna", ip), 2);
        assert_eq!(t.fail("bo", ip), 1);
        t.clear("anna", ip);
        assert_eq!(t.fail("anna", ip), 1);
        assert!(Throttle::delay(2) > Throttle::delay(1));
        assert_eq!(Throttle::delay(30), Duration::from_secs(8));
    }
}
