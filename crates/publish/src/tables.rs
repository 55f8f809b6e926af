//! The publication as lake tables, `published/<table>/`: what a public reader may see, the same
//! cells the reports show, ".." in `status` where they hide (hidden rows keep their keys and
//! have no values). Written in one commit with the run's other publication outputs.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use friktion_lake::{Lake, PUBLISHED};

use crate::{Publication, PublishError, Shown};

/// Columns built one by one, each with its name and type.
#[derive(Default)]
struct Cols {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl Cols {
    fn s<'a>(mut self, name: &str, v: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        self.fields.push(Field::new(name, DataType::Utf8, true));
        self.arrays.push(Arc::new(StringArray::from_iter(v)));
        self
    }

    fn i(mut self, name: &str, v: impl IntoIterator<Item = Option<i64>>) -> Self {
        self.fields.push(Field::new(name, DataType::Int64, true));
        self.arrays.push(Arc::new(Int64Array::from_iter(v)));
        self
    }

    fn f(mut self, name: &str, v: impl IntoIterator<Item = Option<f64>>) -> Self {
        self.fields.push(Field::new(name, DataType::Float64, true));
        self.arrays.push(Arc::new(Float64Array::from_iter(v)));
        self
    }

    /// `status`: "" shown, ".." hidden, as Kolada and SCB mark it.
    fn status(self, shown: impl IntoIterator<Item = bool>) -> Self {
        let v: Vec<Option<&str>> = shown
            .into_iter()
            .map(|s| Some(if s { "" } else { ".." }))
            .collect();
        self.s("status", v)
    }

    fn batch(self) -> Result<RecordBatch, PublishError> {
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new(self.fields)),
            self.arrays,
        )?)
    }
}

fn shown<T>(rows: &[Shown<T>]) -> impl Iterator<Item = bool> + '_ {
    rows.iter().map(|r| r.shown)
}

