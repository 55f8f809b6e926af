"""The SQL models on the local engine against an Apache Ballista cluster on this machine (one
executor, then two), on the same national-scale lake; and from the measured throughput, how
many executors a year of national logs needs.

Makes a 290-kommun project with `friktion synth` (with system logs from every kommun), fills
its lake with one `friktion run`, then times `friktion models run` (every model, nothing
ingested; each run in its own process):

- local: this process's DataFusion, one partition (as the nightly run);
- ballista-1: `friktion scheduler` and one `friktion executor` (2 tasks) on loopback;
- ballista-2: the same with two executors of one task each (the same two cores, shuffled
  between processes);

and, the same three ways, a researcher's query over every log event (`friktion sql`: events,
errors and latency by kommun, system and day), the query whose input grows with the years of
logs kept, for the events per second one executor scans.

    .venv/bin/python benches/cluster.py --profile dev --runs 3

Inputs are cached under $TMPDIR/friktion-bench-cluster (one project; --clean removes it).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchenv import ROOT, free_port, parse_with_binary, run_measured, synth_project, wait_port  # noqa: E402

CACHE = os.path.join(tempfile.gettempdir(), "friktion-bench-cluster")


def make_project(binary, a):
    proj = os.path.join(CACHE, f"k{a.kommuner}-d{a.log_days}-u{a.log_users}-r{a.respondents}-s{a.staff_surveys}-p{a.projects}")
    if not os.path.exists(os.path.join(proj, "done")):
        shutil.rmtree(CACHE, ignore_errors=True)  # one project at a time: the cache stays small
    if synth_project(binary, proj, [
            "--kommuner", str(a.kommuner), "--log-kommuner", "0", "--log-days", str(a.log_days),
            "--log-users", str(a.log_users), "--respondents", str(a.respondents),
            "--staff-surveys", str(a.staff_surveys), "--projects", str(a.projects)]):
        run_measured([binary, "run", "--quiet", "--config", os.path.join(proj, "pipelines/nightly.toml")])
        open(os.path.join(proj, "done"), "w").close()
    return proj


class Cluster:
    """A scheduler and executors as `friktion` processes on loopback."""

    def __init__(self, binary, executors, tasks, work):
        self.procs = []
        port = free_port()
        self.url = f"df://127.0.0.1:{port}"
        self.spawn([binary, "scheduler", "--listen", f"127.0.0.1:{port}"], port, "scheduler")
        for i in range(executors):
            flight, grpc = free_port(), free_port()
            d = os.path.join(work, f"executor-{i}")
            os.makedirs(d, exist_ok=True)
            self.spawn([binary, "executor", "--scheduler", self.url, "--flight-port", str(flight),
                        "--grpc-port", str(grpc), "--tasks", str(tasks), "--work-dir", d], flight, f"executor-{i}")
        time.sleep(1)  # registration

    def spawn(self, cmd, port, name):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        wait_port(port, p, name)

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait()


def lake_rows(binary, proj):
    out = subprocess.run([binary, "lake", "describe", "--lake", os.path.join(proj, "lake"), "--json"],
                         check=True, capture_output=True, text=True).stdout
    return {t["name"]: t["rows"] for t in json.loads(out) if t["kind"] != "mart"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="dev")
    ap.add_argument("--kommuner", type=int, default=290)
    ap.add_argument("--log-days", type=int, default=1)
    ap.add_argument("--log-users", type=int, default=100)
    ap.add_argument("--respondents", type=int, default=400)
    ap.add_argument("--staff-surveys", type=int, default=290)
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    a, binary = parse_with_binary(ap, CACHE)
    proj = make_project(binary, a)
    cfg = os.path.join(proj, "pipelines/nightly.toml")
    rows = lake_rows(binary, proj)

    lake = os.path.join(proj, "lake")
    scan = ("SELECT kommun_kod, system_id, day, count(*) AS events, sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) "
            "AS errors, avg(latency_ms) AS latency FROM it_event GROUP BY kommun_kod, system_id, day")
    engines = (("local", 0, 0), ("ballista-1", 1, 2), ("ballista-2", 2, 1))
    results = {(job, e[0]): [] for job in ("models", "log scan") for e in engines}
    work = tempfile.mkdtemp(prefix="friktion-cluster-", dir=CACHE)
    try:
        for name, executors, tasks in engines:
            c = Cluster(binary, executors, tasks, work) if executors else None
            flags = ["--engine", "ballista", "--scheduler", c.url, "--partitions", "2"] if c else []
            try:
                for _ in range(a.runs):
                    results[("models", name)].append(
                        run_measured([binary, "models", "run", "--config", cfg, *flags])[0])
                    results[("log scan", name)].append(
                        run_measured([binary, "sql", "--lake", lake, "--format", "csv", "--output", os.devnull,
                                      "-e", scan, *flags])[0])
            finally:
                if c:
                    c.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in results.items()}
    events = rows.get("it_event", 0)
    print(f"lake: {events:,} log events, {rows.get('survey_response', 0):,} survey responses, "
          f"{rows.get('project', 0):,} projects ({a.kommuner} kommuner); profile {a.profile}; {a.runs} runs; medians")
    print(f"{'job':<10}{'engine':<12}{'median s':>10}{'vs local':>10}{'events/s':>14}")
    for (job, eng), v in med.items():
        print(f"{job:<10}{eng:<12}{v:>10.2f}{v / med[(job, 'local')]:>9.2f}x{events / v:>14,.0f}")
    with open(os.path.join(ROOT, "benches/cluster.jsonl"), "a") as f:
        f.write(json.dumps({"profile": a.profile, "kommuner": a.kommuner, "log_days": a.log_days,
                            "log_users": a.log_users, "respondents": a.respondents, "rows": rows,
                            "runs": {f"{j} {e}": v for (j, e), v in results.items()},
                            "medians": {f"{j} {e}": v for (j, e), v in med.items()}}) + "\n")


if __name__ == "__main__":
    main()
