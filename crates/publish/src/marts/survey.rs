//! Survey and log marts beyond the kommun table.

use arrow::array::RecordBatch;

use super::Mart;
use crate::PublishError;

/// One row of `friction_by_group`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFriction {
    pub wave_id: String,
    pub dimension: String,
    pub grp: String,
    pub n: i64,
    pub n_eff: Option<f64>,
    pub mean_minutes: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

pub fn group_friction(batches: &[RecordBatch]) -> Result<Vec<GroupFriction>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "friction_by_group",
            batch: b,
        };
        let (waves, dims, grps) = (
            m.strings("wave_id")?,
            m.strings("dimension")?,
            m.strings("grp")?,
        );
        let (n, n_eff, mean, lo, hi) = m.estimates()?;
        for i in 0..b.num_rows() {
            out.push(GroupFriction {
                wave_id: waves[i].clone().unwrap_or_default(),
                dimension: dims[i].clone().unwrap_or_default(),
                grp: grps[i].clone().unwrap_or_default(),
                n: n[i].unwrap_or(0),
                n_eff: n_eff[i],
                mean_minutes: mean[i],
                ci_low: lo[i],
                ci_high: hi[i],
            });
        }
    }
    Ok(out)
}

/// One band of `friction_distribution`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub wave_id: String,
    pub band_order: i64,
    pub band: String,
    pub n: i64,
    pub weighted_share: f64,
}

pub fn distribution(batches: &[RecordBatch]) -> Result<Vec<Band>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "friction_distribution",
            batch: b,
        };
        let (waves, bands) = (m.strings("wave_id")?, m.strings("band")?);
        let (order, n, share) = (
            m.ints("band_order")?,
            m.ints("n")?,
            m.floats("weighted_share")?,
        );
        for i in 0..b.num_rows() {
            out.push(Band {
                wave_id: waves[i].clone().unwrap_or_default(),
                band_order: order[i].unwrap_or(0),
                band: bands[i].clone().unwrap_or_default(),
                n: n[i].unwrap_or(0),
                weighted_share: share[i].unwrap_or(0.0),
            });
        }
    }
    Ok(out)
}

/// One row of `friction_cost`: a wave's minutes priced under one set of assumptions.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    pub wave_id: String,
    pub assumption_set: String,
    pub n: i64,
    pub mean_minutes: Option<f64>,
    pub employees: Option<f64>,
    pub working_days_per_year: Option<f64>,
    pub monthly_salary_sek: Option<f64>,
    pub payroll_overhead: Option<f64>,
    pub cost_per_hour_sek: Option<f64>,
    pub cost: [Option<f64>; 3],
    pub fte: [Option<f64>; 3],
    pub source: String,
}

pub fn friction_cost(batches: &[RecordBatch]) -> Result<Vec<Cost>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "friction_cost",
            batch: b,
        };
        let (waves, sets, src) = (
            m.strings("wave_id")?,
            m.strings("assumption_set")?,
            m.strings("source")?,
        );
        let n = m.ints("n")?;
        let f = |c: &str| m.floats(c);
        let (mean, emp, days, salary, po, cph) = (
            f("mean_minutes")?,
            f("employees")?,
            f("working_days_per_year")?,
            f("monthly_salary_sek")?,
            f("payroll_overhead")?,
            f("cost_per_hour_sek")?,
        );
        let (c, cl, ch) = (f("cost_sek")?, f("cost_low_sek")?, f("cost_high_sek")?);
        let (e, el, eh) = (f("fte")?, f("fte_low")?, f("fte_high")?);
        for i in 0..b.num_rows() {
            out.push(Cost {
                wave_id: waves[i].clone().unwrap_or_default(),
                assumption_set: sets[i].clone().unwrap_or_default(),
                n: n[i].unwrap_or(0),
                mean_minutes: mean[i],
                employees: emp[i],
                working_days_per_year: days[i],
                monthly_salary_sek: salary[i],
                payroll_overhead: po[i],
                cost_per_hour_sek: cph[i],
                cost: [c[i], cl[i], ch[i]],
                fte: [e[i], el[i], eh[i]],
                source: src[i].clone().unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// One row of `log_friction_by_system`: a system nationally (level system) or in one kommun.
#[derive(Debug, Clone, PartialEq)]
pub struct LogFriction {
    pub level: String,
    pub system_id: String,
    pub kommun_kod: Option<String>,
    pub first_day: String,
    pub last_day: String,
    pub user_days: i64,
    pub minutes_lost_per_user_day: Option<f64>,
}

pub fn log_friction(batches: &[RecordBatch]) -> Result<Vec<LogFriction>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "log_friction_by_system",
            batch: b,
        };
        let (level, system, kommun) = (
            m.strings("level")?,
            m.strings("system_id")?,
            m.strings("kommun_kod")?,
        );
        let (first, last) = (m.strings("first_day")?, m.strings("last_day")?);
        let (user_days, per) = (m.ints("user_days")?, m.floats("minutes_lost_per_user_day")?);
        for i in 0..b.num_rows() {
            out.push(LogFriction {
                level: level[i].clone().unwrap_or_default(),
                system_id: system[i].clone().unwrap_or_default(),
                kommun_kod: kommun[i].clone(),
                first_day: first[i].clone().unwrap_or_default(),
                last_day: last[i].clone().unwrap_or_default(),
                user_days: user_days[i].unwrap_or(0),
                minutes_lost_per_user_day: per[i],
            });
        }
    }
    Ok(out)
}
