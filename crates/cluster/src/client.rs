//! The client side: a SessionContext whose queries run on the cluster, built from friktion's
//! settings and functions, so that a model means the same on a cluster as on one machine.

use std::sync::Arc;
use std::time::Duration;

use ballista::prelude::SessionContextExt;
use ballista_core::extension::SessionConfigExt;
use ballista_core::planner::BallistaQueryPlanner;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::{LogicalPlan, TableScan};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};
use datafusion::prelude::SessionContext;
use datafusion_proto::protobuf::LogicalPlanNode;
use friktion_query::SessionOptions;

use crate::ClusterError;
use crate::codec::FriktionCodec;

/// A scheduler's address: `df://host:port` (port 50050 when left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerUrl {
    pub host: String,
    pub port: u16,
}

impl SchedulerUrl {
    pub fn parse(s: &str) -> Result<Self, ClusterError> {
        let bad = |problem: &str| ClusterError::SchedulerUrl {
            url: s.to_string(),
            problem: problem.to_string(),
        };
        let url = url::Url::parse(s).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "df" {
            return Err(bad(&format!(
                "the scheme is {}://, a scheduler's is df://",
                url.scheme()
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("a scheduler takes no user or password"));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(bad("a scheduler's address has no path or query"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(bad("no host"))?;
        Ok(Self {
            host: host.to_string(),
            port: url.port().unwrap_or(50050),
        })
    }

    fn http(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }
}

impl std::fmt::Display for SchedulerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "df://{}:{}", self.host, self.port)
    }
}

/// Where a session's queries run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Engine {
    /// In this process (DataFusion).
    #[default]
    Local,
    /// On a Ballista cluster, each stage of a query split into `partitions` tasks.
    Ballista {
        scheduler: SchedulerUrl,
        partitions: usize,
    },
}

impl Engine {
    /// A context on this engine with friktion's settings and functions.
    pub async fn context(&self, opts: &SessionOptions) -> Result<SessionContext, ClusterError> {
        match self {
            Engine::Local => Ok(friktion_query::local_context(opts)?),
            Engine::Ballista {
                scheduler,
                partitions,
            } => {
                let opts = SessionOptions {
                    target_partitions: (*partitions).max(1),
                    ..opts.clone()
                };
                connect(scheduler, &opts).await
            }
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Engine::Local => write!(f, "local"),
            Engine::Ballista { scheduler, .. } => write!(f, "ballista at {scheduler}"),
        }
    }
}

/// A context whose queries run on the cluster behind `scheduler`, with friktion's settings,
/// memory limit and functions. Queries of the session's own catalog (information_schema and
/// the SQL server's pg_catalog) run here: no other node has that catalog.
pub async fn connect(
    scheduler: &SchedulerUrl,
    opts: &SessionOptions,
) -> Result<SessionContext, ClusterError> {
    let addr = (scheduler.host.as_str(), scheduler.port);
    let unreachable = |problem: String| ClusterError::Unreachable {
        url: scheduler.to_string(),
        problem,
    };
    match tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(unreachable(e.to_string())),
        Err(_) => return Err(unreachable("no answer in 10 s".into())),
    }
    let config = friktion_query::config(opts.target_partitions).upgrade_for_ballista();
    let codec = Arc::new(FriktionCodec::default());
    let planner = CatalogHere {
        cluster: BallistaQueryPlanner::<LogicalPlanNode>::with_extension(
            scheduler.http(),
            config.ballista_config(),
            codec.clone(),
        ),
    };
    let config = config
        .with_ballista_logical_extension_codec(codec)
        .with_ballista_query_planner(Arc::new(planner));
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(friktion_query::runtime(opts)?)
        .build();
    let ctx = SessionContext::remote_with_state(&scheduler.to_string(), state).await?;
    friktion_query::register_functions(&ctx);
    Ok(ctx)
}

/// Ballista's planner, except for plans that read only this session's catalog.
#[derive(Debug)]
struct CatalogHere {
    cluster: BallistaQueryPlanner<LogicalPlanNode>,
}

/// Whether every table `plan` reads is in a catalog schema (information_schema, pg_catalog).
fn reads_only_catalog(plan: &LogicalPlan) -> datafusion::error::Result<bool> {
    let mut other = false;
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(TableScan { table_name, .. }) = node
            && !matches!(
                table_name.schema(),
                Some("information_schema" | "pg_catalog")
            )
        {
            other = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(!other)
}

#[async_trait::async_trait]
impl QueryPlanner for CatalogHere {
    async fn create_physical_plan(
        &self,
        plan: &LogicalPlan,
        state: &dyn Session,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        if reads_only_catalog(plan)? {
            return DefaultPhysicalPlanner::default()
                .create_physical_plan(plan, state)
                .await;
        }
        self.cluster.create_physical_plan(plan, state).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_urls() {
        let u = SchedulerUrl::parse("df://127.0.0.1:50060").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 50060));
        assert_eq!(SchedulerUrl::parse("df://sched").unwrap().port, 50050);
        for (bad, says) in [
            ("http://sched:50050", "scheme is http://"),
            ("df://u:p@sched", "no user or password"),
            ("df://sched/x", "no path"),
            ("sched:50050", "scheme is sched://"),
        ] {
            let e = SchedulerUrl::parse(bad).unwrap_err().to_string();
            assert!(e.contains(says) && e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn catalog_plans_are_told_apart() {
        let ctx = SessionContext::new_with_config(
            datafusion::prelude::SessionConfig::new().with_information_schema(true),
        );
        let rt = tokio::runtime::Runtime::new().unwrap();
        let plan =
            |sql: &str| rt.block_on(async { ctx.sql(sql).await.unwrap().into_unoptimized_plan() });
        ctx.register_batch(
            "t",
            arrow::array::RecordBatch::try_from_iter([(
                "a",
                Arc::new(arrow::array::Int32Array::from(vec![1])) as _,
            )])
            .unwrap(),
        )
        .unwrap();
        assert!(reads_only_catalog(&plan("SELECT * FROM information_schema.tables")).unwrap());
        assert!(reads_only_catalog(&plan("SELECT 1")).unwrap());
        assert!(!reads_only_catalog(&plan("SELECT * FROM t")).unwrap());
        assert!(
            !reads_only_catalog(&plan(
                "SELECT * FROM information_schema.tables WHERE table_name IN (SELECT 'x' FROM t)"
            ))
            .unwrap()
        );
    }
}
