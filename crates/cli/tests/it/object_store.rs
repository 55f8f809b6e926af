//! The lake on S3-compatible object storage: moto's S3 server on loopback (from PyPI, as
//! .ci/run installs it), the sample nightly run into `s3://…`, and what readers see.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use friktion_lake::{Lake, LakeLocation, StoreSettings};

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
    let cfg = p.config();
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text.replace("lake = \"lake\"", &format!("lake = \"{lake}\""));
    let text = format!(
        "{text}\n[object_store]\nendpoint = \"{}\"\nregion = \"eu-north-1\"\nallow_http = true\nlease_seconds = 3\n",
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

fn open_s3(moto: &Moto, url: &str, work: &Path) -> Lake {
    for (k, v) in CREDENTIALS {
        // SAFETY: tests of this module set the same values; nothing reads them concurrently
        // with a different expectation.
        unsafe { std::env::set_var(k, v) };
    }
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
