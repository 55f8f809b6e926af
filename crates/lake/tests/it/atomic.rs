use friktion_core::LakeTable;
use friktion_lake::{Lake, LakeError, set_failpoint};

use crate::{answers, item_ids};

fn lake_with_v1() -> (tempfile::TempDir, Lake) {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().join("lake")).unwrap();
    let def = LakeTable::SurveyAnswer.def();
    let mut t = lake.begin().unwrap();
    t.write_table(&def, &["w1"], "src", &[answers("old", 3)])
        .unwrap();
    t.write_table(&def, &["w2"], "src", &[answers("old2-", 2)])
        .unwrap();
    t.commit().unwrap();
    (dir, lake)
}

/// A second version of the source: it now gives rows to w1 and w3, and none to w2.
fn stage_v2(lake: &Lake) -> friktion_lake::Txn<'_> {
    let def = LakeTable::SurveyAnswer.def();
    let mut t = lake.begin().unwrap();
    t.replace_source(&def, "src").unwrap();
    t.write_table(&def, &["w1"], "src", &[answers("new", 4)])
        .unwrap();
    t.write_table(&def, &["w3"], "src", &[answers("new3-", 1)])
        .unwrap();
    t
}

fn read(lake: &Lake) -> Vec<String> {
    item_ids(&lake.read_table(&LakeTable::SurveyAnswer.def()).unwrap())
}

#[test]
fn committed_files_are_readable_with_partitions() {
    let (_d, lake) = lake_with_v1();
    let def = LakeTable::SurveyAnswer.def();
    let batches = lake.read_table(&def).unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 5);
    assert_eq!(batches[0].schema(), def.schema());
    let stats = lake
        .stats_of(def.name, def.name, def.partition_cols)
        .unwrap();
    assert_eq!((stats.files, stats.rows), (2, 5));
    assert_eq!(stats.columns.last().map(String::as_str), Some("wave_id"));
    assert!(
        lake.table_dir(&def)
            .join("wave_id=w1/part-src.parquet")
            .exists()
    );
    assert!(
        !lake.root().join("_staging").exists(),
        "no empty staging left behind"
    );
}

#[test]
fn a_second_writer_is_refused_while_the_first_has_the_lake_open() {
    let (_d, lake) = lake_with_v1();
    let e = Lake::open(lake.root()).unwrap_err();
    assert!(matches!(e, LakeError::Locked { .. }), "{e}");
    assert!(
        e.to_string()
            .contains(&format!("pid {}, started ", std::process::id())),
        "{e}"
    );
    // A reader needs no lock.
    let reader = Lake::open_read(lake.root()).unwrap();
    assert_eq!(read(&reader).len(), 5);
    let root = lake.root().to_path_buf();
    drop(lake);
    assert!(Lake::open(&root).is_ok(), "free once the first is closed");
}

#[test]
fn failure_between_write_and_commit_leaves_previous_data_intact() {
    let (_d, lake) = lake_with_v1();
    let before = read(&lake);
    set_failpoint(Some("lake.before_journal"));
    let err = stage_v2(&lake).commit().unwrap_err();
    set_failpoint(None);
    assert!(matches!(err, LakeError::Injected(_)), "{err}");
    assert_eq!(read(&lake), before);
    // Reopening (as the next run does, once this one has gone) discards the staged files and
    // changes nothing.
    let root = lake.root().to_path_buf();
    drop(lake);
    let lake = Lake::open(&root).unwrap();
    assert_eq!(read(&lake), before);
    assert!(!lake.root().join("_staging").exists());
}

