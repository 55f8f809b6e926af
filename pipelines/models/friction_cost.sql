-- name: friction_cost
-- description: Yearly cost in SEK and full-time equivalents of the working time lost to IT friction, per survey wave and set of cost assumptions (cost_assumption, from pipelines/assumptions.toml, versioned; every row repeats the assumptions it used). Hours lost per employee and year = national mean minutes per day (friction_by_group, dimension all) / 60 × working days; cost = hours × monthly salary / hours per month × (1 + payroll overhead) × employees; full-time equivalents = hours × employees / (12 × hours per month). Low and high from the mean's 95 % interval. The mean is the wave's, over all its respondents: for a wave that samples one municipality's staff it is not a national estimate.
-- unit: SEK per year; full-time equivalents
-- grain: wave_id × assumption_set × version
WITH f AS (
    SELECT wave_id, n, mean_minutes, ci_low, ci_high
    FROM friction_by_group
    WHERE dimension = 'all'
),
c AS (
    SELECT f.*, a.assumption_set, a.version, a.employees, a.working_days_per_year,
           a.hours_per_month, a.monthly_salary_sek, a.payroll_overhead, a.source,
           a.monthly_salary_sek / a.hours_per_month * (1.0 + a.payroll_overhead) AS cost_per_hour_sek
    FROM f CROSS JOIN cost_assumption a
)
SELECT wave_id, assumption_set, version, n, mean_minutes,
       employees, working_days_per_year, hours_per_month, monthly_salary_sek, payroll_overhead,
       cost_per_hour_sek,
       mean_minutes / 60.0 * working_days_per_year AS hours_lost_per_employee,
       mean_minutes / 60.0 * working_days_per_year * cost_per_hour_sek * employees AS cost_sek,
       ci_low / 60.0 * working_days_per_year * cost_per_hour_sek * employees AS cost_low_sek,
       ci_high / 60.0 * working_days_per_year * cost_per_hour_sek * employees AS cost_high_sek,
       mean_minutes / 60.0 * working_days_per_year * employees / (12.0 * hours_per_month) AS fte,
       ci_low / 60.0 * working_days_per_year * employees / (12.0 * hours_per_month) AS fte_low,
       ci_high / 60.0 * working_days_per_year * employees / (12.0 * hours_per_month) AS fte_high,
       source
FROM c
ORDER BY wave_id, assumption_set, version
