//! Integration tests of log ingest: fixture files shaped like real systems' output, the
//! friction model against a hand computation, and inputs that must neither crash nor stall.

mod exports;
mod fixtures;
mod model;
mod robust;

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use chrono::NaiveDate;
use friktion_core::{KeyOrigin, PseudoKey, Pseudonymiser, Reference};
use friktion_ingest_logs::{
    Catalog, Context, EventSink, LogError, LogOutcome, LogSpec, PseudonymCache,
};

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub const CATALOG: &str = r#"
[friction]
slow_ms = 3000

[[system]]
id = "lifecare"
verksamhet = "aldreomsorg"
slow_ms = 2000
[system.match]
host = '^lifecare-web\d+\.k(?P<kommun_kod>\d{4})\.example\.se$'
path_prefix = ["/lifecare"]

[[system]]
id = "treserva"
verksamhet = "ifo"
[system.match]
path_prefix = ["/treserva"]

[[system]]
id = "skola24"
verksamhet = "skola"
slow_ms = 1500
[system.match]
path_prefix = ["/skola24"]

[[system]]
id = "heroma"
verksamhet = "administration"
[system.match]
app = ["heroma"]
kommun_kod = "0180"

[[system]]
id = "idp"
[system.match]
host = '^idp\d+\.k(?P<kommun_kod>\d{4})\.example\.se$'
"#;

pub fn catalog() -> Catalog {
    Catalog::parse(CATALOG, Path::new("test-systems.toml")).unwrap()
}

pub fn reference() -> Reference {
    Reference::load(&workspace().join("sample-data/reference")).unwrap()
}

pub fn spec(files: &str) -> LogSpec {
    toml::from_str(&format!("files = {files:?}")).unwrap()
}

#[derive(Default)]
pub struct MemorySink {
    pub batches: Vec<(NaiveDate, RecordBatch)>,
}

impl EventSink for MemorySink {
    fn write(
        &mut self,
        day: NaiveDate,
        batch: RecordBatch,
    ) -> Result<(), friktion_ingest_logs::SinkError> {
        self.batches.push((day, batch));
        Ok(())
    }
}

/// One it_event row, as strings and numbers, for assertions.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub day: NaiveDate,
    pub ts: chrono::DateTime<chrono::Utc>,
    pub kommun_kod: Option<String>,
    pub system_id: Option<String>,
    pub verksamhet: Option<String>,
    pub user_key: Option<String>,
    pub event_type: String,
    pub status: Option<i32>,
    pub latency_ms: Option<f64>,
    pub host: Option<String>,
    pub message: Option<String>,
    pub path: Option<String>,
    pub source_format: String,
    pub source_line: i64,
}

fn s(b: &RecordBatch, name: &str, i: usize) -> Option<String> {
    let c = b.column_by_name(name).unwrap().as_string::<i32>();
    c.is_valid(i).then(|| c.value(i).to_string())
}

pub fn rows(sink: &MemorySink) -> Vec<Row> {
    let mut out = Vec::new();
    for (day, b) in &sink.batches {
        let ts = b
            .column_by_name("ts")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        let st = b
            .column_by_name("status")
            .unwrap()
            .as_primitive::<Int32Type>();
        let lat = b
            .column_by_name("latency_ms")
            .unwrap()
            .as_primitive::<Float64Type>();
        let line = b
            .column_by_name("source_line")
            .unwrap()
            .as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            out.push(Row {
                day: *day,
                ts: chrono::DateTime::from_timestamp_micros(ts.value(i)).unwrap(),
                kommun_kod: s(b, "kommun_kod", i),
                system_id: s(b, "system_id", i),
                verksamhet: s(b, "verksamhet", i),
                user_key: s(b, "user_key", i),
                event_type: s(b, "event_type", i).unwrap(),
                status: st.is_valid(i).then(|| st.value(i)),
                latency_ms: lat.is_valid(i).then(|| lat.value(i)),
                host: s(b, "host", i),
                message: s(b, "message", i),
                path: s(b, "path", i),
                source_format: s(b, "source_format", i).unwrap(),
                source_line: line.value(i),
            });
        }
    }
    out.sort_by_key(|r| r.source_line);
    out
}

pub fn pseudonymiser() -> Pseudonymiser {
    Pseudonymiser::new(
        &PseudoKey::new(b"a test key of some length".to_vec(), KeyOrigin::Env).unwrap(),
    )
}

/// Ingests a file with the test catalogue into a memory sink.
pub fn try_ingest(path: &Path, spec: &LogSpec) -> (Result<LogOutcome, LogError>, MemorySink) {
    let cat = catalog();
    let reference = reference();
    let p = pseudonymiser();
    let cache = PseudonymCache::default();
    let ctx = Context {
        catalog: &cat,
        reference: &reference,
        pseudonymiser: &p,
        cache: &cache,
        progress: None,
        hash_content: true,
    };
    let mut sink = MemorySink::default();
    let out = friktion_ingest_logs::ingest(path, "test/source.log", spec, &ctx, &mut sink);
    (out, sink)
}

/// Ingests a file that must be readable; returns the outcome and the rows.
pub fn ingest(path: &Path, spec: &LogSpec) -> (LogOutcome, Vec<Row>) {
    let (out, sink) = try_ingest(path, spec);
    (out.unwrap(), rows(&sink))
}

pub fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}
