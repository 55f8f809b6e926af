//! friktion's SQL on an Apache Ballista cluster: a client session, a scheduler and an executor
//! that all know friktion's functions and how to read its lake.
//!
//! The client plans each query, the scheduler splits it into stages and the executors run
//! them, so all three must decode the same plans: friktion's survival aggregates are
//! registered on each, and friktion's tables cross the wire through one codec ([`codec`]).
//! Executors read a lake on object storage from the bucket themselves ([`stores`]); a local
//! lake must be at the same path on every node (one machine, or a shared file system).

pub mod client;
pub mod codec;
pub mod error;
pub mod executor;
pub mod scheduler;
mod stage;
pub mod stores;

pub use client::{Engine, SchedulerUrl, connect};
pub use error::ClusterError;
pub use executor::{ExecutorOptions, run_executor};
pub use scheduler::{SchedulerOptions, run_scheduler};
