"""The report at national scale: every municipality's page, the national page and the notebook.

    python3 benches/report.py [--profile dev] [--respondents 40] [--runs 3]

Makes a national survey with `friktion synth` (all 290 municipalities, two waves, --respondents
each, logs from every municipality, 20 projects each), runs `friktion run` once to fill the lake,
then --runs more times with nothing new to ingest, so each of those runs rebuilds the marts and
writes a whole report: index.html (every chart, the map), 290 kommun/<kod>.html pages with their
charts and CSVs, methods.html, the notebook and the Kolada export. Prints and appends to --out
(JSON lines) the medians of the report stage (from the run summary) and of the whole run.
The goal (issue 7): all municipality pages in under 30 seconds on this machine.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile

from benchenv import ROOT, run_measured, friktion_binary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="dev")
    ap.add_argument("--respondents", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "friktion-bench-report"))
    ap.add_argument("--out", default=os.path.join(ROOT, "benches/report.jsonl"))
    a = ap.parse_args()

    binary = friktion_binary(a.profile)

    shutil.rmtree(a.work, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "pipelines"), os.path.join(a.work, "pipelines"))
    data = os.path.join(a.work, "sample-data")
    for d in ("reference", "population"):
        shutil.copytree(os.path.join(ROOT, "sample-data", d), os.path.join(data, d))
    subprocess.run(
        [binary, "synth", "--out", data, "--reference", os.path.join(data, "reference"),
         "--kommuner", "290", "--respondents", str(a.respondents), "--log-kommuner", "290",
         "--projects", "20"],
        check=True, stdout=subprocess.DEVNULL,
    )
    cfg = os.path.join(a.work, "pipelines", "nightly.toml")
    _, _, first = run_measured([binary, "run", "--config", cfg])
    reports = os.path.join(a.work, "notebooks-out")
    walls, stages, pages = [], [], []
    for _ in range(a.runs):
        wall, rss, out = run_measured([binary, "run", "--config", cfg])
        timings = next(l.strip() for l in out.splitlines() if l.strip().startswith("timings"))
        report_s = float(timings.split("report ")[1].split(" s")[0])
        index = next(l.split()[-1] for l in out.splitlines() if l.strip().startswith("report"))
        kommun = os.path.join(os.path.dirname(index), "kommun")
        pages.append(sum(1 for f in os.listdir(kommun) if f.endswith(".html")))
        walls.append(wall)
        stages.append(report_s)
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(os.path.dirname(index)) for f in fs)
    rec = {
        "bench": "report",
        "profile": a.profile,
        "runs": a.runs,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "kommun_pages": pages[-1],
        "respondents_per_kommun_wave": a.respondents,
        "report_stage_s": round(statistics.median(stages), 3),
        "whole_run_s": round(statistics.median(walls), 3),
        "report_mib": round(size / 2**20, 1),
        "first_run_tables": next(l.strip() for l in first.splitlines() if l.strip().startswith("tables")),
    }
    print(json.dumps(rec, ensure_ascii=False, indent=1))
    with open(a.out, "a") as fh:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    shutil.rmtree(reports, ignore_errors=True)


if __name__ == "__main__":
    main()
