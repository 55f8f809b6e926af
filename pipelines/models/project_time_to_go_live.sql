-- name: project_time_to_go_live
-- description: Each project's days from decision to go-live, censored where go-live has not happened: at abandonment (outcome abandoned) or at the export's data date (outcome running). Projects without a decision date, and projects whose stage dates are flagged (out of order, live without a decision), are left out; they still count in project_summary. peer_group is the SKR kommungrupp, or the county where none is configured.
-- unit: days
-- grain: project_id
WITH dates AS (
    SELECT project_id,
           MIN(CASE WHEN stage = 'decision' THEN entered_on END) AS decision_on,
           MIN(CASE WHEN stage = 'go_live' THEN entered_on END) AS go_live_on,
           MIN(CASE WHEN stage = 'abandoned' THEN entered_on END) AS abandoned_on
    FROM project_stage
    GROUP BY project_id
)
SELECT p.project_id,
       p.kommun_kod,
       m.name AS kommun_name,
       COALESCE(m.peer_group, m.lan_name) AS peer_group,
       COALESCE(p.solution, '(okänd)') AS solution,
       COALESCE(p.track, 'annan') AS track,
       d.decision_on,
       d.go_live_on,
       d.abandoned_on,
       p.data_date,
       -- Days between dates, written the same in DataFusion and DuckDB (the tests recompute
       -- every mart in DuckDB).
       (date_part('epoch', COALESCE(d.go_live_on, d.abandoned_on, p.data_date))
        - date_part('epoch', d.decision_on)) / 86400.0 AS days,
       d.go_live_on IS NOT NULL AS observed,
       CASE WHEN d.go_live_on IS NOT NULL THEN 'live'
            WHEN d.abandoned_on IS NOT NULL THEN 'abandoned'
            ELSE 'running' END AS outcome
FROM project p
JOIN dates d ON d.project_id = p.project_id
JOIN municipality m ON m.kommun_kod = p.kommun_kod
WHERE p.timeline_issue IS NULL
  AND d.decision_on IS NOT NULL
ORDER BY p.project_id
