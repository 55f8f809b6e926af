"""Outcome measures at national scale: friktion against lifelines (the researcher's tool).

    python3 benches/outcomes.py [--profile release] [--per-kommun 100] [--runs 3]

(lifelines, pandas and DuckDB come from the project's .venv, made on first use from
python/requirements.txt.)

Makes a portfolio export for all 290 municipalities with `friktion synth` (--per-kommun
projects each), then times, each in its own process:

- friktion: `friktion run` with the key-factor catalogue and one [[projects]] source into a fresh
  lake: read and check the export (stage labels, dates, factors; quarantine; ledger), then every
  SQL model, including the outcome marts: Kaplan–Meier quartiles by solution, track, peer group
  and kommun (≈ 320 groups), the curve, time per stage, the funnel, budgets, factor scores by
  kommun, and log-rank and Cox per key factor;
- lifelines: from friktion's own project_time_to_go_live and project_factor (read with DuckDB,
  so the input is the same), the same estimates: KaplanMeierFitter quartiles and median for
  every group, and logrank_test and CoxPHFitter per factor. It skips the ingest, the stage
  checks, the curve, the funnel and the budgets.

Prints and appends to --out (JSON lines) medians of wall time and peak memory.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchenv import ROOT, ensure_venv, run_measured, friktion_binary






LIFELINES = r"""
import sys, warnings
warnings.simplefilter("ignore")
import duckdb, pandas as pd
from lifelines import KaplanMeierFitter, CoxPHFitter
from lifelines.statistics import logrank_test
from lifelines.utils import qth_survival_time
lake = sys.argv[1]
t = duckdb.sql(f"SELECT * FROM read_parquet('{lake}/marts/project_time_to_go_live/*.parquet')").df()
f = duckdb.sql(f"SELECT project_id, factor_id, score, direction FROM read_parquet('{lake}/project_factor/*.parquet')").df()
groups = [("all", t.assign(g="Sverige"))] + [(d, t.assign(g=t[c])) for d, c in
          [("solution", "solution"), ("track", "track"), ("peer_group", "peer_group"), ("kommun", "kommun_kod")]]
n = 0
for _, df in groups:
    for _, g in df.groupby("g"):
        kmf = KaplanMeierFitter().fit(g["days"], g["observed"])
        [qth_survival_time(q, kmf) for q in (0.75, 0.5, 0.25)]
        n += 1
f["strong"] = (f["score"] >= 4) | (f["direction"] == "främjande")
f["weak"] = (f["score"] <= 2) | (f["direction"] == "hämmande")
m = f.merge(t, on="project_id")
for _, g in m.groupby("factor_id"):
    s, w = g[g["strong"]], g[g["weak"]]
    logrank_test(s["days"], w["days"], s["observed"], w["observed"])
    d = pd.concat([s.assign(x=1.0), w.assign(x=0.0)])[["days", "observed", "x"]]
    CoxPHFitter().fit(d, duration_col="days", event_col="observed")
print(n)
"""


def main():
    ensure_venv("duckdb", "lifelines")
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="release")
    ap.add_argument("--per-kommun", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "friktion-bench-outcomes"))
    ap.add_argument("--out", default=os.path.join(ROOT, "benches/outcomes.jsonl"))
    a = ap.parse_args()

    binary = friktion_binary(a.profile)

    data = os.path.join(a.work, f"data-{a.per_kommun}")
    export = os.path.join(data, "projects", "projects.csv")
    if not os.path.exists(export):
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run(
            [binary, "synth", "--out", data, "--reference", os.path.join(ROOT, "sample-data/reference"),
             "--kommuner", "290", "--projects", str(a.per_kommun), "--respondents", "1", "--waves", "2019",
             "--staff-surveys", "0", "--log-kommuner", "1", "--log-users", "1", "--log-days", "1"],
            check=True, stdout=subprocess.DEVNULL,
        )
    with open(export, "rb") as fh:
        projects = sum(1 for _ in fh) - 1
    cfg = os.path.join(a.work, "bench.toml")
    with open(cfg, "w") as fh:
        fh.write(f"""root = "{data}"
lake = "lake"
reports = "reports"
reference = "{os.path.join(ROOT, 'sample-data/reference')}"
models = "{os.path.join(ROOT, 'pipelines/models')}"
key_factors = "{os.path.join(ROOT, 'pipelines/key_factors.toml')}"
[privacy]
allow_demo_key = true
[[projects]]
files = "projects/*.csv"
mapping = "{os.path.join(ROOT, 'pipelines/projects/portfolio.toml')}"
data_date = "2026-11-01"
""")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"
    results = {"friktion": [], "lifelines": []}
    stages = []
    lake = os.path.join(data, "lake")
    for _ in range(a.runs):
        shutil.rmtree(lake, ignore_errors=True)
        shutil.rmtree(os.path.join(data, "reports"), ignore_errors=True)
        wall, rss, out = run_measured([binary, "run", "--config", cfg])
        results["friktion"].append((wall, rss))
        stages.append(next(l.strip() for l in out.splitlines() if l.strip().startswith("timings")))
        wall, rss, _ = run_measured([sys.executable, "-c", LIFELINES, lake])
        results["lifelines"].append((wall, rss))
    rec = {
        "bench": "outcomes",
        "projects": projects,
        "profile": a.profile,
        "runs": a.runs,
        "machine": machine,
        "friktion_stages_last_run": stages[-1],
    }
    for tool, rs in results.items():
        rec[f"{tool}_wall_s"] = round(statistics.median(r[0] for r in rs), 3)
        rec[f"{tool}_peak_mib"] = round(statistics.median(r[1] for r in rs), 1)
    rec["lifelines_over_friktion"] = round(rec["lifelines_wall_s"] / rec["friktion_wall_s"], 2)
    print(json.dumps(rec, ensure_ascii=False, indent=1))
    with open(a.out, "a") as fh:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
