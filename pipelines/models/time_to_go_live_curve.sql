-- name: time_to_go_live_curve
-- description: The Kaplan–Meier curve of time from decision to go-live, nationally and by solution and track: at each day on which a project went live or was censored, the projects at risk, go-lives, censored, and the share not yet live. Plain SQL: S(t) is the running product of (1 − events / at risk), taken as exp(Σ ln(…)); from the day every project at risk went live, S = 0, kept out of the sum of logarithms (ln 0 = −inf).
-- unit: share of projects not yet live
-- grain: dimension × grp × days
WITH t AS (
    SELECT 'all' AS dimension, 'Sverige' AS grp, days, observed FROM project_time_to_go_live
    UNION ALL
    SELECT 'solution', solution, days, observed FROM project_time_to_go_live
    UNION ALL
    SELECT 'track', track, days, observed FROM project_time_to_go_live
),
per_day AS (
    SELECT dimension, grp, days,
           SUM(CASE WHEN observed THEN 1 ELSE 0 END) AS events,
           SUM(CASE WHEN observed THEN 0 ELSE 1 END) AS censored,
           COUNT(*) AS leaving
    FROM t
    GROUP BY dimension, grp, days
),
risk AS (
    SELECT dimension, grp, days, events, censored,
           -- Every window runs in ascending days: a descending one here let DataFusion compute
           -- the survival sum below as a reversed, retracting window (total minus the rest),
           -- which is not exact.
           SUM(leaving) OVER (PARTITION BY dimension, grp)
             - COALESCE(SUM(leaving) OVER (PARTITION BY dimension, grp ORDER BY days
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS at_risk
    FROM per_day
)
SELECT dimension, grp, days, at_risk, events, censored,
       CASE WHEN SUM(CASE WHEN events = at_risk THEN 1 ELSE 0 END)
                 OVER (PARTITION BY dimension, grp ORDER BY days
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) > 0 THEN 0.0
            ELSE exp(SUM(CASE WHEN events < at_risk THEN ln(1.0 - CAST(events AS DOUBLE) / at_risk) ELSE 0.0 END)
                     OVER (PARTITION BY dimension, grp ORDER BY days
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) END AS survival
FROM risk
ORDER BY dimension, grp, days
