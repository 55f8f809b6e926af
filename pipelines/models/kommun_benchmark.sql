-- name: kommun_benchmark
-- description: Each kommun's mean minutes lost per day against its peer group, its county and the country, per survey wave. The peer group is the kommun's SKR kommungrupp (municipality.peer_group, the revision in peer_group_version; Källa: Kolada / SKR), or its county where the reference has no kommungrupp file. Peer-group, county and national means are weighted means over their respondents (not means of kommun means). Rank 1 is the least friction; percentile is the share of the other kommuner with less friction (0 least, 100 most), in the country and in the peer group.
-- unit: minutes per working day; rank; percentile
-- grain: wave_id × kommun_kod
-- kolada: kpi=FRIKTION_PERCENTIL_RIKET value=percentile_national n=n kommun=kommun_kod period=wave_id
WITH place AS (
    SELECT m.kommun_kod, m.lan_name,
           COALESCE(m.peer_group, m.lan_name) AS peer_group,
           COALESCE(g.name, m.lan_name) AS peer_group_name,
           COALESCE(g.name_en, m.lan_name) AS peer_group_name_en,
           m.peer_group_version
    FROM municipality m
    LEFT JOIN peer_group g ON g.version = m.peer_group_version AND g.gruppkod = m.peer_group
),
k AS (
    SELECT f.wave_id, f.kommun_kod, f.kommun_name, f.n, f.mean_minutes,
           p.peer_group, p.peer_group_name, p.peer_group_name_en, p.peer_group_version, p.lan_name
    FROM friction_by_kommun f
    JOIN place p ON p.kommun_kod = f.kommun_kod
),
answered AS (
    SELECT r.wave_id, r.weight, r.minutes_lost, p.peer_group, p.lan_name
    FROM survey_respondent r
    JOIN place p ON p.kommun_kod = r.kommun_kod
    WHERE r.minutes_lost IS NOT NULL
),
peer AS (
    SELECT wave_id, peer_group,
           SUM(weight * minutes_lost) / SUM(weight) AS peer_mean_minutes,
           COUNT(*) AS peer_n
    FROM answered
    GROUP BY wave_id, peer_group
),
county AS (
    SELECT wave_id, lan_name,
           SUM(weight * minutes_lost) / SUM(weight) AS county_mean_minutes,
           COUNT(*) AS county_n
    FROM answered
    GROUP BY wave_id, lan_name
),
nat AS (
    SELECT wave_id, mean_minutes AS national_mean_minutes, n AS national_n
    FROM friction_by_group
    WHERE dimension = 'all'
)
SELECT k.wave_id, k.kommun_kod, k.kommun_name, k.n, k.mean_minutes,
       k.peer_group, k.peer_group_name, k.peer_group_name_en, k.peer_group_version,
       p.peer_n, p.peer_mean_minutes,
       k.mean_minutes - p.peer_mean_minutes AS diff_from_peer,
       k.lan_name, c.county_n, c.county_mean_minutes,
       k.mean_minutes - c.county_mean_minutes AS diff_from_county,
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
JOIN county c ON c.wave_id = k.wave_id AND c.lan_name = k.lan_name
JOIN nat n ON n.wave_id = k.wave_id
ORDER BY k.wave_id, k.kommun_kod