/// Every published table, by name.
pub fn tables(p: &Publication) -> Result<Vec<(&'static str, RecordBatch)>, PublishError> {
    let k = &p.kommun;
    let kommun = Cols::default()
        .s("wave_id", k.iter().map(|r| Some(r.row.wave_id.as_str())))
        .s(
            "kommun_kod",
            k.iter().map(|r| Some(r.row.kommun_kod.as_str())),
        )
        .s(
            "kommun_name",
            k.iter().map(|r| Some(r.row.kommun_name.as_str())),
        )
        .s("lan_name", k.iter().map(|r| Some(r.row.lan_name.as_str())))
        .i("n", k.iter().map(|r| r.shown.then_some(r.row.n)))
        .f("n_eff", k.iter().map(|r| r.row.n_eff))
        .f("mean_minutes", k.iter().map(|r| r.row.mean_minutes))
        .f("ci_low", k.iter().map(|r| r.row.ci_low))
        .f("ci_high", k.iter().map(|r| r.row.ci_high))
        .status(shown(k))
        .batch()?;
    let b = &p.benchmark;
    let benchmark = Cols::default()
        .s("wave_id", b.iter().map(|r| Some(r.row.wave_id.as_str())))
        .s(
            "kommun_kod",
            b.iter().map(|r| Some(r.row.kommun_kod.as_str())),
        )
        .s(
            "peer_group",
            b.iter().map(|r| Some(r.row.peer_group.as_str())),
        )
        .s(
            "peer_group_name",
            b.iter().map(|r| Some(r.row.peer_group_name.as_str())),
        )
        .s(
            "peer_group_name_en",
            b.iter().map(|r| Some(r.row.peer_group_name_en.as_str())),
        )
        .f(
            "peer_mean_minutes",
            b.iter().map(|r| r.row.peer_mean_minutes),
        )
        .s("lan_name", b.iter().map(|r| Some(r.row.lan_name.as_str())))
        .f(
            "county_mean_minutes",
            b.iter().map(|r| r.row.county_mean_minutes),
        )
        .i("rank_national", b.iter().map(|r| r.row.rank_national))
        .i(
            "kommuner_national",
            b.iter().map(|r| r.row.kommuner_national),
        )
        .status(b.iter().map(|r| r.peer_shown))
        .batch()?;
    let t = &p.national;
    let national = Cols::default()
        .s("wave_id", t.iter().map(|r| Some(r.wave_id.as_str())))
        .i("n", t.iter().map(|r| Some(r.n)))
        .f("n_eff", t.iter().map(|r| r.n_eff))
        .f("mean_minutes", t.iter().map(|r| r.mean_minutes))
        .f("ci_low", t.iter().map(|r| r.ci_low))
        .f("ci_high", t.iter().map(|r| r.ci_high))
        .batch()?;
    let v = &p.verksamhet;
    let verksamhet = Cols::default()
        .s("wave_id", v.iter().map(|r| Some(r.row.wave_id.as_str())))
        .s("verksamhet", v.iter().map(|r| Some(r.row.grp.as_str())))
        .i("n", v.iter().map(|r| r.shown.then_some(r.row.n)))
        .f("n_eff", v.iter().map(|r| r.row.n_eff))
        .f("mean_minutes", v.iter().map(|r| r.row.mean_minutes))
        .f("ci_low", v.iter().map(|r| r.row.ci_low))
        .f("ci_high", v.iter().map(|r| r.row.ci_high))
        .status(shown(v))
        .batch()?;
    let d = &p.bands;
    let bands = Cols::default()
        .s("wave_id", d.iter().map(|r| Some(r.row.wave_id.as_str())))
        .i("band_order", d.iter().map(|r| Some(r.row.band_order)))
        .s("band", d.iter().map(|r| Some(r.row.band.as_str())))
        .i("n", d.iter().map(|r| r.shown.then_some(r.row.n)))
        .f(
            "weighted_share",
            d.iter().map(|r| r.shown.then_some(r.row.weighted_share)),
        )
        .status(shown(d))
        .batch()?;
    let c = &p.cost;
    let cost = Cols::default()
        .s("wave_id", c.iter().map(|r| Some(r.row.wave_id.as_str())))
        .s(
            "assumption_set",
            c.iter().map(|r| Some(r.row.assumption_set.as_str())),
        )
        .i("n", c.iter().map(|r| r.shown.then_some(r.row.n)))
        .f("mean_minutes", c.iter().map(|r| r.row.mean_minutes))
        .f("cost_sek", c.iter().map(|r| r.row.cost[0]))
        .f("cost_low_sek", c.iter().map(|r| r.row.cost[1]))
        .f("cost_high_sek", c.iter().map(|r| r.row.cost[2]))
        .f("fte", c.iter().map(|r| r.row.fte[0]))
        .f("fte_low", c.iter().map(|r| r.row.fte[1]))
        .f("fte_high", c.iter().map(|r| r.row.fte[2]))
        .s("source", c.iter().map(|r| Some(r.row.source.as_str())))
        .status(shown(c))
        .batch()?;
    let l = &p.logs;
    let logs = Cols::default()
        .s("level", l.iter().map(|r| Some(r.row.level.as_str())))
        .s(
            "system_id",
            l.iter().map(|r| Some(r.row.system_id.as_str())),
        )
        .s("kommun_kod", l.iter().map(|r| r.row.kommun_kod.as_deref()))
        .s(
            "first_day",
            l.iter().map(|r| Some(r.row.first_day.as_str())),
        )
        .s("last_day", l.iter().map(|r| Some(r.row.last_day.as_str())))
        .i(
            "user_days",
            l.iter().map(|r| r.shown.then_some(r.row.user_days)),
        )
        .f(
            "minutes_lost_per_user_day",
            l.iter().map(|r| r.row.minutes_lost_per_user_day),
        )
        .status(shown(l))
        .batch()?;
    let f = &p.factors;
    let factors = Cols::default()
        .s(
            "kommun_kod",
            f.iter().map(|r| Some(r.row.kommun_kod.as_str())),
        )
        .s(
            "factor_id",
            f.iter().map(|r| Some(r.row.factor_id.as_str())),
        )
        .i(
            "factor_position",
            f.iter().map(|r| Some(r.row.factor_position)),
        )
        .i(
            "n_assessed",
            f.iter().map(|r| r.shown.then_some(r.row.n_assessed)),
        )
        .f("mean_score", f.iter().map(|r| r.row.mean_score))
        .status(shown(f))
        .batch()?;
    let g = &p.time_to_go_live;
    let n = |v: &Shown<_>, x: i64| v.shown.then_some(x);
    let ttg = Cols::default()
        .s(
            "dimension",
            g.iter().map(|r| Some(r.row.dimension.as_str())),
        )
        .s("grp", g.iter().map(|r| Some(r.row.grp.as_str())))
        .i("n_projects", g.iter().map(|r| Some(r.row.n_projects)))
        .i("n_live", g.iter().map(|r| n(r, r.row.n_live)))
        .i("n_abandoned", g.iter().map(|r| n(r, r.row.n_abandoned)))
        .i("n_running", g.iter().map(|r| n(r, r.row.n_running)))
        .f("q1_days", g.iter().map(|r| r.row.q1_days))
        .f("median_days", g.iter().map(|r| r.row.median_days))
        .f("q3_days", g.iter().map(|r| r.row.q3_days))
        .f(
            "share_live_within_2y",
            g.iter().map(|r| r.row.share_live_within_2y),
        )
        .status(shown(g))
        .batch()?;
    let cv = &p.curve;
    let curve = Cols::default()
        .s("dimension", cv.iter().map(|r| Some(r.dimension.as_str())))
        .s("grp", cv.iter().map(|r| Some(r.grp.as_str())))
        .f("days", cv.iter().map(|r| Some(r.days)))
        .f("survival", cv.iter().map(|r| Some(r.survival)))
        .batch()?;
    let fu = &p.funnel;
    let funnel = Cols::default()
        .s("stage", fu.iter().map(|r| Some(r.row.stage.as_str())))
        .i(
            "n_projects",
            fu.iter().map(|r| r.shown.then_some(r.row.n_projects)),
        )
        .i(
            "n_reached",
            fu.iter().map(|r| r.shown.then_some(r.row.n_reached)),
        )
        .status(shown(fu))
        .batch()?;
    Ok(vec![
        ("friction_by_kommun", kommun),
        ("kommun_benchmark", benchmark),
        ("friction_national", national),
        ("friction_by_verksamhet", verksamhet),
        ("friction_distribution", bands),
        ("friction_cost", cost),
        ("log_friction_by_system", logs),
        ("factor_scores_by_kommun", factors),
        ("time_to_go_live", ttg),
        ("time_to_go_live_curve", curve),
        ("project_funnel", funnel),
    ])
}

