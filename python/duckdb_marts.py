"""Recomputes every friktion mart with DuckDB, straight from the lake's Parquet, and compares.

    duckdb_marts.py LAKE MODELS_DIR

Each lake table becomes a DuckDB view over its Parquet files (partition values as strings).
Then every model in pipelines/models/ is computed again in DuckDB, in dependency order, from
DuckDB's own results (never from friktion's marts): the model's SQL as it is where it is plain
SQL, and equivalent SQL written here for the three models that call friktion's survival
aggregates (Kaplan–Meier as a recursive product, in the order friktion multiplies; the log-rank
sums; p from erfc). The Cox columns have no SQL equivalent and are left out here (they are
checked against lifelines). Rows are matched on the model's grain and every value compared:
numbers to 1e-9 relative, everything else exactly.

Output (stdout, JSON): {"marts": {name: rows compared}, "skipped_columns": {...}, "mismatches": [...]}.
"""

import json
import math
import os
import re
import sys

import duckdb
import pandas as pd  # comes with lifelines

COX = ["hazard_ratio", "hazard_ratio_lower", "hazard_ratio_upper", "cox_p"]


def models(models_dir):
    out = {}
    for f in sorted(os.listdir(models_dir)):
        if f.endswith(".sql"):
            sql = open(os.path.join(models_dir, f)).read()
            header = dict(re.findall(r"^--\s*(\w+):\s*(.*)$", sql, re.M))
            out[header["name"]] = {"sql": sql, "grain": header["grain"]}
    words = {n: set(re.findall(r"[a-z_0-9]+", re.sub(r"--.*|'[^']*'", "", m["sql"].lower()))) for n, m in out.items()}
    order, done = [], set()

    def visit(n):
        if n in done:
            return
        for d in sorted(out):
            if d != n and d in words[n]:
                visit(d)
        done.add(n)
        order.append(n)

    for n in sorted(out):
        visit(n)
    return order, out


def km_sql(src):
    """Per group g: the Kaplan–Meier curve of src(g, days, observed), multiplied in time order
    as friktion (and lifelines) multiply, with 1.0 before the first time."""
    return f"""
    WITH RECURSIVE t AS (
        SELECT g, days, SUM(CASE WHEN observed THEN 1 ELSE 0 END) AS d, COUNT(*) AS leaving
        FROM ({src}) s GROUP BY g, days
    ), r AS (
        SELECT g, days, d,
               SUM(leaving) OVER (PARTITION BY g ORDER BY days DESC ROWS UNBOUNDED PRECEDING) AS n,
               ROW_NUMBER() OVER (PARTITION BY g ORDER BY days) AS i
        FROM t
    ), km(g, i, days, s) AS (
        SELECT g, i, days, 1.0 * (1.0 - d::DOUBLE / n) FROM r WHERE i = 1
        UNION ALL
        SELECT r.g, r.i, r.days, km.s * (1.0 - r.d::DOUBLE / r.n)
        FROM km JOIN r ON r.g = km.g AND r.i = km.i + 1
    )
    SELECT g, days, s FROM km
    """


def km_stats(con, src):
    """g → (q1, median, q3, S(365), S(730)) by friktion's conventions."""
    curve = con.sql(km_sql(src)).fetchall()
    by = {}
    for g, days, s in curve:
        by.setdefault(g, []).append((days, s))
    out = {}
    for g, pts in by.items():
        pts.sort()

        def q(p):
            return next((d for d, s in pts if s <= 1.0 - p), None)

        def at(t):
            s = 1.0
            for d, v in pts:
                if d <= t:
                    s = v
            return s

        out[g] = (q(0.25), q(0.5), q(0.75), at(365.0), at(730.0))
    return out


