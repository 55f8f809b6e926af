"""friktion serve against PostgreSQL 15 on the same tables, through the same clients.

    python3 benches/serve_vs_postgres.py [--profile release] [--runs 5] [--repeat 20]

(psycopg comes from the project's .venv, made on first use from python/requirements.txt;
PostgreSQL 15 from Debian's postgresql-15, run as the postgres user.)

Makes a lake with about a million IT events (`friktion synth` logs of 12 kommuner, 100 users,
20 days) and the demo's marts (cached in $TMPDIR/friktion-bench-serve), serves it with
`friktion serve`, and loads the same tables (it_event and the marts queried) into a
PostgreSQL 15 cluster made for the run (no indexes: both servers scan). Both listen on
loopback with SCRAM-SHA-256 and no TLS. Then times, medians of --runs (each itself the median
of --repeat executions for the small queries):

- typical mart queries through psycopg on an open connection;
- fetching all of it_event: psql `COPY (SELECT * FROM it_event) TO STDOUT` into /dev/null,
  and psycopg `fetchall()`.

Prints and appends to benches/serve.jsonl, with ratios (PostgreSQL time / friktion time:
above 1 means friktion is faster).
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

from benchenv import ROOT, ensure_venv, friktion_binary

ensure_venv("psycopg", "duckdb")

import duckdb  # noqa: E402
import psycopg  # noqa: E402

PASSWORD = "bench-password-0123"
PG_BIN = "/usr/lib/postgresql/15/bin"
QUERIES = {
    "mart, whole": "SELECT * FROM friction_by_kommun",
    "mart, filtered and sorted": "SELECT kommun_name, mean_minutes FROM friction_by_kommun WHERE wave_id = 'vision-2019' ORDER BY mean_minutes DESC",
    "mart, aggregate": "SELECT wave_id, count(*), avg(mean_minutes) FROM friction_by_kommun GROUP BY wave_id",
    "events, count by system": "SELECT system_id, count(*) FROM it_event GROUP BY system_id ORDER BY system_id",
    "events, errors by kommun and day": "SELECT kommun_kod, day, count(*) FROM it_event WHERE event_type = 'error' GROUP BY kommun_kod, day ORDER BY 1, 2",
}
PG_TABLES = ["it_event", "friction_by_kommun"]


def pg_type(duck_type):
    t = duck_type.upper()
    for k, v in [("TIMESTAMP WITH TIME ZONE", "timestamptz"), ("TIMESTAMP", "timestamp"), ("DATE", "date"),
                 ("BIGINT", "bigint"), ("INTEGER", "integer"), ("SMALLINT", "smallint"), ("DOUBLE", "double precision"),
                 ("FLOAT", "real"), ("BOOLEAN", "boolean"), ("VARCHAR", "text")]:
        if t.startswith(k):
            return v
    return "text"


def lake(binary, cache):
    proj = os.path.join(cache, "project")
    if os.path.exists(os.path.join(proj, "lake", "marts")):
        return proj
    shutil.rmtree(proj, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "pipelines"), os.path.join(proj, "pipelines"))
    for d in ("sample-data/reference", "sample-data/population"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(proj, d))
    subprocess.run([binary, "synth", "--out", os.path.join(proj, "sample-data"),
                    "--reference", os.path.join(proj, "sample-data/reference"),
                    "--log-kommuner", "12", "--log-users", "100", "--log-days", "20"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary, "run", "-q", "--config", "pipelines/nightly.toml"], cwd=proj, check=True)
    return proj


def start_friktion(binary, proj, port):
    acc = os.path.join(proj, "accounts.toml")
    if not os.path.exists(acc):
        subprocess.run([binary, "serve", "user", "add", "bench", "--role", "analyst", "--accounts", acc],
                       input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    p = subprocess.Popen([binary, "serve", "--lake", "lake", "--accounts", acc, "--listen", f"127.0.0.1:{port}",
                          "--query-memory-mb", "4096"], cwd=proj, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    if "listening" not in line:
        sys.exit(f"friktion serve did not start: {line}{p.stderr.read()}")
    return p


def start_postgres(work, port, proj):
    data = os.path.join(work, "pgdata")
    os.makedirs(work, exist_ok=True)
    shutil.chown(work, "postgres")
    pwfile = os.path.join(work, "pw")
    with open(pwfile, "w") as f:
        f.write(PASSWORD)
    shutil.chown(pwfile, "postgres")
    run_pg = lambda *cmd: subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, stdout=subprocess.DEVNULL)
    run_pg(f"{PG_BIN}/initdb", "-D", data, "-U", "bench", "--pwfile", pwfile, "--auth=scram-sha-256", "-E", "UTF8")
    run_pg(f"{PG_BIN}/pg_ctl", "-D", data, "-l", os.path.join(work, "pg.log"), "-w", "start",
           "-o", f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c work_mem=64MB")
    dsn = f"host=127.0.0.1 port={port} user=bench password={PASSWORD} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as c:
        for t in PG_TABLES:
            src = os.path.join(proj, "lake", t if t == "it_event" else f"marts/{t}")
            glob = f"{src}/**/*.parquet"
            rel = duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true)")
            cols = ", ".join(f'"{n}" {pg_type(str(ty))}' for n, ty in zip(rel.columns, rel.types))
            c.execute(f"CREATE TABLE {t} ({cols})")
            csv = os.path.join(work, f"{t}.csv")
            duckdb.sql(f"COPY (SELECT * FROM read_parquet('{glob}', hive_partitioning=true)) TO '{csv}' (HEADER, DELIMITER ',')")
            with c.cursor().copy(f"COPY {t} FROM STDIN WITH (FORMAT csv, HEADER)") as cp:
                with open(csv, "rb") as f:
                    while chunk := f.read(1 << 20):
                        cp.write(chunk)
            c.execute(f"ANALYZE {t}")
    return data, dsn


def latency(dsn, sql, repeat):
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(sql).fetchall()  # warm
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            c.execute(sql).fetchall()
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def fetch_psql(dsn):
    t = time.perf_counter()
    with open(os.devnull, "wb") as null:
        subprocess.run(["psql", dsn, "-X", "-c", "COPY (SELECT * FROM it_event) TO STDOUT"], stdout=null, check=True)
    return time.perf_counter() - t


def fetch_psycopg(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        t = time.perf_counter()
        rows = c.execute("SELECT * FROM it_event").fetchall()
        return time.perf_counter() - t, len(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="release")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=20)
    a = ap.parse_args()
    binary = friktion_binary(a.profile)
    cache = os.path.join(tempfile.gettempdir(), "friktion-bench-serve")
    proj = lake(binary, cache)
    work = tempfile.mkdtemp(prefix="friktion-bench-pg-")
    fr = start_friktion(binary, proj, 55433)
    data = None
    try:
        data, pg_dsn = start_postgres(work, 55432, proj)
        fr_dsn = f"host=127.0.0.1 port=55433 user=bench password={PASSWORD} dbname=friktion"
        servers = {"friktion": fr_dsn, "postgresql": pg_dsn}
        results = {}
        for name, sql in QUERIES.items():
            for s, dsn in servers.items():
                results[(name, s)] = statistics.median(latency(dsn, sql, a.repeat) for _ in range(a.runs))
        rows = {}
        for s, dsn in servers.items():
            results[("fetch it_event, psql COPY TO STDOUT", s)] = statistics.median(fetch_psql(dsn) for _ in range(a.runs))
            fetched = [fetch_psycopg(dsn) for _ in range(a.runs)]
            results[("fetch it_event, psycopg fetchall", s)] = statistics.median(t for t, _ in fetched)
            rows[s] = fetched[0][1]
        if rows["friktion"] != rows["postgresql"]:
            sys.exit(f"the servers returned different row counts: {rows}")
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"
        print(f"it_event: {rows['friktion']} rows; medians of {a.runs} runs; commit {commit}; {machine}")
        print(f"{'measure':<40} {'friktion':>12} {'PostgreSQL 15':>14} {'ratio':>7}")
        with open(os.path.join(ROOT, "benches", "serve.jsonl"), "a") as out:
            for name in [*QUERIES, "fetch it_event, psql COPY TO STDOUT", "fetch it_event, psycopg fetchall"]:
                f, p = results[(name, "friktion")], results[(name, "postgresql")]
                print(f"{name:<40} {f * 1e3:>10.1f}ms {p * 1e3:>12.1f}ms {p / f:>7.2f}")
                out.write(json.dumps({"measure": name, "friktion_s": f, "postgresql_s": p, "ratio_pg_over_friktion": p / f,
                                      "rows": rows["friktion"], "runs": a.runs, "profile": a.profile, "commit": commit,
                                      "machine": machine}) + "\n")
    finally:
        fr.terminate()
        if data:
            subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D", data, "-m", "fast", "stop"],
                           stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
