//! The log friction model: from one day's it_event rows to it_friction_daily
//! (day × kommun × system).
//!
//! Per user, system and day, events are put in time order and cut into sessions wherever the
//! user was inactive longer than `session_gap_minutes`. Minutes lost are then estimated from
//! the events that cost staff time, each at a stated price (the `[friction]` table of the
//! systems catalogue, documented in docs/LOGS.md):
//!
//! | event | minutes |
//! |---|---|
//! | failed sign-in | `failed_login_minutes` |
//! | error | `error_minutes` |
//! | timeout | `timeout_minutes` plus the time waited (its latency) |
//! | slow response | the time above the system's `slow_ms` |
//! | crash | `crash_minutes` |
//! | lost session (a `session_lost` event, or a sign-in in the middle of a session) | `relogin_minutes` |
//!
//! A user-day's minutes are capped at `max_minutes_per_user_day`, so that a script or a stuck
//! client cannot stand for a working day of many people. Events without a user count in the
//! event columns but not in minutes, which are per identified user.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use chrono::NaiveDate;
use friktion_core::LakeTable;
use rayon::prelude::*;
use serde::Deserialize;

use crate::LogError;
use crate::catalog::Catalog;
use crate::classify::EventType;
use crate::fxhash::FxMap;

/// The prices of friction, and how sessions are cut. Defaults are stated assumptions, not
/// measurements; a municipality that has timed its own staff should set its own.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FrictionParams {
    pub session_gap_minutes: f64,
    pub failed_login_minutes: f64,
    pub error_minutes: f64,
    pub timeout_minutes: f64,
    pub crash_minutes: f64,
    pub relogin_minutes: f64,
    /// Default slow-response threshold for systems that set none.
    pub slow_ms: f64,
    pub max_minutes_per_user_day: f64,
}

impl Default for FrictionParams {
    fn default() -> Self {
        Self {
            session_gap_minutes: 30.0,
            failed_login_minutes: 1.0,
            error_minutes: 2.0,
            timeout_minutes: 1.0,
            crash_minutes: 10.0,
            relogin_minutes: 2.0,
            slow_ms: 3000.0,
            max_minutes_per_user_day: 480.0,
        }
    }
}

/// A friction parameter that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("[friction] {name} must be a number ≥ 0, not {value}")]
    Negative { name: &'static str, value: f64 },
    #[error("[friction] session_gap_minutes must be above 0")]
    ZeroGap,
}

impl FrictionParams {
    pub fn validate(&self) -> Result<(), ParamError> {
        for (name, v) in [
            ("session_gap_minutes", self.session_gap_minutes),
            ("failed_login_minutes", self.failed_login_minutes),
            ("error_minutes", self.error_minutes),
            ("timeout_minutes", self.timeout_minutes),
            ("crash_minutes", self.crash_minutes),
            ("relogin_minutes", self.relogin_minutes),
            ("slow_ms", self.slow_ms),
            ("max_minutes_per_user_day", self.max_minutes_per_user_day),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(ParamError::Negative { name, value: v });
            }
        }
        if self.session_gap_minutes == 0.0 {
            return Err(ParamError::ZeroGap);
        }
        Ok(())
    }
}

/// The it_event columns the model reads.
pub const INPUT_COLUMNS: [&str; 6] = [
    "ts",
    "kommun_kod",
    "system_id",
    "user_key",
    "event_type",
    "latency_ms",
];

/// An event with its kommun, system and user as small integers (0 for none), so that a day of
/// millions of events sorts by integer comparisons rather than string ones, in 32 bytes.
#[derive(Clone, Copy)]
struct Ev {
    kommun: u32,
    system: u32,
    user: u32,
    kind: EventType,
    ts: i64,
    /// NaN when the event has no latency.
    latency: f64,
}

