//! Static HTML reports with inline plotters SVG charts, for policymakers.
//!
//! Reads nothing but the publication it is given (friktion-publish: every table already
//! protected by disclosure control): no DataFusion, no lake, no network. Pages are
//! self-contained (inline CSS, SVG and their embedded font) so they can be mailed, archived and
//! printed, and look the same on every machine.

pub mod chart;
pub mod factors;
pub mod figure;
pub mod fonts;
pub mod format;
pub mod html;
pub mod i18n;
pub mod kommun;
pub mod logs;
pub mod map;
pub mod methods;
pub mod national;
pub mod notebook;
pub mod outcomes;
pub mod palette;
pub mod published;
pub mod strip;
pub mod survey;

use std::path::{Path, PathBuf};

pub use html::{RunInfo, write_index};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the boundary of kommun {kommun_kod}")]
    Boundary {
        kommun_kod: String,
        #[source]
        source: map::WkbError,
    },
    #[error("chart {0}: {1}")]
    Chart(String, String),
}

pub(crate) fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    std::fs::write(path, text).map_err(io)
}
