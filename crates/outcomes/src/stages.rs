//! The stage vocabulary of implementation projects, the labels municipalities write for it,
//! and the checks a project's stage dates must pass before they say anything about speed.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Deserialize;

/// idea → decision → procurement → pilot → go-live → scaled → förvaltning; or abandoned at any
/// point (DOMAIN.md's practical vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Idea,
    Decision,
    Procurement,
    Pilot,
    GoLive,
    Scaled,
    Forvaltning,
    Abandoned,
}

impl Stage {
    /// The stages a project passes through, in order (abandonment is outside the order).
    pub const ORDER: [Stage; 7] = [
        Stage::Idea,
        Stage::Decision,
        Stage::Procurement,
        Stage::Pilot,
        Stage::GoLive,
        Stage::Scaled,
        Stage::Forvaltning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Idea => "idea",
            Stage::Decision => "decision",
            Stage::Procurement => "procurement",
            Stage::Pilot => "pilot",
            Stage::GoLive => "go_live",
            Stage::Scaled => "scaled",
            Stage::Forvaltning => "forvaltning",
            Stage::Abandoned => "abandoned",
        }
    }
}

/// Labels as exports write them ("Idé", "Driftsatt", "Införd i ordinarie verksamhet") to stages,
/// compared without regard to case or surrounding space. Read from the project mapping file.
#[derive(Debug, Clone, Default)]
pub struct StageLabels {
    map: HashMap<String, Stage>,
}

fn key(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl StageLabels {
    pub fn new(pairs: impl IntoIterator<Item = (String, Stage)>) -> Self {
        Self {
            map: pairs.into_iter().map(|(l, s)| (key(&l), s)).collect(),
        }
    }

    /// The stage of a label, or None when the mapping does not know it (quarantine it).
    pub fn stage(&self, label: &str) -> Option<Stage> {
        self.map.get(&key(label)).copied()
    }
}

/// What is wrong with a project's dates.
#[derive(Debug, Clone, PartialEq)]
pub enum DateIssue {
    /// A date after the data date: nobody can have reached a stage in the future.
    Future { stage: Stage, date: NaiveDate },
    /// A later stage dated before an earlier one.
    OutOfOrder {
        earlier: (Stage, NaiveDate),
        later: (Stage, NaiveDate),
    },
    /// Live without a decision date: time to go-live cannot be measured.
    GoLiveWithoutDecision,
}

impl std::fmt::Display for DateIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateIssue::Future { stage, date } => write!(
                f,
                "{} is dated {date}, after the data date; the date is left out",
                stage.as_str()
            ),
            DateIssue::OutOfOrder { earlier, later } => write!(
                f,
                "{} ({}) is dated before {} ({})",
                later.0.as_str(),
                later.1,
                earlier.0.as_str(),
                earlier.1
            ),
            DateIssue::GoLiveWithoutDecision => {
                write!(f, "go_live without a decision date: no time to go-live")
            }
        }
    }
}

/// Drops dates after `data_date` and reports every problem; the dates that remain are the
/// project's usable timeline.
pub fn check_dates(
    dates: &BTreeMap<Stage, NaiveDate>,
    data_date: NaiveDate,
) -> (BTreeMap<Stage, NaiveDate>, Vec<DateIssue>) {
    let mut issues = Vec::new();
    let mut kept = BTreeMap::new();
    for (&stage, &date) in dates {
        if date > data_date {
            issues.push(DateIssue::Future { stage, date });
        } else {
            kept.insert(stage, date);
        }
    }
    let ordered: Vec<(Stage, NaiveDate)> = Stage::ORDER
        .iter()
        .filter_map(|s| kept.get(s).map(|d| (*s, *d)))
        .collect();
    for w in ordered.windows(2) {
        if w[1].1 < w[0].1 {
            issues.push(DateIssue::OutOfOrder {
                earlier: w[0],
                later: w[1],
            });
        }
    }
    if kept.contains_key(&Stage::GoLive) && !kept.contains_key(&Stage::Decision) {
        issues.push(DateIssue::GoLiveWithoutDecision);
    }
    (kept, issues)
}

/// How a project's time to go-live ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Live,
    Abandoned,
    /// Still running at the data date.
    Running,
}

/// Days from decision to go-live, whether go-live was observed, and the outcome; censored at
/// abandonment or at the data date. None without a decision, or with dates out of order.
pub fn time_to_go_live(
    dates: &BTreeMap<Stage, NaiveDate>,
    data_date: NaiveDate,
) -> Option<(f64, bool, Outcome)> {
    let decision = *dates.get(&Stage::Decision)?;
    let (end, observed, outcome) = match (dates.get(&Stage::GoLive), dates.get(&Stage::Abandoned)) {
        (Some(&live), _) => (live, true, Outcome::Live),
        (None, Some(&gave_up)) => (gave_up, false, Outcome::Abandoned),
        (None, None) => (data_date, false, Outcome::Running),
    };
    let days = (end - decision).num_days();
    (days >= 0).then_some((days as f64, observed, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn labels_map_whatever_their_case_and_spacing() {
        let l = StageLabels::new([
            ("Idé".to_string(), Stage::Idea),
            (
                "Införd i ordinarie verksamhet".to_string(),
                Stage::Forvaltning,
            ),
        ]);
        assert_eq!(l.stage(" IDÉ "), Some(Stage::Idea));
        assert_eq!(
            l.stage("införd  i ordinarie verksamhet"),
            Some(Stage::Forvaltning)
        );
        assert_eq!(l.stage("Pågående"), None);
    }

    #[test]
    fn future_out_of_order_and_missing_decision_are_reported() {
        let dates = BTreeMap::from([
            (Stage::Idea, d("2020-01-01")),
            (Stage::Procurement, d("2019-06-01")),
            (Stage::GoLive, d("2021-01-01")),
            (Stage::Scaled, d("2030-01-01")),
        ]);
        let (kept, issues) = check_dates(&dates, d("2026-10-31"));
        assert!(!kept.contains_key(&Stage::Scaled));
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert!(matches!(
            issues[0],
            DateIssue::Future {
                stage: Stage::Scaled,
                ..
            }
        ));
        assert!(
            issues[1]
                .to_string()
                .contains("procurement (2019-06-01) is dated before idea")
        );
        assert_eq!(issues[2], DateIssue::GoLiveWithoutDecision);
        assert_eq!(time_to_go_live(&kept, d("2026-10-31")), None);
    }

    #[test]
    fn time_to_go_live_is_censored_at_abandonment_or_the_data_date() {
        let data = d("2026-10-31");
        let live = BTreeMap::from([
            (Stage::Decision, d("2020-01-01")),
            (Stage::GoLive, d("2020-12-31")),
        ]);
        assert_eq!(
            time_to_go_live(&live, data),
            Some((365.0, true, Outcome::Live))
        );
        let gave_up = BTreeMap::from([
            (Stage::Decision, d("2020-01-01")),
            (Stage::Abandoned, d("2020-03-01")),
        ]);
        assert_eq!(
            time_to_go_live(&gave_up, data),
            Some((60.0, false, Outcome::Abandoned))
        );
        let running = BTreeMap::from([(Stage::Decision, d("2026-10-01"))]);
        assert_eq!(
            time_to_go_live(&running, data),
            Some((30.0, false, Outcome::Running))
        );
    }
}
