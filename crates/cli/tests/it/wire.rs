//! `friktion serve` with the real clients: psql (Debian's postgresql-client), psycopg 3 and
//! pandas over SQLAlchemy (PyPI). Each test starts its own server on a free loopback port.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use crate::python::python;
use crate::{Project, assert_ok, text, workspace};

pub const PASSWORD: &str = "correct horse battery";

/// A project with the demo's lake and three users, one per role.
pub fn served_project() -> (Project, PathBuf) {
    let p = Project::new();
    assert_ok(&p.run());
    let accounts = p.path().join("etc/accounts.toml");
    for (name, role) in [("ana", "analyst"), ("res", "researcher"), ("pub", "public")] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_friktion"))
            .args(["serve", "user", "add", name, "--role", role, "--accounts"])
            .arg(&accounts)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        assert!(child.wait().unwrap().success());
    }
    (p, accounts)
}

/// A running server; killed when dropped.
pub struct Served {
    child: Child,
    pub port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    pub fn start(p: &Project, accounts: &Path, extra: &[&str]) -> Self {
        let mut args = vec!["serve", "--lake", "lake", "--accounts"];
        let acc = accounts.to_str().unwrap();
        args.push(acc);
        if !extra.contains(&"--listen") {
            args.extend(["--listen", "127.0.0.1:0"]);
        }
        args.extend(extra);
        Self::spawn(p, &args)
    }

