-- it_friction_daily from it_event, by friktion's log friction model
-- (crates/ingest-logs/src/friction.rs): per user, system and day, events in time order are cut
-- into sessions at gaps longer than session_gap_minutes; each event that costs staff time is
-- priced by the [friction] table of the systems catalogue; a user-day is capped.
COPY (
  WITH e AS (
    -- The user as a 64-bit hash inside the window (as friktion interns users to integers):
    -- 32-character keys in the sort spill tens of GB to disk at national scale.
    SELECT day, kommun_kod, system_id, user_key IS NOT NULL AS identified, hash(user_key) AS u,
           event_type, latency_ms, ts,
           LAG(ts) OVER w AS prev_ts, LAG(event_type) OVER w AS prev_type
    FROM read_parquet('$it_event/**/*.parquet', hive_partitioning = true)
    WINDOW w AS (PARTITION BY day, kommun_kod, system_id, hash(user_key) ORDER BY ts)
  ),
  p AS (
    SELECT e.*, coalesce(s.slow_ms, $slow_ms) AS slow_ms,
           prev_ts IS NOT NULL AND ts - prev_ts <= INTERVAL ($session_gap_minutes) MINUTE AS within
    FROM e LEFT JOIN system_match s USING (system_id)
  ),
  priced AS (
    SELECT *,
           event_type = 'login_ok' AND identified AND within
             AND prev_type NOT IN ('login_ok', 'login_failed', 'session_lost') AS relogin_mid,
           CASE event_type
             WHEN 'login_failed' THEN $failed_login_minutes
             WHEN 'error' THEN $error_minutes
             WHEN 'timeout' THEN $timeout_minutes + coalesce(latency_ms, 0) / 60000.0
             WHEN 'slow_response' THEN greatest(coalesce(latency_ms, 0) - slow_ms, 0) / 60000.0
             WHEN 'crash' THEN $crash_minutes
             WHEN 'session_lost' THEN $relogin_minutes
             ELSE 0 END AS m
    FROM p
  ),
  user_day AS (
    SELECT day, kommun_kod, system_id, u, identified,
           1 + count(*) FILTER (WHERE prev_ts IS NOT NULL AND NOT within) AS sessions,
           count(*) AS events,
           count(*) FILTER (WHERE event_type = 'error') AS errors,
           count(*) FILTER (WHERE event_type = 'login_failed') AS failed_logins,
           count(*) FILTER (WHERE event_type = 'timeout') AS timeouts,
           count(*) FILTER (WHERE event_type = 'slow_response') AS slow_responses,
           count(*) FILTER (WHERE event_type = 'crash') AS crashes,
           count(*) FILTER (WHERE event_type = 'session_lost' OR relogin_mid) AS relogins,
           least(sum(m + CASE WHEN relogin_mid THEN $relogin_minutes ELSE 0 END), $max_minutes_per_user_day) AS minutes
    FROM priced
    GROUP BY ALL
  ),
  lat AS (
    SELECT day, kommun_kod, system_id,
           quantile_cont(latency_ms, 0.5) AS p50_latency_ms,
           quantile_cont(latency_ms, 0.95) AS p95_latency_ms
    FROM e
    GROUP BY ALL
  ),
  g AS (
    SELECT day, kommun_kod, system_id,
           count(*) FILTER (WHERE identified) AS users,
           sum(CASE WHEN identified THEN sessions ELSE 0 END) AS sessions,
           sum(events) AS events, sum(errors) AS errors, sum(failed_logins) AS failed_logins,
           sum(timeouts) AS timeouts, sum(slow_responses) AS slow_responses,
           sum(crashes) AS crashes, sum(relogins) AS relogins,
           sum(minutes) FILTER (WHERE identified) AS minutes_lost
    FROM user_day
    GROUP BY ALL
  )
  SELECT g.day, g.kommun_kod, g.system_id, users, sessions, events, errors, failed_logins,
         timeouts, slow_responses, crashes, relogins, p50_latency_ms, p95_latency_ms,
         minutes_lost, minutes_lost / nullif(users, 0) AS est_minutes_lost_per_user
  FROM g JOIN lat ON g.day = lat.day AND g.kommun_kod IS NOT DISTINCT FROM lat.kommun_kod
                 AND g.system_id IS NOT DISTINCT FROM lat.system_id
  ORDER BY g.day, g.kommun_kod, g.system_id
) TO '$out' (FORMAT parquet, COMPRESSION zstd)
