//! End-to-end tests of the nightly run, through the library as the CLI and servers call it.
//! (The binary's own tests, in friktion-cli, cover flags, exit codes, printing, the SQL shell
//! and SIGKILL.)

mod browser;
mod chromium;
mod disclosure;
mod evolution;
mod fixture;
mod kolada;
mod logs;
mod notebook;
mod outcomes;
mod peer_groups;
mod pinned;
mod python;
mod sources;
mod stages;
mod survival;
mod weighted;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use arrow::array::RecordBatch;
use friktion_pipeline::{Event, Pipeline, PipelineError, RunOptions, RunSummary};

pub use fixture::{copy_dir, copy_sample, hashes, text, workspace};

/// A throwaway copy of the project's pipeline and sample inputs, so a test owns its lake,
/// reports and sources.
pub struct Project {
    pub dir: tempfile::TempDir,
}

/// One run through the library: its summary (or error) and every event it told.
pub struct Ran {
    pub result: Result<RunSummary, PipelineError>,
    pub events: Vec<Event>,
}

impl Ran {
    /// The summary of a run that finished (exit status 0 or 2), or a panic naming the error.
    pub fn summary(&self) -> &RunSummary {
        match &self.result {
            Ok(s) => s,
            Err(e) => panic!("the run failed: {}", friktion_core::error_chain(e)),
        }
    }

    /// A run that finished with nothing to report.
    pub fn ok(&self) -> &RunSummary {
        let s = self.summary();
        assert_eq!(s.exit_code(), 0, "{:?}\n{}", s.failed_sources, self.told());
        s
    }

    /// The exit status the CLI gives this run: 0, 2 (finished with problems) or 1 (failed).
    pub fn code(&self) -> u8 {
        self.result.as_ref().map_or(1, RunSummary::exit_code)
    }

    /// Every warning and problem the run told, one per line, as the CLI writes them on stderr.
    pub fn told(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            let line = match e {
                Event::Warning { message, .. } => format!("warning: {message}"),
                Event::Problem { message, .. } => format!("error: {message}"),
                Event::SourceFailed { file, message } if message.starts_with(file) => {
                    format!("error: {message}")
                }
                Event::SourceFailed { file, message } => format!("error: {file}: {message}"),
                _ => continue,
            };
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// Sources ingested, replaced, skipped and failed, as the summary's first line counts them.
    pub fn counts(&self) -> [usize; 4] {
        use friktion_core::LedgerAction::*;
        let s = self.summary();
        [
            s.count(Ingested),
            s.count(Replaced),
            s.count(Skipped),
            s.failed_sources.len(),
        ]
    }

    /// The report's index.html.
    pub fn report(&self) -> PathBuf {
        self.summary().report.clone().expect("a report")
    }
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

    /// Publishes only cells with at least `n` behind them from now on (the config's min_cell).
    pub fn set_min_cell(&self, n: i64) {
        let cfg = self.config();
        let t = std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("min_cell = 5", &format!("min_cell = {n}"));
        std::fs::write(&cfg, t).unwrap();
    }

    /// The nightly run through the library, recording what it tells.
    pub fn run_opts(&self, opts: &RunOptions) -> Ran {
        // A key from the caller's environment would change every pseudonym the tests expect.
        assert!(
            std::env::var_os("FRIKTION_PSEUDO_KEY").is_none()
                && std::env::var_os("FRIKTION_PSEUDO_KEY_FILE").is_none(),
            "unset FRIKTION_PSEUDO_KEY(_FILE) to run the tests"
        );
        let events = Mutex::new(Vec::new());
        let record = |e: Event| events.lock().unwrap().push(e);
        let result =
            Pipeline::load(&self.config()).and_then(|p| p.with_observer(&record).run(opts));
        Ran {
            result,
            events: events.into_inner().unwrap(),
        }
    }

    pub fn run(&self) -> Ran {
        self.run_opts(&RunOptions::default())
    }

    pub fn run_with(&self, opts: &RunOptions) -> Result<RunSummary, PipelineError> {
        self.run_opts(opts).result
    }

    /// A query's result batches, through the same session `friktion sql` opens.
    pub fn query(&self, sql: &str) -> Vec<RecordBatch> {
        let lake = friktion_lake::Lake::open_read(self.lake()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let s = friktion_query::LakeSession::open(&lake, &Default::default())
                .await
                .unwrap();
            s.query(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {}", friktion_core::error_chain(&e)))
        })
    }

    /// A query's result as CSV text with a header, as `friktion sql --format csv` prints it.
    pub fn sql_csv(&self, sql: &str) -> String {
        let batches = self.query(sql);
        let mut out = Vec::new();
        {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            for b in &batches {
                w.write(b).unwrap();
            }
        }
        String::from_utf8(out).unwrap()
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
}

/// A query's result as CSV without its header line.
pub fn count(p: &Project, sql: &str) -> String {
    fixture::csv_body(&p.sql_csv(sql))
}
