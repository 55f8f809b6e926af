-- name: kommun_benchmark
-- description: Each kommun's mean minutes lost per day against its peer group and the country, per survey wave: the peer group is the SKR kommungrupp where configured, else the county. Peer-group and national means are weighted means over their respondents (not means of kommun means). Rank 1 is the least friction; percentile is the share of the other kommuner with less friction (0 least, 100 most), in the country and in the peer group.
-- unit: minutes per working day; rank; percentile
-- grain: wave_id × kommun_kod
-- kolada: kpi=FRIKTION_PERCENTIL_RIKET value=percentile_national n=n kommun=kommun_kod period=wave_id
WITH k AS (
    SELECT f.wave_id, f.kommun_kod, f.kommun_name, f.n, f.mean_minutes,
           COALESCE(m.peer_group, m.lan_name) AS peer_group
    FROM friction_by_kommun f
    JOIN municipality m ON m.kommun_kod = f.kommun_kod
),
peer AS (
    SELECT r.wave_id, COALESCE(m.peer_group, m.lan_name) AS peer_group,
           SUM(r.weight * r.minutes_lost) / SUM(r.weight) AS peer_mean_minutes,
           COUNT(*) AS peer_n
    FROM survey_respondent r
    JOIN municipality m ON m.kommun_kod = r.kommun_kod
    WHERE r.minutes_lost IS NOT NULL
    GROUP BY r.wave_id, COALESCE(m.peer_group, m.lan_name)
),
nat AS (
    SELECT wave_id, mean_minutes AS national_mean_minutes, n AS national_n
    FROM friction_by_group
    WHERE dimension = 'all'
)
SELECT k.wave_id, k.kommun_kod, k.kommun_name, k.n, k.mean_minutes,
       k.peer_group, p.peer_n, p.peer_mean_minutes,
       k.mean_minutes - p.peer_mean_minutes AS diff_from_peer,
       n.national_n, n.national_mean_minutes,
       k.mean_minutes - n.national_mean_minutes AS diff_from_national,
       -- Ranks as signed integers (RANK() gives UInt64, which some readers sum differently).
       CAST(RANK() OVER (PARTITION BY k.wave_id ORDER BY k.mean_minutes) AS BIGINT) AS rank_national,
       COUNT(*) OVER (PARTITION BY k.wave_id) AS kommuner_national,
       100.0 * PERCENT_RANK() OVER (PARTITION BY k.wave_id ORDER BY k.mean_minutes) AS percentile_national,
       CAST(RANK() OVER (PARTITION BY k.wave_id, k.peer_group ORDER BY k.mean_minutes) AS BIGINT) AS rank_in_peer_group,
       COUNT(*) OVER (PARTITION BY k.wave_id, k.peer_group) AS kommuner_in_peer_group
FROM k
JOIN peer p ON p.wave_id = k.wave_id AND p.peer_group = k.peer_group
JOIN nat n ON n.wave_id = k.wave_id
ORDER BY k.wave_id, k.kommun_kod
