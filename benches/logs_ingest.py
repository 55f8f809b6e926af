"""Log ingest throughput: friktion against DuckDB and polars doing the same normalisation.

    python3 benches/logs_ingest.py [--profile release] [--gb 1.0] [--runs 3] [--formats ndjson,syslog,w3c,clf]

(DuckDB and polars come from the project's .venv, made on first use from python/requirements.txt.)

Makes NDJSON and syslog logs of at least --gb gigabytes each with `friktion synth` (cached in
--work between runs), and the same events as IIS writes them (W3C extended: `#Fields:`, UTC,
time-taken in ms, no session or message) and as Apache writes them (vhost_combined with the
response time appended as `rt=` seconds), then times, each in its own process and into a
fresh output directory:

- friktion: `friktion ingest logs FILE` (what the nightly run does with a [[logs]] source, and
  nothing after): detect the format, parse, resolve system,
  kommun and verksamhet from the systems catalogue, classify the event, HMAC the user and the
  session, redact personnummer and e-mail from messages and paths, write it_event partitioned
  by Stockholm day with lineage (file and line), quarantine, ledger, and then the friction
  model (it_friction_daily);
- DuckDB (read_json / read_csv) and polars (scan_ndjson / scan_csv -> sink_parquet): the same
  columns by the same rules in SQL and expressions (W3C by the CSV readers with space as the
  delimiter and `#` lines as comments; Apache by one regex per line, as neither has a reader
  for it): kommun from the host, system and
  verksamhet by path prefix, event type by event, status and per-system slow threshold,
  SHA-256 (DuckDB) or a 64-bit hash (polars, which has no SHA-256) of key and user, the same
  redaction regexes, Stockholm day, zstd Parquet partitioned by day. They skip what they
  cannot express: line numbers, quarantine, the ledger and the friction model.

Prints and appends to --out (JSON lines) medians of wall time, throughput (MB/s of input,
events/s) and peak memory (max RSS), with ratios to friktion.
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

from benchenv import EMAIL, PNR, ROOT, ensure_venv, parse_with_binary, run_measured


KEY = "bench-key-0123456789abcdef"
# system id, path prefix, verksamhet, slow_ms: as in pipelines/systems.toml.
SYSTEMS = [
    ("lifecare", "/lifecare", "aldreomsorg", 2000),
    ("treserva", "/treserva", "ifo", 3000),
    ("skola24", "/skola24", "skola", 1500),
    ("heroma", "/heroma", "administration", 2500),
]




# friktion's is_login_path: a 401 there is a failed sign-in, elsewhere a lost session.
LOGIN_PATH = "login|logon|signin|sign-in|auth|sso|saml"
W3C_FIELDS = "date time cs-host cs-method cs-uri-stem cs-uri-query cs-username c-ip sc-status time-taken"
CLF_RX = r'^(\S+?)(?::\d+)? \S+ \S+ (\S+) \[([^\]]+)\] "(\S+) (\S+)[^"]*" (\d{3}) \S+ "[^"]*" "[^"]*" rt=([0-9.]+)$'
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def derive_w3c_clf(ndjson, w3c, clf):
    """The NDJSON events as an IIS W3C log and an Apache vhost_combined log (same events, same
    order), written once and cached."""
    import datetime

    with open(ndjson) as src, open(w3c + ".tmp", "w") as w, open(clf + ".tmp", "w") as c:
        w.write(f"#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: {W3C_FIELDS}\n")
        for line in src:
            e = json.loads(line)
            t = datetime.datetime.fromisoformat(e["@timestamp"])
            u = t.astimezone(datetime.timezone.utc)
            path, _, query = e["path"].partition("?")
            w.write(f"{u:%Y-%m-%d %H:%M:%S} {e['host']} GET {path} {query or '-'} {e['user'] or '-'} "
                    f"10.0.0.1 {e['http_status']} {e['duration_ms']}\n")
            off = t.strftime("%z")
            c.write(f"{e['host']}:443 10.0.0.1 - {e['user'] or '-'} "
                    f"[{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} {off}] "
                    f"\"GET {e['path']} HTTP/1.1\" {e['http_status']} 512 \"-\" \"Mozilla/5.0\" "
                    f"rt={e['duration_ms'] / 1000:.3f}\n")
    os.replace(w3c + ".tmp", w3c)
    os.replace(clf + ".tmp", clf)


def sql_case(col_path, pick):
    parts = " ".join(f"WHEN starts_with({col_path}, '{p}') THEN {pick(s, p, v, ms)}" for s, p, v, ms in SYSTEMS)
    return f"CASE {parts} END"


def duckdb_script(kind, path, out, year):
    system = sql_case("path", lambda s, p, v, ms: f"'{s}'")
    verks = sql_case("path", lambda s, p, v, ms: f"'{v}'")
    slow = sql_case("path", lambda s, p, v, ms: str(ms))
    if kind == "ndjson":
        src = f"""
        SELECT CAST("@timestamp" AS TIMESTAMPTZ) AS ts, host, app, "user" AS usr, session, event,
               http_status AS status, duration_ms::DOUBLE AS latency_ms,
               split_part(path, '?', 1) AS path, message
        FROM read_json('{path}', format = 'newline_delimited', columns = {{
            '@timestamp': 'VARCHAR', 'host': 'VARCHAR', 'app': 'VARCHAR', 'user': 'VARCHAR',
            'session': 'VARCHAR', 'event': 'VARCHAR', 'http_status': 'INTEGER',
            'duration_ms': 'BIGINT', 'path': 'VARCHAR', 'message': 'VARCHAR', 'kommun': 'VARCHAR'}})
        """
    elif kind == "w3c":
        src = f"""
        SELECT CAST(date || ' ' || time || '+00' AS TIMESTAMPTZ) AS ts, host,
               nullif(usr, '-') AS usr, NULL AS session, NULL AS event, status,
               time_taken::DOUBLE AS latency_ms, stem AS path, NULL AS message
        FROM read_csv('{path}', delim = ' ', header = false, comment = '#', quote = '', escape = '',
                      auto_detect = false, columns = {{
            'date': 'VARCHAR', 'time': 'VARCHAR', 'host': 'VARCHAR', 'method': 'VARCHAR',
            'stem': 'VARCHAR', 'query': 'VARCHAR', 'usr': 'VARCHAR', 'ip': 'VARCHAR',
            'status': 'INTEGER', 'time_taken': 'BIGINT'}})
        """
    elif kind == "clf":
        src = f"""
        SELECT strptime(m.stamp, '%d/%b/%Y:%H:%M:%S %z') AS ts, m.host,
               nullif(m.usr, '-') AS usr, NULL AS session, NULL AS event, m.status::INTEGER AS status,
               m.rt::DOUBLE * 1000 AS latency_ms, split_part(m.path, '?', 1) AS path, NULL AS message
        FROM (SELECT regexp_extract(line, '{CLF_RX}', ['host', 'usr', 'stamp', 'method', 'path', 'status', 'rt']) AS m
              FROM read_csv('{path}', columns = {{'line': 'VARCHAR'}}, header = false, delim = '\\x1f',
                            quote = '', escape = '', auto_detect = false)) l
        """
    else:
        rx = r"^<(\d+)>(\w{3} +\d+ \d\d:\d\d:\d\d) (\S+) ([^\[: ]+)(?:\[\d+\])?: (.*)$"
        src = f"""
        SELECT timezone('Europe/Stockholm', strptime('{year} ' || regexp_replace(regexp_extract(line, '{rx}', 2), ' +', ' '), '%Y %b %d %H:%M:%S')) AS ts,
               regexp_extract(line, '{rx}', 3) AS host,
               regexp_extract(line, '{rx}', 4) AS app,
               nullif(regexp_extract(line, 'user=(\\S+)', 1), '') AS usr,
               nullif(regexp_extract(line, 'session=(\\S+)', 1), '') AS session,
               nullif(regexp_extract(line, 'event=(\\S+)', 1), '') AS event,
               TRY_CAST(regexp_extract(line, 'status=(\\d+)', 1) AS INTEGER) AS status,
               TRY_CAST(regexp_extract(line, 'duration_ms=(\\d+)', 1) AS DOUBLE) AS latency_ms,
               split_part(regexp_extract(line, 'path=(\\S+)', 1), '?', 1) AS path,
               regexp_extract(line, 'msg="([^"]*)"', 1) AS message
        FROM read_csv('{path}', columns = {{'line': 'VARCHAR'}}, header = false, delim = '\\x1f',
                      quote = '', escape = '', auto_detect = false)
        """
    return f"""
