use chrono::{TimeZone, Utc};
use friktion_core::LakeTable;
use friktion_lake::{Lake, Ledger, LedgerEntry, ledger::to_batch};

fn entry(file: &str, hash: &str, action: &str, run: &str, minute: u32) -> LedgerEntry {
    LedgerEntry {
        source_file: file.into(),
        source_kind: "survey".into(),
        content_hash: hash.into(),
        config_hash: "cfg".into(),
        rows_read: 10,
        rows_written: 9,
        rows_quarantined: 1,
        action: friktion_core::LedgerAction::parse(action).unwrap(),
        run_id: run.into(),
        ingested_at: Utc.with_ymd_and_hms(2026, 11, 23, 1, minute, 0).unwrap(),
    }
}

#[test]
fn ledger_round_trips_and_remembers_the_last_real_load() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path()).unwrap();
    let def = LakeTable::Ledger.def();
    let runs = [
        vec![
            entry("a.csv", "h1", "ingested", "r1", 0),
            entry("b.csv", "h9", "ingested", "r1", 0),
        ],
        vec![
            entry("a.csv", "h2", "replaced", "r2", 5),
            entry("b.csv", "h9", "skipped", "r2", 5),
        ],
        vec![entry("a.csv", "h2", "skipped", "r3", 9)],
    ];
    for (i, run) in runs.iter().enumerate() {
        let mut t = lake.begin().unwrap();
        t.write_table(&def, &[], &format!("r{i}"), &[to_batch(run)])
            .unwrap();
        t.commit().unwrap();
    }
    let ledger = Ledger::load(&lake).unwrap();
    assert_eq!(ledger.entries().len(), 5);
    assert_eq!(ledger.entries()[0], runs[0][0]);
    let a = ledger.last_load("a.csv").unwrap();
    assert_eq!((a.content_hash.as_str(), a.run_id.as_str()), ("h2", "r2"));
    assert_eq!(ledger.last_load("b.csv").unwrap().run_id, "r1");
    assert!(ledger.last_load("c.csv").is_none());
    assert_eq!(ledger.known_sources(), vec!["a.csv", "b.csv"]);
}
