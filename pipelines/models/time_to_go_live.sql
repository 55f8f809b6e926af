-- name: time_to_go_live
-- description: Days from decision to go-live estimated with Kaplan–Meier, nationally and by solution, track, peer group and kommun: median and quartiles, with projects still running censored at the data date and abandoned ones censored at abandonment (never dropped). A quantile is null when too few projects have gone live for the curve to reach it. naive_median_days is the median of finished projects only, shown to make the censoring bias visible; abandonment is counted as its own outcome.
-- unit: days
-- grain: dimension × grp
-- kolada: kpi=FRIKTION_INFORANDE_MEDIAN_DAGAR value=median_days n=n_projects kommun=grp period=data_date where=dimension = 'kommun'
-- kolada: kpi=FRIKTION_INFORANDE_MEDIAN_DAGAR value=median_days n=n_projects period=data_date where=dimension = 'all'
WITH t AS (
    SELECT 'all' AS dimension, 'Sverige' AS grp, days, observed, outcome, data_date FROM project_time_to_go_live
    UNION ALL
    SELECT 'solution', solution, days, observed, outcome, data_date FROM project_time_to_go_live
    UNION ALL
    SELECT 'track', track, days, observed, outcome, data_date FROM project_time_to_go_live
    UNION ALL
    SELECT 'peer_group', peer_group, days, observed, outcome, data_date FROM project_time_to_go_live
    UNION ALL
    SELECT 'kommun', kommun_kod, days, observed, outcome, data_date FROM project_time_to_go_live
)
SELECT dimension,
       grp,
       COUNT(*) AS n_projects,
       SUM(CASE WHEN outcome = 'live' THEN 1 ELSE 0 END) AS n_live,
       SUM(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END) AS n_abandoned,
       SUM(CASE WHEN outcome = 'running' THEN 1 ELSE 0 END) AS n_running,
       km_quantile(days, observed, 0.25) AS q1_days,
       km_quantile(days, observed, 0.5) AS median_days,
       km_quantile(days, observed, 0.75) AS q3_days,
       1.0 - km_survival(days, observed, 365.0) AS share_live_within_1y,
       1.0 - km_survival(days, observed, 730.0) AS share_live_within_2y,
       median(CASE WHEN observed THEN days END) AS naive_median_days,
       -- The newest export's date: the period the estimates describe.
       MAX(data_date) AS data_date
FROM t
GROUP BY dimension, grp
ORDER BY dimension, grp