import duckdb
con = duckdb.connect()
con.sql("SET preserve_insertion_order = false")
con.sql('''
COPY (
  WITH e AS ({src})
  SELECT ts,
         regexp_extract(host, 'k(\\d{{4}})\\.', 1) AS kommun_kod,
         {system} AS system_id,
         {verks} AS verksamhet,
         sha256('{KEY}' || 'user' || lower(usr)) AS user_key,
         sha256('{KEY}' || 'session' || session) AS session_id,
         CASE WHEN event = 'timeout' OR status IN (408, 499, 504, 522, 524, 598) THEN 'timeout'
              WHEN event = 'error' OR status >= 500 THEN 'error'
              WHEN status = 401 AND regexp_matches(lower(path), '{LOGIN_PATH}') THEN 'login_failed'
              WHEN event = 'session_lost' OR status = 401 THEN 'session_lost'
              WHEN event = 'login' THEN 'login_ok'
              WHEN latency_ms > {slow} THEN 'slow_response'
              ELSE 'request' END AS event_type,
         status, latency_ms, host,
         regexp_replace(regexp_replace(message, '{EMAIL}', '[e-post]', 'g'), '{PNR}', '[personnummer]', 'g') AS message,
         path,
         '{kind}' AS source_format,
         '{os.path.basename(path)}' AS source_file,
         strftime(timezone('Europe/Stockholm', ts), '%Y-%m-%d') AS day
  FROM e
) TO '{out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day))
''')
"""


def polars_script(kind, path, out, year):
    def case(pick):
        expr = "pl.lit(None)"
        for s, p, v, ms in reversed(SYSTEMS):
            expr = f"pl.when(pl.col('path').str.starts_with('{p}')).then(pl.lit({pick(s, v, ms)!r})).otherwise({expr})"
        return expr

    if kind == "ndjson":
        src = f"""
