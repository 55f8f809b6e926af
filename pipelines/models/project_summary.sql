-- name: project_summary
-- description: Projects nationally and by solution, track and kommun: how many, the share abandoned, the budget overrun ratio (actual cost / planned budget, summed over projects with both, and the median of the projects' own ratios) and users reached against target (summed over projects that report both).
-- unit: projects; ratio
-- grain: dimension × grp
-- kolada: kpi=FRIKTION_INFORANDE_ANDEL_AVBRUTNA value=share_abandoned n=n_projects kommun=grp period=data_date where=dimension = 'kommun'
-- kolada: kpi=FRIKTION_INFORANDE_BUDGETKVOT value=overrun_ratio n=n_with_cost kommun=grp period=data_date where=dimension = 'kommun'
WITH gave_up AS (
    SELECT DISTINCT project_id FROM project_stage WHERE stage = 'abandoned'
),
p AS (
    SELECT pr.project_id, pr.kommun_kod, COALESCE(pr.solution, '(okänd)') AS solution,
           COALESCE(pr.track, 'annan') AS track,
           pr.budget_planned_sek, pr.cost_actual_sek, pr.users_target, pr.users_reached, pr.data_date,
           (g.project_id IS NOT NULL OR COALESCE(pr.status = 'abandoned', FALSE)) AS abandoned
    FROM project pr
    LEFT JOIN gave_up g ON g.project_id = pr.project_id
),
d AS (
    SELECT 'all' AS dimension, 'Sverige' AS grp, * FROM p
    UNION ALL SELECT 'solution', solution AS grp, * FROM p
    UNION ALL SELECT 'track', track AS grp, * FROM p
    UNION ALL SELECT 'kommun', kommun_kod AS grp, * FROM p
)
SELECT dimension, grp,
       COUNT(*) AS n_projects,
       SUM(CASE WHEN abandoned THEN 1 ELSE 0 END) AS n_abandoned,
       CAST(SUM(CASE WHEN abandoned THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS share_abandoned,
       SUM(CASE WHEN budget_planned_sek > 0 AND cost_actual_sek IS NOT NULL THEN 1 ELSE 0 END) AS n_with_cost,
       SUM(CASE WHEN budget_planned_sek > 0 THEN cost_actual_sek END)
         / SUM(CASE WHEN budget_planned_sek > 0 AND cost_actual_sek IS NOT NULL THEN budget_planned_sek END) AS overrun_ratio,
       median(CASE WHEN budget_planned_sek > 0 THEN cost_actual_sek / budget_planned_sek END) AS median_overrun_ratio,
       SUM(CASE WHEN users_target > 0 AND users_reached IS NOT NULL THEN 1 ELSE 0 END) AS n_with_users,
       CAST(SUM(CASE WHEN users_target > 0 THEN users_reached END) AS DOUBLE)
         / SUM(CASE WHEN users_target > 0 AND users_reached IS NOT NULL THEN users_target END) AS users_reached_ratio,
       MAX(data_date) AS data_date
FROM d
GROUP BY dimension, grp
ORDER BY dimension, grp
