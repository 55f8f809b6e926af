"""Reads every table of a friktion lake with DuckDB, polars and pyarrow, as a researcher would.

Input (stdin): the JSON of `friktion lake describe --json`. Output (stdout): for each table,
the row count and column names each reader saw, and a checksum of its numeric columns.
Partition columns are declared as strings, as the lake contract says.
"""

import datetime
import json
import sys

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds


def numeric_sum_duckdb(con, rel_sql, columns):
    nums = [
        r[0]
        for r in con.execute(f"DESCRIBE {rel_sql}").fetchall()
        if r[1] in ("DOUBLE", "BIGINT", "INTEGER", "FLOAT")
    ]
    if not nums:
        return 0.0
    expr = " + ".join(f"coalesce(sum({c})::DOUBLE, 0)" for c in nums)
    return con.execute(f"SELECT {expr} FROM ({rel_sql})").fetchone()[0]


def main():
    lake = sys.argv[1]
    tables = json.load(sys.stdin)
    con = duckdb.connect()
    out = {}
    for t in tables:
        glob = f"{lake}/{t['path']}/**/*.parquet"
        parts = t["partition_columns"]
        if parts:
            types = "{" + ", ".join(f"'{p}': 'VARCHAR'" for p in parts) + "}"
            rel = f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true, hive_types = {types})"
        else:
            rel = f"SELECT * FROM read_parquet('{glob}', hive_partitioning = false)"
        d_rows = con.execute(f"SELECT count(*) FROM ({rel})").fetchone()[0]
        d_cols = [r[0] for r in con.execute(f"DESCRIBE {rel}").fetchall()]
        d_sum = numeric_sum_duckdb(con, rel, d_cols)

        lf = pl.scan_parquet(
            glob,
            hive_partitioning=bool(parts),
            hive_schema={p: pl.String for p in parts} if parts else None,
        )
        schema = lf.collect_schema()
        p_rows = lf.select(pl.len()).collect().item()
        nums = [c for c, dt in schema.items() if dt.is_numeric()]
        p_sum = (
            sum(v or 0.0 for v in lf.select([pl.col(c).cast(pl.Float64).sum() for c in nums]).collect().row(0))
            if nums
            else 0.0
        )
        # Rows as Python objects, as a researcher's script gets them: DuckDB needs pytz for
        # timestamps with a zone, which is why python/requirements.txt lists it.
        d_fetched = con.execute(f"SELECT * FROM ({rel}) LIMIT 3").fetchall()
        p_fetched = lf.head(3).collect().rows()
        d_ts = p_ts = None
        if "ts" in d_cols:
            # Compared as UTC instants: each reader shows its session's zone.
            utc = datetime.timezone.utc
            d_ts = con.execute(f"SELECT min(ts) FROM ({rel})").fetchall()[0][0].astimezone(utc).isoformat()
            p_ts = lf.select(pl.col("ts").min()).collect().item().astimezone(utc).isoformat()
        a = ds.dataset(
            f"{lake}/{t['path']}",
            format="parquet",
            partitioning=ds.partitioning(pa.schema([(p, pa.string()) for p in parts]), flavor="hive")
            if parts
            else None,
        )
        out[t["name"]] = {
            "pyarrow": {"rows": a.count_rows(), "columns": a.schema.names, "fetched": min(3, a.head(3).num_rows)},
            "duckdb": {"rows": d_rows, "columns": d_cols, "numeric_sum": d_sum, "fetched": len(d_fetched), "ts_min": d_ts},
            "polars": {"rows": p_rows, "columns": schema.names(), "numeric_sum": p_sum, "fetched": len(p_fetched), "ts_min": p_ts},
        }
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
