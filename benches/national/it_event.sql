-- it_event from the web front ends' NDJSON and the sign-in service's RFC 3164 syslog, by the
-- rules friktion applies (crates/ingest-logs): system, kommun and verksamhet from the systems
-- catalogue (host pattern, app and path prefix: CASE expressions made by national_duckdb.py), event
-- type from event, status and the system's slow threshold, keyed SHA-256 of user and session
-- (friktion: HMAC-SHA-256; both keep 16 bytes as 32 hex digits), personnummer, e-mail, user names and IP addresses redacted from
-- messages, day in Stockholm time, zstd Parquet partitioned by day.
-- Not done (no SQL for it): line numbers, quarantine, the ledger.
COPY (
  WITH web AS (
    SELECT CAST("@timestamp" AS TIMESTAMPTZ) AS ts, host, app, "user" AS usr, session, event,
           http_status AS status, duration_ms::DOUBLE AS latency_ms,
           split_part(path, '?', 1) AS path, message, 'ndjson' AS source_format,
           regexp_extract(filename, '[^/]*$$') AS source_file
    FROM read_json($ndjson, format = 'newline_delimited', filename = true, columns = {
        '@timestamp': 'VARCHAR', 'host': 'VARCHAR', 'app': 'VARCHAR', 'user': 'VARCHAR',
        'session': 'VARCHAR', 'event': 'VARCHAR', 'http_status': 'INTEGER',
        'duration_ms': 'BIGINT', 'path': 'VARCHAR', 'message': 'VARCHAR', 'kommun': 'VARCHAR'})
  ),
  auth AS (
    SELECT timezone('Europe/Stockholm', strptime('$year ' || regexp_replace(l[2], ' +', ' '), '%Y %b %d %H:%M:%S')) AS ts,
           l[3] AS host, l[4] AS app,
           nullif(regexp_extract(l[5], 'for user (\S+)', 1), '') AS usr,
           NULL AS session,
           CASE WHEN l[5] LIKE 'Login failed%' THEN 'login_failed'
                WHEN l[5] LIKE 'Login succeeded%' THEN 'login' END AS event,
           NULL::INTEGER AS status, NULL::DOUBLE AS latency_ms, NULL AS path,
           regexp_replace(regexp_replace(l[5], 'for user \S+', 'for user [användare]'),
                          '\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}', '[ip]', 'g') AS message,
           'syslog' AS source_format, regexp_extract(filename, '[^/]*$$') AS source_file
    FROM (SELECT filename, regexp_extract(line, '^<(\d+)>(\w{3} +\d+ \d\d:\d\d:\d\d) (\S+) ([^\[: ]+)(?:\[\d+\])?: (.*)$$',
                                ['pri', 'stamp', 'host', 'app', 'msg']) AS s
          FROM read_csv($syslog, columns = {'line': 'VARCHAR'}, header = false, delim = '\x1f',
                        quote = '', escape = '', auto_detect = false, filename = true)) p,
         LATERAL (SELECT [s.pri, s.stamp, s.host, s.app, s.msg] AS l)
  ),
  e AS (SELECT * FROM web UNION ALL SELECT * FROM auth),
  m AS (
    -- The first matching system wins (constant patterns: DuckDB compiles each once).
    SELECT e.*, $system_case AS system_id, $verksamhet_case AS verksamhet,
           $slow_case AS slow_ms, $kommun_case AS kommun_kod
    FROM e
  )
  SELECT ts, nullif(kommun_kod, '') AS kommun_kod, system_id, verksamhet,
         left(sha256('$key' || 'user' || lower(usr)), 32) AS user_key,
         left(sha256('$key' || 'session' || session), 32) AS session_id,
         CASE WHEN event = 'login_failed' THEN 'login_failed'
              WHEN event = 'timeout' OR status IN (408, 499, 504) THEN 'timeout'
              WHEN event = 'error' OR status >= 500 THEN 'error'
              WHEN event = 'session_lost' OR status = 401 THEN 'session_lost'
              WHEN event = 'login' THEN 'login_ok'
              WHEN latency_ms > coalesce(slow_ms, $default_slow_ms) THEN 'slow_response'
              ELSE 'request' END AS event_type,
         status, latency_ms, host,
         regexp_replace(regexp_replace(message, '$email', '[e-post]', 'g'), '$pnr', '[personnummer]', 'g') AS message,
         path, source_format, source_file,
         CAST(timezone('Europe/Stockholm', ts) AS DATE) AS day
  FROM m
) TO '$out' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day))
