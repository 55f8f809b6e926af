//! One `[[logs]]` block of the pipeline config: which files, and how to read them.

use serde::Deserialize;

use crate::formats::Format;
use crate::mapping::{FieldMap, LatencyUnit};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogSpec {
    /// A glob, relative to the project root. `.gz` and `.zst` files are read transparently.
    pub files: String,
    /// `auto` (the default) detects the format from the first lines.
    #[serde(default)]
    pub format: Format,
    /// NDJSON keys or CSV columns per event field, where the defaults do not find them.
    #[serde(default)]
    pub fields: FieldMap,
    /// Unit of response times whose format does not say (W3C `time-taken`, a bare number at
    /// the end of an access-log line).
    pub latency_unit: Option<LatencyUnit>,
    pub csv_delimiter: Option<char>,
    /// Zone of timestamps written without one (default Europe/Stockholm).
    pub timezone: Option<String>,
    /// Kommun of events that neither the line, its host nor the catalogue place.
    pub kommun_kod: Option<String>,
    /// System of events the catalogue does not recognise.
    pub system_id: Option<String>,
    /// Year-less syslog: the date (or date and time) the files end by. Default: each file's
    /// modification time, which a copy or a checkout may have changed.
    pub syslog_ends: Option<String>,
}
