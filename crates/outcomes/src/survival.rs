//! Kaplan–Meier estimates and the log-rank test, with the conventions of lifelines, so that
//! researchers who check our numbers in Python get the same ones.
//!
//! A duration is days from decision to go-live; `observed` is false for a project still
//! running at the data date (censored there) or abandoned (censored at abandonment, with
//! abandonment reported as its own outcome). Dropping censored projects would bias the median
//! towards the fast ones: only projects that already finished would count.

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SurvivalError {
    #[error("{durations} durations but {observed} observed flags")]
    Lengths { durations: usize, observed: usize },
    #[error("duration {0} is negative or not a number")]
    BadDuration(f64),
}

/// The estimated survival function: S(t) just after each distinct time, from time 0.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    /// 0, then every distinct duration (observed or censored), ascending.
    pub times: Vec<f64>,
    /// S(t) at each of `times`.
    pub survival: Vec<f64>,
    /// Subjects at risk just before each time.
    pub at_risk: Vec<usize>,
    /// Events (go-lives) at each time.
    pub events: Vec<usize>,
    /// Censored at each time.
    pub censored: Vec<usize>,
}

fn check(durations: &[f64], observed: &[bool]) -> Result<(), SurvivalError> {
    if durations.len() != observed.len() {
        return Err(SurvivalError::Lengths {
            durations: durations.len(),
            observed: observed.len(),
        });
    }
    if let Some(&d) = durations.iter().find(|d| !d.is_finite() || **d < 0.0) {
        return Err(SurvivalError::BadDuration(d));
    }
    Ok(())
}

/// Distinct times with (events, censored) at each, ascending.
fn table(durations: &[f64], observed: &[bool]) -> Vec<(f64, usize, usize)> {
    let mut pairs: Vec<(f64, bool)> = durations
        .iter()
        .copied()
        .zip(observed.iter().copied())
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, usize, usize)> = Vec::new();
    for (t, o) in pairs {
        if out.last().is_none_or(|l| l.0 != t) {
            out.push((t, 0, 0));
        }
        let last = out.last_mut().expect("pushed above");
        if o {
            last.1 += 1;
        } else {
            last.2 += 1;
        }
    }
    out
}

impl KaplanMeier {
    pub fn fit(durations: &[f64], observed: &[bool]) -> Result<Self, SurvivalError> {
        check(durations, observed)?;
        let mut km = KaplanMeier {
            times: vec![0.0],
            survival: vec![1.0],
            at_risk: vec![durations.len()],
            events: vec![0],
            censored: vec![0],
        };
        let mut n = durations.len();
        let mut s = 1.0;
        for (t, d, c) in table(durations, observed) {
            if t == 0.0 {
                // Events at time 0 act on the first row, as in lifelines.
                s *= 1.0 - d as f64 / n as f64;
                km.survival[0] = s;
                km.events[0] = d;
                km.censored[0] = c;
                n -= d + c;
                continue;
            }
            if n > 0 {
                s *= 1.0 - d as f64 / n as f64;
            }
            km.times.push(t);
            km.survival.push(s);
            km.at_risk.push(n);
            km.events.push(d);
            km.censored.push(c);
            n -= d + c;
        }
        Ok(km)
    }

    /// The first time at which S(t) ≤ q: the time by which a share 1 − q has gone live.
    /// None (lifelines: infinity) when the curve never gets there, because too many projects
    /// are still running.
    pub fn survival_time(&self, q: f64) -> Option<f64> {
        self.times
            .iter()
            .zip(&self.survival)
            .find(|(_, s)| **s <= q)
            .map(|(t, _)| *t)
    }

    /// Median time to go-live.
    pub fn median(&self) -> Option<f64> {
        self.survival_time(0.5)
    }

    /// (25 %, 50 %, 75 %) of projects live by these times.
    pub fn quartiles(&self) -> (Option<f64>, Option<f64>, Option<f64>) {
        (
            self.survival_time(0.75),
            self.survival_time(0.5),
            self.survival_time(0.25),
        )
    }

    /// S(t) at any time (a step function, right-continuous).
    pub fn at(&self, t: f64) -> f64 {
        match self.times.iter().rposition(|x| *x <= t) {
            Some(i) => self.survival[i],
            None => 1.0,
        }
    }
}

