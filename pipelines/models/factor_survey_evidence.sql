-- name: factor_survey_evidence
-- description: Staff-survey evidence on the key factors, by survey wave and kommun: for each factor, the survey items the catalogue (key_factor_item) reads as evidence on it, answered on a 1–5 agreement scale. Weighted mean answer and weighted share agreeing (4 or 5), with the survey weights; respondents with weight 0 are left out. A factor with several items averages all their answers.
-- unit: agreement 1–5; share
-- grain: wave_id × kommun_kod × factor_id
SELECT r.wave_id,
       r.kommun_kod,
       k.factor_id,
       f.name_sv AS factor_name_sv,
       f.name_en AS factor_name_en,
       COUNT(DISTINCT r.respondent_key) AS n,
       SUM(r.weight * a.value_num) / SUM(r.weight) AS mean_agreement,
       SUM(CASE WHEN a.value_num >= 4 THEN r.weight ELSE 0.0 END) / SUM(r.weight) AS share_agreeing
FROM survey_answer a
JOIN survey_response r ON r.respondent_key = a.respondent_key AND r.wave_id = a.wave_id
JOIN key_factor_item k ON k.item_id = a.item_id
JOIN key_factor f ON f.factor_id = k.factor_id
WHERE a.value_num IS NOT NULL
  AND r.weight > 0
  AND r.kommun_kod IS NOT NULL
GROUP BY r.wave_id, r.kommun_kod, k.factor_id, f.name_sv, f.name_en
ORDER BY r.wave_id, r.kommun_kod, k.factor_id
