-- name: friction_by_kommun
-- description: Mean minutes lost per working day to IT friction, by survey wave and municipality: weighted mean, Kish effective n and a 95 % interval (mean ± 1.96 standard errors). Duplicate answers, answers without minutes and respondents that could not be weighted (weight 0) are left out.
-- unit: minutes per working day
-- grain: wave_id × kommun_kod
WITH first_answer AS (
    -- A respondent counts once per wave, also when the wave spans several files (ingest
    -- flags repeats within a file; this catches them across files): the earliest answer wins.
    SELECT *,
           ROW_NUMBER() OVER (
               PARTITION BY wave_id, respondent_key
               ORDER BY submitted_at NULLS LAST, source_file, source_line
           ) AS nth
    FROM survey_response
),
r AS (
    SELECT wave_id, kommun_kod, weight AS w, minutes_lost AS x
    FROM first_answer
    WHERE nth = 1
      AND NOT is_duplicate
      AND weight > 0
      AND kommun_kod IS NOT NULL
      AND minutes_lost IS NOT NULL
),
m AS (
    SELECT wave_id, kommun_kod,
           COUNT(*) AS n,
           SUM(w) AS sum_w,
           SUM(w * w) AS sum_w2,
           SUM(w * x) / SUM(w) AS mean_minutes
    FROM r
    GROUP BY wave_id, kommun_kod
),
v AS (
    -- Two passes: the sum of squared deviations from the mean, not E[x²] − E[x]², which
    -- loses precision when the spread is small against the mean.
    SELECT r.wave_id, r.kommun_kod, SUM(r.w * (r.x - m.mean_minutes) * (r.x - m.mean_minutes)) AS ss
    FROM r JOIN m ON r.wave_id = m.wave_id AND r.kommun_kod = m.kommun_kod
    GROUP BY r.wave_id, r.kommun_kod
),
e AS (
    SELECT m.wave_id, m.kommun_kod, m.n, m.mean_minutes,
           m.sum_w * m.sum_w / m.sum_w2 AS n_eff,
           v.ss / m.sum_w AS var_pop
    FROM m JOIN v ON m.wave_id = v.wave_id AND m.kommun_kod = v.kommun_kod
),
s AS (
    SELECT e.*,
           CASE WHEN n_eff > 1 THEN sqrt(var_pop * n_eff / (n_eff - 1)) END AS sd_minutes
    FROM e
)
SELECT s.wave_id,
       s.kommun_kod,
       k.name AS kommun_name,
       k.lan_kod,
       k.lan_name,
       s.n,
       s.n_eff,
       s.mean_minutes,
       s.sd_minutes,
       s.sd_minutes / sqrt(s.n_eff) AS se_minutes,
       s.mean_minutes - 1.96 * s.sd_minutes / sqrt(s.n_eff) AS ci_low,
       s.mean_minutes + 1.96 * s.sd_minutes / sqrt(s.n_eff) AS ci_high
FROM s
JOIN municipality k ON k.kommun_kod = s.kommun_kod
ORDER BY s.wave_id, s.kommun_kod
