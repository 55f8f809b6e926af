//! `Lake::load_source`: skip, replace and whole-file quarantine, each committed with its ledger
//! row, the same for every kind of source.

use chrono::{TimeZone, Utc};
use friktion_core::{LakeTable, LedgerAction};
use friktion_lake::{Lake, LakeError, Ledger, LoadError, Loaded, Outcome, Source};

use crate::{answers, item_ids};

#[derive(Debug, thiserror::Error)]
#[error("the export has no header row")]
struct Unreadable;

const TABLES: &[LakeTable] = &[LakeTable::SurveyAnswer];

fn source(hash: &str) -> Source<'static> {
    Source {
        content_hash: Some(hash.into()),
        tables: TABLES,
        quarantine: Some(LakeTable::SurveyQuarantine),
        ..Source::new("survey/a.csv", "survey", "cfg".into())
    }
}

/// Loads `tag`'s rows (or fails) as the source with content hash `hash`, in a run of its own.
fn load(lake: &Lake, hash: &str, rows: Option<(&str, usize)>) -> Outcome<Unreadable> {
    let ledger = Ledger::load(lake).unwrap();
    let run = ledger.entries().len() as u32;
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 5, run, 0).unwrap();
    let run_id = format!("run-{run}");
    let outcome = lake
        .load_source(&ledger, &source(hash), &run_id, now, |w| {
            let (tag, n) = rows.ok_or(LoadError::Source(Unreadable))?;
            w.write(LakeTable::SurveyAnswer, &["w1"], &[answers(tag, n)])?;
            Ok(Loaded {
                rows_read: n as i64,
                rows_written: n as i64,
                ..Loaded::default()
            })
        })
        .unwrap();
    if let Outcome::Skipped(e) = &outcome {
        lake.record_skips(std::slice::from_ref(e), &run_id).unwrap();
    }
    outcome
}

fn ids(lake: &Lake) -> Vec<String> {
    item_ids(&lake.read_table(&LakeTable::SurveyAnswer.def()).unwrap())
}

fn action(o: &Outcome<Unreadable>) -> Option<LedgerAction> {
    match o {
        Outcome::Loaded(e) | Outcome::Skipped(e) => Some(e.action),
        Outcome::Failed(_) => None,
    }
}

#[test]
fn a_source_is_ingested_skipped_while_unchanged_and_replaced_whole_when_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path()).unwrap();
    assert_eq!(
        action(&load(&lake, "h1", Some(("a", 3)))),
        Some(LedgerAction::Ingested)
    );
    assert_eq!(ids(&lake), ["a0", "a1", "a2"]);
    // Unchanged: the loader is not even called (it would fail here), and the skip is recorded.
    assert_eq!(
        action(&load(&lake, "h1", None)),
        Some(LedgerAction::Skipped)
    );
    assert_eq!(ids(&lake), ["a0", "a1", "a2"]);
    // Changed: its earlier rows give way to the new ones, none doubled.
    assert_eq!(
        action(&load(&lake, "h2", Some(("b", 2)))),
        Some(LedgerAction::Replaced)
    );
    assert_eq!(ids(&lake), ["b0", "b1"]);
    let ledger = Ledger::load(&lake).unwrap();
    let last = ledger.last_load("survey/a.csv").unwrap();
    assert_eq!((last.content_hash.as_str(), last.rows_read), ("h2", 2));
    assert_eq!(ledger.entries().len(), 3);
}

#[test]
fn an_unusable_source_is_quarantined_whole_its_old_rows_go_and_no_ledger_row_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path()).unwrap();
    load(&lake, "h1", Some(("a", 3)));
    let o = load(&lake, "h2", None);
    assert!(matches!(o, Outcome::Failed(Unreadable)), "{o:?}");
    // The lake never mixes versions of a file: the earlier rows are gone with it.
    assert!(ids(&lake).is_empty());
    let q = lake.read_table(&LakeTable::SurveyQuarantine.def()).unwrap();
    assert_eq!(q.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    let reason = q[0]
        .column_by_name("reason")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .unwrap()
        .value(0)
        .to_string();
    assert_eq!(reason, "the export has no header row");
    // Only the first load is in the ledger, so the next run tries the file again.
    let ledger = Ledger::load(&lake).unwrap();
    assert_eq!(ledger.entries().len(), 1);
    assert_eq!(ledger.last_load("survey/a.csv").unwrap().content_hash, "h1");
}

#[test]
fn a_lake_failure_inside_the_loader_stops_the_load_and_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path()).unwrap();
    let ledger = Ledger::load(&lake).unwrap();
    let r = lake.load_source(&ledger, &source("h1"), "run", Utc::now(), |w| {
        // No wave for a table partitioned by wave: the lake refuses the batch.
        w.write(LakeTable::SurveyAnswer, &[], &[answers("a", 1)])?;
        Ok::<_, LoadError<Unreadable>>(Loaded::default())
    });
    assert!(matches!(r, Err(LakeError::Contract { .. })), "{r:?}");
    assert!(ids(&lake).is_empty());
    assert!(Ledger::load(&lake).unwrap().entries().is_empty());
}
