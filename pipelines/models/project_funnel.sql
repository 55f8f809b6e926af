-- name: project_funnel
-- description: The stage funnel, nationally and by track: how many projects reached each stage (entered it or a later one), how many stopped there (abandoned after reaching it as their furthest stage) or are there now, and the Kaplan–Meier median days spent in the stage before the next (censored at abandonment or the data date). A project without stage dates counts at the stage its status names.
-- unit: projects; days
-- grain: track × stage
WITH orders AS (
    SELECT * FROM (VALUES ('idea', 1), ('decision', 2), ('procurement', 3), ('pilot', 4),
                          ('go_live', 5), ('scaled', 6), ('forvaltning', 7)) AS o(stage, stage_order)
),
furthest AS (
    SELECT p.project_id, p.track,
           COALESCE(MAX(o.stage_order), MAX(os.stage_order), 1) AS furthest_order,
           MAX(CASE WHEN ps.stage = 'abandoned' OR p.status = 'abandoned' THEN 1 ELSE 0 END) AS abandoned
    FROM project p
    LEFT JOIN project_stage ps ON ps.project_id = p.project_id
    LEFT JOIN orders o ON o.stage = ps.stage
    LEFT JOIN orders os ON os.stage = p.status
    GROUP BY p.project_id, p.track
),
f AS (
    SELECT 'all' AS track, furthest_order, abandoned FROM furthest
    UNION ALL
    SELECT COALESCE(track, 'annan'), furthest_order, abandoned FROM furthest
),
counts AS (
    -- Every track in f has projects, so every track × stage pair appears. (A DISTINCT list of
    -- tracks cross-joined here made DataFusion 55 drop ORDER BY keys: it took the track as a
    -- key of the joined rows.)
    SELECT f.track, o.stage, o.stage_order,
           SUM(CASE WHEN f.furthest_order >= o.stage_order THEN 1 ELSE 0 END) AS n_reached,
           SUM(CASE WHEN f.furthest_order = o.stage_order AND f.abandoned = 1 THEN 1 ELSE 0 END) AS n_abandoned_here,
           SUM(CASE WHEN f.furthest_order = o.stage_order AND f.abandoned = 0 THEN 1 ELSE 0 END) AS n_here_now,
           COUNT(*) AS n_projects
    FROM f
    CROSS JOIN orders o
    GROUP BY f.track, o.stage, o.stage_order
),
st AS (
    SELECT 'all' AS track, stage, days, observed FROM project_stage_time
    UNION ALL
    SELECT COALESCE(track, 'annan'), stage, days, observed FROM project_stage_time
),
times AS (
    SELECT track, stage,
           COUNT(*) AS n_timed,
           km_quantile(days, observed, 0.5) AS median_days_in_stage
    FROM st
    GROUP BY track, stage
)
SELECT c.track, c.stage, c.stage_order, c.n_projects, c.n_reached,
       CAST(c.n_reached AS DOUBLE) / c.n_projects AS share_reached,
       c.n_abandoned_here, c.n_here_now,
       COALESCE(t.n_timed, 0) AS n_timed,
       t.median_days_in_stage
FROM counts c
LEFT JOIN times t ON t.track = c.track AND t.stage = c.stage
ORDER BY c.track, c.stage_order
