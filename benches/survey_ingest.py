"""Survey ingest throughput: friktion against DuckDB and polars on the same input.

    python benches/survey_ingest.py [--profile release] [--kommuner 290] [--respondents 400] [--runs 5]
                                    [--one-export] [--without-run]

Makes a synthetic survey with `friktion synth` (both Vision-style waves as CSV, and every
kommun's own staff survey as an XLSX workbook), then times, each in its own process:
- `friktion ingest survey` of the CSVs into a fresh lake (decode, map labels, resolve kommuner,
  pseudonymise, redact, weight by post-stratification, quarantine, Parquet for survey_response
  and survey_answer, ledger) — the survey stage of the night, and nothing after;
- `friktion run`: the whole night on the same CSVs (adds the models, data tests and report);
- DuckDB and polars: read the same CSVs (`;`) and write them to Parquet as they are. They do
  far less: no mapping, no validation, no pseudonyms. They are a floor, not a like-for-like rival;
- workbooks: `friktion ingest survey` of the staff surveys' XLSX files, against calamine
  reading the same sheets (fastexcel, calamine's Python binding, into Arrow): the floor for
  reading a workbook at all.
Prints medians of wall time and peak memory (max RSS), and ratios to `friktion ingest`.
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

from benchenv import ROOT, ensure_venv, parse_with_binary


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
    ap.add_argument("--staff-surveys", type=int, default=290)
    ap.add_argument("--one-export", action="store_true",
                    help="time the first wave's CSV alone (one large export, as for 'a 1 GB export')")
    ap.add_argument("--without-run", action="store_true", help="skip the whole night (`friktion run`)")
    ensure_venv("duckdb", "polars", "fastexcel")
    a, binary = parse_with_binary(ap, os.path.join(tempfile.gettempdir(), "friktion-bench-survey"))

    work = tempfile.mkdtemp(prefix="friktion-bench-")
    proj = os.path.join(work, "project")
    shutil.copytree(os.path.join(ROOT, "pipelines"), os.path.join(proj, "pipelines"))
    for d in ("sample-data/reference", "sample-data/population"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(proj, d))
    subprocess.run(
        [binary, "synth", "--out", os.path.join(proj, "sample-data"), "--reference", os.path.join(proj, "sample-data/reference"),
         "--kommuner", str(a.kommuner), "--respondents", str(a.respondents), "--log-days", "0", "--projects", "0", "--staff-surveys", str(a.staff_surveys),
         # Clean input: DuckDB's strict CSV reader refuses a whole file for one short row,
         # which real exports have; the floor must read the same rows friktion does.
         "--dirty-rate", "0"],
        check=True, stdout=subprocess.DEVNULL,
    )
    survey = os.path.join(proj, "sample-data/survey")
    csvs = sorted(os.path.join(survey, f) for f in os.listdir(survey) if f.endswith(".csv"))
    if a.one_export:
        for f in csvs[1:]:
            os.remove(f)
        csvs = csvs[:1]
    size = sum(os.path.getsize(f) for f in csvs)
    rows = sum(sum(1 for _ in csv.reader(open(f, encoding="utf-8", newline=""), delimiter=";")) - 1 for f in csvs)
    xlsx = sorted(os.path.join(survey, f) for f in os.listdir(survey) if f.endswith(".xlsx"))
    xlsx_size = sum(os.path.getsize(f) for f in xlsx)
    cfg = os.path.join(proj, "pipelines/nightly.toml")
    # The night's config without the workbooks, so that `friktion run` reads the CSVs only.
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text.replace('files = "sample-data/survey/medarbetarenkat-*.xlsx"', 'files = "sample-data/survey/none-*.xlsx"'))
    ingest_csv = [binary, "ingest", "survey", "--quiet", "--config", cfg, "--instrument",
                  os.path.join(proj, "pipelines/instruments/vision-it-strul.toml"), "--population",
                  os.path.join(proj, "sample-data/population/anstallda-2019.csv"), *csvs]
    ingest_xlsx = [binary, "ingest", "survey", "--quiet", "--config", cfg, "--instrument",
                   os.path.join(proj, "pipelines/instruments/medarbetarenkat-it.toml"), *xlsx]
    calamine = (
        "import fastexcel, sys\n"
        "n = 0\n"
        "for f in sys.argv[1:]:\n"
        "    n += fastexcel.read_excel(f).load_sheet('Svar', header_row=2, dtypes='string').to_arrow().num_rows\n"
        "print(n)\n"
    )

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
    fresh = lambda: [shutil.rmtree(os.path.join(proj, d), ignore_errors=True) for d in ("lake", "notebooks-out")]  # noqa: E731
    results = {"friktion ingest": [], "friktion run": [], "duckdb": [], "polars": []}
    if a.without_run:
        del results["friktion run"]
    books = {"friktion ingest": [], "calamine": []} if xlsx else {}
    for _ in range(a.runs):
        shutil.rmtree(os.path.join(proj, "out"), ignore_errors=True)
        os.makedirs(os.path.join(proj, "out"))
        fresh()
        results["friktion ingest"].append(timed(ingest_csv))
        if not a.without_run:
            fresh()
            results["friktion run"].append(timed([binary, "run", "--quiet", "--config", cfg]))
        results["duckdb"].append(timed([py, "-c", duck, os.path.join(proj, "out")] + csvs))
        results["polars"].append(timed([py, "-c", pol, os.path.join(proj, "out")] + csvs))
        if xlsx:
            fresh()
            books["friktion ingest"].append(timed(ingest_xlsx))
            books["calamine"].append(timed([py, "-c", calamine] + xlsx))

    def table(title, res, size, rows):
        med = {k: (statistics.median(w for w, _ in v), statistics.median(m for _, m in v)) for k, v in res.items()}
        fw = med["friktion ingest"][0]
        print(title)
        print(f"{'engine':<16}{'median s':>10}{'MB/s':>8}{'rows/s':>11}{'peak MiB':>10}{'time vs ingest':>16}")
        for k, (w, m) in med.items():
            print(f"{k:<16}{w:>10.3f}{size / 1e6 / w:>8.1f}{rows / w:>11.0f}{m:>10.0f}{w / fw:>15.2f}x")

    print(f"profile {a.profile}; medians of {a.runs} runs")
    table(f"{len(csvs)} CSV files, {rows} rows, {size / 1e6:.1f} MB", results, size, rows)
    if xlsx:
        book_rows = len(xlsx) * a.respondents * 2
        table(f"{len(xlsx)} XLSX workbooks, about {book_rows} rows, {xlsx_size / 1e6:.1f} MB", books, xlsx_size, book_rows)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
