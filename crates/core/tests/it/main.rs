//! Integration tests of friktion-core against the real SCB reference in sample-data/.

mod reference;

use std::path::PathBuf;

pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/reference")
}
