//! Implementation outcomes: how long municipalities take from decision to go-live, with
//! projects still running counted as censored rather than dropped.
//!
//! [`stages`] has the stage vocabulary, label mapping and date checks; [`factors`] reads the
//! key-factor catalogue. [`survival`] has the estimators (Kaplan–Meier with quantiles, the log-rank test)
//! and [`cox`] the hazard ratio of a Cox model; they are
//! plain functions over durations, checked against lifelines (PyPI) in the CLI's tests, so that
//! the SQL layer (DataFusion UDAFs) and the report can both build on them.

pub mod cox;
pub mod factors;
pub mod special;
pub mod stages;
pub mod survival;
