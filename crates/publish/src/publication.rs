//! The publication: every table a report, an export or a public reader gets, protected once.
//!
//! What is published, and against which totals:
//! - friction by kommun, per wave: each kommun's cell against the country's total (the wave's
//!   `all` row) and its peer group's mean (on the kommun pages), primary and complementary;
//! - for the newest wave that covers more than one kommun (the national page's deeper look):
//!   minutes by verksamhet and the spread over bands of minutes, against the wave's total;
//! - the yearly cost and the trend: a wave's national figures, when its total has enough
//!   answers and is not one hidden cell's value alone;
//! - log friction per system and kommun, against each system's national row (n = user-days);
//!   a system's national row when it has enough user-days;
//! - the key-factor scores per kommun: no total is published, so small cells are hidden alone;
//! - time to go-live per group and its curves, and the stage funnel: groups with enough projects;
//! - the published-figure check and the cost assumptions: national and stated, shown whole.
//!
//! A hidden row keeps its keys and loses its values, so no output can show what it hides.

use std::collections::BTreeMap;

use crate::disclosure::{Cell, Suppression, is_suppressed, suppress};
use crate::marts::{
    Band, Cost, CostAssumption, CurvePoint, FactorScore, FunnelStage, GroupFriction,
    KommunBenchmark, KommunFriction, LogFriction, Marts, NationalFriction, PublishedCheck,
    TimeToGoLive,
};

/// A published row: shown, or hidden with its values removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown<T> {
    pub row: T,
    pub shown: bool,
}

/// A kommun's benchmark row: its rank goes with its own cell, the peer mean with the peer
/// group's total.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    pub row: KommunBenchmark,
    pub peer_shown: bool,
}

/// The protected tables, and the log of every suppression with its reason.
#[derive(Debug, Clone, Default)]
pub struct Publication {
    pub min_cell: i64,
    /// friction_by_kommun, every wave.
    pub kommun: Vec<Shown<KommunFriction>>,
    pub benchmark: Vec<Benchmark>,
    /// Each wave's national total (friction_by_group's `all` row), where it may be published.
    pub national: Vec<NationalFriction>,
    /// The waves that cover more than one kommun, oldest first.
    pub nationwide: Vec<String>,
    /// The newest nationwide wave's minutes by verksamhet.
    pub verksamhet: Vec<Shown<GroupFriction>>,
    /// The newest nationwide wave's spread over bands of minutes.
    pub bands: Vec<Shown<Band>>,
    /// friction_cost, every wave.
    pub cost: Vec<Shown<Cost>>,
    /// log_friction_by_system: systems nationally and per kommun.
    pub logs: Vec<Shown<LogFriction>>,
    pub factors: Vec<Shown<FactorScore>>,
    pub time_to_go_live: Vec<Shown<TimeToGoLive>>,
    /// The curves of the groups shown in time_to_go_live only.
    pub curve: Vec<CurvePoint>,
    pub funnel: Vec<Shown<FunnelStage>>,
    /// Published figures reproduced from their published inputs: national, nothing to hide.
    pub published: Vec<PublishedCheck>,
    /// The cost model's assumption sets: stated inputs, nothing to hide.
    pub assumptions: Vec<CostAssumption>,
    /// Per wave, the kommuner whose friction is hidden (for exports of the same values).
    pub hidden_kommuner: BTreeMap<String, Vec<String>>,
    /// `disclosure.csv`: table,cell,kind,n,reason.
    pub log: String,
}

