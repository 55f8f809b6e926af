//! Outcome, key-factor and cost marts.

use arrow::array::RecordBatch;

use super::Mart;
use crate::PublishError;

/// One row of `factor_scores_by_kommun`.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorScore {
    pub kommun_kod: String,
    pub factor_id: String,
    pub factor_position: i64,
    pub name_sv: String,
    pub name_en: String,
    pub n_assessed: i64,
    pub mean_score: Option<f64>,
}

pub fn factor_scores(batches: &[RecordBatch]) -> Result<Vec<FactorScore>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "factor_scores_by_kommun",
            batch: b,
        };
        let (kod, id, sv, en) = (
            m.strings("kommun_kod")?,
            m.strings("factor_id")?,
            m.strings("factor_name_sv")?,
            m.strings("factor_name_en")?,
        );
        let (pos, n, mean) = (
            m.ints("factor_position")?,
            m.ints("n_assessed")?,
            m.floats("mean_score")?,
        );
        for i in 0..b.num_rows() {
            out.push(FactorScore {
                kommun_kod: kod[i].clone().unwrap_or_default(),
                factor_id: id[i].clone().unwrap_or_default(),
                factor_position: pos[i].unwrap_or(0),
                name_sv: sv[i].clone().unwrap_or_default(),
                name_en: en[i].clone().unwrap_or_default(),
                n_assessed: n[i].unwrap_or(0),
                mean_score: mean[i],
            });
        }
    }
    Ok(out)
}

/// One row of the time_to_go_live mart.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeToGoLive {
    /// all, solution, track, peer_group or kommun.
    pub dimension: String,
    pub grp: String,
    pub n_projects: i64,
    pub n_live: i64,
    pub n_abandoned: i64,
    pub n_running: i64,
    pub q1_days: Option<f64>,
    pub median_days: Option<f64>,
    pub q3_days: Option<f64>,
    pub share_live_within_2y: Option<f64>,
    pub naive_median_days: Option<f64>,
}

pub fn time_to_go_live(batches: &[RecordBatch]) -> Result<Vec<TimeToGoLive>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "time_to_go_live",
            batch: b,
        };
        let (dim, grp) = (m.strings("dimension")?, m.strings("grp")?);
        let (n, live, gave_up, running) = (
            m.ints("n_projects")?,
            m.ints("n_live")?,
            m.ints("n_abandoned")?,
            m.ints("n_running")?,
        );
        let (q1, med, q3, two, naive) = (
            m.floats("q1_days")?,
            m.floats("median_days")?,
            m.floats("q3_days")?,
            m.floats("share_live_within_2y")?,
            m.floats("naive_median_days")?,
        );
        for i in 0..b.num_rows() {
            out.push(TimeToGoLive {
                dimension: dim[i].clone().unwrap_or_default(),
                grp: grp[i].clone().unwrap_or_default(),
                n_projects: n[i].unwrap_or(0),
                n_live: live[i].unwrap_or(0),
                n_abandoned: gave_up[i].unwrap_or(0),
                n_running: running[i].unwrap_or(0),
                q1_days: q1[i],
                median_days: med[i],
                q3_days: q3[i],
                share_live_within_2y: two[i],
                naive_median_days: naive[i],
            });
        }
    }
    Ok(out)
}

/// One point of the `time_to_go_live_curve` mart.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    pub dimension: String,
    pub grp: String,
    pub days: f64,
    pub survival: f64,
}

pub fn curve(batches: &[RecordBatch]) -> Result<Vec<CurvePoint>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "time_to_go_live_curve",
            batch: b,
        };
        let (dim, grp) = (m.strings("dimension")?, m.strings("grp")?);
        let (days, s) = (m.floats("days")?, m.floats("survival")?);
        for i in 0..b.num_rows() {
            if let (Some(d), Some(v)) = (days[i], s[i]) {
                out.push(CurvePoint {
                    dimension: dim[i].clone().unwrap_or_default(),
                    grp: grp[i].clone().unwrap_or_default(),
                    days: d,
                    survival: v,
                });
            }
        }
    }
    Ok(out)
}

