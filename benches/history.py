"""Whether a night's cost follows the new data or the history the lake keeps: a nightly run
that adds one day of logs and one kommun's staff survey, and one that adds a day of logs alone,
timed on lakes that already hold 1, 30 and 365 days of logs, with the log-log slope of time
against history.

Makes the project with `friktion synth` (290 kommuner, both Vision-style waves and every
kommun's own staff survey, 29 000 projects, and `--log-days` days of NDJSON logs from every
kommun), splits the logs into a file per day (as a system that rotates its log daily leaves
them; the syslog file is left out, its lines carry no year), and holds back some staff surveys.
Then, for each history H: the lake is filled up to H days (untimed), and three nights are timed
that each add the next day's file and one held-back survey, then three that add a day alone. Inputs are cached under
`$TMPDIR/friktion-bench-history` (one project; `--clean` removes it).

    python3 benches/history.py --profile dev --binary target/debug/friktion
"""

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchenv import ROOT, parse_with_binary, provenance, synth_project, timed_run  # noqa: E402

CACHE = os.path.join(tempfile.gettempdir(), "friktion-bench-history")
HISTORIES = (1, 30, 365)
NIGHTS = 3
KINDS = ("a day and a survey", "a day")


def split_by_day(proj):
    """Moves webapps.ndjson into held/logs/webapps-<day>.ndjson, one file per day (the synth
    writes days in order), and drops the syslog file. Returns the days, oldest first."""
    logs = os.path.join(proj, "sample-data/logs")
    held = os.path.join(proj, "held/logs")
    os.makedirs(held, exist_ok=True)
    days, out, current = [], None, None
    with open(os.path.join(logs, "webapps.ndjson"), "rb") as f:
        for line in f:
            at = line.find(b'"@timestamp":"')
            day = line[at + 14:at + 24].decode() if at >= 0 else current
            if day != current:
                if out:
                    out.close()
                current = day
                days.append(day)
                out = open(os.path.join(held, f"webapps-{day}.ndjson"), "wb")
            out.write(line)
    if out:
        out.close()
    os.remove(os.path.join(logs, "webapps.ndjson"))
    for name in os.listdir(logs):
        os.remove(os.path.join(logs, name))
    return days


def hold_surveys(proj, n):
    """Moves n kommuner's staff surveys into held/survey; returns their names."""
    survey = os.path.join(proj, "sample-data/survey")
    held = os.path.join(proj, "held/survey")
    os.makedirs(held, exist_ok=True)
    names = sorted(f for f in os.listdir(survey) if f.startswith("medarbetarenkat-"))[:n]
    for f in names:
        shutil.move(os.path.join(survey, f), os.path.join(held, f))
    return names


def release(proj, kind, name):
    shutil.move(os.path.join(proj, "held", kind, name), os.path.join(proj, "sample-data", kind, name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="dev")
    ap.add_argument("--log-users", type=int, default=2)
    a, binary = parse_with_binary(ap, CACHE)
    total_days = max(HISTORIES) + NIGHTS * len(KINDS)
    proj = os.path.join(CACHE, f"national-d{total_days}-u{a.log_users}")
    shutil.rmtree(CACHE, ignore_errors=True)  # the lake is filled as the script goes: start anew
    synth_project(binary, proj, ["--kommuner", "290", "--respondents", "400", "--staff-surveys", "290",
                                 "--log-days", str(total_days), "--log-kommuner", "0",
                                 "--log-users", str(a.log_users), "--projects", "100"])
    days = split_by_day(proj)
    surveys = hold_surveys(proj, len(HISTORIES) * NIGHTS)
    cfg = os.path.join(proj, "pipelines/nightly.toml")
    day_bytes = statistics.median(os.path.getsize(os.path.join(proj, "held/logs", f"webapps-{d}.ndjson"))
                                  for d in days)
    loaded = 0
    results = {}
    for h in HISTORIES:
        while loaded < h:
            release(proj, "logs", f"webapps-{days[loaded]}.ndjson")
            loaded += 1
        time.sleep(3)  # files written within two seconds of a run are read again the next night
        timed_run(binary, cfg, [])
        for kind in KINDS:
            nights = []
            for _ in range(NIGHTS):
                release(proj, "logs", f"webapps-{days[loaded]}.ndjson")
                if kind == KINDS[0]:
                    release(proj, "survey", surveys.pop())
                loaded += 1
                time.sleep(3)
                nights.append(timed_run(binary, cfg, []))
            results[(kind, h)] = nights

    commit, machine = provenance()
    stages = list(results[(KINDS[0], HISTORIES[0])][0][2])
    med = {k: {s: statistics.median(r[2].get(s, 0.0) for r in v) for s in stages} for k, v in results.items()}
    wall = {k: statistics.median(r[0] for r in v) for k, v in results.items()}

    def slope(f):
        return (math.log(f(HISTORIES[-1])) - math.log(f(HISTORIES[0]))) / (
            math.log(HISTORIES[-1]) - math.log(HISTORIES[0]))

    print(f"commit {commit}; profile {a.profile}; {machine}; a day of logs is {day_bytes / 1e6:.1f} MB; "
          f"medians of {NIGHTS}")
    for kind in KINDS:
        print(f"\nnights adding {kind}")
        print(f"{'stage':<14}" + "".join(f"{f'{h} days':>12}" for h in HISTORIES) + f"{'slope':>8}")
        for s in stages:
            row = [med[(kind, h)][s] for h in HISTORIES]
            sl = slope(lambda h: med[(kind, h)][s]) if min(row) >= 0.05 else float("nan")
            print(f"{s:<14}" + "".join(f"{v:>12.2f}" for v in row) + f"{sl:>8.2f}")
        print(f"{'whole run':<14}" + "".join(f"{wall[(kind, h)]:>12.2f}" for h in HISTORIES)
              + f"{slope(lambda h: wall[(kind, h)]):>8.2f}")
    with open(os.path.join(ROOT, "benches/history.jsonl"), "a") as f:
        f.write(json.dumps({"commit": commit, "profile": a.profile, "machine": machine, "log_users": a.log_users,
                            "day_bytes": day_bytes,
                            "nights": {f"{k} / {h}": v for (k, h), v in results.items()},
                            "medians": {f"{k} / {h}": {"wall": wall[(k, h)], "stages": med[(k, h)]}
                                        for (k, h) in results}}) + "\n")


if __name__ == "__main__":
    main()
