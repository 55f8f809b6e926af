//! `friktion serve`: researchers' SQL over the Postgres protocol, with their own accounts.
//! So far the accounts: SCRAM-SHA-256 verifiers (never passwords) in a file only its owner can
//! read, and the server's half of a SCRAM exchange; the server itself follows (issue 15).

pub mod accounts;
pub mod scram;

pub use accounts::{Account, Accounts, AccountsError, Role};
pub use scram::{Verifier, VerifierError};