lf = pl.scan_ndjson({path!r}, schema={{
    '@timestamp': pl.String, 'host': pl.String, 'app': pl.String, 'user': pl.String,
    'session': pl.String, 'event': pl.String, 'http_status': pl.Int32, 'duration_ms': pl.Int64,
    'path': pl.String, 'message': pl.String, 'kommun': pl.String}})
lf = lf.select(
    pl.col('@timestamp').str.to_datetime(time_zone='UTC').alias('ts'),
    'host', pl.col('user').alias('usr'), 'session', 'event',
    pl.col('http_status').alias('status'), pl.col('duration_ms').cast(pl.Float64).alias('latency_ms'),
    pl.col('path').str.split('?').list.first().alias('path'), 'message')
"""
    elif kind == "w3c":
        src = f"""
lf = pl.scan_csv({path!r}, has_header=False, separator=' ', quote_char=None, comment_prefix='#', schema={{
    'date': pl.String, 'time': pl.String, 'host': pl.String, 'method': pl.String, 'stem': pl.String,
    'query': pl.String, 'usr': pl.String, 'ip': pl.String, 'status': pl.Int32, 'time_taken': pl.Int64}})
lf = lf.select(
    (pl.col('date') + ' ' + pl.col('time')).str.to_datetime('%Y-%m-%d %H:%M:%S', time_zone='UTC').alias('ts'),
    'host', pl.when(pl.col('usr') != '-').then(pl.col('usr')).alias('usr'),
    pl.lit(None, pl.String).alias('session'), pl.lit(None, pl.String).alias('event'), 'status',
    pl.col('time_taken').cast(pl.Float64).alias('latency_ms'), pl.col('stem').alias('path'),
    pl.lit(None, pl.String).alias('message'))
"""
    elif kind == "clf":
        src = f"""
lf = pl.scan_csv({path!r}, has_header=False, separator='\\x1f', quote_char=None, new_columns=['line'], schema={{'line': pl.String}})
m = pl.col('line').str.extract_groups({CLF_RX!r})
lf = lf.select(m.alias('m')).unnest('m')
lf = lf.select(
    pl.col('3').str.to_datetime('%d/%b/%Y:%H:%M:%S %z').dt.convert_time_zone('UTC').alias('ts'),
    pl.col('1').alias('host'), pl.when(pl.col('2') != '-').then(pl.col('2')).alias('usr'),
    pl.lit(None, pl.String).alias('session'), pl.lit(None, pl.String).alias('event'),
    pl.col('6').cast(pl.Int32).alias('status'), (pl.col('7').cast(pl.Float64) * 1000).alias('latency_ms'),
    pl.col('5').str.split('?').list.first().alias('path'), pl.lit(None, pl.String).alias('message'))
