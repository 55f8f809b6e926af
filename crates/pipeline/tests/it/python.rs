//! The Python venv the interop tests use (DuckDB, polars, lifelines, nbclient from PyPI).
//! friktion-cli's tests include this same file.

use std::path::PathBuf;
use std::process::Command;

use crate::workspace;

/// The venv's python: FRIKTION_PYTHON if set (CI sets it), else `.venv` in the workspace,
/// created on first use from python/requirements.txt.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("FRIKTION_PYTHON") {
        return PathBuf::from(p);
    }
    let ws = workspace();
    let venv = ws.join(".venv");
    let py = venv.join("bin/python");
    let req = std::fs::read_to_string(ws.join("python/requirements.txt")).unwrap();
    let stamp = venv.join("friktion-requirements.txt");
    std::fs::create_dir_all(ws.join("target")).unwrap();
    let lock = std::fs::File::create(ws.join("target/.venv.lock")).unwrap();
    lock.lock().unwrap();
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(req.as_str()) {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .unwrap();
        assert!(ok.success(), "python3 -m venv failed");
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(ws.join("python/requirements.txt"))
            .status()
            .unwrap();
        assert!(
            ok.success(),
            "pip install -r python/requirements.txt failed"
        );
        std::fs::write(&stamp, &req).unwrap();
    }
    py
}
