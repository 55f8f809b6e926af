//! The lake on S3-compatible object storage: moto's S3 server on loopback (from PyPI, as
//! .ci/run installs it), the sample nightly run into `s3://…`, and what readers see.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use friktion_lake::{Lake, LakeLocation, StoreSettings};

use crate::crash::wait_for_stage;
use crate::{Project, assert_ok, text};

/// moto's S3 server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let py = crate::python::python();
        let server = py.with_file_name("moto_server");
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (python/requirements.txt has moto[server])",
                    server.display()
                )
            });
        let endpoint = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "moto never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, endpoint }
    }

    /// Creates a bucket (moto checks no signature; boto3 comes with moto).
    pub fn bucket(&self, name: &str) {
        let o = Command::new(crate::python::python())
            .args([
                "-c",
                &format!(
                    "import boto3; boto3.client('s3', endpoint_url='{}', aws_access_key_id='test', \
                     aws_secret_access_key='test', region_name='eu-north-1').create_bucket(\
                     Bucket='{name}', CreateBucketConfiguration={{'LocationConstraint': 'eu-north-1'}})",
                    self.endpoint
                ),
            ])
            .output()
            .unwrap();
        assert_ok(&o);
    }

    pub fn settings(&self) -> StoreSettings {
        StoreSettings {
            endpoint: Some(self.endpoint.clone()),
            region: Some("eu-north-1".into()),
            allow_http: true,
            lease_seconds: Some(3),
            ..StoreSettings::default()
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The credentials moto takes, as a real deployment sets them: in the environment.
pub const CREDENTIALS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "friktion-test"),
    ("AWS_SECRET_ACCESS_KEY", "friktion-test-secret"),
];

/// Points a project's config at `lake` on the store.
pub fn use_store(p: &Project, moto: &Moto, lake: &str) {
    use_store_with_lease(p, moto, lake, 3);
}

fn use_store_with_lease(p: &Project, moto: &Moto, lake: &str, lease: u64) {
    let cfg = p.config();
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text.replace("lake = \"lake\"", &format!("lake = \"{lake}\""));
    let text = format!(
        "{text}\n[object_store]\nendpoint = \"{}\"\nregion = \"eu-north-1\"\nallow_http = true\nlease_seconds = {lease}\n",
        moto.endpoint
    );
    std::fs::write(cfg, text).unwrap();
}

pub fn friktion_s3(p: &Project, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args(args)
        .current_dir(p.path())
        .envs(CREDENTIALS)
        .env_remove("FRIKTION_PSEUDO_KEY")
        .env_remove("FRIKTION_PSEUDO_KEY_FILE")
        .env_remove("FRIKTION_FAILPOINT")
        .output()
        .unwrap()
}

const RUN: [&str; 4] = [
    "--run-id",
    "20261130T020000Z",
    "--clock",
    "2026-11-30T02:00:00Z",
];

/// Every mart's and published table's files, by name, as bytes.
fn outputs(lake: &Lake) -> BTreeMap<String, Vec<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for (dir, names) in [
        ("marts", lake.marts().unwrap()),
        ("published", lake.published().unwrap()),
    ] {
        for n in names {
            let files = lake.files_under(&format!("{dir}/{n}")).unwrap();
            out.insert(
                format!("{dir}/{n}"),
                files.iter().map(|f| lake.read_bytes(f).unwrap()).collect(),
            );
        }
    }
    out
}

fn read_mart_batches(lake: &Lake, k: &str) -> String {
    let files = lake.files_under(k).unwrap();
    let b: Vec<_> = files
        .iter()
        .flat_map(|f| lake.read_file(f).unwrap())
        .collect();
    format!(
        "{:?} rows {}",
        b[0].schema(),
        b.iter().map(|x| x.num_rows()).sum::<usize>()
    )
}

/// What an uninterrupted local run of the sample gives.
fn local_outputs() -> BTreeMap<String, Vec<Vec<u8>>> {
    let reference = Project::new();
    assert_ok(&reference.run());
    outputs(&Lake::open_read(reference.lake()).unwrap())
}

/// The credentials in this process's environment, for the lake opened in-process and the
/// servers spawned from it.
fn credentials_in_env() {
    for (k, v) in CREDENTIALS {
        // SAFETY: every test of this module sets the same values; none expects others.
        unsafe { std::env::set_var(k, v) };
    }
}

