//! friktion's Kaplan–Meier and log-rank against lifelines (PyPI) on the same data: the curves,
//! medians, quartiles, test statistics and Cox hazard ratios must agree to 1e-6.

use std::io::Write;
use std::process::{Command, Stdio};

use friktion_outcomes::cox;
use friktion_outcomes::survival::{KaplanMeier, log_rank};

use crate::python::python;
use crate::{text, workspace};

/// Seeded durations in days with ties (whole weeks) and about a third censored, as project
/// records are: many still running at the data date.
fn group(seed: u64, n: usize, scale: f64) -> (Vec<f64>, Vec<bool>) {
    let mut x = seed;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 11) as f64) / ((1u64 << 53) as f64)
    };
    (0..n)
        .map(|_| {
            let days = (-(1.0 - next()).ln() * scale / 7.0).round() * 7.0;
            (days, next() > 0.35)
        })
        .unzip()
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-6, "{what}: friktion {a}, lifelines {b}");
}

fn opt(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
}

/// A JSON array of numbers.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

/// lifelines' answers (python/survival_check.py) for two groups.
pub fn lifelines(da: &[f64], oa: &[bool], db: &[f64], ob: &[bool]) -> serde_json::Value {
    let input = serde_json::json!({
        "a": {"durations": da, "observed": oa},
        "b": {"durations": db, "observed": ob},
    });
    let mut child = Command::new(python())
        .arg(workspace().join("python/survival_check.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "survival_check.py failed:\n{}",
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn kaplan_meier_log_rank_and_cox_agree_with_lifelines() {
    let (da, oa) = group(7, 180, 400.0);
    let (db, ob) = group(11, 140, 600.0);
    let theirs = lifelines(&da, &oa, &db, &ob);

    for (name, d, o) in [("a", &da, &oa), ("b", &db, &ob)] {
        let km = KaplanMeier::fit(d, o).unwrap();
        let t = &theirs[name];
        let (times, surv) = (floats(&t["times"]), floats(&t["survival"]));
        assert_eq!(km.times, times, "{name}: the curve's times");
        for (i, (s, l)) in km.survival.iter().zip(&surv).enumerate() {
            close(*s, *l, &format!("{name}: S(t) at {}", times[i]));
        }
        assert_eq!(km.median(), opt(&t["median"]), "{name}: median");
        let q = t["quartiles"].as_array().unwrap();
        let (q1, q2, q3) = km.quartiles();
        assert_eq!(
            [q1, q2, q3],
            [opt(&q[0]), opt(&q[1]), opt(&q[2])],
            "{name}: quartiles"
        );
    }
    let r = log_rank(&da, &oa, &db, &ob).unwrap();
    close(
        r.statistic,
        theirs["logrank"]["statistic"].as_f64().unwrap(),
        "log-rank statistic",
    );
    close(
        r.p_value,
        theirs["logrank"]["p_value"].as_f64().unwrap(),
        "log-rank p",
    );
    // The groups were drawn with different scales: the test must see it.
    assert!(r.p_value < 0.05, "{r:?}");
    let x: Vec<f64> = da
        .iter()
        .map(|_| 1.0)
        .chain(db.iter().map(|_| 0.0))
        .collect();
    let times: Vec<f64> = da.iter().chain(&db).copied().collect();
    let observed: Vec<bool> = oa.iter().chain(&ob).copied().collect();
    let c = cox::fit(&times, &observed, &x).unwrap();
    let t = &theirs["cox"];
    for (ours, key) in [
        (c.hazard_ratio, "hazard_ratio"),
        (c.lower, "lower"),
        (c.upper, "upper"),
        (c.p_value, "p_value"),
    ] {
        let l = t[key].as_f64().unwrap();
        assert!(
            (ours - l).abs() <= 1e-6 * l.abs().max(1.0),
            "Cox {key}: friktion {ours}, lifelines {l}"
        );
    }
    // Group a goes live faster (a smaller scale): its hazard of going live is higher.
    assert!(c.hazard_ratio > 1.0, "{c:?}");
}
