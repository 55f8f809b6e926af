-- name: friction_by_kommun
-- description: Mean minutes lost per working day to IT friction, by survey wave and municipality: weighted mean, Kish effective n and a 95 % interval (mean ± 1.96 standard errors). Duplicate answers, answers without minutes and respondents that could not be weighted (weight 0) are left out.
-- unit: minutes per working day
-- grain: wave_id × kommun_kod
WITH repeated AS (
    -- A respondent counts once per wave, also when the wave spans several files (ingest
    -- flags repeats within a file; this catches them across files): the earliest answer wins.
    -- Repeats are rare, so only they are ranked; a window over every row costs seconds.
    SELECT wave_id, respondent_key
    FROM survey_response
    GROUP BY wave_id, respondent_key
    HAVING COUNT(*) > 1
),
later AS (
    SELECT wave_id, source_file, source_line
    FROM (
        SELECT s.wave_id, s.source_file, s.source_line,
               ROW_NUMBER() OVER (
                   PARTITION BY s.wave_id, s.respondent_key
                   ORDER BY s.submitted_at NULLS LAST, s.source_file, s.source_line
               ) AS nth
        FROM survey_response s
        JOIN repeated d ON s.wave_id = d.wave_id AND s.respondent_key = d.respondent_key
    ) ranked
    WHERE nth > 1
),
r AS (
    SELECT s.wave_id, s.kommun_kod, s.weight AS w, s.minutes_lost AS x
    FROM survey_response s
    LEFT JOIN later l
      ON s.wave_id = l.wave_id AND s.source_file = l.source_file AND s.source_line = l.source_line
    WHERE l.source_line IS NULL
      AND NOT s.is_duplicate
      AND s.weight > 0
      AND s.kommun_kod IS NOT NULL
      AND s.minutes_lost IS NOT NULL
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
