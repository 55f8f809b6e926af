"""A whole national night: `friktion run` against the same night in DuckDB, on the same inputs.

    python3 benches/national.py --profile release --runs 3              # issue 19 part 4
    python3 benches/national.py --profile release --growth 0.0625       # part 5: 1×, 2×, 4×, 8×

Makes a national project with `friktion synth` (290 kommuner; both Vision-style waves and every
kommun's own staff survey, about 1.2 million respondents at --scale 1; a day of logs from every
kommun's systems, about 25 GB of NDJSON plus the sign-in service's syslog, in a file per kommun
as each kommun sends them; 100 projects a
kommun, 29 000 in all), then, each in its own process and on an empty lake:

- friktion: one whole `friktion run` (surveys, logs, the log model, projects, Kolada, every
  mart, data tests, publication, reports), stage times from its JSON log;
- DuckDB: `benches/national_duckdb.py`, the same sources by the same rules and the survey and
  log marts by the project's own model SQL (it has no survival estimators, so projects, Kolada
  and the outcome marts, data tests, publication and reports are friktion's alone).

Before any time is reported the two pipelines' marts are compared: every survey and log mart
must agree to 1e-6 (respondent keys aside: friktion's are HMAC-SHA-256, DuckDB's SHA-256).
Prints per-stage medians, peak memory (max RSS), the whole night's ratio and the ratio over
the stages both do; appends the records to benches/national.jsonl.

With --growth B, makes projects at B, 2B, 4B and 8B of national scale, runs friktion on each
(--runs times) and prints each stage's time at each size and its log-log slope.

Inputs are cached under $TMPDIR/friktion-bench-national, one project at a time (at --scale 1
the logs alone are 25 GB: check the disk); --clean removes them.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchenv import ROOT, ensure_venv, parse_with_binary, provenance, synth_project, timed_run  # noqa: E402

CACHE = os.path.join(tempfile.gettempdir(), "friktion-bench-national")
KEY = "bench-key-0123456789abcdef"
# At scale 1: 8 700 log users a kommun make 25 GB of NDJSON (800 made 2.3 GB); 1 035
# respondents a kommun and wave make 1.2 M with the staff surveys (twice as many a kommun).
LOG_USERS, RESPONDENTS, PROJECTS = 8700, 1035, 100
# friktion's stages that DuckDB does too, and the DuckDB stages they stand against.
COMMON = {"surveys": ["surveys"], "logs": ["logs"], "log model": ["log_model"],
          "sql models": ["models", "reference", "systems"]}
# Each survey and log mart, its key columns and the values that must agree.
MARTS = {
    "friction_by_kommun": (["wave_id", "kommun_kod"], ["n", "n_eff", "mean_minutes", "ci_low", "ci_high"]),
    "friction_by_group": (["wave_id", "dimension", "grp"], ["n", "n_eff", "mean_minutes", "sd_minutes"]),
    "friction_distribution": (["wave_id", "band"], ["n", "weighted_share"]),
    "friction_cost": (["wave_id", "assumption_set"], ["n", "cost_sek", "fte"]),
    "published_figure_check": (["assumption_set"], ["reproduced_cost_sek"]),
    "kommun_benchmark": (["wave_id", "kommun_kod"], ["n", "mean_minutes", "peer_mean_minutes",
                                                      "rank_national", "percentile_national"]),
    "factor_survey_evidence": (["wave_id", "kommun_kod", "factor_id"], ["n", "mean_agreement", "share_agreeing"]),
    "log_friction_by_system": (["level", "system_id", "kommun_kod"],
                               ["user_days", "events", "errors", "failed_logins", "timeouts",
                                "slow_responses", "minutes_lost", "mean_daily_p95_latency_ms"]),
}


def project(binary, scale):
    """The synthetic national project at `scale`; the cache keeps only the newest."""
    users, resp = max(1, round(LOG_USERS * scale)), max(1, round(RESPONDENTS * scale))
    proj = os.path.join(CACHE, f"u{users}-r{resp}")
    if not os.path.exists(os.path.join(proj, "done")):
        shutil.rmtree(CACHE, ignore_errors=True)
        os.makedirs(CACHE)
        t0 = time.perf_counter()
        synth_project(binary, proj, [
            "--kommuner", "290", "--respondents", str(resp), "--staff-surveys", "290", "--log-days", "1",
            "--log-kommuner", "0", "--log-users", str(users), "--log-file-per-kommun", "--projects", str(max(1, round(PROJECTS * scale)))])
        open(os.path.join(proj, "done"), "w").close()
        print(f"synth at scale {scale}: {time.perf_counter() - t0:.0f} s", flush=True)
    return proj


def inputs(proj):
    size = lambda d: sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)  # noqa: E731
    return {"log_bytes": size(os.path.join(proj, "sample-data/logs")),
            "survey_bytes": size(os.path.join(proj, "sample-data/survey"))}


def run_friktion(binary, proj):
    for d in ("lake", "notebooks-out", ".friktion-work"):
        shutil.rmtree(os.path.join(proj, d), ignore_errors=True)
    os.environ["FRIKTION_PSEUDO_KEY"] = KEY
    return timed_run(binary, os.path.join(proj, "pipelines/nightly.toml"), [])


def run_duckdb(proj):
    """(wall, peak MiB, {stage: s}, None) or, when DuckDB failed, the stages it finished and
    its last words: a pipeline that cannot finish the night is a result too."""
    out = os.path.join(proj, "duckdb-out")
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, "benches/national_duckdb.py"), "--project", proj,
                          "--out", out, "--key", KEY], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read().decode()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    stages = {}
    for line in err.splitlines():
        if line.startswith('{"stage"'):
            ev = json.loads(line)
            stages[ev["stage"]] = ev["seconds"]
    failed = None
    if os.waitstatus_to_exitcode(status) != 0:
        failed = err.strip().splitlines()[-1] if err.strip() else f"exit {status}"
        # Its spill files can fill the disk; what it wrote is of no use now.
        shutil.rmtree(out, ignore_errors=True)
    return wall, usage.ru_maxrss / 1024, stages, failed


def same_marts(proj):
    """Each survey and log mart of both pipelines, row by row; exits on any difference."""
    import duckdb

    con = duckdb.connect()
    lake, duck = os.path.join(proj, "lake/marts"), os.path.join(proj, "duckdb-out/marts")
    rows = 0
    for name, (keys, vals) in MARTS.items():
        on = " AND ".join(f"a.{k} IS NOT DISTINCT FROM b.{k}" for k in keys)
        differ = " OR ".join(
            f"(a.{v} IS NULL) <> (b.{v} IS NULL) OR abs(a.{v} - b.{v}) > 1e-6 * greatest(1, abs(a.{v}))" for v in vals)
        only_a, only_b, bad, n = con.sql(f"""
            SELECT count(*) FILTER (WHERE b.{keys[0]} IS NULL AND a.{keys[0]} IS NOT NULL),
                   count(*) FILTER (WHERE a.{keys[0]} IS NULL AND b.{keys[0]} IS NOT NULL),
                   count(*) FILTER (WHERE a.{keys[0]} IS NOT NULL AND b.{keys[0]} IS NOT NULL AND ({differ})),
                   count(*)
            FROM read_parquet('{lake}/{name}/*.parquet') a
            FULL JOIN read_parquet('{duck}/{name}.parquet') b ON {on}""").fetchall()[0]
        if only_a or only_b or bad:
            sys.exit(f"{name}: {only_a} rows only in friktion's, {only_b} only in DuckDB's, {bad} differ")
        rows += n
    # survey_respondent's keys are hashed differently: compare what each wave adds up to.
    q = ("SELECT wave_id, count(*), count(minutes_lost), round(sum(minutes_lost), 6), round(sum(weight), 6), "
         "count(kommun_kod), count(lan_kod) FROM read_parquet('{}') GROUP BY ALL ORDER BY ALL")
    a = con.sql(q.format(f"{lake}/survey_respondent/*.parquet")).fetchall()
    b = con.sql(q.format(f"{duck}/survey_respondent.parquet")).fetchall()
    if a != b:
        sys.exit(f"survey_respondent differs by wave:\nfriktion {a[:3]}\nduckdb   {b[:3]}")
    return rows + len(a)


def slope(xs, ys):
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-3)) for y in ys]
    mx, my = statistics.mean(lx), statistics.mean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def side_by_side(a, binary, meta):
    proj = project(binary, a.scale)
    size = inputs(proj)
    print(f"inputs: {size['log_bytes'] / 1e9:.1f} GB of logs, {size['survey_bytes'] / 1e6:.0f} MB of surveys", flush=True)
    f_runs, d_runs = [], []
    for r in range(a.runs):
        if "friktion" in a.tools or r == 0 and not os.path.exists(os.path.join(proj, "lake")):
            f_runs.append(run_friktion(binary, proj))
            print(f"run {r + 1} friktion: {f_runs[-1][0]:.1f} s, {f_runs[-1][1]:.0f} MiB {f_runs[-1][2]}", flush=True)
        if "duckdb" not in a.tools:
            continue
        d_runs.append(run_duckdb(proj))
        print(f"run {r + 1} duckdb:   {d_runs[-1][0]:.1f} s, {d_runs[-1][1]:.0f} MiB", flush=True)
        if d_runs[-1][3]:
            print(f"DuckDB did not finish the night: {d_runs[-1][3]}\nits finished stages: {d_runs[-1][2]}")
            return {**meta, "bench": "national", "scale": a.scale, **size, "friktion_runs": f_runs,
                    "duckdb_failed": d_runs}
        if r == 0:
            print(f"marts agree: {same_marts(proj)} rows compared", flush=True)
    if not f_runs:
        print(json.dumps({"duckdb_runs": d_runs}))
        return {**meta, "bench": "national", "scale": a.scale, **size, "runs": a.runs, "duckdb_only": d_runs}
    med = lambda runs, s: statistics.median(x[2].get(s, 0.0) for x in runs)  # noqa: E731
    f_stages = {s: med(f_runs, s) for s in f_runs[0][2]}
    f_wall = statistics.median(x[0] for x in f_runs)
    if not d_runs:
        print(f"{meta['commit']}: median {f_wall:.2f} s; stages {json.dumps({s: round(t, 2) for s, t in f_stages.items()})}")
        return {**meta, "bench": "national", "scale": a.scale, **size, "runs": a.runs,
                "friktion": {"wall": f_wall, "peak_mib": max(x[1] for x in f_runs), "stages": f_stages,
                             "all": f_runs}}
    d_stages = {s: med(d_runs, s) for s in d_runs[0][2]}
    d_wall = statistics.median(x[0] for x in d_runs)
    print(f"\n{meta['commit']}; {meta['profile']}; {meta['machine']}; medians of {a.runs}")
    print(f"{'friktion stage':<16}{'s':>8}   {'DuckDB stage':<22}{'s':>8}{'ratio':>8}")
    for s, t in f_stages.items():
        ds = COMMON.get(s)
        dt = sum(d_stages.get(x, 0.0) for x in ds) if ds else None
        right = f"{'+'.join(ds):<22}{dt:>8.2f}{dt / t if t else 0:>8.2f}" if ds else f"{'(friktion only)':<22}"
        print(f"{s:<16}{t:>8.2f}   {right}")
    common_f = sum(f_stages.get(s, 0.0) for s in COMMON)
    common_d = sum(d_stages.values())
    print(f"{'stages both do':<16}{common_f:>8.2f}   {'all':<22}{common_d:>8.2f}{common_d / common_f:>8.2f}")
    print(f"{'whole night':<16}{f_wall:>8.2f}   {'whole pipeline':<22}{d_wall:>8.2f}{d_wall / f_wall:>8.2f}")
    f_rss, d_rss = max(x[1] for x in f_runs), max(x[1] for x in d_runs)
    print(f"{'peak MiB':<16}{f_rss:>8.0f}   {'':<22}{d_rss:>8.0f}")
    return {**meta, "bench": "national", "scale": a.scale, **size, "runs": a.runs,
            "friktion": {"wall": f_wall, "peak_mib": f_rss, "stages": f_stages, "all": f_runs},
            "duckdb": {"wall": d_wall, "peak_mib": d_rss, "stages": d_stages, "all": d_runs},
            "ratio_whole": round(d_wall / f_wall, 3), "ratio_common": round(common_d / common_f, 3)}


def growth(a, binary, meta):
    sizes = [a.growth * m for m in (1, 2, 4, 8)]
    results = []
    for s in sizes:
        proj = project(binary, s)
        runs = [run_friktion(binary, proj) for _ in range(a.runs)]
        stages = {st: statistics.median(r[2].get(st, 0.0) for r in runs) for st in runs[0][2]}
        results.append({"scale": s, **inputs(proj), "wall": statistics.median(r[0] for r in runs),
                        "peak_mib": max(r[1] for r in runs), "stages": stages})
        print(f"scale {s:g}: {results[-1]['wall']:.1f} s, {results[-1]['peak_mib']:.0f} MiB", flush=True)
    print(f"\n{meta['commit']}; {meta['profile']}; {meta['machine']}; medians of {a.runs}")
    print(f"{'stage':<16}" + "".join(f"{f'{m}×':>9}" for m in (1, 2, 4, 8)) + f"{'slope':>8}")
    names = list(results[-1]["stages"])
    slopes = {}
    for st in names + ["whole night"]:
        ys = [r["wall"] if st == "whole night" else r["stages"].get(st, 0.0) for r in results]
        slopes[st] = round(slope(sizes, ys), 3)
        print(f"{st:<16}" + "".join(f"{y:>9.2f}" for y in ys) + f"{slopes[st]:>8.2f}")
    print(f"{'peak MiB':<16}" + "".join(f"{r['peak_mib']:>9.0f}" for r in results))
    return {**meta, "bench": "national_growth", "base_scale": a.growth, "runs": a.runs,
            "results": results, "slopes": slopes}


def main():
    ensure_venv("duckdb", "fastexcel")
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="release")
    ap.add_argument("--scale", type=float, default=1.0, help="share of the issue's national scale")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--growth", type=float, help="time friktion at this scale and 2, 4, 8 times it")
    ap.add_argument("--tools", default="friktion,duckdb",
                    help="'duckdb' times DuckDB alone against the lake of friktion's last run here; "
                         "'friktion' friktion alone")
    ap.add_argument("--commit", help="the commit --binary was built from, when not this checkout's")
    a, binary = parse_with_binary(ap, CACHE)
    commit, machine = provenance()
    meta = {
        "commit": a.commit or commit,
        "profile": a.profile,
        "machine": machine,
        "date": time.strftime("%Y-%m-%d"),
    }
    rec = growth(a, binary, meta) if a.growth else side_by_side(a, binary, meta)
    with open(os.path.join(ROOT, "benches/national.jsonl"), "a") as f:
        f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
