//! Disclosure control for published tables: a cell with fewer than `min_cell` behind it is
//! suppressed (primary), and so is a second cell wherever one suppressed cell could otherwise
//! be worked back from a published total (complementary).
//!
//! A mean over n respondents is derivable from a published group total (its mean and n) when
//! it is the only suppressed cell of the group: n·mean of the total minus the others' n·mean.
//! So within every group that has a published total, the number of suppressed cells must be
//! zero or at least two. The complementary cell is the group's smallest unsuppressed cell (the
//! least information lost); a group with a single cell that is suppressed has its total
//! suppressed instead. Cells can sit in several groups (a kommun in its county and in the
//! country), so the rule is applied until nothing changes. Every suppression is recorded with
//! its reason for the disclosure log.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Unique within the table ("0163").
    pub key: String,
    /// The groups whose published totals include this cell ("riket", "län 01").
    pub groups: Vec<String>,
    /// The count behind the value.
    pub n: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Suppression {
    pub key: String,
    /// "primary" or "complementary" (or "total" for a group total).
    pub kind: &'static str,
    pub reason: String,
}

/// The cells (and group totals, keyed "total:<group>") to suppress, with reasons.
pub fn suppress(cells: &[Cell], min_cell: i64) -> Vec<Suppression> {
    let mut out: BTreeMap<String, Suppression> = BTreeMap::new();
    for c in cells.iter().filter(|c| c.n < min_cell) {
        out.insert(
            c.key.clone(),
            Suppression {
                key: c.key.clone(),
                kind: "primary",
                reason: format!("n = {} is below the minimum of {min_cell}", c.n),
            },
        );
    }
    let mut groups: BTreeMap<&str, Vec<&Cell>> = BTreeMap::new();
    for c in cells {
        for g in &c.groups {
            groups.entry(g.as_str()).or_default().push(c);
        }
    }
    let mut suppressed_totals: BTreeSet<String> = BTreeSet::new();
    loop {
        let mut changed = false;
        for (g, members) in &groups {
            if suppressed_totals.contains(*g) {
                continue;
            }
            let hidden: Vec<&&Cell> = members
                .iter()
                .filter(|c| out.contains_key(&c.key))
                .collect();
            if hidden.len() != 1 {
                continue;
            }
            let candidate = members
                .iter()
                .filter(|c| !out.contains_key(&c.key))
                .min_by(|a, b| a.n.cmp(&b.n).then_with(|| a.key.cmp(&b.key)));
            match candidate {
                Some(c) => {
                    out.insert(
                        c.key.clone(),
                        Suppression {
                            key: c.key.clone(),
                            kind: "complementary",
                            reason: format!(
                                "protects {} in {g}: with one cell hidden, the total would give it away",
                                hidden[0].key
                            ),
                        },
                    );
                }
                None => {
                    // The group is that one cell: its total is the cell.
                    suppressed_totals.insert(g.to_string());
                    let key = format!("total:{g}");
                    out.insert(
                        key.clone(),
                        Suppression {
                            key,
                            kind: "total",
                            reason: format!("the total of {g} is {}'s value alone", hidden[0].key),
                        },
                    );
                }
            }
            changed = true;
        }
        if !changed {
            break;
        }
    }
    out.into_values().collect()
}

/// Whether a key (a cell, or `total:<group>`) is suppressed.
pub fn is_suppressed(s: &[Suppression], key: &str) -> bool {
    s.iter().any(|x| x.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(key: &str, groups: &[&str], n: i64) -> Cell {
        Cell {
            key: key.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            n,
        }
    }

    #[test]
    fn a_single_small_cell_takes_the_smallest_other_with_it() {
        let cells = [
            cell("a", &["riket"], 3),
            cell("b", &["riket"], 40),
            cell("c", &["riket"], 12),
            cell("d", &["riket"], 90),
        ];
        let s = suppress(&cells, 5);
        let keys: Vec<(&str, &str)> = s.iter().map(|x| (x.key.as_str(), x.kind)).collect();
        assert_eq!(keys, [("a", "primary"), ("c", "complementary")]);
        assert!(s[1].reason.contains("protects a in riket"));
    }

    #[test]
    fn two_small_cells_need_nothing_more_and_none_need_nothing() {
        let cells = [
            cell("a", &["g"], 3),
            cell("b", &["g"], 2),
            cell("c", &["g"], 50),
        ];
        assert_eq!(suppress(&cells, 5).len(), 2);
        assert!(suppress(&[cell("a", &["g"], 30), cell("b", &["g"], 20)], 5).is_empty());
    }

    #[test]
    fn nested_groups_are_protected_until_nothing_changes() {
        // Län 01 has a (small) and b; län 14 has c and d. Protecting a in län 01 takes b; then
        // the country has a and b hidden: fine. But if län 01 had only a, its total goes.
        let cells = [
            cell("a", &["riket", "01"], 2),
            cell("b", &["riket", "01"], 30),
            cell("c", &["riket", "14"], 40),
            cell("d", &["riket", "14"], 50),
        ];
        let s = suppress(&cells, 5);
        assert_eq!(
            s.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let alone = [
            cell("a", &["riket", "01"], 2),
            cell("c", &["riket", "14"], 40),
            cell("d", &["riket", "14"], 50),
        ];
        let s = suppress(&alone, 5);
        let keys: Vec<&str> = s.iter().map(|x| x.key.as_str()).collect();
        assert!(keys.contains(&"total:01"), "{keys:?}");
        // In the country, a alone would be derivable: c (the smaller) goes too, and then län 14
        // has one hidden cell, so d goes as well.
        assert!(keys.contains(&"c") && keys.contains(&"d"), "{keys:?}");
    }
}
