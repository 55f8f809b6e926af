//! friktion's SQL on an Apache Ballista cluster on loopback: `friktion scheduler` and
//! `friktion executor` as the processes a deployment runs, every model of the sample nightly
//! through them, and the SQL shell and server on them, over a local lake and over S3.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use friktion_lake::Lake;

use crate::object_store::{CREDENTIALS, Moto, friktion_s3, use_store};
use crate::{Project, assert_ok, text};

/// A scheduler and executors, each a `friktion` process on loopback; stopped when dropped.
pub struct Cluster {
    procs: Vec<Child>,
    pub url: String,
    work: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// `executors` executors of two tasks each; `env` is what every process gets (the store's
    /// settings and credentials, as a deployment sets them).
    pub fn start(executors: usize, env: &[(&str, &str)]) -> Self {
        let work = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut c = Self {
            procs: vec![],
            url: format!("df://127.0.0.1:{port}"),
            work,
        };
        c.spawn(
            &["scheduler", "--listen", &format!("127.0.0.1:{port}")],
            "scheduler",
            env,
        );
        c.wait_listening(port, "scheduler");
        for i in 0..executors {
            let (flight, grpc) = (free_port(), free_port());
            let dir = c.work.path().join(format!("executor-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let url = c.url.clone();
            c.spawn(
                &[
                    "executor",
                    "--scheduler",
                    &url,
                    "--flight-port",
                    &flight.to_string(),
                    "--grpc-port",
                    &grpc.to_string(),
                    "--tasks",
                    "2",
                    "--work-dir",
                    dir.to_str().unwrap(),
                ],
                &format!("executor-{i}"),
                env,
            );
            c.wait_listening(flight, &format!("executor-{i}"));
        }
        c
    }

    fn spawn(&mut self, args: &[&str], name: &str, env: &[(&str, &str)]) {
        let log = std::fs::File::create(self.work.path().join(format!("{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_friktion"))
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.procs.push(child);
    }

    fn wait_listening(&mut self, port: u16, name: &str) {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(child) = self.procs.last_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("{name} exited ({status}):\n{}", self.logs());
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{name} never listened on {port}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What the processes said, for a failing test's message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let mut names: Vec<_> = std::fs::read_dir(self.work.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        names.sort();
        for p in names {
            let t = std::fs::read_to_string(&p).unwrap_or_default();
            out.push_str(&format!("--- {}\n{t}\n", p.display()));
        }
        out
    }

    /// A command's success, or its error with what the cluster's processes said.
    pub fn assert_ok(&self, o: &std::process::Output) {
        assert!(o.status.success(), "{}\n{}", text(&o.stderr), self.logs());
    }

    /// The flags that send a command's SQL to this cluster.
    pub fn engine(&self) -> [&str; 4] {
        ["--engine", "ballista", "--scheduler", &self.url]
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.procs {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

const RUN: [&str; 4] = [
    "--run-id",
    "20261130T020000Z",
    "--clock",
    "2026-11-30T02:00:00Z",
];

/// Every mart of a lake as one batch each.
fn marts(lake: &Lake) -> Vec<(String, RecordBatch)> {
    lake.marts()
        .unwrap()
        .into_iter()
        .map(|m| {
            let batches = lake.read_mart(&m).unwrap();
            let schema = batches[0].schema();
            (
                m,
                arrow::compute::concat_batches(&schema, &batches).unwrap(),
            )
        })
        .collect()
}

/// Two marts the same: the same columns and types, the same rows in the same order, every
/// value equal, floating-point ones to 1e-12 of their size (sums added in another order).
/// Returns whether they are equal to the bit.
fn assert_same_mart(name: &str, want: &RecordBatch, got: &RecordBatch) -> bool {
    assert_eq!(want.schema(), got.schema(), "{name}: columns");
    assert_eq!(want.num_rows(), got.num_rows(), "{name}: rows");
    let mut exact = true;
    let fmt = FormatOptions::default().with_null("NULL");
    for (i, field) in want.schema().fields().iter().enumerate() {
        let (a, b) = (want.column(i), got.column(i));
        if field.data_type() == &DataType::Float64 {
            let (a, b) = (
                a.as_primitive::<Float64Type>(),
                b.as_primitive::<Float64Type>(),
            );
            for r in 0..a.len() {
                assert_eq!(
                    a.is_null(r),
                    b.is_null(r),
                    "{name}.{} row {r}",
                    field.name()
                );
                let (x, y) = (a.value(r), b.value(r));
                if a.is_null(r) || x.to_bits() == y.to_bits() {
                    continue;
                }
                exact = false;
                assert!(
                    (x - y).abs() <= 1e-12 * x.abs().max(1.0),
                    "{name}.{} row {r}: {x} here, {y} on the cluster",
                    field.name()
                );
            }
            continue;
        }
        let (fa, fb) = (
            ArrayFormatter::try_new(a.as_ref(), &fmt).unwrap(),
            ArrayFormatter::try_new(b.as_ref(), &fmt).unwrap(),
        );
        for r in 0..a.len() {
            assert_eq!(
                fa.value(r).to_string(),
                fb.value(r).to_string(),
                "{name}.{} row {r}",
                field.name()
            );
        }
    }
    exact
}

fn assert_same_marts(want: &Lake, got: &Lake) -> (usize, usize) {
    let (w, g) = (marts(want), marts(got));
    assert_eq!(
        w.iter().map(|m| &m.0).collect::<Vec<_>>(),
        g.iter().map(|m| &m.0).collect::<Vec<_>>(),
        "the same marts"
    );
    assert!(w.len() >= 15, "{} marts", w.len());
    let exact = w
        .iter()
        .zip(&g)
        .filter(|(a, b)| assert_same_mart(&a.0, &a.1, &b.1))
        .count();
    (exact, w.len())
}

#[test]
fn every_model_on_a_ballista_cluster_of_two_executors_gives_the_local_engines_marts() {
    let cluster = Cluster::start(2, &[]);
    let local = Project::new();
    let o = local.friktion(
        &[
            &["run", "--config", local.config().to_str().unwrap()][..],
            &RUN,
        ]
        .concat(),
    );
    assert_ok(&o);
    let on_cluster = Project::new();
    let cfg = on_cluster.config();
    let o = on_cluster.friktion(
        &[
            &["run", "--config", cfg.to_str().unwrap()][..],
            &cluster.engine(),
            &RUN,
        ]
        .concat(),
    );
    cluster.assert_ok(&o);
    let (exact, all) = assert_same_marts(
        &Lake::open_read(local.lake()).unwrap(),
        &Lake::open_read(on_cluster.lake()).unwrap(),
    );
    eprintln!("{exact} of {all} marts bit for bit the local engine's, the rest to 1e-12");
    // The data tests ran on the cluster too, with the same outcome.
    let tests = |p: &Project| {
        p.sql_csv(
            "SELECT target, test, status, failing_rows FROM _tests ORDER BY target, test, status",
        )
    };
    assert_eq!(tests(&local), tests(&on_cluster));

    // The SQL shell on the cluster: a plan of the cluster's, friktion's aggregates on the
    // executors, and the session's own catalog answered here.
    let lake = on_cluster.lake();
    let sql = |q: &str| {
        let o = on_cluster.friktion(
            &[
                &["sql", "--lake", lake.to_str().unwrap(), "--format", "csv"][..],
                &cluster.engine(),
                &["-e", q],
            ]
            .concat(),
        );
        cluster.assert_ok(&o);
        text(&o.stdout)
    };
    let explain =
        sql("EXPLAIN SELECT kommun_kod, count(*) FROM survey_response GROUP BY kommun_kod");
    assert!(
        explain.contains("distributed_plan") && explain.contains("ShuffleWriterExec"),
        "{explain}"
    );
    let km = "SELECT km_quantile(days, observed, 0.5) AS median FROM project_time_to_go_live";
    assert_eq!(sql(km), on_cluster.sql_csv(km));
    let by_kommun = "SELECT kommun_kod, count(*) AS n FROM survey_response GROUP BY kommun_kod ORDER BY kommun_kod";
    assert_eq!(sql(by_kommun), on_cluster.sql_csv(by_kommun));
    assert!(sql("SHOW TABLES").contains("friction_by_kommun"));
}

#[test]
fn on_object_storage_the_executors_read_the_bucket_and_serve_queries_on_the_cluster() {
    let moto = Moto::start();
    moto.bucket("friktion");
    let store_env: Vec<(&str, &str)> = CREDENTIALS
        .iter()
        .copied()
        .chain([
            ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_REGION", "eu-north-1"),
        ])
        .collect();
    // The executors know the store only from their environment, as on their own machines.
    let cluster = Cluster::start(1, &store_env);
    let (p, accounts) = crate::wire::served_project();
    let local_lake = Lake::open_read(p.lake()).unwrap();
    let count = "SELECT count(*) AS n FROM survey_response";
    let local_count = p.sql_csv(count);
    use_store(&p, &moto, "s3://friktion/cluster");
    let cfg = p.config();
    let o = friktion_s3(
        &p,
        &[
            &["run", "--config", cfg.to_str().unwrap()][..],
            &cluster.engine(),
        ]
        .concat(),
    );
    cluster.assert_ok(&o);
    for (k, v) in CREDENTIALS {
        // SAFETY: every test that sets these sets the same values.
        unsafe { std::env::set_var(k, v) };
    }
    let s3_marts_equal_local = || {
        let s3 = Lake::open_read_at(
            &friktion_lake::LakeLocation::parse("s3://friktion/cluster").unwrap(),
            &moto.settings(),
            p.path(),
        )
        .unwrap();
        assert_same_marts(&local_lake, &s3);
    };
    s3_marts_equal_local();

    // Marts being built go to the executors as files uploaded before the commit: a night that
    // fails half way deletes them, and no lake version ever names them.
    let failing = p.path().join("pipelines/models/zz_fails.sql");
    std::fs::write(
        &failing,
        "-- name: zz_fails\n-- description: d\n-- unit: u\n-- grain: g\n\
         SELECT * FROM friction_cost WHERE no_such_column > 0\n",
    )
    .unwrap();
    let models_run = [
        &["models", "run", "--config", cfg.to_str().unwrap()][..],
        &cluster.engine(),
    ]
    .concat();
    let o = friktion_s3(&p, &models_run);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("zz_fails"), "{}", text(&o.stderr));
    let tables = crate::object_store::delta_tables(&moto, "s3://friktion/cluster");
    let marts: Vec<_> = tables
        .iter()
        .filter(|(t, _)| t.starts_with("marts/"))
        .collect();
    assert!(marts.len() > 10, "{tables:?}");
    for (t, (files, _, stored)) in &marts {
        assert_eq!(files, stored, "{t}: an object no version names is left");
    }
    // Rebuilt alone on the cluster, the marts are the same again; each table now stores the
    // replaced file too (kept for readers of the earlier version).
    std::fs::remove_file(&failing).unwrap();
    cluster.assert_ok(&friktion_s3(&p, &models_run));
    s3_marts_equal_local();
    let tables = crate::object_store::delta_tables(&moto, "s3://friktion/cluster");
    for (t, (files, _, stored)) in tables.iter().filter(|(t, _)| t.starts_with("marts/")) {
        assert_eq!((*files, *stored), (1, 2), "{t}");
    }

    let o = Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args(
            [
                &["sql", "--lake", "s3://friktion/cluster", "--format", "csv"][..],
                &cluster.engine(),
                &["-e", count],
            ]
            .concat(),
        )
        .envs(store_env.iter().copied())
        .output()
        .unwrap();
    cluster.assert_ok(&o);
    assert_eq!(text(&o.stdout), local_count);

    let engine = cluster.engine();
    let s = crate::wire::Served::spawn(
        &p,
        &[
            &[
                "serve",
                "--config",
                cfg.to_str().unwrap(),
                "--accounts",
                accounts.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
            ][..],
            &engine,
        ]
        .concat(),
    );
    assert!(
        s.stderr().contains("engine ballista at df://"),
        "{}",
        s.stderr()
    );
    let o = s.psql("res", "", "SELECT count(*) FROM survey_response");
    cluster.assert_ok(&o);
    assert_eq!(text(&o.stdout).trim(), local_count.lines().nth(1).unwrap());
    // psql's \d reads the Postgres catalog, which only this server has: answered here.
    let o = s.psql("res", "", "\\d");
    assert_ok(&o);
    assert!(
        text(&o.stdout).contains("friction_by_kommun"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn engine_flags_that_cannot_be_honoured_are_refused() {
    let p = Project::new();
    let lake = p.path().join("nolake");
    std::fs::create_dir_all(lake.join("marts")).unwrap();
    let refused = |extra: &[&str], says: &str| {
        let o = p.friktion(
            &[
                &["sql", "--lake", lake.to_str().unwrap(), "-e", "SELECT 1"][..],
                extra,
            ]
            .concat(),
        );
        assert!(!o.status.success(), "{extra:?} ran");
        assert!(
            text(&o.stderr).contains(says),
            "{extra:?}: {}",
            text(&o.stderr)
        );
    };
    refused(
        &["--engine", "ballista"],
        "--engine ballista needs --scheduler",
    );
    refused(
        &["--scheduler", "df://127.0.0.1:50050"],
        "is for --engine ballista",
    );
    refused(
        &[
            "--engine",
            "ballista",
            "--scheduler",
            "http://127.0.0.1:50050",
        ],
        "the scheme is http://, a scheduler's is df://",
    );
    let closed = free_port();
    refused(
        &[
            "--engine",
            "ballista",
            "--scheduler",
            &format!("df://127.0.0.1:{closed}"),
        ],
        &format!("cannot reach the Ballista scheduler at df://127.0.0.1:{closed}"),
    );
}
