-- name: factor_time_to_go_live
-- description: Per key factor, how time from decision to go-live differs between projects strong on it (score 4–5 or främjande) and weak on it (score 1–2 or hämmande); score 3 counts as neither. Kaplan–Meier medians of each group (censored as in project_time_to_go_live), the log-rank test (chi-square, 1 df), and the hazard ratio of going live, strong against weak, from a Cox model with Efron ties (above 1: strong projects go live sooner), with its 95 % interval and Wald p. Null where a group is empty or the model has no finite maximum.
-- unit: days; hazard ratio
-- grain: factor_id
WITH g AS (
    SELECT f.factor_id, t.days, t.observed,
           CASE WHEN f.score >= 4 OR f.direction = 'främjande' THEN TRUE
                WHEN f.score <= 2 OR f.direction = 'hämmande' THEN FALSE END AS strong
    FROM project_factor f
    JOIN project_time_to_go_live t ON t.project_id = f.project_id
)
SELECT k.factor_id,
       k.position AS factor_position,
       k.name_sv AS factor_name_sv,
       k.name_en AS factor_name_en,
       SUM(CASE WHEN g.strong THEN 1 ELSE 0 END) AS n_strong,
       SUM(CASE WHEN NOT g.strong THEN 1 ELSE 0 END) AS n_weak,
       km_quantile(CASE WHEN g.strong THEN g.days END, g.observed, 0.5) AS median_days_strong,
       km_quantile(CASE WHEN NOT g.strong THEN g.days END, g.observed, 0.5) AS median_days_weak,
       logrank_chi2(g.days, g.observed, g.strong) AS logrank_chi2,
       logrank_p(g.days, g.observed, g.strong) AS logrank_p,
       cox_hr(g.days, g.observed, CAST(g.strong AS DOUBLE)) AS hazard_ratio,
       cox_hr_lower(g.days, g.observed, CAST(g.strong AS DOUBLE)) AS hazard_ratio_lower,
       cox_hr_upper(g.days, g.observed, CAST(g.strong AS DOUBLE)) AS hazard_ratio_upper,
       cox_p(g.days, g.observed, CAST(g.strong AS DOUBLE)) AS cox_p
FROM key_factor k
LEFT JOIN g ON g.factor_id = k.factor_id
GROUP BY k.factor_id, k.position, k.name_sv, k.name_en
ORDER BY k.position