#[test]
fn commit_interrupted_mid_rename_is_rolled_forward_on_open() {
    let (_d, lake) = lake_with_v1();
    set_failpoint(Some("lake.after_first_rename"));
    let txn = stage_v2(&lake);
    // Keep staging as a killed process would: forget the transaction instead of dropping it.
    let err = {
        let r = txn.commit();
        r.unwrap_err()
    };
    set_failpoint(None);
    assert!(matches!(err, LakeError::Injected(_)));
    assert!(
        lake.root()
            .join("_txn")
            .read_dir()
            .unwrap()
            .next()
            .is_some(),
        "journal kept"
    );
    let root = lake.root().to_path_buf();
    drop(lake);
    let lake = Lake::open(&root).unwrap();
    let mut expected: Vec<String> = (0..4).map(|i| format!("new{i}")).collect();
    expected.push("new3-0".into());
    expected.sort();
    assert_eq!(read(&lake), expected);
    assert!(
        lake.root()
            .join("_txn")
            .read_dir()
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn replacing_a_source_removes_its_old_rows_everywhere_and_keeps_others() {
    let (_d, lake) = lake_with_v1();
    let def = LakeTable::SurveyAnswer.def();
    let mut t = lake.begin().unwrap();
    t.write_table(&def, &["w2"], "other", &[answers("keep", 2)])
        .unwrap();
    t.commit().unwrap();
    stage_v2(&lake).commit().unwrap();
    let ids = read(&lake);
    assert!(ids.iter().all(|i| !i.starts_with("old")), "{ids:?}");
    assert_eq!(ids.iter().filter(|i| i.starts_with("keep")).count(), 2);
    assert_eq!(ids.len(), 4 + 1 + 2);
}

#[test]
fn a_batch_that_breaks_the_contract_is_refused() {
    let (_d, lake) = lake_with_v1();
    let mut t = lake.begin().unwrap();
    let wrong = LakeTable::SurveyResponse.def();
    let err = t
        .write_table(&wrong, &["w1"], "x", &[answers("a", 1)])
        .unwrap_err();
    assert!(matches!(err, LakeError::Contract { .. }), "{err}");
    let err = t
        .write_table(&LakeTable::SurveyAnswer.def(), &[], "x", &[answers("a", 1)])
        .unwrap_err();
    assert!(err.to_string().contains("partition"), "{err}");
}

#[test]
fn marts_are_replaced_whole() {
    let (_d, lake) = lake_with_v1();
    let b = answers("m", 3);
    let mut t = lake.begin().unwrap();
    t.write_mart("m1", &b.schema(), &[b.clone()]).unwrap();
    t.commit().unwrap();
    let mut t = lake.begin().unwrap();
    t.write_mart("m1", &b.schema(), &[b.slice(0, 1)]).unwrap();
    t.commit().unwrap();
    let rows: usize = lake
        .read_mart("m1")
        .unwrap()
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, 1);
    assert_eq!(lake.marts().unwrap(), vec!["m1".to_string()]);
}

#[test]
fn sources_replaced_one_after_another_leave_exactly_their_latest_files() {
    // One writer replaces sources commit after commit: each replacement must find what the
    // commits before it wrote (the writer indexes files by source rather than listing the
    // table each time), and what it leaves must be what a fresh reader sees.
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().join("lake")).unwrap();
    let def = LakeTable::SurveyAnswer.def();
    let load = |stem: &str, waves: &[&str], tag: &str| {
        let mut t = lake.begin().unwrap();
        t.replace_source(&def, stem).unwrap();
        for w in waves {
            t.write_table(&def, &[w], stem, &[answers(&format!("{tag}{w}-"), 1)])
                .unwrap();
        }
        t.commit().unwrap();
    };
    for s in ["s0", "s1", "s2"] {
        load(s, &["w1", "w2"], s);
    }
    load("s1", &["w3"], "s1v2");
    load("s1", &["w1"], "s1v3");
    load("s2", &[], "");
    let expected = ["s0w1-0", "s0w2-0", "s1v3w1-0"];
    assert_eq!(read(&lake), expected);
    let root = lake.root().to_path_buf();
    drop(lake);
    let lake = Lake::open(&root).unwrap();
    assert_eq!(read(&lake), expected);
    assert_eq!(lake.files_under(def.name).unwrap().len(), 3);
}
