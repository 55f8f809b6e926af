//! System logs into it_event, and the log friction model into it_friction_daily.
//!
//! Sources → transforms → sink, as in Vector: [`input`] reads (gzip and zstd transparently)
//! and cuts the bytes into chunks at line boundaries; [`formats`] turns lines into
//! [`event::RawEvent`]s; [`normalise`] resolves the system and kommun ([`catalog`]), the
//! event type ([`classify`]), pseudonymises users and redacts text; [`ingest`] has one reader
//! thread cut the input, one worker per core parse pieces as they come, and hands each day's
//! Arrow batches, put back in input order, to an [`EventSink`].
//! The crate knows nothing of the lake: the caller's sink writes the batches.
//!
//! [`friction`] is the model that turns a day of events into friction measures.

pub mod catalog;
pub mod classify;
mod detect;
mod error;
pub mod event;
pub mod formats;
pub mod friction;
mod fxhash;
pub mod ingest;
pub mod input;
mod keymap;
pub mod mapping;
pub mod normalise;
pub mod spec;
pub mod time;

pub use catalog::Catalog;
pub use error::LogError;
pub use ingest::{CHUNK_BYTES, Context, EventSink, LogOutcome, SinkError, ingest};
pub use normalise::PseudonymCache;
pub use spec::LogSpec;
