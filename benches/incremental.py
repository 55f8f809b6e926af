"""What a night costs when nothing is new: the whole `friktion run` on a national-scale lake
that already holds every source, by stage, with and without `--verify`.

Makes the national project of issue 19 with `friktion synth` (290 kommuner, both Vision-style
waves and every kommun's own staff survey, a day of logs from every kommun, 29 000 projects),
loads it once (the first night, timed), then times unchanged nights:

- `friktion run`: a source whose size, modification time and settings are those the ledger
  saw last is skipped unread;
- `friktion run --verify`: every source file is hashed, as every night did before the ledger
  kept sizes and times.

Stage times come from the run's own JSON log (`--log-format json`). Inputs are cached under
`$TMPDIR/friktion-bench-incremental` (one project; `--clean` removes it).

    python3 benches/incremental.py --profile dev --runs 3
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchenv import ROOT, parse_with_binary, provenance, synth_project, timed_run  # noqa: E402

CACHE = os.path.join(tempfile.gettempdir(), "friktion-bench-incremental")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="dev")
    ap.add_argument("--log-users", type=int, default=800)
    ap.add_argument("--runs", type=int, default=3)
    a, binary = parse_with_binary(ap, CACHE)
    proj = os.path.join(CACHE, f"national-u{a.log_users}")
    if not os.path.exists(os.path.join(proj, "done")):
        shutil.rmtree(CACHE, ignore_errors=True)  # one project at a time: the cache stays small
    if synth_project(binary, proj, ["--kommuner", "290", "--respondents", "400", "--staff-surveys", "290",
                                    "--log-days", "1", "--log-kommuner", "0", "--log-users", str(a.log_users),
                                    "--projects", "100"]):
        open(os.path.join(proj, "done"), "w").close()
    # A file written within two seconds of the run that read it is read again next time (its
    # time is not trusted); a freshly made project waits that out once.
    time.sleep(3)
    cfg = os.path.join(proj, "pipelines/nightly.toml")
    for d in ("lake", "notebooks-out", ".friktion-work", "reports"):
        shutil.rmtree(os.path.join(proj, d), ignore_errors=True)
    first = timed_run(binary, cfg, [])
    nights = {"unchanged": [], "unchanged --verify": []}
    for _ in range(a.runs):
        nights["unchanged"].append(timed_run(binary, cfg, []))
        nights["unchanged --verify"].append(timed_run(binary, cfg, ["--verify"]))

    commit, machine = provenance()
    stages = list(first[2])
    print(f"commit {commit}; profile {a.profile}; {machine}; unchanged nights: medians of {a.runs}")
    print(f"{'stage':<14}{'first night':>12}" + "".join(f"{k:>22}" for k in nights))
    med = {k: {s: statistics.median(r[2].get(s, 0.0) for r in v) for s in stages} for k, v in nights.items()}
    for s in stages:
        print(f"{s:<14}{first[2][s]:>12.2f}" + "".join(f"{med[k][s]:>22.2f}" for k in nights))
    walls = {k: statistics.median(r[0] for r in v) for k, v in nights.items()}
    rss = {k: max(r[1] for r in v) for k, v in nights.items()}
    print(f"{'whole run':<14}{first[0]:>12.2f}" + "".join(f"{walls[k]:>22.2f}" for k in nights))
    print(f"{'peak MiB':<14}{first[1]:>12.0f}" + "".join(f"{rss[k]:>22.0f}" for k in nights))
    with open(os.path.join(ROOT, "benches/incremental.jsonl"), "a") as f:
        f.write(json.dumps({"commit": commit, "profile": a.profile, "machine": machine,
                            "log_users": a.log_users, "first": first,
                            "nights": nights, "medians": {"wall": walls, "stages": med}}) + "\n")


if __name__ == "__main__":
    main()
