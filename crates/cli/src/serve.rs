//! `friktion serve`: the server, its accounts (`user add|remove|list`) and its audit log.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use friktion_lake::{LakeLocation, StoreSettings};
use friktion_serve::{Accounts, Role, ServeConfig, Server};

use crate::flags::{ServeArgs, ServeCommand, ServerFlags, UserCommand};

pub fn run(args: ServeArgs) -> Result<()> {
    match args.command {
        None => serve(args.server),
        Some(ServeCommand::User { accounts, command }) => user(&accounts, command),
        Some(ServeCommand::Audit {
            lake,
            since,
            refusals,
        }) => audit(&lake, since, refusals),
    }
}

/// The settings: [serve] from the config, then the flags over them.
/// Where the lake served lives and how to reach it; the work directory holds the audit log of
/// a lake on object storage.
struct LakeAt {
    location: LakeLocation,
    store: StoreSettings,
    work: PathBuf,
}

fn settings(f: &ServerFlags) -> Result<(ServeConfig, LakeAt)> {
    let default = Path::new("pipelines/nightly.toml");
    let config_path = f
        .config
        .clone()
        .or_else(|| default.exists().then(|| default.to_path_buf()));
    let (mut config, lake) = match &config_path {
        Some(p) => {
            let c = friktion_pipeline::config::Config::load(p)?;
            let mut s = ServeConfig::from_table(c.serve.clone(), p.clone())?;
            // Paths in [serve], like the config's others, are relative to the config file.
            for path in [
                Some(&mut s.accounts),
                s.tls_cert.as_mut(),
                s.tls_key.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                *path = c.dir.join(&*path);
            }
            let at = LakeAt {
                location: c.lake,
                store: c.object_store,
                work: c.work_dir,
            };
            (s, Some(at))
        }
        None => (ServeConfig::default(), None),
    };
    let lake = match (f.lake.clone(), lake) {
        (Some(location), Some(at)) => LakeAt { location, ..at },
        (Some(location), None) => LakeAt {
            location,
            store: StoreSettings::default().with_env(),
            work: PathBuf::from(".friktion-work"),
        },
        (None, Some(at)) => at,
        (None, None) => {
            bail!("no lake to serve: give --lake, or --config with the pipeline config")
        }
    };
    macro_rules! over {
        ($($flag:ident => $field:ident),*) => {
            $(if let Some(v) = f.$flag.clone() { config.$field = v.into(); })*
        };
    }
    over!(listen => listen, accounts => accounts, max_connections => max_connections,
        queries_per_user => queries_per_user, query_timeout => query_timeout_secs,
        query_memory_mb => query_memory_mib, query_threads => query_threads,
        idle_timeout => idle_timeout_secs);
    config.engine = f.engine.engine().map_err(anyhow::Error::msg)?;
    if let Some(c) = &f.tls_cert {
        config.tls_cert = Some(c.clone());
    }
    if let Some(k) = &f.tls_key {
        config.tls_key = Some(k.clone());
    }
    if let Some(dir) = &f.dev_cert {
        let (cert, key) = friktion_serve::tls::dev_cert(dir)?;
        eprintln!(
            "friktion serve: made a self-signed development certificate {} (not for production)",
            cert.display()
        );
        config.tls_cert = Some(cert);
        config.tls_key = Some(key);
    }
    Ok((config, lake))
}

fn serve(f: ServerFlags) -> Result<()> {
    let (config, at) = settings(&f)?;
    std::fs::create_dir_all(&at.work)
        .with_context(|| format!("cannot create {}", at.work.display()))?;
    let lake = friktion_lake::Lake::open_read_at(&at.location, &at.store, &at.work)
        .with_context(|| format!("cannot serve the lake {}", at.location))?;
    let audit_dir = lake.root().to_path_buf();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let accounts = config.accounts.clone();
        let engine = config.engine.to_string();
        let server = Server::bind(config, lake).await?;
        eprintln!(
            "friktion serve: listening on {} ({}), lake {}, engine {engine}, accounts {}, audit log {}/_audit",
            server.local_addr(),
            if server.tls() {
                "TLS offered"
            } else {
                "no TLS: loopback only"
            },
            at.location,
            accounts.display(),
            audit_dir.display(),
        );
        server.run(stop()).await?;
        eprintln!("friktion serve: stopped");
        Ok(())
    })
}

/// Ctrl-C or SIGTERM (systemd's stop).
async fn stop() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
}

fn user(accounts: &Path, command: UserCommand) -> Result<()> {
    let mut a = Accounts::load(accounts)?;
    match command {
        UserCommand::Add { name, role } => {
            let role = Role::parse(&role).expect("clap checked the role");
            let password = password()?;
            a.add(&name, role, &password)?;
            if let Some(dir) = accounts.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            a.save()?;
            println!("added {name} ({})", role.as_str());
        }
        UserCommand::Remove { name } => {
            a.remove(&name)?;
            a.save()?;
            println!("removed {name}");
        }
        UserCommand::List => {
            for u in a.users() {
                println!("{:<24} {}", u.name, u.role.as_str());
            }
        }
    }
    Ok(())
}

/// The new password: the first line of standard input when it is not a terminal (scripts,
/// secrets from a vault), else typed twice at a prompt without echo.
fn password() -> Result<String> {
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("password: ").context("reading the password")?;
    let again = rpassword::prompt_password("again: ").context("reading the password")?;
    if first != again {
        bail!("the two passwords differ");
    }
    Ok(first)
}

fn audit(lake: &Path, since: Option<chrono::NaiveDate>, refusals: usize) -> Result<()> {
    let records = friktion_serve::audit::read(lake, since)?;
    let (users, refused) = friktion_serve::audit::summarise(&records);
    println!(
        "{:<20} {:>7} {:>7} {:>10} {:>8} {:>7} {:>12} {:>14}  last seen, addresses",
        "user", "logins", "failed", "statements", "refused", "errors", "rows", "bytes"
    );
    for (name, u) in &users {
        println!(
            "{:<20} {:>7} {:>7} {:>10} {:>8} {:>7} {:>12} {:>14}  {}, {}",
            name,
            u.logins,
            u.failed_logins,
            u.statements,
            u.refused,
            u.failed,
            u.rows,
            u.bytes,
            u.last_seen
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default(),
            u.addresses.iter().cloned().collect::<Vec<_>>().join(" "),
        );
    }
    if users.is_empty() {
        println!(
            "(no records{})",
            since.map(|d| format!(" since {d}")).unwrap_or_default()
        );
    }
    if !refused.is_empty() {
        println!("\nlatest refusals ({} in all):", refused.len());
        for r in refused.iter().rev().take(refusals).rev() {
            println!(
                "{}  {:<16} {:<22} {}{}",
                r.time.format("%Y-%m-%d %H:%M:%S"),
                r.user.as_deref().unwrap_or("-"),
                r.address,
                r.reason.as_deref().unwrap_or(""),
                r.statement
                    .as_deref()
                    .map(|s| format!(": {}", s.split_whitespace().collect::<Vec<_>>().join(" ")))
                    .unwrap_or_default(),
            );
        }
    }
    Ok(())
}
