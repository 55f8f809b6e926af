-- name: published_figure_check
-- description: Published cost figures reproduced from their own published inputs (cost_assumption rows that carry published_minutes_per_day and published_cost_sek): employees × minutes per day / 60 × working days × monthly salary / hours per month × (1 + payroll overhead), beside the published number and the difference. Vision 2014: 1 400 respondents × 26 minutes × 25 days × 12 months × 27 500 SEK / 164 hours ≈ 30.5 MSEK.
-- unit: SEK per year
-- grain: assumption_set × version
SELECT assumption_set, version, description, description_en,
       employees, published_minutes_per_day, working_days_per_year, hours_per_month,
       monthly_salary_sek, payroll_overhead,
       employees * published_minutes_per_day / 60.0 * working_days_per_year
         * monthly_salary_sek / hours_per_month * (1.0 + payroll_overhead) AS reproduced_cost_sek,
       published_cost_sek,
       (employees * published_minutes_per_day / 60.0 * working_days_per_year
         * monthly_salary_sek / hours_per_month * (1.0 + payroll_overhead))
         / published_cost_sek - 1.0 AS relative_difference,
       source
FROM cost_assumption
WHERE published_minutes_per_day IS NOT NULL AND published_cost_sek IS NOT NULL
ORDER BY assumption_set, version
