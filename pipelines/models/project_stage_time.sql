-- name: project_stage_time
-- description: Days each project spent in each stage it entered: until it entered any later stage (observed), or censored at abandonment or at the data date. Projects whose stage dates are flagged are left out. stage_order follows the stage vocabulary (1 idea … 7 forvaltning).
-- unit: days
-- grain: project_id × stage
WITH orders AS (
    SELECT * FROM (VALUES ('idea', 1), ('decision', 2), ('procurement', 3), ('pilot', 4),
                          ('go_live', 5), ('scaled', 6), ('forvaltning', 7)) AS o(stage, stage_order)
),
s AS (
    SELECT ps.project_id, ps.stage, o.stage_order, ps.entered_on
    FROM project_stage ps
    JOIN orders o ON o.stage = ps.stage
    JOIN project p ON p.project_id = ps.project_id
    WHERE p.timeline_issue IS NULL
),
nxt AS (
    SELECT a.project_id, a.stage, MIN(b.entered_on) AS next_on
    FROM s a
    JOIN s b ON b.project_id = a.project_id AND b.stage_order > a.stage_order
    GROUP BY a.project_id, a.stage
),
gave_up AS (
    SELECT project_id, MIN(entered_on) AS abandoned_on
    FROM project_stage WHERE stage = 'abandoned' GROUP BY project_id
)
SELECT s.project_id,
       p.track,
       p.solution,
       s.stage,
       s.stage_order,
       s.entered_on,
       n.next_on,
       (date_part('epoch', COALESCE(n.next_on, g.abandoned_on, p.data_date))
        - date_part('epoch', s.entered_on)) / 86400.0 AS days,
       n.next_on IS NOT NULL AS observed
FROM s
JOIN project p ON p.project_id = s.project_id
LEFT JOIN nxt n ON n.project_id = s.project_id AND n.stage = s.stage
LEFT JOIN gave_up g ON g.project_id = s.project_id
-- The last stage a project can reach has no "next": time in förvaltning is not a delay.
WHERE s.stage <> 'forvaltning'
ORDER BY s.project_id, s.stage_order
