use chrono::{TimeZone, Utc};
use friktion_core::LakeTable;
use friktion_lake::{FileStat, Lake, Ledger, LedgerEntry, ledger::to_batch};

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
        stat: None,
        settings_hash: None,
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

fn write_run(lake: &Lake, stem: &str, entries: &[LedgerEntry]) {
    let mut t = lake.begin().unwrap();
    t.write_table(&LakeTable::Ledger.def(), &[], stem, &[to_batch(entries)])
        .unwrap();
    t.commit().unwrap();
}

#[test]
fn a_file_seen_with_the_same_size_time_and_settings_is_unchanged_unread() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path()).unwrap();
    let at = |minute: u32, second: u32| {
        Utc.with_ymd_and_hms(2026, 11, 23, 1, minute, second)
            .unwrap()
    };
    let stat = FileStat {
        bytes: 1234,
        modified: at(0, 0),
    };
    let seen = |e: LedgerEntry, stat: FileStat, settings: &str| LedgerEntry {
        stat: Some(stat),
        settings_hash: Some(settings.into()),
        ..e
    };
    write_run(
        &lake,
        "r1",
        &[seen(entry("a.csv", "h1", "ingested", "r1", 5), stat, "s1")],
    );
    let ledger = Ledger::load(&lake).unwrap();
    // The stat and settings come back from Parquet as they went in.
    assert_eq!(ledger.entries()[0].stat, Some(stat));
    assert_eq!(ledger.entries()[0].settings_hash.as_deref(), Some("s1"));
    let hit = ledger.unchanged_on_disk("a.csv", stat, "s1").unwrap();
    assert_eq!(hit.content_hash, "h1");
    // Another size, another time, other settings, another file: read it.
    let bigger = FileStat {
        bytes: 1235,
        ..stat
    };
    let touched = FileStat {
        modified: at(0, 1),
        ..stat
    };
    assert!(ledger.unchanged_on_disk("a.csv", bigger, "s1").is_none());
    assert!(ledger.unchanged_on_disk("a.csv", touched, "s1").is_none());
    assert!(ledger.unchanged_on_disk("a.csv", stat, "s2").is_none());
    assert!(ledger.unchanged_on_disk("b.csv", stat, "s1").is_none());

    // A skip that saw the file touched (same content) is what the next run compares with.
    write_run(
        &lake,
        "r2",
        &[seen(
            entry("a.csv", "h1", "skipped", "r2", 9),
            touched,
            "s1",
        )],
    );
    let ledger = Ledger::load(&lake).unwrap();
    assert!(ledger.unchanged_on_disk("a.csv", stat, "s1").is_none());
    assert_eq!(
        ledger
            .unchanged_on_disk("a.csv", touched, "s1")
            .map(|e| e.run_id.as_str()),
        Some("r1"),
        "the last load, not the skip"
    );

    // A file written a second before the run that read it may change again within the same
    // tick of the file system's clock: its time is not trusted.
    let racy = FileStat {
        bytes: 9,
        modified: at(20, 0),
    };
    let mut e = seen(entry("c.csv", "h3", "ingested", "r3", 20), racy, "s1");
    e.ingested_at = at(20, 1);
    write_run(&lake, "r3", &[e]);
    let ledger = Ledger::load(&lake).unwrap();
    assert!(ledger.unchanged_on_disk("c.csv", racy, "s1").is_none());

    // Read and hashed (touched, or --verify): the same bytes with the same settings need no
    // parsing; other bytes or other settings do.
    assert_eq!(
        ledger
            .unchanged_content("a.csv", "h1", "s1")
            .map(|e| e.run_id.as_str()),
        Some("r1")
    );
    assert!(ledger.unchanged_content("a.csv", "h2", "s1").is_none());
    assert!(ledger.unchanged_content("a.csv", "h1", "s2").is_none());
    assert!(
        ledger.unchanged_content("b.csv", "h1", "s1").is_none(),
        "never loaded"
    );

    // Entries from before the stat was kept, and `--full`, never skip unread or unparsed.
    let mut ledger = Ledger::load(&lake).unwrap();
    ledger.forget_contents();
    assert!(ledger.unchanged_on_disk("a.csv", touched, "s1").is_none());
    assert!(ledger.unchanged_on_disk("b.csv", stat, "s1").is_none());
    assert!(ledger.unchanged_content("a.csv", "h1", "s1").is_none());
}

#[test]
fn a_compacted_ledger_says_what_its_many_files_said() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path()).unwrap();
    let stat = FileStat {
        bytes: 77,
        modified: Utc.with_ymd_and_hms(2026, 11, 22, 1, 0, 0).unwrap(),
    };
    let with_stat = |e: LedgerEntry| LedgerEntry {
        stat: Some(stat),
        settings_hash: Some("s".into()),
        ..e
    };
    // Two entries at one instant and run, in two files: their order is the files' order.
    write_run(&lake, "r1-a", &[entry("a.csv", "h1", "ingested", "r1", 0)]);
    write_run(
        &lake,
        "r1-b",
        &[with_stat(entry("b.csv", "h9", "ingested", "r1", 0))],
    );
    write_run(&lake, "r2-a", &[entry("a.csv", "h2", "replaced", "r2", 5)]);
    write_run(
        &lake,
        "r2-skipped",
        &[with_stat(entry("b.csv", "h9", "skipped", "r2", 5))],
    );
    write_run(
        &lake,
        "r3-removed",
        &[entry("a.csv", "", "removed", "r3", 9)],
    );
    let before = Ledger::load(&lake).unwrap();
    let def = LakeTable::Ledger.def();

    assert_eq!(
        lake.compact_ledger("r4", 5).unwrap(),
        0,
        "at the limit: left"
    );
    assert_eq!(lake.files_under(def.name).unwrap().len(), 5);
    assert_eq!(lake.compact_ledger("r4", 4).unwrap(), 5);
    let files = lake.files_under(def.name).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].stem(), "r4-compacted");
    let after = Ledger::load(&lake).unwrap();
    assert_eq!(after.entries(), before.entries());
    assert_eq!(after.known_sources(), vec!["b.csv"], "a.csv stays removed");
    assert_eq!(
        after
            .unchanged_on_disk("b.csv", stat, "s")
            .map(|e| e.run_id.as_str()),
        Some("r1")
    );
    // Compacting a compacted ledger again keeps the rows, once each.
    write_run(&lake, "r5-a", &[entry("c.csv", "h5", "ingested", "r5", 30)]);
    assert_eq!(lake.compact_ledger("r6", 1).unwrap(), 2);
    let again = Ledger::load(&lake).unwrap();
    assert_eq!(again.entries().len(), before.entries().len() + 1);
    assert_eq!(&again.entries()[..5], before.entries());
}
