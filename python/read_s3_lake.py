"""Reads every table of a friktion lake on S3-compatible object storage with polars, pyarrow
and DuckDB, as a researcher would: each table as of the Delta version the newest lake version
names, so that all tables are read as of one commit (docs/SCALE.md).

Arguments: the lake's URL (s3://bucket/prefix). Input (stdin): the JSON of
`friktion lake describe --json --lake s3://…`. Output (stdout): per table, the rows and columns
each reader saw. The store is reached as the environment says (AWS_ENDPOINT_URL, AWS_REGION,
AWS_ALLOW_HTTP, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), as for friktion itself.
"""

import json
import os
import sys

import boto3
import duckdb
import polars as pl
from deltalake import DeltaTable


def lake_version(url, version=None):
    """The lake version record: {"version": n, "tables": {table path: Delta version}}."""
    bucket, _, prefix = url[len("s3://"):].partition("/")
    prefix = prefix.strip("/")
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
        region_name=os.environ.get("AWS_REGION"),
    )
    if version is None:
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/_lake/versions/"
        )
        key = max(o["Key"] for page in pages for o in page.get("Contents", []))
    else:
        key = f"{prefix}/_lake/versions/{version:020}.json"
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def main():
    url = sys.argv[1].rstrip("/")
    tables = json.load(sys.stdin)
    v = lake_version(url)
    opts = {
        k: os.environ[k]
        for k in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ALLOW_HTTP", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        if k in os.environ
    }
    con = duckdb.connect()
    out = {"lake_version": v["version"], "tables": {}}
    for t in tables:
        uri = f"{url}/{t['path']}"
        version = v["tables"][t["path"]]
        # pyarrow: the Delta table's files as a dataset; DuckDB scans that same dataset.
        dataset = DeltaTable(uri, version=version, storage_options=opts).to_pyarrow_dataset()
        cur = con.cursor()
        cur.register("t", dataset)
        d_rows = cur.execute("SELECT count(*) FROM t").fetchall()[0][0]
        cur.close()
        frame = pl.read_delta(uri, version=version, storage_options=opts)
        out["tables"][t["name"]] = {
            "pyarrow": {"rows": dataset.count_rows(), "columns": dataset.schema.names},
            "polars": {"rows": frame.height, "columns": frame.columns},
            "duckdb": {"rows": d_rows},
        }
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
