-- name: factor_scores_by_kommun
-- description: How each kommun's projects are assessed on each key factor: projects assessed, mean score (1–5) and how many were assessed enabling (score 4–5 or främjande) or restricting (score 1–2 or hämmande). Factor names come from the catalogue (key_factor), so renaming a factor there renames it here.
-- unit: score 1–5; projects
-- grain: kommun_kod × factor_id
SELECT p.kommun_kod,
       f.factor_id,
       k.position AS factor_position,
       k.name_sv AS factor_name_sv,
       k.name_en AS factor_name_en,
       COUNT(*) AS n_assessed,
       AVG(CAST(f.score AS DOUBLE)) AS mean_score,
       SUM(CASE WHEN f.score >= 4 OR f.direction = 'främjande' THEN 1 ELSE 0 END) AS n_enabling,
       SUM(CASE WHEN f.score <= 2 OR f.direction = 'hämmande' THEN 1 ELSE 0 END) AS n_restricting
FROM project_factor f
JOIN project p ON p.project_id = f.project_id
JOIN key_factor k ON k.factor_id = f.factor_id
GROUP BY p.kommun_kod, f.factor_id, k.position, k.name_sv, k.name_en
ORDER BY p.kommun_kod, k.position
