//! `friktion sql`: queries over every lake table and mart, one-shot (-e, -f) or in a shell.
//!
//! Only queries run (see friktion-query's guard); each has a memory limit and a timeout.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use friktion_lake::{Lake, StoreSettings};
use friktion_query::{LakeSession, QueryError, SessionOptions, Statement};

use crate::flags::{Format, SqlArgs};

struct Shell {
    session: LakeSession,
    rt: tokio::runtime::Runtime,
    format: Format,
    output: Option<PathBuf>,
    timeout: u64,
    timing: bool,
}

pub fn run(a: SqlArgs) -> Result<()> {
    if a.format == Format::Parquet && a.output.is_none() {
        bail!("--format parquet needs --output FILE");
    }
    if let Some(dir) = a.lake.local()
        && !dir.join("_ledger").is_dir()
        && !dir.join("marts").is_dir()
    {
        bail!(
            "{} is not a friktion lake (no _ledger or marts in it): run `friktion run` first, or give --lake",
            dir.display()
        );
    }
    let work = std::env::temp_dir();
    let lake = Lake::open_read_at(&a.lake, &StoreSettings::default().with_env(), &work)
        .with_context(|| format!("lake at {}", a.lake))?;
    if let Some(v) = a.as_of {
        lake.pin_version(v)
            .with_context(|| format!("lake at {}", a.lake))?;
    }
    let rt = runtime()?;
    let opts = SessionOptions {
        memory_limit_bytes: a.memory_mb << 20,
        ..SessionOptions::default()
    };
    let engine = a.engine.engine().map_err(anyhow::Error::msg)?;
    let session = rt.block_on(async {
        let ctx = engine.context(&opts).await?;
        Ok::<_, anyhow::Error>(
            LakeSession::with_context(ctx, &lake, opts.memory_limit_bytes).await?,
        )
    })?;
    let mut shell = Shell {
        session,
        rt,
        format: a.format,
        output: a.output,
        timeout: a.timeout,
        timing: a.timing,
    };
    let mut scripts = a.execute;
    if let Some(f) = &a.file {
        scripts.push(
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
        );
    }
    if scripts.is_empty() && !std::io::stdin().is_terminal() {
        scripts.push(std::io::read_to_string(std::io::stdin()).context("reading standard input")?);
    }
    if scripts.is_empty() {
        return shell.interactive();
    }
    for script in scripts {
        for stmt in shell.session.parse(&script)? {
            shell.statement(stmt)?;
        }
    }
    Ok(())
}

impl Shell {
    /// Runs one statement and prints or writes its result.
    fn statement(&mut self, stmt: Statement) -> Result<()> {
        let started = Instant::now();
        let (schema, batches) = self.query(stmt)?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        match &self.output {
            Some(path) => {
                let f = std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                write(self.format, &schema, &batches, f)?;
            }
            None => write(
                self.format,
                &schema,
                &batches,
                std::io::BufWriter::new(std::io::stdout()),
            )?,
        }
        if self.timing {
            eprintln!("{rows} row(s) in {:.3} s", started.elapsed().as_secs_f64());
        }
        Ok(())
    }

    fn query(&mut self, stmt: Statement) -> Result<(SchemaRef, Vec<RecordBatch>), QueryError> {
        let df = self.rt.block_on(self.session.safe_statement(stmt))?;
        let schema: SchemaRef = std::sync::Arc::new(df.schema().as_arrow().clone());
        // The query runs on the runtime's workers and this thread waits with its own clock:
        // a CPU-bound plan can keep every worker busy, and then a tokio timer would never fire.
        let (tx, rx) = std::sync::mpsc::channel();
        let task = self.rt.spawn(async move {
            let _ = tx.send(df.collect().await);
        });
        match rx.recv_timeout(Duration::from_secs(self.timeout)) {
            Ok(result) => Ok((schema, result.map_err(|e| self.session.query_error(e))?)),
            Err(_) => {
                // Stop it, and leave its threads behind: a plan that never yields cannot be
                // waited for. A fresh runtime serves the next query.
                task.abort();
                let old = std::mem::replace(&mut self.rt, runtime()?);
                old.shutdown_background();
                Err(QueryError::Timeout {
                    secs: self.timeout,
                    flag: "--timeout",
                })
            }
        }
    }

