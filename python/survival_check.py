"""Kaplan–Meier and log-rank with lifelines, for comparison with friktion's own estimators.

Input (stdin): {"a": {"durations": [...], "observed": [...]}, "b": {...}}.
Output (stdout): per group the survival function (times and S(t)), the median and quartiles
(null where the curve never gets there), and the log-rank test of a against b.
"""

import json
import math
import sys

from lifelines import KaplanMeierFitter
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
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