impl Publication {
    /// Protects the marts. `names` gives each kommun's name (the key-factor table is listed
    /// by name).
    pub fn compute(m: &Marts, names: &BTreeMap<String, String>, min_cell: i64) -> Self {
        let mut p = Publication {
            min_cell,
            log: String::from("table,cell,kind,n,reason\n"),
            ..Publication::default()
        };
        let national: Vec<NationalFriction> = m
            .groups
            .iter()
            .filter(|g| g.dimension == "all")
            .cloned()
            .collect();
        let mut by_wave: BTreeMap<&str, Vec<&KommunFriction>> = BTreeMap::new();
        for r in &m.friction {
            by_wave.entry(r.wave_id.as_str()).or_default().push(r);
        }
        let mut hidden_by_wave: BTreeMap<&str, Vec<Suppression>> = BTreeMap::new();
        for (wave, rows) in by_wave.iter().rev() {
            // Totals published: the country (the national page), each peer group and each
            // county (the kommun pages).
            let cells: Vec<Cell> = rows
                .iter()
                .map(|r| {
                    let peer = m
                        .benchmark
                        .iter()
                        .find(|b| b.wave_id == r.wave_id && b.kommun_kod == r.kommun_kod)
                        .map_or_else(|| r.lan_name.clone(), |b| b.peer_group.clone());
                    Cell {
                        key: r.kommun_kod.clone(),
                        groups: vec![
                            "riket".into(),
                            format!("peer:{peer}"),
                            format!("county:{}", r.lan_name),
                        ],
                        n: if r.mean_minutes.is_some() { r.n } else { 0 },
                    }
                })
                .collect();
            let hidden = suppress(&cells, min_cell);
            p.note(&format!("friction_by_kommun {wave}"), &hidden, |k| {
                rows.iter().find(|r| r.kommun_kod == k).map_or(0, |r| r.n)
            });
            hidden_by_wave.insert(wave, hidden);
        }
        let hidden_in = |wave: &str| hidden_by_wave.get(wave).map_or(&[][..], Vec::as_slice);
        p.kommun = m
            .friction
            .iter()
            .map(|r| {
                let shown = r.mean_minutes.is_some()
                    && !is_suppressed(hidden_in(&r.wave_id), &r.kommun_kod);
                Shown {
                    row: if shown { r.clone() } else { hide_kommun(r) },
                    shown,
                }
            })
            .collect();
        let shown_cells: std::collections::BTreeSet<(&str, &str)> = p
            .kommun
            .iter()
            .filter(|k| k.shown)
            .map(|k| (k.row.wave_id.as_str(), k.row.kommun_kod.as_str()))
            .collect();
        p.benchmark = m
            .benchmark
            .iter()
            .map(|b| {
                let hidden = hidden_in(&b.wave_id);
                let own = shown_cells.contains(&(b.wave_id.as_str(), b.kommun_kod.as_str()));
                let peer_shown = !is_suppressed(hidden, &format!("total:peer:{}", b.peer_group));
                let county_shown = !is_suppressed(hidden, &format!("total:county:{}", b.lan_name));
                let mut row = b.clone();
                if !own {
                    row.rank_national = None;
                }
                if !peer_shown {
                    row.peer_mean_minutes = None;
                }
                if !county_shown {
                    row.county_mean_minutes = None;
                }
                // A wave of one kommun has a "country" that is that kommun.
                if is_suppressed(hidden, "total:riket") {
                    row.national_mean_minutes = None;
                }
                Benchmark { row, peer_shown }
            })
            .collect();
        // A total that is one hidden cell's value alone is hidden with it.
        p.national = national
            .into_iter()
            .filter(|t| t.n >= min_cell && !is_suppressed(hidden_in(&t.wave_id), "total:riket"))
            .collect();
        p.nationwide = by_wave
            .iter()
            .filter(|(_, r)| r.len() > 1)
            .map(|(w, _)| w.to_string())
            .collect();
        if let Some(wave) = p.nationwide.last().cloned() {
            p.verksamhet = p.protect_verksamhet(&m.groups, &wave);
            p.bands = p.protect_bands(&m.bands, &wave);
        }
        p.cost = m
            .cost
            .iter()
            .map(|c| {
                let shown = c.n >= min_cell;
                let mut row = c.clone();
                if !shown {
                    row.mean_minutes = None;
                    row.cost = [None; 3];
                    row.fte = [None; 3];
                }
                Shown { row, shown }
            })
            .collect();
        p.logs = p.protect_logs(&m.logs);
        p.factors = p.protect_factors(&m.factors, names);
        p.time_to_go_live = m
            .time_to_go_live
            .iter()
            .map(|r| {
                let shown = r.n_projects >= min_cell;
                Shown {
                    row: if shown { r.clone() } else { hide_ttg(r) },
                    shown,
                }
            })
            .collect();
        let shown_groups: Vec<(&str, &str)> = p
            .time_to_go_live
            .iter()
            .filter(|r| r.shown)
            .map(|r| (r.row.dimension.as_str(), r.row.grp.as_str()))
            .collect();
        p.curve = m
            .curve
            .iter()
            .filter(|c| shown_groups.contains(&(c.dimension.as_str(), c.grp.as_str())))
            .cloned()
            .collect();
        p.funnel = m
            .funnel
            .iter()
            .map(|s| Shown {
                row: s.clone(),
                shown: s.n_projects >= min_cell,
            })
            .collect();
        p.published = m.published.clone();
        p.assumptions = m.assumptions.clone();
        p.hidden_kommuner = hidden_by_wave
            .into_iter()
            .map(|(w, h)| {
                let kommuner = h
                    .into_iter()
                    .filter(|x| !x.key.starts_with("total:"))
                    .map(|x| x.key)
                    .collect();
                (w.to_string(), kommuner)
            })
            .collect();
        p
    }

