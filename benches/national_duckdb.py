"""The DuckDB pipeline that `benches/national.py` runs beside `friktion run`: the same inputs,
the same source tables by the same rules, and the same marts by the project's own model SQL.

    python benches/national_duckdb.py --project DIR --out DIR --key KEY

DIR is a project made by `friktion synth` with the repository's pipelines/ beside it (as
national.py makes it). Stages, each timed and printed as one JSON line at the end:

- reference: municipality, county, peer group, key factors and cost assumptions from the same
  files friktion reads (SCB geoparquet, SKR kommungrupper, key_factors.toml, assumptions.toml);
- surveys: every [[survey]] source of pipelines/nightly.toml through its instrument (columns by
  name or pattern, label maps, minute bands, the plausible maximum, kommun by name or code,
  duplicates within a file, post-stratification to the population file, keyed SHA-256 of the
  respondent) into survey_response and survey_answer. CSV by read_csv, XLSX by calamine
  (fastexcel: DuckDB's own Excel reader is an extension this machine cannot download);
- logs: benches/national/it_event.sql;
- log_model: benches/national/it_friction_daily.sql;
- models: the project's survey and log marts (pipelines/models/*.sql, verbatim) over those.

What it does not do, because SQL has no place for it (friktion does all of it): line numbers
that follow quoted line breaks, quarantine rows with reasons, the ledger and its skips, data
tests, publication, reports. The project marts (Kaplan–Meier, Cox) and Kolada are left out:
DuckDB has no survival estimators, so national.py compares the stages both do.
"""

import argparse
import glob
import json
import os
import re
import string
import sys
import time
import tomllib

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchenv import EMAIL, PNR  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The survey and log marts, in an order that puts each after what it reads.
MODELS = [
    "survey_respondent", "friction_by_kommun", "friction_by_group", "friction_distribution",
    "friction_cost", "published_figure_check", "kommun_benchmark", "factor_survey_evidence",
    "log_friction_by_system",
]
YES = ("ja", "j", "yes", "y", "1", "sant", "true", "x")
NO = ("nej", "n", "no", "0", "falskt", "false")
LIKERT = {
    5: ("instämmer helt", "helt och hållet", "stämmer helt", "strongly agree", "5"),
    4: ("instämmer till stor del", "instämmer delvis, i hög grad", "stämmer till stor del", "agree", "4"),
    3: ("instämmer delvis", "varken eller", "stämmer delvis", "neither agree nor disagree", "neutral", "3"),
    2: ("instämmer till liten del", "stämmer till liten del", "disagree", "2"),
    1: ("instämmer inte alls", "stämmer inte alls", "strongly disagree", "1"),
}


