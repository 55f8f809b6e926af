//! `friktion serve user add|remove|list`: the server's accounts.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};
use friktion_serve::{Accounts, Role};

use crate::flags::{ServeCommand, UserCommand};

pub fn run(cmd: ServeCommand) -> Result<()> {
    let ServeCommand::User { accounts, command } = cmd;
    let mut a = Accounts::load(&accounts)?;
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
