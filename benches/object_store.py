"""The whole nightly run with the lake on local disk against the lake on S3-compatible object
storage (moto's server on loopback, from PyPI), on the same national-scale synthetic project.

Makes the project with `friktion synth` (all 290 kommuner: surveys, project portfolios, logs),
then times, each in its own process and on an empty lake each time:

- `friktion run` into `lake/` on local disk;
- `friktion run` into `s3://friktion-bench/lake-<n>` on moto;
- an unchanged second night on each (every source skipped; models, publication, report).

moto keeps objects in its own Python process's memory and answers one request at a time, so
the object-store numbers are an upper bound on the overhead a real store on a LAN adds to the
same requests; the request count is what carries over.

    .venv/bin/python benches/object_store.py --profile dev --runs 3
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchenv import (ROOT, ensure_venv, free_port, friktion_binary, run_measured,  # noqa: E402
                      synth_project, wait_port)

ensure_venv("moto", "boto3")

import boto3  # noqa: E402

CACHE = os.path.join(tempfile.gettempdir(), "friktion-bench-object-store")


def make_project(binary, a):
    proj = os.path.join(CACHE, f"k{a.kommuner}-d{a.log_days}-u{a.log_users}")
    if synth_project(binary, proj, ["--kommuner", str(a.kommuner), "--log-kommuner", "0",
                                    "--log-days", str(a.log_days), "--log-users", str(a.log_users)]):
        open(os.path.join(proj, "done"), "w").close()
    return proj


def input_size(proj):
    total = 0
    for d, _, files in os.walk(os.path.join(proj, "sample-data")):
        if "reference" not in d:
            total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="dev")
    ap.add_argument("--kommuner", type=int, default=290)
    ap.add_argument("--log-days", type=int, default=2)
    ap.add_argument("--log-users", type=int, default=12)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--binary", help="a friktion binary already built (skips the build)")
    a = ap.parse_args()
    binary = a.binary or friktion_binary(a.profile)
    proj = make_project(binary, a)
    cfg_local = os.path.join(proj, "pipelines/nightly.toml")
    base = open(cfg_local).read()

    port = free_port()
    moto = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    wait_port(port, moto, "moto_server")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench-secret")
    boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench-secret",
                 region_name="eu-north-1").create_bucket(
        Bucket="friktion-bench", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})

    results = {k: [] for k in ("local first", "local unchanged", "s3 first", "s3 unchanged")}
    try:
        for i in range(a.runs):
            for d in ("lake", "notebooks-out", ".friktion-work"):
                shutil.rmtree(os.path.join(proj, d), ignore_errors=True)
            cmd = [binary, "run", "--quiet", "--config", cfg_local]
            results["local first"].append(run_measured(cmd, env=env)[0])
            results["local unchanged"].append(run_measured(cmd, env=env)[0])
            cfg_s3 = os.path.join(proj, "pipelines/nightly-s3.toml")
            with open(cfg_s3, "w") as f:
                f.write(base.replace('lake = "lake"', f'lake = "s3://friktion-bench/lake-{i}"'))
                f.write(f'\n[object_store]\nendpoint = "{endpoint}"\nregion = "eu-north-1"\nallow_http = true\n')
            cmd = [binary, "run", "--quiet", "--config", cfg_s3]
            results["s3 first"].append(run_measured(cmd, env=env)[0])
            results["s3 unchanged"].append(run_measured(cmd, env=env)[0])
    finally:
        moto.terminate()
        moto.wait()

    size = input_size(proj)
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"input: {size / 1e6:.0f} MB of survey, project, Kolada and log files for {a.kommuner} kommuner; "
          f"profile {a.profile}; {a.runs} runs; medians")
    print(f"{'run':<18}{'median s':>10}{'vs local':>10}")
    for k, v in med.items():
        ref = med["local first"] if "first" in k else med["local unchanged"]
        print(f"{k:<18}{v:>10.2f}{v / ref:>9.2f}x")
    with open(os.path.join(ROOT, "benches/object_store.jsonl"), "a") as f:
        f.write(json.dumps({"profile": a.profile, "kommuner": a.kommuner, "log_days": a.log_days,
                            "input_mb": round(size / 1e6), "runs": results, "medians": med}) + "\n")


if __name__ == "__main__":
    main()
