"""What a night with nothing new costs as the ledger grows: `friktion run` on a lake whose
`_ledger` holds 0 to --files extra files, as years of nights leave it (issue 19 part 3).

Makes a small national project once (290 kommuner, every kommun's staff survey, a day of logs;
cached under $TMPDIR/friktion-bench-ledger), loads it, then for each ledger size pads `_ledger`
with copies of the first night's ledger files (each load writes one; a year of nightly log
files from 290 kommuner is ~100 000) and times unchanged nights, each its own process:

- the first night after padding (a binary that compacts the ledger does it then);
- the median of --runs nights after it.

    python3 benches/ledger.py --binary target/release/friktion --sizes 0,1000,10000,100000
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

CACHE = os.path.join(tempfile.gettempdir(), "friktion-bench-ledger")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="release")
    ap.add_argument("--sizes", default="0,1000,10000,100000", help="extra ledger files to pad with")
    ap.add_argument("--runs", type=int, default=3)
    a, binary = parse_with_binary(ap, CACHE)
    proj = os.path.join(CACHE, "project")
    if synth_project(binary, proj, ["--kommuner", "290", "--respondents", "20", "--staff-surveys", "290",
                                    "--log-days", "1", "--log-kommuner", "0", "--log-users", "2",
                                    "--projects", "10"]):
        open(os.path.join(proj, "done"), "w").close()
    time.sleep(3)  # a file written within two seconds of the run that read it is read again
    cfg = os.path.join(proj, "pipelines/nightly.toml")
    commit, machine = provenance()
    print(f"commit {commit}; binary {binary}; {machine}")
    print(f"{'extra files':>12}{'files after':>13}{'first night s':>15}{'then, median s':>16}{'peak MiB':>10}")
    for size in (int(s) for s in a.sizes.split(",")):
        for d in ("lake", "notebooks-out", ".friktion-work", "reports"):
            shutil.rmtree(os.path.join(proj, d), ignore_errors=True)
        timed_run(binary, cfg, [])
        ledger = os.path.join(proj, "lake/_ledger")
        first = sorted(os.listdir(ledger))
        for i in range(size):
            src = os.path.join(ledger, first[i % len(first)])
            os.link(src, os.path.join(ledger, f"part-padding-{i}.parquet"))
        once = timed_run(binary, cfg, [])
        nights = [timed_run(binary, cfg, []) for _ in range(a.runs)]
        after = len(os.listdir(ledger))
        wall = statistics.median(n[0] for n in nights)
        rss = max(n[1] for n in [once, *nights])
        print(f"{size:>12}{after:>13}{once[0]:>15.2f}{wall:>16.2f}{rss:>10.0f}", flush=True)
        with open(os.path.join(ROOT, "benches/ledger.jsonl"), "a") as f:
            f.write(json.dumps({"commit": commit, "binary": binary, "machine": machine, "extra_files": size,
                                "files_after": after, "first_night_s": round(once[0], 3),
                                "nights_s": [round(n[0], 3) for n in nights], "median_s": round(wall, 3),
                                "peak_rss_mib": round(rss), "date": time.strftime("%Y-%m-%d")}) + "\n")


if __name__ == "__main__":
    main()
