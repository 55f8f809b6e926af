-- name: log_friction_by_system
-- description: Friction measured from the systems' own logs (it_friction_daily, see docs/LOGS.md), per system and kommun (level kommun) and per system over every kommun (level system, kommun_kod null): days with events, user-days, events, errors, failed sign-ins, timeouts, slow responses, crashes, estimated minutes lost, minutes lost per user-day, and the mean of the daily 95th-percentile latency. Events whose system is not in the catalogue count under system_id null.
-- unit: minutes per user-day; events
-- grain: level × system_id × kommun_kod
WITH d AS (
    SELECT 'kommun' AS level, system_id, kommun_kod, day, users, events, errors, failed_logins,
           timeouts, slow_responses, crashes, minutes_lost, p95_latency_ms
    FROM it_friction_daily
    UNION ALL
    SELECT 'system', system_id, CAST(NULL AS VARCHAR), day, users, events, errors, failed_logins,
           timeouts, slow_responses, crashes, minutes_lost, p95_latency_ms
    FROM it_friction_daily
)
SELECT level, system_id, kommun_kod,
       MIN(day) AS first_day,
       MAX(day) AS last_day,
       COUNT(DISTINCT day) AS days,
       SUM(users) AS user_days,
       SUM(events) AS events,
       SUM(errors) AS errors,
       SUM(failed_logins) AS failed_logins,
       SUM(timeouts) AS timeouts,
       SUM(slow_responses) AS slow_responses,
       SUM(crashes) AS crashes,
       SUM(minutes_lost) AS minutes_lost,
       SUM(minutes_lost) / NULLIF(SUM(users), 0) AS minutes_lost_per_user_day,
       AVG(p95_latency_ms) AS mean_daily_p95_latency_ms
FROM d
GROUP BY level, system_id, kommun_kod
ORDER BY level, system_id, kommun_kod
