-- name: friction_distribution
-- description: How the minutes lost per working day spread over the respondents of each survey wave: respondents (n) and their weighted share in bands of minutes: exactly 0, then from min_minutes up to but not including below_minutes (0–15 is more than 0 and under 15), and 120 or more. Bands nobody answered in are left out. Respondents as survey_respondent counts them; answers without minutes are left out.
-- unit: respondents; share of the wave's weighted respondents (0–1)
-- grain: wave_id × band
WITH bands (band_order, band, min_minutes, below_minutes) AS (
    VALUES (0, '0', 0.0, 0.0), (1, '0–15', 0.0, 15.0), (2, '15–30', 15.0, 30.0),
           (3, '30–45', 30.0, 45.0), (4, '45–60', 45.0, 60.0), (5, '60–90', 60.0, 90.0),
           (6, '90–120', 90.0, 120.0), (7, '120+', 120.0, CAST(NULL AS DOUBLE))
),
r AS (
    -- Band 0 is exactly zero minutes; the others are half-open, [min, below).
    SELECT wave_id, weight AS w,
           CASE WHEN minutes_lost = 0 THEN 0
                WHEN minutes_lost < 15 THEN 1
                WHEN minutes_lost < 30 THEN 2
                WHEN minutes_lost < 45 THEN 3
                WHEN minutes_lost < 60 THEN 4
                WHEN minutes_lost < 90 THEN 5
                WHEN minutes_lost < 120 THEN 6
                ELSE 7 END AS band_order
    FROM survey_respondent
    WHERE minutes_lost IS NOT NULL
),
totals AS (
    SELECT wave_id, SUM(w) AS sum_w FROM r GROUP BY wave_id
)
SELECT r.wave_id, b.band_order, b.band, b.min_minutes, b.below_minutes,
       COUNT(*) AS n,
       SUM(r.w) / MAX(t.sum_w) AS weighted_share
FROM r
JOIN bands b ON r.band_order = b.band_order
JOIN totals t ON r.wave_id = t.wave_id
GROUP BY r.wave_id, b.band_order, b.band, b.min_minutes, b.below_minutes
ORDER BY r.wave_id, b.band_order
