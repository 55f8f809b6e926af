"""Survey ingest throughput: friktion against DuckDB and polars on the same input.

    python benches/survey_ingest.py [--profile release] [--kommuner 290] [--respondents 400] [--runs 5]

Makes a synthetic survey with `friktion synth`, then times, each in its own process:
- friktion: `friktion run` into a fresh lake (decode, map labels, resolve kommuner, pseudonymise,
  redact, quarantine, Parquet for survey_response and survey_answer, ledger, model, report);
- DuckDB and polars: read the same CSVs (`;`) and write them to Parquet as they are. They do
  far less: no mapping, no validation, no pseudonyms. They are a floor, not a like-for-like rival.
Prints medians of wall time and peak memory (max RSS), and ratios to friktion.
"""

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchenv import ROOT, friktion_binary


def timed(cmd, cwd=None):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed: {err}")
    return wall, usage.ru_maxrss / 1024  # MiB


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="release")
    ap.add_argument("--kommuner", type=int, default=290)
    ap.add_argument("--respondents", type=int, default=400)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()

    binary = friktion_binary(a.profile)

    work = tempfile.mkdtemp(prefix="friktion-bench-")
    proj = os.path.join(work, "project")
    shutil.copytree(os.path.join(ROOT, "pipelines"), os.path.join(proj, "pipelines"))
    for d in ("sample-data/reference", "sample-data/population"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(proj, d))
    subprocess.run(
        [binary, "synth", "--out", os.path.join(proj, "sample-data"), "--reference", os.path.join(proj, "sample-data/reference"),
         "--kommuner", str(a.kommuner), "--respondents", str(a.respondents), "--log-days", "0", "--projects", "0", "--staff-surveys", "0",
         # Clean input: DuckDB's strict CSV reader refuses a whole file for one short row,
         # which real exports have; the floor must read the same rows friktion does.
         "--dirty-rate", "0"],
        check=True, stdout=subprocess.DEVNULL,
    )
    survey = os.path.join(proj, "sample-data/survey")
    csvs = sorted(os.path.join(survey, f) for f in os.listdir(survey) if f.endswith(".csv"))
    size = sum(os.path.getsize(f) for f in csvs)
    rows = sum(sum(1 for _ in csv.reader(open(f, encoding="utf-8", newline=""), delimiter=";")) - 1 for f in csvs)

    duck = (
        "import duckdb, sys\n"
        "for i, f in enumerate(sys.argv[2:]):\n"
        "    duckdb.sql(f\"COPY (SELECT * FROM read_csv('{f}', delim=';', header=true, all_varchar=true)) "
        "TO '{sys.argv[1]}/d{i}.parquet' (FORMAT parquet, COMPRESSION zstd)\")\n"
    )
    pol = (
        "import polars as pl, sys\n"
        "for i, f in enumerate(sys.argv[2:]):\n"
        "    pl.read_csv(f, separator=';', infer_schema=False).write_parquet(f'{sys.argv[1]}/p{i}.parquet', compression='zstd')\n"
    )
    py = sys.executable
    results = {"friktion": [], "duckdb": [], "polars": []}
    for _ in range(a.runs):
        for d in ("lake", "notebooks-out", "out"):
            shutil.rmtree(os.path.join(proj, d), ignore_errors=True)
        os.makedirs(os.path.join(proj, "out"))
        results["friktion"].append(timed([binary, "run", "--quiet", "--config", os.path.join(proj, "pipelines/nightly.toml")]))
        results["duckdb"].append(timed([py, "-c", duck, os.path.join(proj, "out")] + csvs))
        results["polars"].append(timed([py, "-c", pol, os.path.join(proj, "out")] + csvs))

    med = {k: (statistics.median(w for w, _ in v), statistics.median(m for _, m in v)) for k, v in results.items()}
    fw = med["friktion"][0]
    print(f"input: {len(csvs)} CSV files, {rows} rows, {size / 1e6:.1f} MB; profile {a.profile}; {a.runs} runs")
    print(f"{'engine':<10}{'median s':>10}{'MB/s':>8}{'rows/s':>11}{'peak MiB':>10}{'time vs friktion':>18}")
    for k, (w, m) in med.items():
        print(f"{k:<10}{w:>10.3f}{size / 1e6 / w:>8.1f}{rows / w:>11.0f}{m:>10.0f}{w / fw:>17.2f}x")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