fn open_s3(moto: &Moto, url: &str, work: &Path) -> Lake {
    credentials_in_env();
    Lake::open_read_at(&LakeLocation::parse(url).unwrap(), &moto.settings(), work).unwrap()
}

#[test]
fn the_sample_nightly_into_s3_gives_the_local_runs_marts_byte_for_byte() {
    let moto = Moto::start();
    moto.bucket("friktion");
    let local = Project::new();
    let o = local.friktion(
        &[
            &["run", "--config", local.config().to_str().unwrap()][..],
            &RUN,
        ]
        .concat(),
    );
    assert_ok(&o);
    let remote = Project::new();
    use_store(&remote, &moto, "s3://friktion/nightly");
    let o = friktion_s3(
        &remote,
        &[
            &["run", "--config", remote.config().to_str().unwrap()][..],
            &RUN,
        ]
        .concat(),
    );
    assert_ok(&o);
    let first_summary = text(&o.stdout);
    assert!(
        !remote.path().join("lake").exists(),
        "nothing is written to a local lake"
    );

    let want = Lake::open_read(local.lake()).unwrap();
    let got = open_s3(&moto, "s3://friktion/nightly", remote.path());
    let (w, g) = (outputs(&want), outputs(&got));
    assert!(w.len() >= 30, "{:?}", w.keys());
    assert_eq!(
        w.keys().collect::<Vec<_>>(),
        g.keys().collect::<Vec<_>>(),
        "the same marts and published tables"
    );
    let differ: Vec<String> = w
        .iter()
        .filter(|(k, files)| g[*k] != **files)
        .map(|(k, _)| {
            let (a, b) = (read_mart_batches(&want, k), read_mart_batches(&got, k));
            format!("{k}:\n{a}\n---\n{b}")
        })
        .collect();
    assert!(
        differ.is_empty(),
        "differ from the local run's:\n{}",
        differ.join("\n")
    );
    let counts = |l: &Lake| {
        l.table_stats()
            .unwrap()
            .into_iter()
            .map(|s| (s.name, s.rows))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(counts(&want), counts(&got), "every table's rows");
    let v1 = got.version().unwrap();
    assert!(
        v1.version > 10 && v1.tables.contains_key("marts/friction_by_kommun"),
        "{v1:?}"
    );

    // SQL over the object-store lake, as a researcher runs it.
    let sql = "SELECT count(*) AS n FROM survey_response";
    let q = |p: &Project, lake: &str| {
        let o = friktion_s3(p, &["sql", "--lake", lake, "--format", "csv", "-e", sql]);
        assert_ok(&o);
        text(&o.stdout)
    };
    let env_store = [
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_REGION", "eu-north-1"),
    ];
    let o = Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args([
            "sql",
            "--lake",
            "s3://friktion/nightly",
            "--format",
            "csv",
            "-e",
            sql,
        ])
        .current_dir(remote.path())
        .envs(CREDENTIALS)
        .envs(env_store)
        .output()
        .unwrap();
    assert_ok(&o);
    assert_eq!(text(&o.stdout), q(&local, "lake"));
    // A bucket that is not there, or a store that refuses the credentials, stops it with the
    // store's own words and the lake's URL.
    let o = Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args(["sql", "--lake", "s3://no-such-bucket/lake", "-e", sql])
        .envs(CREDENTIALS)
        .envs(env_store)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = text(&o.stderr);
    assert!(
        e.contains("object store s3://no-such-bucket/lake/") && e.contains("NoSuchBucket"),
        "{e}"
    );

    // The report names the lake version it was computed from, and `--as-of` reads one.
    let index = std::fs::read_to_string(crate::report_path(&first_summary)).unwrap();
    assert!(
        index.contains("Beräknad från sjöns version ")
            && index.contains("(s3://friktion/nightly/)"),
        "the report does not name its lake version"
    );
    let as_of = |v: &str| {
        Command::new(env!("CARGO_BIN_EXE_friktion"))
            .args([
                "sql",
                "--lake",
                "s3://friktion/nightly",
                "--as-of",
                v,
                "--format",
                "csv",
                "-e",
                sql,
            ])
            .envs(CREDENTIALS)
            .envs(env_store)
            .output()
            .unwrap()
    };
    let o1 = as_of(&v1.version.to_string());
    assert_ok(&o1);
    assert_eq!(text(&o1.stdout), q(&local, "lake"));
    let none = as_of("999999");
    assert!(!none.status.success());
    assert!(
        text(&none.stderr).contains("the lake has no version 999999"),
        "{}",
        text(&none.stderr)
    );

    // polars, pyarrow and DuckDB read every table as friktion describes it, as of the newest
    // lake version (python/read_s3_lake.py, the way docs/SCALE.md gives).
    let o = Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args([
            "lake",
            "describe",
            "--json",
            "--lake",
            "s3://friktion/nightly",
        ])
        .envs(CREDENTIALS)
        .envs(env_store)
        .output()
        .unwrap();
    assert_ok(&o);
    let ours: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut child = Command::new(crate::python::python())
        .arg(crate::workspace().join("python/read_s3_lake.py"))
        .arg("s3://friktion/nightly")
        .envs(CREDENTIALS)
        .envs(env_store)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &o.stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "read_s3_lake.py:\n{}",
        text(&out.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(theirs["lake_version"], v1.version);
    let tables = ours.as_array().unwrap();
    assert!(tables.len() >= 30, "{tables:#?}");
    for t in tables {
        let name = t["name"].as_str().unwrap();
        for reader in ["pyarrow", "polars", "duckdb"] {
            let r = &theirs["tables"][name][reader];
            assert_eq!(r["rows"], t["rows"], "{reader} rows of {name}");
        }
        for reader in ["pyarrow", "polars"] {
            let r = &theirs["tables"][name][reader];
            assert_eq!(r["columns"], t["columns"], "{reader} columns of {name}");
        }
    }

    // The next night, nothing changed: every source skipped, the marts the same bytes.
    let o = friktion_s3(
        &remote,
        &["run", "--config", remote.config().to_str().unwrap()],
    );
    assert_ok(&o);
    assert!(
        text(&o.stdout).contains("0 ingested, 0 replaced, 13 skipped"),
        "{}",
        text(&o.stdout)
    );
    let again = open_s3(&moto, "s3://friktion/nightly", remote.path());
    assert!(
        outputs(&again) == g,
        "an unchanged night rewrites the marts to the same bytes"
    );
    assert!(again.version().unwrap().version > v1.version);

    // The first night's version is still there to read.
    again.pin_version(v1.version).unwrap();
    assert!(outputs(&again) == g);
}

#[test]
fn a_lake_url_friktion_cannot_honour_stops_it() {
    let p = Project::new();
    for (lake, says) in [
        ("gs://bucket/lake", "unknown scheme gs://"),
        (
            "s3://user:pw@bucket/lake",
            "credentials in the URL are refused",
        ),
    ] {
        let o = p.friktion(&["sql", "--lake", lake, "-e", "SELECT 1"]);
        assert!(!o.status.success());
        assert!(
            text(&o.stderr).contains(says),
            "{lake}: {}",
            text(&o.stderr)
        );
    }
    // Credentials in the config file are refused, naming the key.
    let cfg = p.config();
    let t = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!(
            "{t}\n[object_store]\nendpoint = \"https://s3.example.se\"\nsecret_access_key = \"x\"\n"
        ),
    )
    .unwrap();
    let o = p.run();
    assert!(!o.status.success());
    let e = text(&o.stderr);
    assert!(
        e.contains(
            "[object_store] secret_access_key: credentials are never read from a config file"
        ),
        "{e}"
    );
    // A plain-HTTP endpoint needs allow_http, said before anything is read.
    std::fs::write(
        &cfg,
        format!(
            "{}\n[object_store]\nendpoint = \"http://127.0.0.1:9\"\n",
            t.replace("lake = \"lake\"", "lake = \"s3://b/lake\"")
        ),
    )
    .unwrap();
    let o = p.run();
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("allow_http = true"),
        "{}",
        text(&o.stderr)
    );
}

