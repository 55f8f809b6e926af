-- name: friction_by_kommun
-- description: Mean minutes lost per working day to IT friction, by survey wave and municipality: weighted mean, Kish effective n and a 95 % interval (mean ± 1.96 standard errors). Respondents as survey_respondent counts them (once per wave, weighted); answers without minutes are left out.
-- unit: minutes per working day
-- grain: wave_id × kommun_kod
-- kolada: kpi=FRIKTION_MINUTER_DAG value=mean_minutes n=n kommun=kommun_kod period=wave_id
WITH r AS (
    SELECT wave_id, kommun_kod, weight AS w, minutes_lost AS x
    FROM survey_respondent
    WHERE kommun_kod IS NOT NULL
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
