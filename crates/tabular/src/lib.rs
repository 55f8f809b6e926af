//! Spreadsheet-shaped input as Swedish municipalities export it, for every ingest crate that
//! reads tables (surveys, project portfolios): CSV in UTF-8, UTF-16 or Windows-1252 with `;`,
//! `,` or tab, and workbooks (XLSX, XLS, ODS). Each record keeps the line an analyst sees in
//! an editor or in Excel, so quarantine records point at the right place. A large CSV file is
//! read a block at a time, never held whole.

pub mod number;
pub mod read;
pub mod scan;
pub mod sheet;

pub use number::number;
pub use read::{Loaded, ReadError, Record, Table, load};
pub use scan::Scan;

use serde::Deserialize;

/// How to read a source: as declared in an instrument's `[source]` or a mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFormat {
    /// "auto", ";", ",", "tab".
    #[serde(default = "auto")]
    pub delimiter: String,
    /// "auto" (UTF-8, else Windows-1252), "utf-8", "windows-1252", "latin-1".
    #[serde(default = "auto")]
    pub encoding: String,
    /// 1-based row of the header.
    #[serde(default = "one")]
    pub header_row: usize,
    /// Timestamps without a zone in the file are read in this zone.
    #[serde(default = "stockholm")]
    pub timezone: String,
    /// For workbooks: the sheet to read (default: the first).
    pub sheet: Option<String>,
}

fn auto() -> String {
    "auto".into()
}
fn one() -> usize {
    1
}
fn stockholm() -> String {
    "Europe/Stockholm".into()
}

impl Default for SourceFormat {
    fn default() -> Self {
        Self {
            delimiter: auto(),
            encoding: auto(),
            header_row: one(),
            timezone: stockholm(),
            sheet: None,
        }
    }
}
