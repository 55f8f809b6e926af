//! The shared vocabulary of friktion: the lake's table contract, the municipality and county
//! reference, canonical codes, the keyed pseudonymiser and free-text redaction.
//!
//! Everything downstream (ingest, lake, query, report) agrees through this crate, and it has no
//! knowledge of any of them. It links arrow and parquet (to read the SCB reference) but never
//! DataFusion.

pub mod codes;
pub mod error;
pub mod lineage;
pub mod peer_group;
pub mod pseudo;
pub mod quarantine;
pub mod redact;
pub mod reference;
pub mod schema;

pub use error::error_chain;
pub use lineage::LedgerAction;
pub use peer_group::{PeerGroup, PeerGroups};
pub use pseudo::{KeyOrigin, PseudoKey, Pseudonymiser};
pub use reference::{Kommun, Lan, Reference, ReferenceError};
pub use schema::{ContractError, LakeTable, TableDef};
