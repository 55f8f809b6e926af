//! The SQL models pinned by sqllogictest files (`pipelines/tests/*.slt`) on small fixtures.
//!
//! Each file starts from every lake table, empty, with the contract's schema; fills them with
//! `INSERT`; says `LOAD MODEL <name>` to evaluate a model from `pipelines/models/` (its
//! dependencies first) as the nightly run would; and then pins the model's rows with `query`.
//! Changing a model's output makes its file fail.

mod slt;
