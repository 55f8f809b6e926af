"""Kaplan–Meier and log-rank with lifelines, for comparison with friktion's own estimators.

Input (stdin): {"a": {"durations": [...], "observed": [...]}, "b": {...}}.
Output (stdout): per group the survival function (times and S(t)), the median and quartiles
(null where the curve never gets there), the log-rank test of a against b, and a Cox model
(Efron ties, lifelines' default) of membership in a: hazard ratio, 95 % interval and p.
"""

import json
import math
import sys

import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import qth_survival_time


def finite(x):
    return None if math.isinf(x) else float(x)


def main():
    data = json.load(sys.stdin)
    out = {}
    for name, g in data.items():
        kmf = KaplanMeierFitter().fit(g["durations"], event_observed=g["observed"])
        sf = kmf.survival_function_
        out[name] = {
            "times": [float(t) for t in sf.index],
            "survival": [float(s) for s in sf.iloc[:, 0]],
            "median": finite(kmf.median_survival_time_),
            "quartiles": [finite(qth_survival_time(q, kmf)) for q in (0.75, 0.5, 0.25)],
        }
    a, b = data["a"], data["b"]
    r = logrank_test(a["durations"], b["durations"], event_observed_A=a["observed"], event_observed_B=b["observed"])
    out["logrank"] = {"statistic": float(r.test_statistic), "p_value": float(r.p_value)}
    df = pd.DataFrame({
        "T": list(a["durations"]) + list(b["durations"]),
        "E": list(a["observed"]) + list(b["observed"]),
        "x": [1.0] * len(a["durations"]) + [0.0] * len(b["durations"]),
    })
    # lifelines stops, like R, when the log-likelihood changes by less than 1e-9 relative, which
    # leaves the hazard ratio about 1e-6 short of the maximum; fit to the maximum instead.
    cph = CoxPHFitter().fit(
        df, duration_col="T", event_col="E", fit_options={"r_precision": 1e-15, "precision": 1e-12}
    )
    s = cph.summary.loc["x"]
    out["cox"] = {
        "hazard_ratio": float(s["exp(coef)"]),
        "lower": float(s["exp(coef) lower 95%"]),
        "upper": float(s["exp(coef) upper 95%"]),
        "p_value": float(s["p"]),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
