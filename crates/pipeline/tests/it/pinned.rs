//! The run's outputs pinned byte for byte: with a fixed run id and clock, every mart, every
//! report file, the Kolada export and the disclosure log hash to what `pinned_outputs.txt`
//! says. The file was first written by the CLI of the commit before friktion-pipeline existed
//! (`friktion run --run-id … --clock …` and `sha256sum`), so the redesign is held to the
//! outputs as they were. A deliberate change of an output regenerates it:
//! `FRIKTION_BLESS=1 cargo test -p friktion-pipeline pinned`, and the diff shows what moved.

use std::path::Path;

use friktion_pipeline::RunOptions;

use crate::Project;

const RUN_ID: &str = "20261124T054500Z";
const CLOCK: &str = "2026-11-24T05:45:00Z";

/// `sha256  path` for every file under `dir`, paths relative to `base`, sorted.
pub fn hashes(base: &Path, dir: &Path, out: &mut Vec<String>) {
    use sha2::{Digest, Sha256};
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            hashes(base, &p, out);
        } else {
            let rel = p
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let h = hex::encode(Sha256::digest(std::fs::read(&p).unwrap()));
            out.push(format!("{h}  {rel}"));
        }
    }
}

#[test]
fn the_outputs_are_byte_identical_to_the_pinned_run() {
    let p = Project::new();
    let opts = RunOptions {
        run_id: Some(RUN_ID.into()),
        now: Some(CLOCK.parse().unwrap()),
        ..RunOptions::default()
    };
    let s = p.run_with(&opts).unwrap();
    assert_eq!(s.run_id, RUN_ID);
    let mut got = Vec::new();
    hashes(p.path(), &p.lake().join("marts"), &mut got);
    hashes(
        p.path(),
        &p.path().join("notebooks-out").join(RUN_ID),
        &mut got,
    );
    got.sort();
    let pinned_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/pinned_outputs.txt");
    if std::env::var_os("FRIKTION_BLESS").is_some() {
        std::fs::write(&pinned_path, got.join("\n") + "\n").unwrap();
    }
    let pinned = std::fs::read_to_string(&pinned_path).unwrap();
    let want: Vec<&str> = pinned.lines().filter(|l| !l.is_empty()).collect();
    let diff: Vec<String> = want
        .iter()
        .filter(|w| !got.iter().any(|g| g == *w))
        .map(|w| format!("- {w}"))
        .chain(
            got.iter()
                .filter(|g| !want.contains(&g.as_str()))
                .map(|g| format!("+ {g}")),
        )
        .collect();
    assert!(
        diff.is_empty(),
        "{} of {} outputs differ from the pinned run:\n{}",
        diff.len(),
        want.len(),
        diff.join("\n")
    );
    assert!(want.len() > 50, "{} outputs pinned", want.len());
}