def time_to_go_live(con):
    dims = """
        SELECT 'all' AS dimension, 'Sverige' AS grp, days, observed, outcome, data_date FROM project_time_to_go_live
        UNION ALL SELECT 'solution', solution, days, observed, outcome, data_date FROM project_time_to_go_live
        UNION ALL SELECT 'track', track, days, observed, outcome, data_date FROM project_time_to_go_live
        UNION ALL SELECT 'peer_group', peer_group, days, observed, outcome, data_date FROM project_time_to_go_live
        UNION ALL SELECT 'kommun', kommun_kod, days, observed, outcome, data_date FROM project_time_to_go_live
    """
    counts = con.sql(f"""
        SELECT dimension, grp, COUNT(*), SUM(CASE WHEN outcome = 'live' THEN 1 ELSE 0 END),
               SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END),
               SUM(CASE WHEN outcome = 'running' THEN 1 ELSE 0 END),
               median(CASE WHEN observed THEN days END), MAX(data_date)
        FROM ({dims}) GROUP BY dimension, grp""").fetchall()
    km = km_stats(con, f"SELECT dimension || '|' || grp AS g, days, observed FROM ({dims})")
    rows = []
    for dim, grp, n, live, gave_up, running, naive, data_date in counts:
        q1, med, q3, s1, s2 = km[f"{dim}|{grp}"]
        rows.append({"dimension": dim, "grp": grp, "n_projects": n, "n_live": live, "n_abandoned": gave_up,
                     "n_running": running, "q1_days": q1, "median_days": med, "q3_days": q3,
                     "share_live_within_1y": 1.0 - s1, "share_live_within_2y": 1.0 - s2,
                     "naive_median_days": naive, "data_date": data_date})
    return rows


def project_funnel(con, sql):
    # Everything but the Kaplan–Meier median is plain SQL: take the model with the median out.
    plain = sql.replace("km_quantile(days, observed, 0.5)", "NULL::DOUBLE")
    rows = [dict(zip([c[0] for c in r.description], v)) for r in [con.sql(plain)] for v in r.fetchall()]
    km = km_stats(con, """
        SELECT track || '|' || stage AS g, days, observed FROM (
            SELECT 'all' AS track, stage, days, observed FROM project_stage_time
            UNION ALL SELECT COALESCE(track, 'annan'), stage, days, observed FROM project_stage_time)""")
    for r in rows:
        k = km.get(f"{r['track']}|{r['stage']}")
        r["median_days_in_stage"] = k[1] if k else None
    return rows


def factor_time_to_go_live(con):
    base = """
        SELECT f.factor_id, t.days, t.observed,
               CASE WHEN f.score >= 4 OR f.direction = 'främjande' THEN TRUE
                    WHEN f.score <= 2 OR f.direction = 'hämmande' THEN FALSE END AS strong
        FROM project_factor f JOIN project_time_to_go_live t ON t.project_id = f.project_id"""
    con.sql(f"CREATE OR REPLACE TEMP VIEW fg AS SELECT * FROM ({base}) WHERE strong IS NOT NULL")
    km = km_stats(con, "SELECT factor_id || '|' || (CASE WHEN strong THEN 's' ELSE 'w' END) AS g, days, observed FROM fg")
    # The log-rank sums over every time at which someone went live.
    lr = dict((r[0], r[1:]) for r in con.sql("""
        WITH times AS (SELECT DISTINCT factor_id, days AS t FROM fg WHERE observed),
        risk AS (
            SELECT t.factor_id, t.t,
                   SUM(CASE WHEN g.strong AND g.days >= t.t THEN 1 ELSE 0 END)::DOUBLE AS na,
                   SUM(CASE WHEN g.days >= t.t THEN 1 ELSE 0 END)::DOUBLE AS n,
                   SUM(CASE WHEN g.strong AND g.days = t.t AND g.observed THEN 1 ELSE 0 END)::DOUBLE AS da,
                   SUM(CASE WHEN g.days = t.t AND g.observed THEN 1 ELSE 0 END)::DOUBLE AS d
            FROM times t JOIN fg g ON g.factor_id = t.factor_id
            GROUP BY t.factor_id, t.t)
        SELECT factor_id, SUM(da), SUM(d * na / n),
               SUM(CASE WHEN n > 1 THEN d * (na / n) * (1 - na / n) * (n - d) / (n - 1) ELSE 0 END),
               MIN(na), MAX(n - na)
        FROM risk GROUP BY factor_id""").fetchall())
    rows = []
    for fid, pos, sv, en in con.sql("SELECT factor_id, position, name_sv, name_en FROM key_factor").fetchall():
        ns, nw = con.sql(f"SELECT SUM(CASE WHEN strong THEN 1 ELSE 0 END), SUM(CASE WHEN NOT strong THEN 1 ELSE 0 END) FROM fg WHERE factor_id = '{fid}'").fetchall()[0]
        chi2 = p = None
        if fid in lr and ns and nw:
            o, e, v, _, _ = lr[fid]
            if v > 0:
                chi2 = (o - e) ** 2 / v
                p = math.erfc(math.sqrt(chi2 / 2.0))
        rows.append({"factor_id": fid, "factor_position": pos, "factor_name_sv": sv, "factor_name_en": en,
                     "n_strong": ns or 0, "n_weak": nw or 0,
                     "median_days_strong": km.get(f"{fid}|s", (None,) * 5)[1],
                     "median_days_weak": km.get(f"{fid}|w", (None,) * 5)[1],
                     "logrank_chi2": chi2, "logrank_p": p})
    return rows


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)
    return str(a) == str(b)


