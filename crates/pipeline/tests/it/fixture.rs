//! What the end-to-end tests of friktion-pipeline and friktion-cli share: the sample project
//! copied into a test's own directory, and file hashes. friktion-cli's tests include this file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The project's pipeline and sample inputs, copied under `to`.
pub fn copy_sample(to: &Path) {
    let ws = workspace();
    for d in [
        "pipelines",
        "sample-data/reference",
        "sample-data/survey",
        "sample-data/population",
        "sample-data/logs",
        "sample-data/projects",
        "sample-data/kolada",
    ] {
        copy_dir(&ws.join(d), &to.join(d));
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// `sha256` of every file under `dir`, by path relative to it; with `run_id`, the run id is
/// replaced by RUN in paths and text, so two runs' reports compare.
pub fn hashes(dir: &Path, run_id: Option<&str>) -> BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let mut bytes = std::fs::read(&p).unwrap();
            let mut rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if let Some(id) = run_id {
                rel = rel.replace(id, "RUN");
                if let Ok(t) = String::from_utf8(bytes.clone()) {
                    bytes = t.replace(id, "RUN").into_bytes();
                }
            }
            out.insert(rel, hex::encode(Sha256::digest(&bytes)));
        }
    }
    out
}

/// CSV text without its header line.
pub fn csv_body(csv: &str) -> String {
    csv.lines().skip(1).collect::<Vec<_>>().join("\n")
}

/// A child process's output as text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