/// One stage of the national funnel (`project_funnel`, track all).
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelStage {
    pub stage: String,
    pub n_projects: i64,
    pub n_reached: i64,
}

pub fn funnel(batches: &[RecordBatch]) -> Result<Vec<FunnelStage>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "project_funnel",
            batch: b,
        };
        let (track, stage) = (m.strings("track")?, m.strings("stage")?);
        let (n, reached) = (m.ints("n_projects")?, m.ints("n_reached")?);
        for i in 0..b.num_rows() {
            if track[i].as_deref() == Some("all") {
                out.push(FunnelStage {
                    stage: stage[i].clone().unwrap_or_default(),
                    n_projects: n[i].unwrap_or(0),
                    n_reached: reached[i].unwrap_or(0),
                });
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublishedCheck {
    pub assumption_set: String,
    pub description: String,
    pub description_en: Option<String>,
    pub source: String,
    pub reproduced_sek: f64,
    pub published_sek: f64,
}

pub fn published_checks(batches: &[RecordBatch]) -> Result<Vec<PublishedCheck>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "published_figure_check",
            batch: b,
        };
        let (set, desc, src) = (
            m.strings("assumption_set")?,
            m.strings("description")?,
            m.strings("source")?,
        );
        let desc_en = m.strings("description_en")?;
        let (rep, publ) = (
            m.floats("reproduced_cost_sek")?,
            m.floats("published_cost_sek")?,
        );
        for i in 0..b.num_rows() {
            if let (Some(r), Some(p)) = (rep[i], publ[i]) {
                out.push(PublishedCheck {
                    assumption_set: set[i].clone().unwrap_or_default(),
                    description: desc[i].clone().unwrap_or_default(),
                    description_en: desc_en[i].clone(),
                    source: src[i].clone().unwrap_or_default(),
                    reproduced_sek: r,
                    published_sek: p,
                });
            }
        }
    }
    Ok(out)
}

/// One set of the cost model's assumptions (the lake's cost_assumption table).
#[derive(Debug, Clone, PartialEq)]
pub struct CostAssumption {
    pub assumption_set: String,
    pub version: i64,
    pub description: String,
    pub description_en: Option<String>,
    pub employees: Option<f64>,
    pub working_days_per_year: Option<f64>,
    pub hours_per_month: Option<f64>,
    pub monthly_salary_sek: Option<f64>,
    pub payroll_overhead: Option<f64>,
    pub source: String,
    /// Set for a set that reproduces a published figure (a check, not an estimate to chart).
    pub published_cost_sek: Option<f64>,
}

pub fn cost_assumptions(batches: &[RecordBatch]) -> Result<Vec<CostAssumption>, PublishError> {
    let mut out = Vec::new();
    for b in batches {
        let m = Mart {
            name: "cost_assumption",
            batch: b,
        };
        let (set, desc, src) = (
            m.strings("assumption_set")?,
            m.strings("description")?,
            m.strings("source")?,
        );
        let version = m.ints("version")?;
        let published = m.floats("published_cost_sek")?;
        let desc_en = m.strings("description_en")?;
        let f = |c: &str| m.floats(c);
        let (emp, days, hours, salary, po) = (
            f("employees")?,
            f("working_days_per_year")?,
            f("hours_per_month")?,
            f("monthly_salary_sek")?,
            f("payroll_overhead")?,
        );
        for i in 0..b.num_rows() {
            out.push(CostAssumption {
                assumption_set: set[i].clone().unwrap_or_default(),
                version: version[i].unwrap_or(0),
                description: desc[i].clone().unwrap_or_default(),
                description_en: desc_en[i].clone(),
                employees: emp[i],
                working_days_per_year: days[i],
                hours_per_month: hours[i],
                monthly_salary_sek: salary[i],
                payroll_overhead: po[i],
                source: src[i].clone().unwrap_or_default(),
                published_cost_sek: published[i],
            });
        }
    }
    Ok(out)
}
