//! A writer's index of each table's files by source stem: replacing a source costs a lookup,
//! not a listing of its whole table (which made a night of many small sources quadratic).
//!
//! A table is listed once, on its first lookup, and the index is then kept true by the commits
//! of this process, which holds the lake's writer lock: no other process writes the lake
//! meanwhile. A commit whose renames fail part-way leaves the disk between two states, so then
//! the whole index is dropped and rebuilt from listings.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::files::stem_of;
use crate::{LakeFile, Result};

#[derive(Debug, Default)]
pub(crate) struct StemIndex {
    /// table → stem → files (relative to the lake root, with '/').
    tables: HashMap<String, HashMap<String, Vec<String>>>,
}

impl StemIndex {
    /// The files of `table` named for `stem`; `list` lists the table when it is not indexed.
    pub(crate) fn files(
        &mut self,
        table: &str,
        stem: &str,
        list: impl FnOnce() -> Result<Vec<LakeFile>>,
    ) -> Result<Vec<String>> {
        if !self.tables.contains_key(table) {
            let mut by_stem: HashMap<String, Vec<String>> = HashMap::new();
            for f in list()? {
                by_stem.entry(f.stem().to_string()).or_default().push(f.rel);
            }
            self.tables.insert(table.to_string(), by_stem);
        }
        Ok(self.tables[table].get(stem).cloned().unwrap_or_default())
    }

    /// Follows a commit: `deleted` went first, then `written` appeared (a file both deleted
    /// and written was overwritten, as in the commit itself).
    pub(crate) fn committed(&mut self, written: &[(PathBuf, PathBuf)], deleted: &[PathBuf]) {
        let rel = |p: &PathBuf| p.to_string_lossy().replace('\\', "/");
        for d in deleted {
            let d = rel(d);
            if let Some(files) = self.stem_files(&d) {
                files.retain(|f| f != &d);
            }
        }
        for (_, w) in written {
            let w = rel(w);
            if let Some(files) = self.stem_files(&w) {
                if !files.contains(&w) {
                    files.push(w);
                }
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.tables.clear();
    }

    /// The list `rel` belongs in, when its table is indexed.
    fn stem_files(&mut self, rel: &str) -> Option<&mut Vec<String>> {
        let by_stem = self
            .tables
            .iter_mut()
            .find(|(t, _)| {
                rel.strip_prefix(t.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|(_, by_stem)| by_stem)?;
        Some(by_stem.entry(stem_of(rel).to_string()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(rel: &str) -> LakeFile {
        LakeFile {
            rel: rel.into(),
            modified: None,
            rows: None,
        }
    }

    #[test]
    fn lists_a_table_once_and_follows_commits() {
        let mut index = StemIndex::default();
        let listings = std::cell::Cell::new(0);
        let mut list = || {
            listings.set(listings.get() + 1);
            Ok(vec![
                file("it_event/day=2024-01-01/part-a.parquet"),
                file("it_event/day=2024-01-02/part-a.parquet"),
                file("it_event/day=2024-01-02/part-b.parquet"),
            ])
        };
        assert_eq!(
            index.files("it_event", "a", &mut list).unwrap(),
            vec![
                "it_event/day=2024-01-01/part-a.parquet",
                "it_event/day=2024-01-02/part-a.parquet"
            ]
        );
        index.committed(
            &[(
                PathBuf::from("_staging/x/it_event/day=2024-01-03/part-a.parquet"),
                PathBuf::from("it_event/day=2024-01-03/part-a.parquet"),
            )],
            &[
                PathBuf::from("it_event/day=2024-01-01/part-a.parquet"),
                PathBuf::from("it_event/day=2024-01-02/part-a.parquet"),
            ],
        );
        assert_eq!(
            index.files("it_event", "a", &mut list).unwrap(),
            vec!["it_event/day=2024-01-03/part-a.parquet"]
        );
        assert_eq!(
            index.files("it_event", "b", &mut list).unwrap(),
            vec!["it_event/day=2024-01-02/part-b.parquet"]
        );
        // A table whose name begins another's is a different table.
        index.committed(
            &[(PathBuf::new(), PathBuf::from("it_event_x/part-a.parquet"))],
            &[],
        );
        assert_eq!(index.files("it_event", "a", &mut list).unwrap().len(), 1);
        assert_eq!(listings.get(), 1);
        index.clear();
        index.files("it_event", "a", &mut list).unwrap();
        assert_eq!(listings.get(), 2);
    }
}
