//! Cox proportional hazards with one covariate, Efron's method for ties: the hazard ratio of
//! going live for projects strong on a key factor against weak ones.
//!
//! Fitted by Newton–Raphson on the partial likelihood, as lifelines' `CoxPHFitter` does (its
//! default tie method is Efron's too), so the numbers agree. A covariate that does not vary,
//! no events, or a ratio that runs off to 0 or infinity (one group never goes live: the
//! likelihood has no maximum) gives None rather than a number that means nothing.

use crate::special::chi2_sf;

#[derive(Debug, Clone, PartialEq)]
pub struct Cox {
    /// Log hazard ratio per unit of the covariate.
    pub coef: f64,
    pub se: f64,
    pub hazard_ratio: f64,
    /// 95 % interval of the hazard ratio (Wald, on the log scale).
    pub lower: f64,
    pub upper: f64,
    /// Wald test of coef = 0.
    pub p_value: f64,
}

/// Indices by time, longest first.
fn descending(times: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|&a, &b| times[b].total_cmp(&times[a]));
    order
}

/// Log partial likelihood, score and information at `beta`; `order` from [`descending`].
fn efron(
    times: &[f64],
    observed: &[bool],
    x: &[f64],
    order: &[usize],
    beta: f64,
) -> (f64, f64, f64) {
    let (mut ll, mut score, mut info) = (0.0, 0.0, 0.0);
    // Walk from the longest time down, so the risk set only grows.
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let t = times[order[i]];
        let (mut t0, mut t1, mut t2, mut d, mut xsum) = (0.0, 0.0, 0.0, 0usize, 0.0);
        let mut j = i;
        while j < order.len() && times[order[j]] == t {
            let k = order[j];
            let r = (beta * x[k]).exp();
            s0 += r;
            s1 += r * x[k];
            s2 += r * x[k] * x[k];
            if observed[k] {
                t0 += r;
                t1 += r * x[k];
                t2 += r * x[k] * x[k];
                d += 1;
                xsum += x[k];
            }
            j += 1;
        }
        if d > 0 {
            ll += beta * xsum;
            score += xsum;
            for l in 0..d {
                let a = l as f64 / d as f64;
                let p0 = s0 - a * t0;
                let p1 = s1 - a * t1;
                let p2 = s2 - a * t2;
                ll -= p0.ln();
                score -= p1 / p0;
                info += p2 / p0 - (p1 / p0).powi(2);
            }
        }
        i = j;
    }
    (ll, score, info)
}

pub fn fit(times: &[f64], observed: &[bool], x: &[f64]) -> Option<Cox> {
    if times.len() != observed.len() || times.len() != x.len() || !observed.contains(&true) {
        return None;
    }
    let first = *x.first()?;
    if x.iter().all(|v| *v == first) || times.iter().chain(x).any(|v| !v.is_finite()) {
        return None;
    }
    let order = descending(times);
    let mut beta = 0.0;
    let (mut ll, _, _) = efron(times, observed, x, &order, beta);
    for _ in 0..100 {
        let (_, score, info) = efron(times, observed, x, &order, beta);
        if info <= 0.0 || !info.is_finite() {
            return None;
        }
        let mut step = score / info;
        // Halve a step that lowers the likelihood (Newton can overshoot far from the optimum).
        let mut next = beta + step;
        let mut next_ll = efron(times, observed, x, &order, next).0;
        let mut halvings = 0;
        while (next_ll.is_nan() || next_ll < ll - 1e-12) && halvings < 30 {
            step /= 2.0;
            next = beta + step;
            next_ll = efron(times, observed, x, &order, next).0;
            halvings += 1;
        }
        beta = next;
        ll = next_ll;
        if beta.abs() > 30.0 {
            return None;
        }
        if step.abs() < 1e-12 {
            let (_, _, info) = efron(times, observed, x, &order, beta);
            let se = 1.0 / info.sqrt();
            let z = 1.959_963_984_540_054;
            return Some(Cox {
                coef: beta,
                se,
                hazard_ratio: beta.exp(),
                lower: (beta - z * se).exp(),
                upper: (beta + z * se).exp(),
                p_value: chi2_sf((beta / se).powi(2), 1.0),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_faster_group_has_a_hazard_ratio_above_one() {
        // Group 1 goes live in about half the time of group 0.
        let times = [
            50., 80., 90., 120., 150., 100., 160., 200., 240., 300., 310., 400.,
        ];
        let observed = [
            true, true, false, true, true, true, true, true, false, true, true, true,
        ];
        let x = [1., 1., 1., 1., 1., 0., 0., 0., 0., 0., 0., 0.];
        let c = fit(&times, &observed, &x).unwrap();
        assert!(c.hazard_ratio > 1.0 && c.lower < c.hazard_ratio && c.hazard_ratio < c.upper);
        // At the maximum the score is zero.
        assert!(
            efron(&times, &observed, &x, &descending(&times), c.coef)
                .1
                .abs()
                < 1e-9
        );
    }

    #[test]
    fn no_variation_no_events_or_separation_give_none() {
        assert_eq!(fit(&[1., 2.], &[true, true], &[1., 1.]), None);
        assert_eq!(fit(&[1., 2.], &[false, false], &[0., 1.]), None);
        // Group 1 all live before any of group 0: the ratio runs off to infinity.
        assert_eq!(
            fit(
                &[1., 2., 3., 4.],
                &[true, true, false, false],
                &[1., 1., 0., 0.]
            ),
            None
        );
    }
}
