//! friktion's Kaplan–Meier and log-rank against lifelines (PyPI) on the same data: the curves,
//! medians, quartiles and test statistics must agree to 1e-6.

use std::io::Write;
use std::process::{Command, Stdio};

use friktion_outcomes::survival::{KaplanMeier, log_rank};

use crate::interop::python;
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

#[test]
fn kaplan_meier_and_log_rank_agree_with_lifelines() {
    let (da, oa) = group(7, 180, 400.0);
    let (db, ob) = group(11, 140, 600.0);
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
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    for (name, d, o) in [("a", &da, &oa), ("b", &db, &ob)] {
        let km = KaplanMeier::fit(d, o).unwrap();
        let t = &theirs[name];
        let times: Vec<f64> = t["times"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let surv: Vec<f64> = t["survival"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
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
}
