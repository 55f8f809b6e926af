-- name: survey_respondent
-- description: Each survey respondent counted once per wave, with the weight to use: duplicate answers flagged at ingest, later repeats of a respondent across files (the earliest answer wins) and respondents that could not be weighted (weight 0) are left out. The base of every survey indicator.
-- unit: respondents
-- grain: wave_id × respondent_key
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
)
SELECT s.wave_id, s.respondent_key, s.employer_type, s.kommun_kod, s.lan_kod, s.verksamhet,
       s.occupation, s.minutes_lost, s.involved_in_procurement, s.needs_training, s.weight,
       s.source_file, s.source_line
FROM survey_response s
LEFT JOIN later l
  ON s.wave_id = l.wave_id AND s.source_file = l.source_file AND s.source_line = l.source_line
WHERE l.source_line IS NULL
  AND NOT s.is_duplicate
  AND s.weight > 0
ORDER BY s.wave_id, s.respondent_key