/// `friktion run` on the store in the background, its JSON log to `err`.
fn spawn_s3_run(p: &Project, err: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args([
            "run",
            "--config",
            p.config().to_str().unwrap(),
            "--log-format",
            "json",
        ])
        .current_dir(p.path())
        .envs(CREDENTIALS)
        .env_remove("FRIKTION_PSEUDO_KEY")
        .env_remove("FRIKTION_PSEUDO_KEY_FILE")
        .env_remove("FRIKTION_FAILPOINT")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(err).unwrap())
        .spawn()
        .unwrap()
}

/// Runs until the killed writer's lease has run out and the run is let in.
fn run_after_lease(p: &Project) -> Output {
    let start = Instant::now();
    loop {
        let o = friktion_s3(p, &["run", "--config", p.config().to_str().unwrap()]);
        if o.status.success() || !text(&o.stderr).contains("another friktion run is writing") {
            return o;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the lease never ran out"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_run_killed_on_object_storage_leaves_nothing_visible_and_the_next_run_finishes_it() {
    let moto = Moto::start();
    moto.bucket("friktion");
    let want = local_outputs();

    // Kills at twelve moments, each of a first night on its own lake: after each stage, early
    // and a little later.
    let mut interrupted = 0;
    for (i, (stage, pause)) in [
        ("surveys", 0),
        ("surveys", 30),
        ("logs", 0),
        ("logs", 20),
        ("log model", 0),
        ("projects", 0),
        ("projects", 40),
        ("sql models", 0),
        ("sql models", 25),
        ("data tests", 0),
        ("publication", 0),
        ("publication", 10),
    ]
    .into_iter()
    .enumerate()
    {
        let what = format!("killed {pause} ms after {stage}");
        let p = Project::new();
        let url = format!("s3://friktion/killed-{i}");
        use_store_with_lease(&p, &moto, &url, 1);
        let err = p.path().join("killed.err");
        let mut child = spawn_s3_run(&p, &err);
        let reached = wait_for_stage(&mut child, &err, stage);
        std::thread::sleep(Duration::from_millis(pause));
        let done = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if reached && !done {
            interrupted += 1;
        }
        // A reader sees a whole lake version: every file it names is there and reads.
        let lake = open_s3(&moto, &url, p.path());
        for t in lake.version().unwrap().tables.keys() {
            for f in lake.files_under(t).unwrap() {
                lake.read_file(&f)
                    .unwrap_or_else(|e| panic!("{what}: {t}: {e}"));
            }
        }
        // The next run restores what the killed one committed past its version, and
        // finishes with the uninterrupted run's marts, byte for byte.
        let o = run_after_lease(&p);
        assert_ok(&o);
        let got = outputs(&open_s3(&moto, &url, p.path()));
        let differ: Vec<&String> = want
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .collect();
        assert!(
            differ.is_empty() && got.len() == want.len(),
            "{what}: differ from an uninterrupted run: {differ:?}"
        );
    }
    assert!(
        interrupted >= 10,
        "only {interrupted} of 12 kills caught the run"
    );
}

#[test]
fn two_writers_on_object_storage_one_is_refused_and_nothing_is_lost() {
    let moto = Moto::start();
    moto.bucket("friktion");
    let want = local_outputs();

    let p = Project::new();
    use_store(&p, &moto, "s3://friktion/two");
    let err = p.path().join("first.err");
    let mut first = spawn_s3_run(&p, &err);
    assert!(wait_for_stage(&mut first, &err, "surveys"));
    let second = friktion_s3(&p, &["run", "--config", p.config().to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(1), "{}", text(&second.stderr));
    let msg = text(&second.stderr);
    assert!(
        msg.contains(&format!(
            "another friktion run is writing to this lake (pid {} on ",
            first.id()
        )),
        "{msg}"
    );
    assert!(
        first.wait().unwrap().success(),
        "{}",
        std::fs::read_to_string(&err).unwrap()
    );
    let got = outputs(&open_s3(&moto, "s3://friktion/two", p.path()));
    assert!(got == want, "the first writer's run is whole");
    // Its lock went with it: the next writer is let in at once.
    let o = friktion_s3(&p, &["run", "--config", p.config().to_str().unwrap()]);
    assert_ok(&o);
}

/// Each Delta table under a lake prefix, as delta-rs's Python reader sees its newest version:
/// (files, the operations in its history, newest first, data objects stored under it).
pub fn delta_tables(moto: &Moto, url: &str) -> BTreeMap<String, (u64, Vec<String>, u64)> {
    let script = r#"
import json, os, sys, boto3
from deltalake import DeltaTable
url = sys.argv[1].rstrip("/")
bucket, _, prefix = url[5:].partition("/")
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="eu-north-1")
keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/") for o in p.get("Contents", [])]
tables = sorted({k[len(prefix) + 1:].split("/_delta_log/")[0] for k in keys if "/_delta_log/" in k})
opts = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ALLOW_HTTP", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
out = {}
for t in tables:
    dt = DeltaTable(f"{url}/{t}", storage_options=opts)
    stored = [k for k in keys if k.startswith(f"{prefix}/{t}/") and k.endswith(".parquet") and "/_delta_log/" not in k]
    out[t] = [len(dt.file_uris()), [h["operation"] for h in dt.history()], len(stored)]
json.dump(out, sys.stdout)
"#;
    let o = Command::new(crate::python::python())
        .args(["-c", script, url])
        .envs(CREDENTIALS)
        .envs([
            ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_REGION", "eu-north-1"),
        ])
        .output()
        .unwrap();
    assert_ok(&o);
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn a_writer_dead_between_its_table_commits_and_its_lake_version_is_undone() {
    let moto = Moto::start();
    moto.bucket("friktion");
    let want = local_outputs();

    let p = Project::new();
    let url = "s3://friktion/undone";
    use_store_with_lease(&p, &moto, url, 1);
    // Keep nothing superseded: the run's vacuum must then leave only what the version holds.
    let cfg = std::fs::read_to_string(p.config()).unwrap();
    std::fs::write(p.config(), format!("{cfg}retain_days = 0\n")).unwrap();
    // Dies (abort, as a SIGKILL would leave it) after its first commit's tables, before the
    // lake version that would make them visible.
    let o = Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args(["run", "--config", p.config().to_str().unwrap()])
        .current_dir(p.path())
        .envs(CREDENTIALS)
        .env("FRIKTION_FAILPOINT", "lake.before_version:abort")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let left = delta_tables(&moto, url);
    let ahead: Vec<&String> = left
        .iter()
        .filter(|(_, (n, _, _))| *n > 0)
        .map(|(t, _)| t)
        .collect();
    assert!(
        !ahead.is_empty(),
        "the dead writer committed a table: {left:?}"
    );
    // friktion's readers see no version yet, so nothing of it.
    let lake = open_s3(&moto, url, p.path());
    assert_eq!(lake.version().unwrap().version, 0);
    assert!(lake.table_stats().unwrap().is_empty());

    // The next writer empties what no lake version names, then runs the night whole.
    let o = run_after_lease(&p);
    assert_ok(&o);
    let vacuumed = text(&o.stdout);
    assert!(
        vacuumed.contains("superseded file(s) deleted from object storage"),
        "{vacuumed}"
    );
    let after = delta_tables(&moto, url);
    for (t, (files, _, stored)) in &after {
        assert_eq!(
            files, stored,
            "{t}: objects left beside the version's files"
        );
    }
    for t in &ahead {
        assert!(
            after[*t]
                .1
                .iter()
                .any(|op| op == "CREATE OR REPLACE TABLE" || op == "RESTORE"),
            "{t}: {:?}",
            after[*t]
        );
    }
    assert!(outputs(&open_s3(&moto, url, p.path())) == want);
}

#[test]
fn the_sql_server_serves_the_object_store_lake_and_each_statement_sees_a_whole_version() {
    let moto = Moto::start();
    moto.bucket("friktion");
    let (p, accounts) = crate::wire::served_project();
    let local = |sql: &str| p.sql_csv(sql);
    use_store(&p, &moto, "s3://friktion/served");
    credentials_in_env();
    let o = friktion_s3(&p, &["run", "--config", p.config().to_str().unwrap()]);
    assert_ok(&o);
    let cfg = p.config();
    let s = crate::wire::Served::spawn(
        &p,
        &[
            "serve",
            "--config",
            cfg.to_str().unwrap(),
            "--accounts",
            accounts.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
    );
    assert!(
        s.stderr().contains("lake s3://friktion/served/"),
        "{}",
        s.stderr()
    );
    for m in [
        "friction_by_kommun",
        "survey_response",
        "published.friction_by_kommun",
    ] {
        let o = s.psql("res", "", &format!("SELECT count(*) FROM {m}"));
        assert_ok(&o);
        let want = local(&format!("SELECT count(*) AS n FROM {m}"));
        assert_eq!(text(&o.stdout).trim(), want.lines().nth(1).unwrap(), "{m}");
    }
    // The audit log is kept in the work directory beside the config's root.
    assert!(p.path().join(".friktion-work/_audit").is_dir());
    // A night run while the server runs: its next statements read the new lake version.
    let before = open_s3(&moto, "s3://friktion/served", p.path())
        .version()
        .unwrap();
    let o = friktion_s3(&p, &["run", "--config", cfg.to_str().unwrap()]);
    assert_ok(&o);
    let after = open_s3(&moto, "s3://friktion/served", p.path())
        .version()
        .unwrap();
    assert!(after.version > before.version);
    let o = s.psql("res", "", "SELECT count(*) FROM friction_by_kommun");
    assert_ok(&o);
}
