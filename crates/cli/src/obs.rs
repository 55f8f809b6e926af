//! What a run tells the people and machines watching it, rendered from the pipeline's events:
//! structured logs through `tracing` on stderr (text, or one JSON object per line with
//! `--log-format json`), a status line and progress bars only when stderr is a terminal, and
//! nothing but errors under `--quiet`.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use friktion_pipeline::{Event, Observer};
use tracing::level_filters::LevelFilter;

use crate::flags::LogFormat;

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

/// Installs the subscriber and returns the run's renderer. Text shows warnings and errors (the
/// summary on stdout says the rest); JSON, read by machines, carries every stage and source
/// event too.
pub fn init(format: LogFormat, quiet: bool) -> Renderer {
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
    Renderer {
        bars: !quiet && std::io::stderr().is_terminal(),
        bar: Mutex::new(None),
    }
}

/// Turns the pipeline's events into log lines, the status line and progress bars.
pub struct Renderer {
    bars: bool,
    bar: Mutex<Option<Bar>>,
}

struct Bar {
    file: String,
    start: Instant,
    last: Instant,
}

macro_rules! log_with_file {
    ($level:ident, $file:expr, $($msg:tt)+) => {
        match $file {
            Some(f) => tracing::$level!(file = %f, $($msg)+),
            None => tracing::$level!($($msg)+),
        }
    };
}

impl Observer for Renderer {
    fn event(&self, e: Event) {
        if !matches!(e, Event::Progress { .. }) {
            self.clear_bar();
        }
        match e {
            Event::Started { .. } => {}
            Event::DemoKey { config } => tracing::warn!(
                "using the public demo pseudonymisation key (allowed by {config}). \
                 Set FRIKTION_PSEUDO_KEY or privacy.key_file before loading real data."
            ),
            Event::TookOverLock { owner } => tracing::warn!(
                "took over the lake's lock from a run that is no longer running ({owner}); \
                 what it left half done is rolled forward or discarded now"
            ),
            Event::Source(x) => {
                tracing::info!(
                    stage = x.stage.as_str(),
                    file = %x.file,
                    action = %x.action,
                    rows_read = x.rows_read,
                    rows_written = x.rows_written,
                    rows_quarantined = x.rows_quarantined,
                    "source"
                );
                status(&format!("friktion run: {}", x.file));
            }
            Event::SourceFailed { file, message } => {
                if message.starts_with(&file) {
                    tracing::error!(file = %file, "{message}");
                } else {
                    tracing::error!(file = %file, "{file}: {message}");
                }
            }
            Event::Progress { file, done, total } => self.progress(&file, done, total),
            Event::Warning { file, message } => log_with_file!(warn, file, "{message}"),
            Event::Problem { file, message } => log_with_file!(error, file, "{message}"),
            Event::StageFinished { stage, seconds } => {
                tracing::info!(stage = stage.as_str(), seconds, "stage finished");
                status(&format!("friktion run: {stage} done"));
            }
        }
    }
}

impl Renderer {
    /// A progress bar for a large source, redrawn at most five times a second.
    fn progress(&self, file: &str, done: u64, total: u64) {
        if !self.bars {
            return;
        }
        let mut bar = self.bar.lock().expect("not poisoned");
        let now = Instant::now();
        match bar.as_mut() {
            Some(b) if b.file == file => {
                if now - b.last < Duration::from_millis(200) {
                    return;
                }
                b.last = now;
            }
            _ => {
                *bar = Some(Bar {
                    file: file.to_string(),
                    start: now,
                    last: now,
                })
            }
        }
        let b = bar.as_ref().expect("set above");
        let frac = if total == 0 {
            1.0
        } else {
            done as f64 / total as f64
        };
        let width = 30;
        let filled = ((frac * width as f64) as usize).min(width);
        let secs = b.start.elapsed().as_secs_f64().max(1e-3);
        eprint!(
            "\r  {} [{}{}] {:>3.0}%  {:.0} MB/s ",
            b.file,
            "#".repeat(filled),
            " ".repeat(width - filled),
            frac * 100.0,
            done as f64 / 1e6 / secs
        );
        let _ = std::io::stderr().flush();
    }

    fn clear_bar(&self) {
        if let Some(b) = self.bar.lock().expect("not poisoned").take() {
            eprint!("\r{}\r", " ".repeat(b.file.len() + 60));
            let _ = std::io::stderr().flush();
        }
    }
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