/// Writes every published table (and the protected Kolada export, when there is one) to
/// `lake/published/`, replacing the previous publication whole, in one commit.
pub fn write(
    lake: &Lake,
    p: &Publication,
    kolada: Option<&RecordBatch>,
) -> Result<(), PublishError> {
    let mut txn = lake.begin()?;
    let mut names = Vec::new();
    for (name, batch) in tables(p)?
        .into_iter()
        .chain(kolada.map(|k| ("kolada", k.clone())))
    {
        txn.write_dir(&format!("{PUBLISHED}/{name}"), &batch.schema(), &[batch])?;
        names.push(name);
    }
    txn.remove_dirs_except(PUBLISHED, &names)?;
    txn.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use arrow::array::{Array, AsArray};

    use super::*;
    use crate::marts::{KommunFriction, LogFriction, Marts};

    fn kommun(kod: &str, n: i64, mean: f64) -> KommunFriction {
        KommunFriction {
            wave_id: "w".into(),
            kommun_kod: kod.into(),
            kommun_name: kod.into(),
            lan_name: "län".into(),
            n,
            n_eff: Some(n as f64),
            mean_minutes: Some(mean),
            ci_low: Some(mean - 1.0),
            ci_high: Some(mean + 1.0),
        }
    }

    fn log(kod: &str, user_days: i64) -> LogFriction {
        LogFriction {
            level: "kommun".into(),
            system_id: "procapita".into(),
            kommun_kod: Some(kod.into()),
            first_day: "2026-10-26".into(),
            last_day: "2026-10-30".into(),
            user_days,
            minutes_lost_per_user_day: Some(7.25),
        }
    }

    /// Every row whose status is ".." has no number in any column.
    fn hidden_rows_hold_no_numbers(name: &str, b: &RecordBatch) -> usize {
        let status = b.column_by_name("status").unwrap().as_string::<i32>();
        let hidden: Vec<usize> = (0..b.num_rows())
            .filter(|&i| status.value(i) == "..")
            .collect();
        for (f, c) in b.schema().fields().iter().zip(b.columns()) {
            if f.data_type().is_numeric() {
                for &i in &hidden {
                    assert!(
                        c.is_null(i),
                        "{name}.{}: row {i} is hidden but has a value",
                        f.name()
                    );
                }
            }
        }
        hidden.len()
    }

    #[test]
    fn a_hidden_cell_keeps_its_keys_and_loses_every_value_in_the_published_tables() {
        let marts = Marts {
            // 0114 is small; 0180 goes with it, or the country's total would give it away.
            friction: vec![
                kommun("0114", 3, 47.5),
                kommun("0180", 40, 31.0),
                kommun("1480", 90, 25.0),
            ],
            logs: vec![log("0114", 2), log("0180", 30), log("1480", 80)],
            ..Marts::default()
        };
        let p = Publication::compute(&marts, &BTreeMap::new(), 5);
        let mut hidden = BTreeMap::new();
        for (name, b) in tables(&p).unwrap() {
            if b.column_by_name("status").is_some() {
                hidden.insert(name, hidden_rows_hold_no_numbers(name, &b));
            }
        }
        assert_eq!(hidden["friction_by_kommun"], 2, "primary and complementary");
        assert_eq!(hidden["log_friction_by_system"], 2);
        // The disclosure log says why, the published tables do not show what.
        assert!(
            p.log.contains("friction_by_kommun w,0114,primary,3,"),
            "{}",
            p.log
        );
        assert!(
            p.log
                .contains("friction_by_kommun w,0180,complementary,40,"),
            "{}",
            p.log
        );
        let k = tables(&p).unwrap().remove(0).1;
        let kod = k.column_by_name("kommun_kod").unwrap().as_string::<i32>();
        assert_eq!(
            kod.iter().flatten().collect::<Vec<_>>(),
            ["0114", "0180", "1480"]
        );
    }

    #[test]
    fn a_wave_of_one_hidden_kommun_publishes_no_national_mean_for_it() {
        use crate::marts::KommunBenchmark;
        let mut own = kommun("0163", 3, 52.0);
        own.wave_id = "own".into();
        let marts = Marts {
            friction: vec![own],
            benchmark: vec![KommunBenchmark {
                wave_id: "own".into(),
                kommun_kod: "0163".into(),
                peer_group: "län".into(),
                peer_mean_minutes: Some(52.0),
                national_mean_minutes: Some(52.0),
                rank_national: Some(1),
                kommuner_national: Some(1),
                ..KommunBenchmark::default()
            }],
            ..Marts::default()
        };
        let p = Publication::compute(&marts, &BTreeMap::new(), 5);
        let b = &p.benchmark[0].row;
        assert_eq!(
            (
                b.national_mean_minutes,
                b.peer_mean_minutes,
                b.rank_national
            ),
            (None, None, None)
        );
    }
}