/// The log-rank test of two groups' survival: the statistic (chi-square, 1 df), its p-value,
/// and observed and expected events in group A.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRank {
    pub statistic: f64,
    pub p_value: f64,
    pub observed_a: f64,
    pub expected_a: f64,
    /// Variance of observed − expected; 0 when no event time had both groups at risk, and
    /// then the test says nothing (the statistic is reported as 0).
    pub variance: f64,
}

pub fn log_rank(
    durations_a: &[f64],
    observed_a: &[bool],
    durations_b: &[f64],
    observed_b: &[bool],
) -> Result<LogRank, SurvivalError> {
    check(durations_a, observed_a)?;
    check(durations_b, observed_b)?;
    let a = table(durations_a, observed_a);
    let b = table(durations_b, observed_b);
    let mut times: Vec<f64> = a.iter().chain(&b).map(|r| r.0).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let (mut na, mut nb) = (durations_a.len() as f64, durations_b.len() as f64);
    let (mut ia, mut ib) = (0, 0);
    let (mut o, mut e, mut v) = (0.0, 0.0, 0.0);
    for t in times {
        let (da, ca) = match a.get(ia) {
            Some(r) if r.0 == t => {
                ia += 1;
                (r.1 as f64, r.2 as f64)
            }
            _ => (0.0, 0.0),
        };
        let (db, cb) = match b.get(ib) {
            Some(r) if r.0 == t => {
                ib += 1;
                (r.1 as f64, r.2 as f64)
            }
            _ => (0.0, 0.0),
        };
        let (n, d) = (na + nb, da + db);
        if d > 0.0 && n > 0.0 {
            o += da;
            e += d * na / n;
            if n > 1.0 {
                v += d * (na / n) * (1.0 - na / n) * (n - d) / (n - 1.0);
            }
        }
        na -= da + ca;
        nb -= db + cb;
    }
    let statistic = if v > 0.0 { (o - e).powi(2) / v } else { 0.0 };
    Ok(LogRank {
        statistic,
        p_value: crate::special::chi2_sf(statistic, 1.0),
        observed_a: o,
        expected_a: e,
        variance: v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_curve_with_ties_and_censoring() {
        // Times 1, 2, 2, 3+, 4, 5+: S(1) = 5/6, S(2) = 5/6 · 3/5 = 1/2, S(4) = 1/2 · 1/2 = 1/4.
        let d = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0];
        let o = [true, true, true, false, true, false];
        let km = KaplanMeier::fit(&d, &o).unwrap();
        assert_eq!(km.times, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let want = [1.0, 5.0 / 6.0, 0.5, 0.5, 0.25, 0.25];
        for (s, w) in km.survival.iter().zip(want) {
            assert!((s - w).abs() < 1e-15);
        }
        assert_eq!(km.at_risk, [6, 6, 5, 3, 2, 1]);
        assert_eq!(km.median(), Some(2.0));
        assert_eq!(km.quartiles(), (Some(2.0), Some(2.0), Some(4.0)));
        assert_eq!(km.at(3.5), 0.5);
    }

    #[test]
    fn censoring_moves_the_median_where_dropping_would_not() {
        // Four projects live at 100–400 days, four still running at 500 days. Dropping the
        // running ones puts the median at 200 days; counting them, half are live only at 400.
        let d = [100.0, 200.0, 300.0, 400.0, 500.0, 500.0, 500.0, 500.0];
        let o = [true, true, true, true, false, false, false, false];
        let km = KaplanMeier::fit(&d, &o).unwrap();
        assert_eq!(km.median(), Some(400.0));
        let km_naive = KaplanMeier::fit(&d[..4], &o[..4]).unwrap();
        assert_eq!(km_naive.median(), Some(200.0));
        let all_running = KaplanMeier::fit(&[10.0, 20.0], &[false, false]).unwrap();
        assert_eq!(all_running.median(), None);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(KaplanMeier::fit(&[1.0], &[]).is_err());
        assert!(KaplanMeier::fit(&[-1.0], &[true]).is_err());
        assert!(KaplanMeier::fit(&[f64::NAN], &[true]).is_err());
    }

    #[test]
    fn log_rank_of_identical_groups_is_zero() {
        let d = [1.0, 2.0, 3.0, 4.0];
        let o = [true, true, false, true];
        let r = log_rank(&d, &o, &d, &o).unwrap();
        assert!(r.statistic.abs() < 1e-15);
        assert!((r.p_value - 1.0).abs() < 1e-12);
    }
}
