"""friktion serve's tests, the Python side: psycopg 3, pandas over SQLAlchemy, as researchers
use them. Each command prints one JSON object the Rust test checks.

  wire_clients.py marts DSN EXPECTED_DIR   every mart through psycopg equals friktion sql's JSON
  wire_clients.py query DSN SQL            rows as JSON (or the error's SQLSTATE and message)
  wire_clients.py pandas URL SQL           pandas.read_sql and polars.read_database over SQLAlchemy
  wire_clients.py cancel DSN SQL           cancels the query after 1 s; SQLSTATE and seconds
  wire_clients.py auth DSN                 connects; ok or the error message
"""

import datetime
import decimal
import json
import math
import sys
import threading
import time

import psycopg


def canon(v):
    """One spelling per value, whichever client produced it."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float, decimal.Decimal)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        return float(f"{f:.10g}")
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return v.isoformat()
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, str):
        # friktion sql's JSON writes timestamps as text: 2026-01-01T00:00:00[Z]
        if len(v) >= 19 and v[4] == "-" and v[10] in "T " and v[13] == ":":
            try:
                d = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
                return canon(d)
            except ValueError:
                pass
        return v
    if isinstance(v, (list, tuple)):
        return [canon(x) for x in v]
    return str(v)


def key(row):
    return json.dumps(row, sort_keys=True, default=str)


def marts(dsn, expected_dir):
    import os

    out = {"checked": [], "differ": {}}
    with psycopg.connect(dsn) as conn:
        for name in sorted(os.listdir(expected_dir)):
            mart = name.removesuffix(".json")
            with open(os.path.join(expected_dir, name)) as f:
                text = f.read().strip()
            want = json.loads(text) if text else []
            cur = conn.execute(f"SELECT * FROM {mart}")
            cols = [d.name for d in cur.description]
            got = [dict(zip(cols, r)) for r in cur.fetchall()]
            # friktion sql's JSON leaves out null fields.
            g = sorted(key({k: canon(v) for k, v in r.items() if v is not None}) for r in got)
            w = sorted(key({k: canon(v) for k, v in r.items() if v is not None}) for r in want)
            out["checked"].append(mart)
            if g != w:
                diff = [x for x in g if x not in w][:2] + ["--"] + [x for x in w if x not in g][:2]
                out["differ"][mart] = {"rows": [len(g), len(w)], "sample": diff}
    print(json.dumps(out))


def query(dsn, sql):
    try:
        with psycopg.connect(dsn) as conn:
            cur = conn.execute(sql)
            rows = cur.fetchall() if cur.description else []
            cols = [d.name for d in cur.description] if cur.description else []
            print(json.dumps({"ok": True, "columns": cols,
                              "rows": [[canon(v) for v in r] for r in rows]}))
    except psycopg.Error as e:
        print(json.dumps({"ok": False, "sqlstate": e.sqlstate, "message": str(e)}))


def pandas_read(url, sql):
    import pandas as pd
    import sqlalchemy

    import polars as pl

    engine = sqlalchemy.create_engine(url)
    with engine.connect() as c:
        df = pd.read_sql(sqlalchemy.text(sql), c)
        pf = pl.read_database(sql, connection=c)
    print(json.dumps({"ok": True, "rows": len(df), "columns": list(df.columns),
                      "polars_rows": pf.height, "polars_columns": pf.columns}))


def cancel(dsn, sql):
    conn = psycopg.connect(dsn)
    timer = threading.Timer(1.0, conn.cancel)
    start = time.time()
    timer.start()
    try:
        conn.execute(sql).fetchall()
        print(json.dumps({"ok": True, "seconds": time.time() - start}))
    except psycopg.Error as e:
        print(json.dumps({"ok": False, "sqlstate": e.sqlstate, "seconds": time.time() - start}))
    # The connection is still usable after a cancel.
    conn.rollback()
    print(json.dumps({"after": conn.execute("SELECT 1 AS one").fetchone()[0]}))


def auth(dsn):
    try:
        with psycopg.connect(dsn, connect_timeout=20) as conn:
            conn.execute("SELECT 1").fetchone()
        print(json.dumps({"ok": True}))
    except psycopg.Error as e:
        print(json.dumps({"ok": False, "message": str(e)}))


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"marts": marts, "query": query, "pandas": pandas_read, "cancel": cancel, "auth": auth}[cmd](*args)