def main():
    lake, models_dir = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    for t in sorted(os.listdir(lake)):
        d = os.path.join(lake, t)
        if t in ("marts", "_staging", "_txn", "_runs") or not os.path.isdir(d):
            continue
        con.sql(f"CREATE VIEW \"{t}\" AS SELECT * FROM read_parquet('{d}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)")
    order, ms = models(models_dir)
    hand = {"time_to_go_live": time_to_go_live, "factor_time_to_go_live": factor_time_to_go_live}
    report = {"marts": {}, "values_compared": 0, "skipped_columns": {"factor_time_to_go_live": COX}, "mismatches": []}
    for name in order:
        m = ms[name]
        if name in hand or name == "project_funnel":
            rows = hand[name](con) if name in hand else project_funnel(con, m["sql"])
            # Later models read DuckDB's result, never friktion's.
            con.register(f"{name}_rows", pd.DataFrame(rows))
            con.sql(f'CREATE TABLE "{name}" AS SELECT * FROM "{name}_rows"')
        else:
            con.sql(f'CREATE TABLE "{name}" AS {m["sql"]}')
            rel = con.sql(f'SELECT * FROM "{name}"')
            cols = [c[0] for c in rel.description]
            rows = [dict(zip(cols, v)) for v in rel.fetchall()]
        theirs = con.sql(f"SELECT * FROM read_parquet('{lake}/marts/{name}/*.parquet')")
        tcols = [c[0] for c in theirs.description]
        trows = [dict(zip(tcols, v)) for v in theirs.fetchall()]
        keys = [k.strip() for k in m["grain"].split("×")]
        key = lambda r: tuple(str(r.get(k)) for k in keys)  # noqa: E731
        ours = {key(r): r for r in rows}
        if len(ours) != len(rows):
            report["mismatches"].append({"mart": name, "problem": f"grain {keys} is not unique in DuckDB's rows"})
        if len(trows) != len(rows):
            report["mismatches"].append({"mart": name, "problem": f"friktion has {len(trows)} rows, DuckDB {len(rows)}"})
        skip = set(report["skipped_columns"].get(name, []))
        for tr in trows:
            dr = ours.get(key(tr))
            if dr is None:
                report["mismatches"].append({"mart": name, "key": key(tr), "problem": "row missing in DuckDB"})
                continue
            for c in tcols:
                if c in skip:
                    continue
                if c not in dr:
                    report["mismatches"].append({"mart": name, "column": c, "problem": "column missing in DuckDB"})
                    break
                report["values_compared"] += 1
                if not same(tr[c], dr[c]):
                    report["mismatches"].append({"mart": name, "key": key(tr), "column": c,
                                                 "friktion": str(tr[c]), "duckdb": str(dr[c])})
        report["marts"][name] = len(trows)
    json.dump(report, sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main()