    /// `friktion` with exactly these arguments, in the project's directory.
    pub fn spawn(p: &Project, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_friktion"))
            .args(args)
            .current_dir(p.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let port = loop {
            let mut line = String::new();
            if lines.read_line(&mut line).unwrap() == 0 {
                let _ = child.wait();
                panic!("friktion serve exited before listening:\n{seen}");
            }
            seen.push_str(&line);
            if let Some(rest) = line.split("listening on ").nth(1) {
                let addr = rest.split_whitespace().next().unwrap();
                break addr.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        let stderr = Arc::new(Mutex::new(seen));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = lines.read_to_string(&mut rest);
            sink.lock().unwrap().push_str(&rest);
        });
        Self {
            child,
            port,
            stderr,
        }
    }

    pub fn dsn(&self, user: &str, extra: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} password='{PASSWORD}' dbname=friktion {extra}",
            self.port
        )
    }

    /// psql as a user runs it: unaligned, tuples only, stop on the first error.
    pub fn psql(&self, user: &str, extra: &str, sql: &str) -> Output {
        Command::new("psql")
            .arg(self.dsn(user, extra))
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .env_remove("PGPASSWORD")
            .output()
            .unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A python client command's JSON answer.
pub fn client(args: &[&str]) -> serde_json::Value {
    let o = Command::new(python())
        .arg(workspace().join("python/wire_clients.py"))
        .args(args)
        .output()
        .unwrap();
    assert_ok(&o);
    let out = text(&o.stdout);
    serde_json::from_str(out.lines().next().unwrap_or("")).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn marts(p: &Project) -> Vec<String> {
    let mut m: Vec<String> = std::fs::read_dir(p.lake().join("marts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    m.sort();
    m
}

#[test]
fn psql_and_psycopg_log_in_and_get_every_mart_as_friktion_sql_gives_it() {
    let (p, accounts) = served_project();
    let s = Served::start(&p, &accounts, &[]);
    let expected = p.path().join("expected");
    std::fs::create_dir_all(&expected).unwrap();
    let marts = marts(&p);
    assert!(marts.len() > 10, "{marts:?}");
    for m in &marts {
        let o = p.friktion(&[
            "sql",
            "--lake",
            "lake",
            "--format",
            "json",
            "-e",
            &format!("SELECT * FROM {m}"),
        ]);
        assert_ok(&o);
        std::fs::write(expected.join(format!("{m}.json")), &o.stdout).unwrap();
    }
    // psycopg: every mart, row for row.
    let r = client(&["marts", &s.dsn("res", ""), expected.to_str().unwrap()]);
    assert_eq!(r["checked"].as_array().unwrap().len(), marts.len(), "{r}");
    assert_eq!(r["differ"], serde_json::json!({}), "{r}");
    // psql: the same counts, and its catalogue commands work.
    for m in &marts {
        let o = s.psql("res", "", &format!("SELECT count(*) FROM {m}"));
        assert_ok(&o);
        let want = p.sql_csv(&format!("SELECT count(*) AS n FROM {m}"));
        assert_eq!(text(&o.stdout).trim(), want.lines().nth(1).unwrap(), "{m}");
    }
    let o = s.psql("res", "", "\\dt");
    assert_ok(&o);
    let listed = text(&o.stdout);
    assert!(
        listed.contains("friction_by_kommun") && listed.contains("survey_response"),
        "{listed}"
    );
    let o = s.psql("res", "", "\\d friction_by_kommun");
    assert_ok(&o);
    assert!(
        text(&o.stdout).contains("kommun_kod"),
        "{}",
        text(&o.stdout)
    );
    // pandas and polars over SQLAlchemy.
    let url = format!(
        "postgresql+psycopg://res:{}@127.0.0.1:{}/friktion",
        PASSWORD.replace(' ', "%20"),
        s.port
    );
    let r = client(&["pandas", &url, "SELECT * FROM friction_by_kommun"]);
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["rows"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["polars_rows"], r["rows"], "{r}");
    assert_eq!(r["polars_columns"], r["columns"], "{r}");
}

#[test]
fn wrong_passwords_unknown_users_and_other_methods_are_refused_and_slowed() {
    let (p, accounts) = served_project();
    let s = Served::start(&p, &accounts, &[]);
    let bad = |user: &str| {
        Command::new("psql")
            .arg(format!(
                "host=127.0.0.1 port={} user={user} password=wrong-password dbname=x",
                s.port
            ))
            .args(["-X", "-c", "SELECT 1"])
            .output()
            .unwrap()
    };
    let started = std::time::Instant::now();
    for user in ["res", "nobody"] {
        let o = bad(user);
        assert!(!o.status.success());
        let err = text(&o.stderr);
        assert!(
            err.contains(&format!(
                "password authentication failed for user \"{user}\""
            )),
            "{err}"
        );
    }
    let o = bad("res");
    assert!(!o.status.success());
    // Two failures for res: the second answered after a longer wait.
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    // A client that insists on cleartext or MD5 gets nothing it accepts.
    for method in ["password", "md5"] {
        let r = client(&["auth", &s.dsn("res", &format!("require_auth={method}"))]);
        assert_eq!(r["ok"], false, "{r}");
        assert!(r["message"].as_str().unwrap().contains("SASL"), "{r}");
    }
    let r = client(&["auth", &s.dsn("res", "require_auth=scram-sha-256")]);
    assert_eq!(r["ok"], true, "{r}");
    // The failures are in the audit log, counted per user and address.
    let o = p.friktion(&["serve", "audit", "--lake", "lake"]);
    assert_ok(&o);
    let summary = text(&o.stdout);
    let res = summary.lines().find(|l| l.starts_with("res ")).unwrap();
    let cols: Vec<&str> = res.split_whitespace().collect();
    assert_eq!((cols[1], cols[2]), ("1", "2"), "{summary}");
    assert!(
        summary.contains("nobody") && summary.contains("no such user"),
        "{summary}"
    );
}

#[test]
fn a_password_message_instead_of_scram_is_refused() {
    use std::io::Write;
    use std::net::TcpStream;
    let (p, accounts) = served_project();
    let s = Served::start(&p, &accounts, &[]);
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    // StartupMessage, protocol 3.0, user=res.
    let params = b"user\0res\0database\0x\0\0";
    let mut msg = ((8 + params.len()) as i32).to_be_bytes().to_vec();
    msg.extend(196608i32.to_be_bytes());
    msg.extend(params);
    c.write_all(&msg).unwrap();
    let mut buf = [0u8; 512];
    let n = c.read(&mut buf).unwrap();
    // AuthenticationSASL (R, code 10) offering SCRAM-SHA-256 only.
    assert_eq!(buf[0], b'R');
    assert_eq!(i32::from_be_bytes(buf[5..9].try_into().unwrap()), 10);
    let offered = String::from_utf8_lossy(&buf[9..n]).to_string();
    assert_eq!(
        offered.trim_end_matches('\0'),
        "SCRAM-SHA-256",
        "{offered:?}"
    );
    // A cleartext PasswordMessage in reply.
    let pw = format!("{PASSWORD}\0");
    let mut msg = vec![b'p'];
    msg.extend(((4 + pw.len()) as i32).to_be_bytes());
    msg.extend(pw.as_bytes());
    c.write_all(&msg).unwrap();
    let mut reply = vec![];
    let _ = c.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with('E') && reply.contains("28P01"), "{reply}");
    drop(s);
}

#[test]
fn off_loopback_tls_is_required_and_a_bad_certificate_stops_the_server() {
    let (p, accounts) = served_project();
    let certs = p.path().join("certs");
    let s = Served::start(
        &p,
        &accounts,
        &[
            "--listen",
            "0.0.0.0:0",
            "--dev-cert",
            certs.to_str().unwrap(),
        ],
    );
    let o = s.psql("res", "sslmode=disable", "SELECT 1");
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("accepts TLS connections only"),
        "{}",
        text(&o.stderr)
    );
    let o = s.psql(
        "res",
        "sslmode=require",
        "SELECT count(*) FROM friction_by_kommun",
    );
    assert_ok(&o);
    // The development certificate verifies as its own authority.
    let o = s.psql(
        "res",
        &format!(
            "sslmode=verify-ca sslrootcert={}",
            certs.join("dev-cert.pem").display()
        ),
        "SELECT 1",
    );
    assert_ok(&o);
    drop(s);
    // Off loopback without a certificate, and with one that does not load: no server.
    let refused = |extra: &[&str]| {
        let mut args = vec![
            "serve",
            "--lake",
            "lake",
            "--accounts",
            accounts.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = p.friktion(&args);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        text(&o.stderr)
    };
    let e = refused(&["--listen", "0.0.0.0:0"]);
    assert!(e.contains("not loopback"), "{e}");
    std::fs::write(certs.join("broken.pem"), "not a certificate").unwrap();
    let (broken, key) = (certs.join("broken.pem"), certs.join("dev-key.pem"));
    let e = refused(&[
        "--tls-cert",
        broken.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(e.contains("broken.pem"), "{e}");
}

#[test]
fn r_reads_a_mart_and_lists_the_tables_through_dbi_and_rpostgresql() {
    let (p, accounts) = served_project();
    let s = Served::start(&p, &accounts, &[]);
    let script = format!(
        r#"library(DBI)
con <- dbConnect(RPostgreSQL::PostgreSQL(), host = "127.0.0.1", port = {port}, dbname = "friktion",
                 user = "pub", password = "{PASSWORD}")
d <- dbGetQuery(con, "SELECT kommun_kod, mean_minutes FROM published.friction_by_kommun")
cat("rows", nrow(d), "\n")
cat("tables", sort(dbListTables(con)), "\n")
dbDisconnect(con)
"#,
        port = s.port
    );
    let o = Command::new("Rscript")
        .args(["-e", &script])
        .output()
        .expect("Rscript is not installed: apt-get install r-cran-rpostgresql (.ci/run does)");
    assert_ok(&o);
    let out = text(&o.stdout);
    let rows: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("rows "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let want = p.sql_csv("SELECT count(*) AS n FROM published.friction_by_kommun");
    assert_eq!(rows.to_string(), want.lines().nth(1).unwrap());
    let tables = out.lines().find_map(|l| l.strip_prefix("tables ")).unwrap();
    assert!(
        tables.contains("friction_by_kommun") && !tables.contains("survey_response"),
        "{tables}"
    );
}

#[test]
fn dbeavers_metadata_queries_run_through_both_protocols() {
    let (p, accounts) = served_project();
    let s = Served::start(&p, &accounts, &[]);
    let script = crate::workspace().join("crates/cli/tests/it/dbeaver.sql");
    // psql sends each as a simple query; psycopg as parse, bind and execute, as JDBC does.
    let o = Command::new("psql")
        .arg(s.dsn("res", ""))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&script)
        .output()
        .unwrap();
    assert_ok(&o);
    let sql = std::fs::read_to_string(&script).unwrap();
    for q in sql
        .lines()
        .filter(|l| !l.starts_with("--") && !l.trim().is_empty())
    {
        let r = client(&["query", &s.dsn("res", ""), q.trim_end_matches(';')]);
        assert_eq!(r["ok"], true, "{q}: {r}");
    }
}

#[test]
fn the_serve_section_of_the_pipeline_config_is_read_and_a_flag_overrides_it() {
    let (p, _) = served_project();
    let config = std::fs::read_to_string(p.config()).unwrap();
    // Paths relative to the config file, as the config's other paths are.
    let serve = "\n[serve]\nlisten = \"127.0.0.1:0\"\naccounts = \"../etc/accounts.toml\"\nmax_connections = 1\n";
    std::fs::write(p.config(), config + serve).unwrap();
    let hold = |s: &Served, n: usize| {
        let script = format!(
            "import psycopg\ncs = []\nfor _ in range({n}):\n    try:\n        cs.append(psycopg.connect({dsn:?}))\n    except psycopg.OperationalError as e:\n        print(e)\nprint(len(cs), 'connected')\n",
            dsn = s.dsn("res", "")
        );
        let o = Command::new(python())
            .args(["-c", &script])
            .output()
            .unwrap();
        assert_ok(&o);
        text(&o.stdout)
    };
    let s = Served::spawn(&p, &["serve", "--config", "pipelines/nightly.toml"]);
    let out = hold(&s, 2);
    assert!(
        out.contains("allows 1 connections") && out.contains("1 connected"),
        "{out}"
    );
    drop(s);
    let s = Served::spawn(
        &p,
        &[
            "serve",
            "--config",
            "pipelines/nightly.toml",
            "--max-connections",
            "2",
        ],
    );
    let out = hold(&s, 2);
    assert!(out.contains("2 connected"), "{out}");
}