/// Strings to ids, 0 being "none"; ids are in first-seen order until [`Interner::ranks`].
#[derive(Default)]
struct Interner {
    ids: FxMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    fn id(&mut self, v: Option<&str>) -> u32 {
        let Some(v) = v else { return 0 };
        if let Some(&i) = self.ids.get(v) {
            return i;
        }
        self.names.push(v.into());
        let i = self.names.len() as u32;
        self.ids.insert(v.into(), i);
        i
    }

    /// This interner's ids for `other`'s names (index: `other`'s id), taking in the names it
    /// lacks in `other`'s first-seen order: as if `other`'s strings had come after this one's.
    fn absorb(&mut self, other: &Interner) -> Vec<u32> {
        std::iter::once(0)
            .chain(other.names.iter().map(|n| self.id(Some(n))))
            .collect()
    }

    /// Maps each id to its rank in string order (0 stays 0), and the names in that order.
    fn ranks(&self) -> (Vec<u32>, Vec<Option<&str>>) {
        let mut order: Vec<u32> = (1..=self.names.len() as u32).collect();
        order.sort_by_key(|&i| &self.names[i as usize - 1]);
        let mut rank = vec![0u32; self.names.len() + 1];
        let mut names = vec![None];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32 + 1;
            names.push(Some(&*self.names[i as usize - 1]));
        }
        (rank, names)
    }
}

#[derive(Default)]
struct Acc {
    users: i64,
    sessions: i64,
    events: i64,
    errors: i64,
    failed_logins: i64,
    timeouts: i64,
    slow: i64,
    crashes: i64,
    relogins: i64,
    latencies: Vec<f64>,
    minutes: f64,
}