    fn interactive(&mut self) -> Result<()> {
        let mut rl = rustyline::DefaultEditor::new().context("starting the line editor")?;
        let history = history_file();
        if let Some(h) = &history {
            let _ = rl.load_history(h);
        }
        println!(
            "friktion sql: queries over the lake. End a statement with ';'. \\d lists tables, \\d NAME its columns, \\timing toggles timing, \\q quits."
        );
        let mut buf = String::new();
        loop {
            let prompt = if buf.is_empty() {
                "friktion> "
            } else {
                "      -> "
            };
            let line = match rl.readline(prompt) {
                Ok(l) => l,
                Err(rustyline::error::ReadlineError::Interrupted) => {
                    buf.clear();
                    continue;
                }
                Err(rustyline::error::ReadlineError::Eof) => break,
                Err(e) => return Err(e.into()),
            };
            let trimmed = line.trim();
            if buf.is_empty() && trimmed.starts_with('\\') {
                let _ = rl.add_history_entry(trimmed);
                match self.meta(trimmed) {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) => eprintln!("error: {}", crate::describe(&e)),
                }
                continue;
            }
            buf.push_str(&line);
            buf.push('\n');
            if trimmed.ends_with(';') {
                let sql = std::mem::take(&mut buf);
                let _ = rl.add_history_entry(sql.trim());
                let result = self
                    .session
                    .parse(&sql)
                    .map_err(anyhow::Error::from)
                    .and_then(|stmts| stmts.into_iter().try_for_each(|s| self.statement(s)));
                if let Err(e) = result {
                    eprintln!("error: {}", crate::describe(&e));
                }
            }
        }
        if let Some(h) = &history {
            if let Some(dir) = h.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = rl.save_history(h);
        }
        Ok(())
    }

    /// Runs SQL text made here (one statement).
    fn text(&mut self, sql: &str) -> Result<()> {
        for s in self.session.parse(sql)? {
            self.statement(s)?;
        }
        Ok(())
    }

    /// A backslash command; true to quit.
    fn meta(&mut self, cmd: &str) -> Result<bool> {
        let mut words = cmd.split_whitespace();
        match (words.next(), words.next()) {
            (Some("\\q"), _) => return Ok(true),
            (Some("\\timing"), _) => {
                self.timing = !self.timing;
                println!("timing {}", if self.timing { "on" } else { "off" });
            }
            (Some("\\d"), None) => self.text(
                "SELECT table_schema, table_name, table_type FROM information_schema.tables \
                 WHERE table_schema IN ('public', 'published') ORDER BY table_schema, table_name",
            )?,
            (Some("\\d"), Some(name)) => {
                // `published.friction_by_kommun` is the publication's; a bare name the lake's.
                let (schema, table) = name.split_once('.').unwrap_or(("public", name));
                let (schema, table) = (schema.replace('\'', "''"), table.replace('\'', "''"));
                self.text(&format!(
                    "SELECT column_name, data_type, is_nullable FROM information_schema.columns \
                     WHERE table_schema = '{schema}' AND table_name = '{table}' ORDER BY ordinal_position"
                ))?
            }
            _ => println!(
                "\\d [NAME]   tables, or a table's columns\n\\timing     toggle timing\n\\q          quit"
            ),
        }
        Ok(false)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, QueryError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| QueryError::Runtime(e.to_string()))
}

fn history_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("friktion/sql_history"))
}

fn write(
    format: Format,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    out: impl Write + Send,
) -> Result<()> {
    let mut out = out;
    match format {
        Format::Table => {
            let t = arrow::util::pretty::pretty_format_batches(batches)?;
            if batches.is_empty() {
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                writeln!(out, "{}\n(0 rows)", names.join(" | "))?;
            } else {
                writeln!(out, "{t}")?;
            }
        }
        Format::Csv => {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            if batches.is_empty() {
                w.write(&RecordBatch::new_empty(schema.clone()))?;
            }
            for b in batches {
                w.write(b)?;
            }
        }
        Format::Json => {
            let mut w = arrow::json::ArrayWriter::new(&mut out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            writeln!(out)?;
        }
        Format::Parquet => {
            let mut w = parquet::arrow::ArrowWriter::try_new(out, schema.clone(), None)?;
            for b in batches {
                w.write(b)?;
            }
            w.close()?;
        }
    }
    Ok(())
}
