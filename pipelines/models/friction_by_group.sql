-- name: friction_by_group
-- description: Mean minutes lost per working day to IT friction, by survey wave, nationally (dimension all) and by verksamhet, occupation, employer type and whether the respondent took part in planning or buying IT systems (involved_in_procurement: ja / nej): weighted mean, Kish effective n, standard deviation, standard error and a 95 % interval (mean ± 1.96 standard errors), as friction_by_kommun computes them. Respondents as survey_respondent counts them; answers without minutes, and respondents without a value for a dimension, are left out of it.
-- unit: minutes per working day
-- grain: wave_id × dimension × grp
WITH d AS (
    SELECT wave_id, 'all' AS dimension, 'alla' AS grp, weight AS w, minutes_lost AS x FROM survey_respondent
    UNION ALL
    SELECT wave_id, 'verksamhet', verksamhet, weight, minutes_lost FROM survey_respondent
    UNION ALL
    SELECT wave_id, 'occupation', occupation, weight, minutes_lost FROM survey_respondent
    UNION ALL
    SELECT wave_id, 'employer_type', employer_type, weight, minutes_lost FROM survey_respondent
    UNION ALL
    SELECT wave_id, 'involved_in_procurement',
           CASE WHEN involved_in_procurement THEN 'ja' WHEN NOT involved_in_procurement THEN 'nej' END,
           weight, minutes_lost
    FROM survey_respondent
),
r AS (
    SELECT * FROM d WHERE grp IS NOT NULL AND x IS NOT NULL
),
m AS (
    SELECT wave_id, dimension, grp,
           COUNT(*) AS n,
           SUM(w) AS sum_w,
           SUM(w * w) AS sum_w2,
           SUM(w * x) / SUM(w) AS mean_minutes
    FROM r
    GROUP BY wave_id, dimension, grp
),
v AS (
    -- Two passes, as in friction_by_kommun.
    SELECT r.wave_id, r.dimension, r.grp, SUM(r.w * (r.x - m.mean_minutes) * (r.x - m.mean_minutes)) AS ss
    FROM r JOIN m ON r.wave_id = m.wave_id AND r.dimension = m.dimension AND r.grp = m.grp
    GROUP BY r.wave_id, r.dimension, r.grp
),
s AS (
    SELECT m.wave_id, m.dimension, m.grp, m.n, m.mean_minutes,
           m.sum_w * m.sum_w / m.sum_w2 AS n_eff,
           v.ss / m.sum_w AS var_pop
    FROM m JOIN v ON m.wave_id = v.wave_id AND m.dimension = v.dimension AND m.grp = v.grp
),
sd AS (
    SELECT s.*, CASE WHEN n_eff > 1 THEN sqrt(var_pop * n_eff / (n_eff - 1)) END AS sd_minutes
    FROM s
)
SELECT wave_id, dimension, grp, n, n_eff, mean_minutes, sd_minutes,
       sd_minutes / sqrt(n_eff) AS se_minutes,
       mean_minutes - 1.96 * sd_minutes / sqrt(n_eff) AS ci_low,
       mean_minutes + 1.96 * sd_minutes / sqrt(n_eff) AS ci_high
FROM sd
ORDER BY wave_id, dimension, grp