"""
    else:
        rx = r"^<(\d+)>(\w{3} +\d+ \d\d:\d\d:\d\d) (\S+) ([^\[: ]+)(?:\[\d+\])?: (.*)$"
        src = f"""
lf = pl.scan_csv({path!r}, has_header=False, separator='\\x1f', quote_char=None, new_columns=['line'], schema={{'line': pl.String}})
l = pl.col('line')
lf = lf.select(
    (pl.lit('{year} ') + l.str.extract({rx!r}, 2).str.replace_all(' +', ' '))
        .str.to_datetime('%Y %b %d %H:%M:%S').dt.replace_time_zone('Europe/Stockholm', ambiguous='earliest')
        .dt.convert_time_zone('UTC').alias('ts'),
    l.str.extract({rx!r}, 3).alias('host'),
    l.str.extract(r'user=(\\S+)', 1).alias('usr'),
    l.str.extract(r'session=(\\S+)', 1).alias('session'),
    l.str.extract(r'event=(\\S+)', 1).alias('event'),
    l.str.extract(r'status=(\\d+)', 1).cast(pl.Int32).alias('status'),
    l.str.extract(r'duration_ms=(\\d+)', 1).cast(pl.Float64).alias('latency_ms'),
    l.str.extract(r'path=(\\S+)', 1).str.split('?').list.first().alias('path'),
    l.str.extract(r'msg="([^"]*)"', 1).alias('message'))
"""
    ev = (
        "pl.when((pl.col('event') == 'timeout') | pl.col('status').is_in([408, 499, 504, 522, 524, 598])).then(pl.lit('timeout'))"
        ".when((pl.col('event') == 'error') | (pl.col('status') >= 500)).then(pl.lit('error'))"
        f".when((pl.col('status') == 401) & pl.col('path').str.to_lowercase().str.contains({LOGIN_PATH!r})).then(pl.lit('login_failed'))"
        ".when((pl.col('event') == 'session_lost') | (pl.col('status') == 401)).then(pl.lit('session_lost'))"
        ".when(pl.col('event') == 'login').then(pl.lit('login_ok'))"
        f".when(pl.col('latency_ms') > {case(lambda s, v, ms: ms)}).then(pl.lit('slow_response'))"
        ".otherwise(pl.lit('request'))"
    )
    return f"""
import polars as pl
{src}
lf = lf.select(
    'ts',
    pl.col('host').str.extract(r'k(\\d{{4}})\\.', 1).alias('kommun_kod'),
    ({case(lambda s, v, ms: s)}).alias('system_id'),
    ({case(lambda s, v, ms: v)}).alias('verksamhet'),
    pl.col('usr').str.to_lowercase().hash(seed=7).alias('user_key'),
    pl.col('session').hash(seed=11).alias('session_id'),
    ({ev}).alias('event_type'),
    'status', 'latency_ms', 'host',
    pl.col('message').str.replace_all({EMAIL!r}, '[e-post]').str.replace_all({PNR!r}, '[personnummer]'),
    'path',
    pl.lit({kind!r}).alias('source_format'),
    pl.lit({os.path.basename(path)!r}).alias('source_file'),
    pl.col('ts').dt.convert_time_zone('Europe/Stockholm').dt.strftime('%Y-%m-%d').alias('day'),
)
lf.sink_parquet(pl.PartitionBy({out!r}, key='day', include_key=False), compression='zstd', mkdir=True)
"""


def same_events(kind, outs):
    """The events each tool wrote, counted by type with their users, kommuner, systems and
    latencies: the tools must agree before their times mean anything (exits if not)."""
    import duckdb

    q = ("SELECT event_type, count(*), count(user_key), count(kommun_kod), count(system_id), "
         "round(sum(latency_ms)) FROM read_parquet('{}/**/*.parquet', hive_partitioning = true) "
         "GROUP BY ALL ORDER BY ALL")
    counts = {t: duckdb.sql(q.format(d)).fetchall() for t, d in outs.items()}
    first = next(iter(counts.values()))
    for t, c in counts.items():
        if c != first:
            sys.exit(f"{kind}: {t}'s events differ:\n{c}\n{first}")
    print(f"{kind}: {', '.join(outs)} wrote the same {sum(r[1] for r in first)} events by type", flush=True)


def main():
    ensure_venv("duckdb", "polars")
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="release")
    ap.add_argument("--gb", type=float, default=1.0, help="minimum size of each input")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="ndjson,syslog,w3c,clf")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "friktion-bench-logs"))
    ap.add_argument("--out", default=os.path.join(ROOT, "benches/logs_ingest.jsonl"))
    ap.add_argument("--only", default="friktion,duckdb,polars")
    a, binary = parse_with_binary(ap, os.path.join(tempfile.gettempdir(), "friktion-bench-logs"))
    formats = a.formats.split(",")
    tools = a.only.split(",")

    # About 7 KB of web syslog and 10 KB of NDJSON per user-day; 290 kommuner, 5 days: the
    # smaller file, syslog, reaches --gb.
    users = max(1, int(a.gb * 1e9 / (7_000 * 290 * 5)) + 1)
    data = os.path.join(a.work, f"data-{users}")
    logs = os.path.join(data, "logs")
    if not os.path.exists(os.path.join(logs, "webapps.syslog")):
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run(
            [binary, "synth", "--out", data, "--reference", os.path.join(ROOT, "sample-data/reference"),
             "--kommuner", "290", "--log-kommuner", "0", "--log-users", str(users), "--log-days", "5",
             "--respondents", "1", "--waves", "2019", "--staff-surveys", "0", "--projects", "0", "--log-web-syslog"],
            check=True, stdout=subprocess.DEVNULL,
        )
    inputs = {kind: os.path.join(logs, f"webapps.{kind}") for kind in ("ndjson", "syslog", "w3c", "clf")}
    if {"w3c", "clf"} & set(formats) and not os.path.exists(inputs["clf"]):
        derive_w3c_clf(inputs["ndjson"], inputs["w3c"], inputs["clf"])

    models = os.path.join(ROOT, "pipelines/models")
    py = sys.executable
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"
    for kind in formats:
        path = inputs[kind]
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            events = sum(1 for line in f if not line.startswith(b"#"))
        cfg = os.path.join(a.work, f"bench-{kind}.toml")
        with open(cfg, "w") as f:
            f.write(f"""root = "{data}"
