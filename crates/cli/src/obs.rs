//! What a run tells the people and machines watching it: structured logs through `tracing`
//! on stderr (text, or one JSON object per line with `--log-format json`), a status line only
//! when stderr is a terminal, and nothing but errors under `--quiet`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::level_filters::LevelFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

static STATUS_LINE: AtomicBool = AtomicBool::new(false);

/// Text events as people read them: "warning: …" and "error: …", the message only (the file
/// is in it already; the JSON form carries the fields).
struct Plain;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    self.0 = format!("{v:?}");
                }
            }
            fn record_str(&mut self, f: &tracing::field::Field, v: &str) {
                if f.name() == "message" {
                    self.0 = v.to_string();
                }
            }
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "error",
            tracing::Level::WARN => "warning",
            _ => "info",
        };
        status_done();
        writeln!(w, "{level}: {}", m.0)
    }
}

/// Installs the subscriber. Text shows warnings and errors (the summary on stdout says the
/// rest); JSON, read by machines, carries every stage and source event too.
pub fn init(format: LogFormat, quiet: bool) {
    let level = match (quiet, format) {
        (true, _) => LevelFilter::ERROR,
        (false, LogFormat::Text) => LevelFilter::WARN,
        (false, LogFormat::Json) => LevelFilter::INFO,
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.event_format(Plain).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    STATUS_LINE.store(
        !quiet && format == LogFormat::Text && std::io::stderr().is_terminal(),
        Ordering::Relaxed,
    );
}

/// The stage (and file) the run is at, on one line that rewrites itself; on a terminal only,
/// so logs and cron mail never fill up with it.
pub fn status(text: &str) {
    if STATUS_LINE.load(Ordering::Relaxed) {
        let mut e = std::io::stderr().lock();
        let short: String = text.chars().take(100).collect();
        let _ = write!(e, "\r\x1b[2K{short}");
        let _ = e.flush();
    }
}

/// Clears the status line before the summary is printed.
pub fn status_done() {
    if STATUS_LINE.load(Ordering::Relaxed) {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
}