fn col<'a, T: 'static>(b: &'a RecordBatch, i: usize) -> Result<&'a T, LogError> {
    b.column(i).as_any().downcast_ref::<T>().ok_or_else(|| {
        LogError::Model(format!(
            "it_event column {} has an unexpected type",
            INPUT_COLUMNS[i]
        ))
    })
}

/// One day's rows of it_friction_daily. `batches` carry [`INPUT_COLUMNS`] in that order.
pub fn daily(
    day: NaiveDate,
    batches: &[RecordBatch],
    catalog: &Catalog,
) -> Result<RecordBatch, LogError> {
    let mut d = DayEvents::default();
    for b in batches {
        d.add(b)?;
    }
    d.finish(day, catalog)
}

/// A day's events, added batch by batch as they are read, so that only this compact form of
/// the day is held, never the day's Arrow columns.
#[derive(Default)]
pub struct DayEvents {
    evs: Vec<Ev>,
    kommuner: Interner,
    systems: Interner,
    users: Interner,
}

impl DayEvents {
    /// Adds a batch carrying [`INPUT_COLUMNS`] in that order.
    pub fn add(&mut self, b: &RecordBatch) -> Result<(), LogError> {
        let ts = col::<TimestampMicrosecondArray>(b, 0)?;
        let k = col::<StringArray>(b, 1)?;
        let s = col::<StringArray>(b, 2)?;
        let u = col::<StringArray>(b, 3)?;
        let t = col::<StringArray>(b, 4)?;
        let l = col::<Float64Array>(b, 5)?;
        self.evs.reserve(b.num_rows());
        for i in 0..b.num_rows() {
            let kind = EventType::parse(t.value(i))
                .ok_or_else(|| LogError::Model(format!("unknown event_type '{}'", t.value(i))))?;
            self.evs.push(Ev {
                kommun: self.kommuner.id(k.is_valid(i).then(|| k.value(i))),
                system: self.systems.id(s.is_valid(i).then(|| s.value(i))),
                user: self.users.id(u.is_valid(i).then(|| u.value(i))),
                kind,
                ts: ts.value(i),
                latency: if l.is_valid(i) { l.value(i) } else { f64::NAN },
            });
        }
        Ok(())
    }

    /// One day from parts read separately (in parallel), exactly as if each part's batches had
    /// been added to one `DayEvents` in the parts' order: ids are given in the same first-seen
    /// order and the events keep their order, so the stable sort in [`DayEvents::finish`] and
    /// the floating-point sums after it see what a reading from start to end would.
    pub fn merge(parts: Vec<DayEvents>) -> DayEvents {
        let mut parts = parts.into_iter();
        let Some(mut day) = parts.next() else {
            return DayEvents::default();
        };
        let mut rest: Vec<DayEvents> = parts.collect();
        let remaps: Vec<[Vec<u32>; 3]> = rest
            .iter()
            .map(|p| {
                [
                    day.kommuner.absorb(&p.kommuner),
                    day.systems.absorb(&p.systems),
                    day.users.absorb(&p.users),
                ]
            })
            .collect();
        rest.par_iter_mut().zip(&remaps).for_each(|(p, [k, s, u])| {
            for e in &mut p.evs {
                e.kommun = k[e.kommun as usize];
                e.system = s[e.system as usize];
                e.user = u[e.user as usize];
            }
        });
        day.evs
            .reserve(rest.iter().map(|p| p.evs.len()).sum::<usize>());
        for p in rest {
            day.evs.extend_from_slice(&p.evs);
        }
        day
    }

    /// The day's rows of it_friction_daily.
    pub fn finish(self, day: NaiveDate, catalog: &Catalog) -> Result<RecordBatch, LogError> {
        let p = &catalog.friction;
        let DayEvents {
            mut evs,
            kommuner,
            systems,
            users: _,
        } = self;
        // Output rows come in kommun, then system order (none first), as strings sort.
        let (k_rank, k_names) = kommuner.ranks();
        let (s_rank, s_names) = systems.ranks();
        evs.par_iter_mut().for_each(|e| {
            e.kommun = k_rank[e.kommun as usize];
            e.system = s_rank[e.system as usize];
        });
        // Stable, so that a user's events at the same instant stay in input order (which of
        // two sign-ins at one microsecond is the re-login).
        evs.par_sort_by_key(|e| (e.kommun, e.system, e.user, e.ts));
        let gap_us = (p.session_gap_minutes * 60e6) as i64;
        let mut groups: Vec<((u32, u32), Acc)> = Vec::new();
        let slow_of: Vec<f64> = s_names
            .iter()
            .map(|n| {
                n.and_then(|id| catalog.by_id(id))
                    .map_or(p.slow_ms, |s| s.slow_ms)
            })
            .collect();
        let mut i = 0;
        while i < evs.len() {
            let key = (evs[i].kommun, evs[i].system);
            if groups.last().is_none_or(|(k, _)| *k != key) {
                groups.push((key, Acc::default()));
            }
            let slow_ms = slow_of[key.1 as usize];
            let acc = &mut groups.last_mut().expect("pushed above").1;
            // One user's run of events within this kommun and system.
            let mut j = i;
            while j < evs.len()
                && (evs[j].kommun, evs[j].system, evs[j].user) == (key.0, key.1, evs[i].user)
            {
                j += 1;
            }
            let run = &evs[i..j];
            let identified = run[0].user != 0;
            let mut minutes = 0.0;
            if identified {
                acc.users += 1;
                acc.sessions += 1;
            }
            for (n, e) in run.iter().enumerate() {
                let prev = n.checked_sub(1).map(|m| &run[m]);
                let within = prev.is_some_and(|q| e.ts - q.ts <= gap_us);
                if identified && prev.is_some() && !within {
                    acc.sessions += 1;
                }
                acc.events += 1;
                if !e.latency.is_nan() {
                    acc.latencies.push(e.latency);
                }
                minutes += match e.kind {
                    EventType::LoginFailed => {
                        acc.failed_logins += 1;
                        p.failed_login_minutes
                    }
                    EventType::Error => {
                        acc.errors += 1;
                        p.error_minutes
                    }
                    EventType::Timeout => {
                        acc.timeouts += 1;
                        p.timeout_minutes + latency_or_zero(e.latency) / 60_000.0
                    }
                    EventType::SlowResponse => {
                        acc.slow += 1;
                        (latency_or_zero(e.latency) - slow_ms).max(0.0) / 60_000.0
                    }
                    EventType::Crash => {
                        acc.crashes += 1;
                        p.crash_minutes
                    }
                    EventType::SessionLost => {
                        acc.relogins += 1;
                        p.relogin_minutes
                    }
                    // Signing in again mid-session means the session was lost, unless the line
                    // before already said so or was itself part of signing in.
                    EventType::LoginOk
                        if identified
                            && within
                            && prev.is_some_and(|q| {
                                !matches!(
                                    q.kind,
                                    EventType::LoginOk
                                        | EventType::LoginFailed
                                        | EventType::SessionLost
                                )
                            }) =>
                    {
                        acc.relogins += 1;
                        p.relogin_minutes
                    }
                    EventType::LoginOk | EventType::Request => 0.0,
                };
            }
            if identified {
                acc.minutes += minutes.min(p.max_minutes_per_user_day);
            }
            i = j;
        }
        // Values equal under total_cmp are the same bits, so an unstable sort gives the same
        // order; a national day is ~100 M latencies, sorted on every core.
        groups
            .par_iter_mut()
            .for_each(|(_, a)| a.latencies.sort_unstable_by(f64::total_cmp));
        let n = groups.len();
        let days = (day - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32;
        let mut k = Vec::with_capacity(n);
        let mut s = Vec::with_capacity(n);
        let mut ints: [Vec<i64>; 9] = Default::default();
        let (mut p50, mut p95, mut total, mut per_user) = (vec![], vec![], vec![], vec![]);
        for ((kommun, system), a) in groups {
            k.push(k_names[kommun as usize]);
            s.push(s_names[system as usize]);
            for (v, x) in ints.iter_mut().zip([
                a.users,
                a.sessions,
                a.events,
                a.errors,
                a.failed_logins,
                a.timeouts,
                a.slow,
                a.crashes,
                a.relogins,
            ]) {
                v.push(x);
            }
            p50.push(quantile(&a.latencies, 0.5));
            p95.push(quantile(&a.latencies, 0.95));
            total.push((a.users > 0).then_some(a.minutes));
            per_user.push((a.users > 0).then(|| a.minutes / a.users as f64));
        }
        let mut cols: Vec<(&str, ArrayRef)> = vec![
            ("day", Arc::new(Date32Array::from(vec![days; n]))),
            ("kommun_kod", Arc::new(StringArray::from(k))),
            ("system_id", Arc::new(StringArray::from(s))),
        ];
        let counts = [
            "users",
            "sessions",
            "events",
            "errors",
            "failed_logins",
            "timeouts",
            "slow_responses",
            "crashes",
            "relogins",
        ];
        for (name, v) in counts.into_iter().zip(ints) {
            cols.push((name, Arc::new(Int64Array::from(v))));
        }
        cols.push(("p50_latency_ms", Arc::new(Float64Array::from(p50))));
        cols.push(("p95_latency_ms", Arc::new(Float64Array::from(p95))));
        cols.push(("minutes_lost", Arc::new(Float64Array::from(total))));
        cols.push((
            "est_minutes_lost_per_user",
            Arc::new(Float64Array::from(per_user)),
        ));
        LakeTable::ItFrictionDaily
            .def()
            .batch(cols)
            .map_err(|e| LogError::Model(e.to_string()))
    }
}

fn latency_or_zero(l: f64) -> f64 {
    if l.is_nan() { 0.0 } else { l }
}

/// The q-quantile of sorted values by linear interpolation between order statistics (R's
/// type 7; numpy's, polars' and DuckDB's `quantile_cont` default).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[3.0], 0.95), Some(3.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert!((quantile(&[1.0, 2.0, 3.0, 4.0], 0.95).unwrap() - 3.85).abs() < 1e-12);
    }
}
