//! End-to-end tests of the `friktion` binary, as a user runs it.

#[path = "../../../pipeline/tests/it/chromium.rs"]
mod chromium;
mod cluster;
mod crash;
mod datatests;
mod duckdb_marts;
mod e2e;
#[path = "../../../pipeline/tests/it/fixture.rs"]
mod fixture;
mod ingest;
mod instrument;
mod interop;
mod national;
mod object_store;
mod ops;
#[path = "../../../pipeline/tests/it/python.rs"]
mod python;
mod serve;
mod sql;
mod wire;
mod wire_load;
mod wire_rules;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use fixture::{copy_dir, copy_sample, hashes, text, workspace};

/// A throwaway copy of the project's pipeline and sample inputs, so a test owns its lake,
/// reports and sources.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_sample(dir.path());
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.path().join("pipelines/nightly.toml")
    }

    pub fn lake(&self) -> PathBuf {
        self.path().join("lake")
    }

    /// A query's result as CSV text, through `friktion sql` as a researcher runs it.
    pub fn sql_csv(&self, sql: &str) -> String {
        let o = self.friktion(&[
            "sql",
            "--lake",
            self.lake().to_str().unwrap(),
            "--format",
            "csv",
            "-e",
            sql,
        ]);
        assert_ok(&o);
        text(&o.stdout)
    }

    /// The one Parquet file of a mart.
    pub fn mart_file(&self, name: &str) -> PathBuf {
        let dir = self.lake().join("marts").join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files.pop().unwrap()
    }

    pub fn run(&self) -> Output {
        self.friktion(&["run", "--config", self.config().to_str().unwrap()])
    }

    pub fn friktion(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_friktion"))
            .args(args)
            .current_dir(self.path())
            .env_remove("FRIKTION_PSEUDO_KEY")
            .env_remove("FRIKTION_PSEUDO_KEY_FILE")
            .env_remove("FRIKTION_FAILPOINT")
            .output()
            .unwrap()
    }
}

/// The report's index.html, as the run summary names it.
pub fn report_path(summary: &str) -> PathBuf {
    summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("report"))
        .expect("the summary names the report")
        .trim()
        .into()
}

pub fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        text(&o.stdout),
        text(&o.stderr)
    );
}
