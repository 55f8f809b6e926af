//! `friktion serve user`: accounts as a user manages them, passwords never on the command line.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use crate::{Project, text};

fn user(
    p: &Project,
    accounts: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_friktion"))
        .args(["serve", "user"])
        .args(args)
        .arg("--accounts")
        .arg(accounts)
        .current_dir(p.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn users_are_added_from_a_password_on_stdin_listed_and_removed_and_the_file_stays_private() {
    let p = Project::new();
    let accounts = p.path().join("etc/accounts.toml");
    let o = user(
        &p,
        &accounts,
        &["add", "anna", "--role", "researcher"],
        "a long passphrase\n",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = user(
        &p,
        &accounts,
        &["add", "pub", "--role", "public"],
        "another passphrase\n",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mode = std::fs::metadata(&accounts).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let file = std::fs::read_to_string(&accounts).unwrap();
    assert!(
        !file.contains("passphrase") && file.contains("SCRAM-SHA-256$4096:"),
        "{file}"
    );
    let o = user(&p, &accounts, &["list"], "");
    assert_eq!(
        text(&o.stdout),
        format!("{:<24} researcher\n{:<24} public\n", "anna", "pub")
    );
    // A short password, a taken name and a role that does not exist are refused.
    let o = user(
        &p,
        &accounts,
        &["add", "kim", "--role", "analyst"],
        "short\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("at least 12 characters"),
        "{}",
        text(&o.stderr)
    );
    let o = user(
        &p,
        &accounts,
        &["add", "anna", "--role", "analyst"],
        "a long passphrase\n",
    );
    assert!(text(&o.stderr).contains("there is a user anna already"));
    let o = user(
        &p,
        &accounts,
        &["add", "eve", "--role", "admin"],
        "a long passphrase\n",
    );
    assert_eq!(o.status.code(), Some(2), "clap refuses the role");
    let o = user(&p, &accounts, &["remove", "pub"], "");
    assert!(o.status.success());
    assert_eq!(
        text(&user(&p, &accounts, &["list"], "").stdout)
            .lines()
            .count(),
        1
    );
    // A file others can read is not used.
    std::fs::set_permissions(&accounts, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = user(&p, &accounts, &["list"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("chmod 600"), "{}", text(&o.stderr));
}