def q(s):
    """A SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


def ident(s):
    return '"' + s.replace('"', '""') + '"'


def sql_file(name, **values):
    with open(os.path.join(HERE, "national", name)) as f:
        return string.Template(f.read()).substitute(values)


def reference(con, proj, cfg):
    ref = os.path.join(proj, cfg.get("reference", "sample-data/reference"))
    con.sql(f"""
        CREATE TABLE county AS
        SELECT lan_kod, lan AS name FROM read_parquet({q(os.path.join(ref, 'counties.geoparquet'))})""")
    con.sql(f"""
        CREATE TABLE peer_group_member AS
        SELECT '2023' AS version, kommun_kod, gruppkod, kommungrupp, kommun_namn
        FROM read_csv({q(os.path.join(ref, 'kommungrupp-2023.csv'))}, all_varchar = true)""")
    con.sql("""
        CREATE TABLE peer_group AS
        SELECT DISTINCT version, gruppkod, kommungrupp AS name, kommungrupp AS name_en FROM peer_group_member""")
    con.sql(f"""
        CREATE TABLE municipality AS
        SELECT m.kommun_kod, m.kommun AS name, substr(m.kommun_kod, 1, 2) AS lan_kod, c.name AS lan_name,
               g.gruppkod AS peer_group, g.version AS peer_group_version
        FROM read_parquet({q(os.path.join(ref, 'municipalities.geoparquet'))}) m
        JOIN county c ON c.lan_kod = substr(m.kommun_kod, 1, 2)
        LEFT JOIN peer_group_member g ON g.kommun_kod = m.kommun_kod""")
    # Names as surveys write them, by friktion's rules (crates/core/src/reference.rs): lower
    # case, the genitive s, Falu; counties without " län" and with or without their s.
    con.sql("""
        CREATE TABLE kommun_form AS
        SELECT lower(name) AS form, kommun_kod FROM municipality
        UNION SELECT lower(name) || 's', kommun_kod FROM municipality WHERE NOT lower(name) LIKE '%s'
        UNION SELECT 'falu', kommun_kod FROM municipality WHERE lower(name) = 'falun'
        UNION SELECT kommun_kod, kommun_kod FROM municipality""")
    con.sql("""
        CREATE TABLE county_form AS
        SELECT regexp_replace(lower(name), ' län$', '') AS form, lan_kod FROM county
        UNION SELECT regexp_replace(lower(name), 's län$', ''), lan_kod FROM county""")
    with open(os.path.join(proj, "pipelines", cfg.get("key_factors", "key_factors.toml")), "rb") as f:
        factors = tomllib.load(f)["factor"]
    con.sql("CREATE TABLE key_factor (factor_id VARCHAR, position INTEGER, name_sv VARCHAR, name_en VARCHAR)")
    con.sql("CREATE TABLE key_factor_item (factor_id VARCHAR, item_id VARCHAR)")
    for i, fa in enumerate(factors, 1):
        con.execute("INSERT INTO key_factor VALUES (?, ?, ?, ?)", [fa["id"], i, fa["name_sv"], fa["name_en"]])
        for item in fa.get("survey_items", []):
            con.execute("INSERT INTO key_factor_item VALUES (?, ?)", [fa["id"], item])
    with open(os.path.join(proj, "pipelines", cfg.get("assumptions", "assumptions.toml")), "rb") as f:
        costs = tomllib.load(f)["cost"]
    cols = ["assumption_set", "version", "description", "description_en", "employees", "working_days_per_year",
            "hours_per_month", "monthly_salary_sek", "payroll_overhead", "source", "published_minutes_per_day",
            "published_cost_sek"]
    types = ["VARCHAR", "BIGINT", "VARCHAR", "VARCHAR", "DOUBLE", "DOUBLE", "DOUBLE", "DOUBLE", "DOUBLE",
             "VARCHAR", "DOUBLE", "DOUBLE"]
    con.sql(f"CREATE TABLE cost_assumption ({', '.join(f'{c} {t}' for c, t in zip(cols, types))})")
    for c in costs:
        con.execute(f"INSERT INTO cost_assumption VALUES ({', '.join('?' * len(cols))})", [c.get(k) for k in cols])


def xlsx_rows(con, files, inst):
    """Registers `raw` with every sheet row of `files` as text, with file and line."""
    import fastexcel
    import pyarrow as pa

    header = inst["source"].get("header_row", 1)
    parts = []
    canon = {}
    for path in files:
        reader = fastexcel.read_excel(path)
        sheet = reader.load_sheet(inst["source"].get("sheet", 0), header_row=header - 1, dtypes="string")
        t = pa.Table.from_batches([sheet.to_arrow()])
        # A question whose wording changes between files (found by pattern) is one column.
        names = t.column_names
        for field in inst["fields"].values():
            if "pattern" in field:
                found = column_of(field, names)
                if found:
                    canon.setdefault(field["pattern"], found)
                    names = [canon[field["pattern"]] if x == found else x for x in names]
        t = t.rename_columns(names)
        n = t.num_rows
        t = t.append_column("filename", pa.array([path] * n))
        t = t.append_column("line", pa.array(range(header + 1, header + 1 + n), type=pa.int64()))
        parts.append(t)
    table = pa.concat_tables(parts, promote_options="permissive")
    con.register("raw_arrow", table)
    con.sql("CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM raw_arrow")
    con.unregister("raw_arrow")


def csv_rows(con, files, inst):
    delim = inst["source"].get("delimiter", "auto")
    opts = "" if delim == "auto" else f", delim = {q(delim)}"
    con.sql(f"""
        CREATE OR REPLACE TEMP TABLE raw AS
        SELECT *, CAST(row_number() OVER (PARTITION BY filename) + 1 AS BIGINT) AS line
        FROM read_csv({[f for f in files]!r}, header = true, all_varchar = true, filename = true,
                      ignore_errors = true{opts})""")


def column_of(field, names):
    if "column" in field:
        return field["column"] if field["column"] in names else None
    rx = re.compile(field["pattern"], re.IGNORECASE)
    return next((n for n in names if rx.search(n)), None)


def mapped(col, values):
    if col is None:
        return "NULL"
    whens = " ".join(f"WHEN {q(k.lower())} THEN {q(v)}" for k, v in values.items())
    return f"CASE lower(trim({ident(col)})) {whens} END"


def surveys(con, proj, cfg, key, out):
    os.makedirs(os.path.join(out, "survey_response"), exist_ok=True)
    os.makedirs(os.path.join(out, "survey_answer"), exist_ok=True)
    root = proj
    for n, src in enumerate(cfg.get("survey", [])):
        files = sorted(glob.glob(os.path.join(root, src["files"])))
        if not files:
            continue
        with open(os.path.join(proj, "pipelines", src["instrument"]), "rb") as f:
            inst = tomllib.load(f)
        (xlsx_rows if files[0].endswith(".xlsx") else csv_rows)(con, files, inst)
        names = [r[0] for r in con.sql("DESCRIBE raw").fetchall()]
        fields = inst["fields"]
        col = {k: column_of(v, names) for k, v in fields.items()}
        c = lambda k: ident(col[k]) if col.get(k) else "NULL"  # noqa: E731
        bands = inst.get("minutes_bands", {})
        band_rows = ", ".join(f"({q(k.lower())}, {b['point']}, {b['low']}, {b.get('high', 'NULL')})" for k, b in bands.items())
        con.sql(f"CREATE OR REPLACE TEMP TABLE band (label VARCHAR, point DOUBLE, low DOUBLE, high DOUBLE)")
        if band_rows:
            con.sql(f"INSERT INTO band VALUES {band_rows}")
        maxm = fields.get("minutes_lost", {}).get("max", "'Infinity'::DOUBLE")
        employer = mapped(col.get("employer_type"), fields.get("employer_type", {}).get("values", {}))
        yesno = lambda k: f"CASE WHEN lower(trim({c(k)})) IN {YES} THEN true WHEN lower(trim({c(k)})) IN {NO} THEN false END"  # noqa: E731
        workplace = c("workplace")
        # friktion's strip_affixes: prefixes and suffixes around a name, trailing punctuation.
        place = (f"regexp_replace(regexp_replace(rtrim(lower(trim({workplace})), '.,'), "
                 f"'^(region |kommunen |staden )', ''), "
                 f"'( kommun| stad| municipality| city| kommunförvaltning)$', '')")
        minutes_raw = f"lower(trim({c('minutes_lost')}))"
        # friktion's minutes(): "ca 20", "15 min", "1,1 h", "10-20" (the middle), "ingen tid".
        num = r"([0-9]+(?:[.,][0-9]+)?)"
        unit = r"(minuter|minuters|minutes|minut|min\.|min|m|timmar|timme|tim\.|tim|hours|hour|h)?"
        rx = (rf"^(?:(?:ca\.?|cirka|ungefär|ungefar|runt|about|approx\.|~) *)?{num}(?: *[-–—] *{num})? *"
              rf"{unit} *(?:/dag| per dag)?$")
        parts = f"regexp_extract({minutes_raw}, {q(rx)}, ['lo', 'hi', 'unit'])"
        n = lambda g: f"TRY_CAST(replace(nullif(mp.{g}, ''), ',', '.') AS DOUBLE)"  # noqa: E731
        factor = "CASE WHEN mp.unit IN ('timmar', 'timme', 'tim.', 'tim', 'hours', 'hour', 'h') THEN 60.0 ELSE 1.0 END"
        minutes_num = (f"CASE WHEN {minutes_raw} IN ('ingen tid', 'ingen', 'inga', 'none', '0 min') THEN 0.0 "
                       f"ELSE (coalesce(({n('lo')} + {n('hi')}) / 2, {n('lo')})) * {factor} END")
        con.sql(f"""
            CREATE OR REPLACE TEMP TABLE resp AS
            WITH r AS (
                SELECT regexp_extract(filename, '[^/]*$') AS file, line,
                       regexp_replace(regexp_extract(filename, '[^/]*$'), '\\.[^.]*$', '') AS wave_id,
                       trim({c('respondent_id')}) AS rid,
                       {employer} AS employer_type,
                       lower(trim({workplace})) LIKE 'region %' AS is_region,
                       {place} AS place,
                       {mapped(col.get('verksamhet'), fields.get('verksamhet', {}).get('values', {}))} AS verksamhet,
                       {mapped(col.get('occupation'), fields.get('occupation', {}).get('values', {}))} AS occupation,
                       b.point, b.low, b.high, {minutes_num} AS num,
                       {yesno('involved_in_procurement')} AS involved_in_procurement,
                       {yesno('needs_training')} AS needs_training,
                       timezone({q(inst['source'].get('timezone', 'Europe/Stockholm'))},
                                TRY_STRPTIME({c('submitted_at')}, ['%Y-%m-%d %H:%M', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d'])) AS submitted_at
                FROM raw LEFT JOIN band b ON b.label = {minutes_raw}, LATERAL (SELECT {parts} AS s) x(p), LATERAL (SELECT p.lo, p.hi, p.unit) mp(lo, hi, unit)
                WHERE nullif(trim({c('respondent_id')}), '') IS NOT NULL
            )
            SELECT left(sha256({q(key)} || wave_id || rid), 32) AS respondent_key,
                   coalesce(r.employer_type, CASE WHEN k.kommun_kod IS NOT NULL THEN 'kommun'
                                                  WHEN r.is_region THEN 'region' END) AS employer_type,
                   CASE WHEN NOT r.is_region THEN k.kommun_kod END AS kommun_kod,
                   CASE WHEN r.is_region THEN cf.lan_kod ELSE m.lan_kod END AS lan_kod,
                   r.verksamhet, r.occupation,
                   CASE WHEN coalesce(r.point, r.num) BETWEEN 0 AND {maxm} THEN coalesce(r.point, r.num) END AS minutes_lost,
                   CASE WHEN coalesce(r.point, r.num) BETWEEN 0 AND {maxm} THEN coalesce(r.low, r.num) END AS minutes_lost_low,
                   CASE WHEN coalesce(r.point, r.num) BETWEEN 0 AND {maxm} THEN
                        CASE WHEN r.point IS NOT NULL THEN r.high ELSE r.num END END AS minutes_lost_high,
                   r.involved_in_procurement, r.needs_training,
                   row_number() OVER (PARTITION BY r.file, r.rid ORDER BY r.line) > 1 AS is_duplicate,
                   r.submitted_at, 'sample-data/survey/' || r.file AS source_file, r.line AS source_line, r.wave_id,
                   r.file, r.rid
            FROM r
            LEFT JOIN kommun_form k ON NOT r.is_region AND k.form = r.place
            LEFT JOIN municipality m ON m.kommun_kod = k.kommun_kod
            LEFT JOIN county_form cf ON r.is_region AND cf.form = r.place
            -- A workplace that names no kommun or county rejects the row, as in friktion.
            WHERE k.kommun_kod IS NOT NULL OR cf.lan_kod IS NOT NULL""")
        pop = src.get("population")
        if pop:
            con.sql(f"""
                CREATE OR REPLACE TEMP TABLE pop AS
                SELECT employer_type, verksamhet,
                       CAST(replace(replace(population, ' ', ''), chr(160), '') AS DOUBLE) AS population
                FROM read_csv({q(os.path.join(root, pop))}, delim = ';', header = true, all_varchar = true)""")
            weight = """
                CASE WHEN NOT r.is_duplicate AND p.population IS NOT NULL
                     THEN p.population / count(*) FILTER (WHERE NOT r.is_duplicate)
                          OVER (PARTITION BY r.wave_id, r.employer_type, r.verksamhet)
                     ELSE 0 END"""
            join = "LEFT JOIN pop p ON p.employer_type = r.employer_type AND p.verksamhet = r.verksamhet"
        else:
            weight, join = "CASE WHEN r.is_duplicate THEN 0 ELSE 1.0 END", ""
        con.sql(f"""
            COPY (SELECT r.respondent_key, r.employer_type, r.kommun_kod, r.lan_kod, r.verksamhet,
                         r.occupation, r.minutes_lost, r.minutes_lost_low, r.minutes_lost_high,
                         r.involved_in_procurement, r.needs_training, {weight} AS weight,
                         r.is_duplicate, r.submitted_at, r.source_file, r.source_line, r.wave_id
                  FROM resp r {join})
            TO {q(os.path.join(out, 'survey_response', f'{n}.parquet'))} (FORMAT parquet, COMPRESSION zstd)""")
        likert = " ".join(f"WHEN lower(trim(label)) IN {labels} THEN {v}" for v, labels in LIKERT.items())
        items = [(i["id"], column_of(i, names)) for i in inst.get("items", []) if i.get("kind") == "likert5"]
        items = [(i, col) for i, col in items if col]
        if items:
            unions = " UNION ALL ".join(
                f"SELECT file, line, {q(i)} AS item_id, {ident(col)} AS label FROM raw2" for i, col in items)
            con.sql(f"""
                COPY (
                  WITH raw2 AS (SELECT regexp_extract(filename, '[^/]*$') AS file, * FROM raw),
                       a AS ({unions})
                  SELECT r.respondent_key, a.item_id,
                         CAST(CASE {likert} END AS DOUBLE) AS value_num, trim(a.label) AS value_label,
                         r.source_file, r.source_line, r.wave_id
                  FROM a JOIN resp r ON r.file = a.file AND r.source_line = a.line
                  WHERE CASE {likert} END IS NOT NULL)
                TO {q(os.path.join(out, 'survey_answer', f'{n}.parquet'))} (FORMAT parquet, COMPRESSION zstd)""")


def system_match(con, proj, cfg):
    with open(os.path.join(proj, "pipelines", cfg.get("systems", "systems.toml")), "rb") as f:
        systems = tomllib.load(f)
    con.sql("""CREATE TABLE system_match (system_id VARCHAR, verksamhet VARCHAR, slow_ms DOUBLE,
               host_regex VARCHAR, path_prefix VARCHAR, app VARCHAR)""")
    for s in systems["system"]:
        m = s.get("match", {})
        # DuckDB's RE2 names groups as (?P<name>…) too.
        for prefix in m.get("path_prefix", [None]):
            for app in m.get("app", [None]):
                con.execute("INSERT INTO system_match VALUES (?, ?, ?, ?, ?, ?)",
                            [s["id"], s.get("verksamhet"), s.get("slow_ms"), m.get("host", ".*"), prefix,
                             app.lower() if app else None])
    return {**{"session_gap_minutes": 30, "failed_login_minutes": 1.0, "error_minutes": 2.0,
               "timeout_minutes": 1.0, "crash_minutes": 10.0, "relogin_minutes": 2.0, "slow_ms": 3000,
               "max_minutes_per_user_day": 480}, **systems.get("friction", {})}


def system_cases(con):
    """CASE expressions picking each event's system (the first that matches), its verksamhet,
    slow threshold and kommun, from the catalogue in system_match."""
    rows = con.sql("SELECT system_id, verksamhet, slow_ms, host_regex, path_prefix, app FROM system_match").fetchall()
    conds = []
    for sid, verks, slow, rx, prefix, app in rows:
        c = [f"regexp_full_match(host, {q(rx)})"]
        if prefix:
            c.append(f"starts_with(path, {q(prefix)})")
        if app:
            c.append(f"lower(app) = {q(app)}")
        conds.append((" AND ".join(c), sid, verks, slow, rx))
    case = lambda pick: "CASE " + " ".join(f"WHEN {c} THEN {pick(*r)}" for c, *r in conds) + " END"  # noqa: E731
    return {
        "system_case": case(lambda sid, v, slow, rx: q(sid)),
        "verksamhet_case": case(lambda sid, v, slow, rx: q(v) if v else "NULL"),
        "slow_case": case(lambda sid, v, slow, rx: str(slow) if slow is not None else "NULL"),
        "kommun_case": case(lambda sid, v, slow, rx: f"regexp_extract(host, {q(rx)}, 1)"),
    }


def logs(con, proj, cfg, key, out, friction):
    ndjson = sorted(glob.glob(os.path.join(proj, "sample-data/logs/*.ndjson")))
    syslog = sorted(glob.glob(os.path.join(proj, "sample-data/logs/*.syslog")))
    year = next(s for s in cfg["logs"] if "syslog_ends" in s)["syslog_ends"][:4]
    con.sql(sql_file(
        "it_event.sql", ndjson=repr(ndjson), syslog=repr(syslog), year=year, key=key, email=EMAIL, pnr=PNR,
        default_slow_ms=friction["slow_ms"], out=os.path.join(out, "it_event"), **system_cases(con)))


def log_model(con, out, friction):
    con.sql(sql_file("it_friction_daily.sql", it_event=os.path.join(out, "it_event"),
                     out=os.path.join(out, "it_friction_daily.parquet"), **friction))


def models(con, proj, out):
    con.sql(f"CREATE VIEW survey_response AS SELECT * FROM read_parquet({q(os.path.join(out, 'survey_response/*.parquet'))}, union_by_name = true)")
    con.sql(f"CREATE VIEW survey_answer AS SELECT * FROM read_parquet({q(os.path.join(out, 'survey_answer/*.parquet'))}, union_by_name = true)")
    con.sql(f"CREATE VIEW it_friction_daily AS SELECT * FROM read_parquet({q(os.path.join(out, 'it_friction_daily.parquet'))})")
    os.makedirs(os.path.join(out, "marts"), exist_ok=True)
    for name in MODELS:
        with open(os.path.join(proj, "pipelines/models", f"{name}.sql")) as f:
            sql = f.read()
        con.sql(f"CREATE TABLE {name} AS {sql}")
        con.sql(f"COPY {name} TO {q(os.path.join(out, 'marts', name + '.parquet'))} (FORMAT parquet, COMPRESSION zstd)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--project", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    with open(os.path.join(a.project, "pipelines/nightly.toml"), "rb") as f:
        cfg = tomllib.load(f)
    os.makedirs(a.out, exist_ok=True)
    con = duckdb.connect(os.path.join(a.out, "pipeline.duckdb"))
    con.sql(f"SET threads = {a.threads}")
    con.sql("SET preserve_insertion_order = false")
    con.sql(f"SET temp_directory = {q(os.path.join(a.out, 'tmp'))}")
    stages = {}

    def stage(name, f, *args):
        t0 = time.perf_counter()
        r = f(*args)
        stages[name] = round(time.perf_counter() - t0, 3)
        # Each stage as it ends, so that a run that fails later still tells how far it got.
        print(json.dumps({"stage": name, "seconds": stages[name]}), file=sys.stderr, flush=True)
        return r

    stage("reference", reference, con, a.project, cfg)
    friction = stage("systems", system_match, con, a.project, cfg)
    stage("surveys", surveys, con, a.project, cfg, a.key, a.out)
    stage("logs", logs, con, a.project, cfg, a.key, a.out, friction)
    stage("log_model", log_model, con, a.out, friction)
    stage("models", models, con, a.project, a.out)
    print(json.dumps({"stages": stages}))


if __name__ == "__main__":
    main()