    /// A wave's national total, where it may be published.
    pub fn national_total(&self, wave: &str) -> Option<&NationalFriction> {
        self.national.iter().find(|t| t.wave_id == wave)
    }

    /// Appends a table's suppressions to the disclosure log.
    fn note(&mut self, table: &str, hidden: &[Suppression], n_of: impl Fn(&str) -> i64) {
        use std::fmt::Write;
        for h in hidden {
            let _ = writeln!(
                self.log,
                "{},{},{},{},\"{}\"",
                csv_field(table),
                csv_field(&h.key),
                h.kind,
                n_of(&h.key),
                h.reason.replace('"', "'")
            );
        }
    }

    /// Minutes by verksamhet: the wave's total is published, so a lone small verksamhet takes
    /// a second one with it.
    fn protect_verksamhet(
        &mut self,
        groups: &[GroupFriction],
        wave: &str,
    ) -> Vec<Shown<GroupFriction>> {
        let rows: Vec<&GroupFriction> = groups
            .iter()
            .filter(|g| g.wave_id == wave && g.dimension == "verksamhet")
            .collect();
        let cells: Vec<Cell> = rows
            .iter()
            .map(|g| Cell {
                key: g.grp.clone(),
                groups: vec!["riket".into()],
                n: if g.mean_minutes.is_some() { g.n } else { 0 },
            })
            .collect();
        let hidden = suppress(&cells, self.min_cell);
        self.note(
            &format!("friction_by_group {wave} verksamhet"),
            &hidden,
            |k| rows.iter().find(|g| g.grp == k).map_or(0, |g| g.n),
        );
        rows.into_iter()
            .map(|g| {
                let shown = g.mean_minutes.is_some() && !is_suppressed(&hidden, &g.grp);
                let mut row = g.clone();
                if !shown {
                    row.n = 0;
                    (row.n_eff, row.mean_minutes, row.ci_low, row.ci_high) =
                        (None, None, None, None);
                }
                Shown { row, shown }
            })
            .collect()
    }

    /// The spread over bands of minutes, against the wave's total.
    fn protect_bands(&mut self, bands: &[Band], wave: &str) -> Vec<Shown<Band>> {
        let mut rows: Vec<&Band> = bands.iter().filter(|b| b.wave_id == wave).collect();
        rows.sort_by_key(|b| b.band_order);
        let cells: Vec<Cell> = rows
            .iter()
            .map(|b| Cell {
                key: b.band.clone(),
                groups: vec!["riket".into()],
                n: b.n,
            })
            .collect();
        let hidden = suppress(&cells, self.min_cell);
        self.note(&format!("friction_distribution {wave}"), &hidden, |k| {
            rows.iter().find(|b| b.band == k).map_or(0, |b| b.n)
        });
        rows.into_iter()
            .map(|b| {
                let shown = !is_suppressed(&hidden, &b.band);
                let mut row = b.clone();
                if !shown {
                    row.n = 0;
                    row.weighted_share = f64::NAN;
                }
                Shown { row, shown }
            })
            .collect()
    }

