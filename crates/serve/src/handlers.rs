//! The handlers pgwire asks for, per connection: the login, the query handlers (each
//! statement bounded and audited, then handed to the role's session) and cancel requests.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use datafusion_postgres::{DfSessionService, Parser};
use futures::Sink;
use pgwire::api::cancel::CancelHandler;
use pgwire::api::portal::Portal;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::Response;
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, NoopHandler, PgWireServerHandlers};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::cancel::CancelRequest;

use crate::auth::Startup;
use crate::conn::{Conn, Shared, read_gate};
use crate::guard::{error, sqlstate};
use crate::statement::{Running, Tally, prefilter, refused, statement_record};

/// The extended protocol's Parse: refused writes stop here (a statement PostgreSQL's parser
/// cannot read, such as CREATE EXTERNAL TABLE, too), and whatever fails here is audited, as it
/// would be when executed.
pub struct Checked {
    inner: Arc<Parser>,
    shared: Arc<Shared>,
    conn: Arc<Conn>,
}

#[async_trait]
impl QueryParser for Checked {
    type Statement = Statement;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<pgwire::api::Type>],
    ) -> PgWireResult<Option<Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let started = Instant::now();
        self.conn.touch();
        let r = match prefilter(sql) {
            Ok(()) => self.inner.parse_sql(client, sql, types).await,
            Err(e) => Err(e),
        };
        if let Err(e) = &r {
            refused(&self.shared, statement_record(&self.conn, sql), started, e);
        }
        r
    }

    fn get_parameter_types(&self, stmt: &Statement) -> PgWireResult<Vec<pgwire::api::Type>> {
        self.inner.get_parameter_types(stmt)
    }

    fn get_result_schema(
        &self,
        stmt: &Statement,
        column_format: Option<&pgwire::api::portal::Format>,
    ) -> PgWireResult<Vec<pgwire::api::results::FieldInfo>> {
        self.inner.get_result_schema(stmt, column_format)
    }
}

/// The query handlers of one connection: each statement bounded and audited, then handed to
/// the role's session.
pub struct Router {
    shared: Arc<Shared>,
    conn: Arc<Conn>,
}

impl Router {
    async fn begin(&self, text: &str) -> PgWireResult<Running> {
        let (user, role, _) = self
            .conn
            .user()
            .ok_or_else(|| error("28000", "not logged in"))?;
        let record = statement_record(&self.conn, text);
        self.conn.touch();
        let started = Instant::now();
        // A statement refused before it runs gets its record here.
        let refuse = |e: PgWireError| {
            refused(&self.shared, record.clone(), started, &e);
            e
        };
        prefilter(text).map_err(refuse)?;
        let slot = self.shared.user_slot(user).ok_or_else(|| {
            refuse(error(
                sqlstate::TOO_MANY,
                format!(
                    "too many queries running for {user}: at most {} at once; wait for one to finish",
                    self.shared.config.queries_per_user
                ),
            ))
        })?;
        let gate = read_gate(&self.shared)
            .await
            .map_err(|e| refuse(error("58000", friktion_core::error_chain(&e))))?;
        if let Some(j) = self.shared.lake.unfinished_commit() {
            return Err(refuse(error(
                "55000",
                format!(
                    "the lake has a commit a writer did not finish ({}); the next `friktion run` \
                     completes it, until then nothing is served",
                    j.display()
                ),
            )));
        }
        let service = self
            .conn
            .refresh(&self.shared, role, gate.generation())
            .await
            .map_err(|e| refuse(error("58000", friktion_core::error_chain(&e))))?;
        let tally = Arc::new(Tally::new(
            self.shared.clone(),
            self.conn.clone(),
            record,
            started,
            gate,
            slot,
        ));
        // A result the client stops reading must not hold commits back past the timeout.
        let weak = Arc::downgrade(&tally);
        let timeout = self.shared.config.query_timeout();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout + Duration::from_secs(1)).await;
            if let Some(t) = weak.upgrade() {
                t.release_gate();
            }
        });
        tally.stop_with(timer.abort_handle());
        Ok(Running {
            tally,
            token: self.conn.fresh_token(),
            deadline: tokio::time::Instant::now() + timeout,
            service,
        })
    }
}

#[async_trait]
impl SimpleQueryHandler for Router {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let run = self.begin(query).await?;
        let service = run.service.clone();
        let responses = run
            .bounded(SimpleQueryHandler::do_query(
                service.as_ref(),
                client,
                query,
            ))
            .await?;
        Ok(responses.into_iter().map(|r| run.wrap(r)).collect())
    }
}

type Statement = <DfSessionService as ExtendedQueryHandler>::Statement;

#[async_trait]
impl ExtendedQueryHandler for Router {
    type Statement = Statement;
    type QueryParser = Checked;

    fn query_parser(&self) -> Arc<Checked> {
        Arc::new(Checked {
            inner: self.conn.current().query_parser(),
            shared: self.shared.clone(),
            conn: self.conn.clone(),
        })
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let run = self.begin(&portal.statement.statement.0).await?;
        let service = run.service.clone();
        let response = run
            .bounded(ExtendedQueryHandler::do_query(
                service.as_ref(),
                client,
                portal,
                max_rows,
            ))
            .await?;
        Ok(run.wrap(response))
    }
}

/// Cancel requests arrive on a connection of their own, naming another by pid and secret.
pub struct Cancels(pub Arc<Shared>);

#[async_trait]
impl CancelHandler for Cancels {
    async fn on_cancel_request(&self, req: CancelRequest) {
        self.0.cancel(req.pid, &req.secret_key);
    }
}

/// The handlers pgwire asks for, per connection.
pub struct Handlers {
    router: Arc<Router>,
    startup: Arc<Startup>,
    cancels: Arc<Cancels>,
}

impl Handlers {
    pub fn new(shared: Arc<Shared>, conn: Arc<Conn>) -> Self {
        Self {
            router: Arc::new(Router {
                shared: shared.clone(),
                conn: conn.clone(),
            }),
            startup: Arc::new(Startup::new(shared.clone(), conn)),
            cancels: Arc::new(Cancels(shared)),
        }
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        self.router.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        self.router.clone()
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl CancelHandler> {
        self.cancels.clone()
    }

    fn error_handler(&self) -> Arc<impl pgwire::api::ErrorHandler> {
        Arc::new(NoopHandler)
    }
}
