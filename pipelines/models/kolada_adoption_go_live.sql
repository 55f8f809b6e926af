-- name: kolada_adoption_go_live
-- description: A kommun's time to go-live for a welfare-technology solution beside its Kolada adoption figure for the same technology, where both exist. The Kolada KPIs are Socialstyrelsen's on what a kommun offers people living at home (value 2 breddinfört, 1 testverksamhet, 0 nej); the pairs of solution and KPI are listed below (the same technology on the same scale), each KPI one Kolada defines. Per kommun, solution, KPI and Kolada year: the kommun's projects for the solution, how many had gone live by the end of that year, the first go-live, and the median days from decision to go-live of those live (censored projects are in time_to_go_live's Kaplan–Meier figures, not here). synthetic is true where the Kolada figure is made up (the bundled demo's). Källa: Kolada.
-- unit: projects; days; Kolada's value (0–2)
-- grain: kommun_kod × solution × kpi_id × period
WITH pairs AS (
    SELECT 'Digital nattillsyn' AS solution, 'U21340' AS kpi_id
    UNION ALL SELECT 'Digital nattillsyn', 'U21350'
    UNION ALL SELECT 'GPS-larm', 'U21341'
    UNION ALL SELECT 'GPS-larm', 'U21351'
    UNION ALL SELECT 'Digitala lås', 'U21349'
    -- Only the same technology on the same 0–2 scale: U21359 (lås, disability) is Ja/Nej,
    -- and a passive alarm or sensor (U21342) is not a digital trygghetslarm.
),
adoption AS (
    SELECT v.kommun_kod, p.solution, v.kpi_id, v.period, v.value, v.synthetic
    FROM kolada_value v
    JOIN pairs p ON p.kpi_id = v.kpi_id
    WHERE v.gender = 'T' AND v.kommun_kod <> '0000'
),
projects AS (
    SELECT t.kommun_kod, t.kommun_name, t.solution, t.observed, t.go_live_on, t.days
    FROM project_time_to_go_live t
    JOIN (SELECT DISTINCT solution FROM pairs) s ON s.solution = t.solution
)
SELECT a.kommun_kod, MIN(p.kommun_name) AS kommun_name, a.solution, a.kpi_id,
       MIN(k.title) AS kpi_title, a.period,
       MIN(a.value) AS kolada_value, BOOL_OR(a.synthetic) AS synthetic,
       COUNT(*) AS projects,
       SUM(CASE WHEN p.observed AND EXTRACT(YEAR FROM p.go_live_on) <= a.period THEN 1 ELSE 0 END) AS projects_live_by_period,
       MIN(p.go_live_on) AS first_go_live,
       MEDIAN(CASE WHEN p.observed THEN p.days END) AS median_days_live
FROM adoption a
JOIN projects p ON p.kommun_kod = a.kommun_kod AND p.solution = a.solution
JOIN kolada_kpi k ON k.kpi_id = a.kpi_id
GROUP BY a.kommun_kod, a.solution, a.kpi_id, a.period
ORDER BY a.kommun_kod, a.solution, a.kpi_id, a.period