lake = "lake-{kind}"
reports = "reports-{kind}"
reference = "{os.path.join(ROOT, 'sample-data/reference')}"
models = "{models}"
systems = "{os.path.join(ROOT, 'pipelines/systems.toml')}"
[privacy]
min_cell = 5
""")
        results = {t: [] for t in tools}
        for r in range(a.runs):
            for tool in tools:
                out = os.path.join(a.work, f"out-{tool}-{kind}")
                shutil.rmtree(out, ignore_errors=True)
                if tool == "friktion":
                    shutil.rmtree(os.path.join(data, f"lake-{kind}"), ignore_errors=True)
                    env = dict(os.environ, FRIKTION_PSEUDO_KEY=KEY)
                    wall, rss, stdout = run_measured(
                        [binary, "ingest", "logs", path, "--syslog-ends", "2026-10-31", "--config", cfg], env=env)
                    timings = next((l for l in stdout.splitlines() if "timings" in l), "")
                    results[tool].append((wall, rss, timings.strip()))
                else:
                    script = (duckdb_script if tool == "duckdb" else polars_script)(kind, path, out, 2026)
                    wall, rss, _ = run_measured([py, "-c", script])
                    results[tool].append((wall, rss, ""))
                print(f"{kind} run {r + 1} {tool}: {wall:.2f} s, {rss:.0f} MiB {results[tool][-1][2]}", flush=True)
        same_events(kind, {t: (os.path.join(data, f"lake-{kind}/it_event") if t == "friktion" else
                               os.path.join(a.work, f"out-{t}-{kind}")) for t in tools})
        base = statistics.median(w for w, _, _ in results["friktion"]) if "friktion" in results else None
        for tool, rs in results.items():
            wall = statistics.median(w for w, _, _ in rs)
            rss = statistics.median(m for _, m, _ in rs)
            rec = {
                "bench": "logs_ingest", "format": kind, "tool": tool, "input_bytes": size, "events": events,
                "runs": len(rs), "median_s": round(wall, 3), "mb_per_s": round(size / 1e6 / wall, 1),
                "events_per_s": round(events / wall), "peak_rss_mib": round(rss),
                "ratio_to_friktion": round(wall / base, 2) if base else None,
                "machine": machine, "profile": a.profile,
                "date": time.strftime("%Y-%m-%d"),
            }
            print(json.dumps(rec))
            with open(a.out, "a") as f:
                f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