    /// Log cells: the national row of each system is its total, so a lone small kommun takes a
    /// second one with it; a national row needs enough user-days of its own.
    fn protect_logs(&mut self, rows: &[LogFriction]) -> Vec<Shown<LogFriction>> {
        let cells: Vec<Cell> = rows
            .iter()
            .filter(|r| r.level == "kommun")
            .map(|r| Cell {
                key: log_cell_key(r),
                groups: vec![format!("system:{}", r.system_id)],
                n: r.user_days,
            })
            .collect();
        let hidden = suppress(&cells, self.min_cell);
        self.note("log_friction_by_system", &hidden, |k| {
            cells.iter().find(|c| c.key == k).map_or(0, |c| c.n)
        });
        rows.iter()
            .map(|r| {
                let shown = r.minutes_lost_per_user_day.is_some()
                    && r.user_days >= self.min_cell
                    && !is_suppressed(&hidden, &log_cell_key(r));
                let mut row = r.clone();
                if !shown {
                    row.user_days = 0;
                    row.minutes_lost_per_user_day = None;
                }
                Shown { row, shown }
            })
            .collect()
    }

    /// Key-factor cells, hidden alone; logged in the table's order (kommuner by name, factors
    /// in the catalogue's order).
    fn protect_factors(
        &mut self,
        scores: &[FactorScore],
        names: &BTreeMap<String, String>,
    ) -> Vec<Shown<FactorScore>> {
        use std::fmt::Write;
        let min_cell = self.min_cell;
        let name_of = |kod: &str| names.get(kod).cloned().unwrap_or_else(|| kod.to_string());
        let mut order: Vec<&FactorScore> = scores.iter().collect();
        order.sort_by(|a, b| {
            (name_of(&a.kommun_kod), &a.kommun_kod, a.factor_position).cmp(&(
                name_of(&b.kommun_kod),
                &b.kommun_kod,
                b.factor_position,
            ))
        });
        for s in order.iter().filter(|s| s.n_assessed < min_cell) {
            let _ = writeln!(
                self.log,
                "factor_scores_by_kommun,{}/{},primary,{},\"n = {} is below the minimum of {min_cell}\"",
                s.kommun_kod, s.factor_id, s.n_assessed, s.n_assessed
            );
        }
        scores
            .iter()
            .map(|s| {
                let shown = s.n_assessed >= min_cell && s.mean_score.is_some();
                let mut row = s.clone();
                if !shown {
                    row.n_assessed = 0;
                    row.mean_score = None;
                }
                Shown { row, shown }
            })
            .collect()
    }
}

fn hide_kommun(r: &KommunFriction) -> KommunFriction {
    KommunFriction {
        n: 0,
        n_eff: None,
        mean_minutes: None,
        ci_low: None,
        ci_high: None,
        ..r.clone()
    }
}

/// A small group's count of projects is published (the table says how many there are); what
/// happened to them is not.
fn hide_ttg(r: &TimeToGoLive) -> TimeToGoLive {
    TimeToGoLive {
        n_live: 0,
        n_abandoned: 0,
        n_running: 0,
        q1_days: None,
        median_days: None,
        q3_days: None,
        share_live_within_2y: None,
        naive_median_days: None,
        ..r.clone()
    }
}

/// A log cell's key: kommun/system.
pub fn log_cell_key(r: &LogFriction) -> String {
    format!(
        "{}/{}",
        r.kommun_kod.as_deref().unwrap_or_default(),
        r.system_id
    )
}

/// A CSV field, quoted when it needs to be.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
