//! Time-to-event statistics as SQL aggregates, where SQL alone cannot estimate them:
//!
//! | function | value |
//! |---|---|
//! | `km_quantile(days, observed, p)` | Kaplan–Meier time by which a share `p` has gone live (0.5: the median); null when the curve does not get there |
//! | `km_survival(days, observed, t)` | share not yet live at `t` days |
//! | `logrank_chi2(days, observed, in_a)` / `logrank_p(…)` | log-rank test of group `in_a` against the rest |
//! | `cox_hr(days, observed, x)`, `cox_hr_lower`, `cox_hr_upper`, `cox_p` | hazard ratio per unit of `x` (Efron ties), its 95 % interval and Wald p |
//!
//! `observed` is false for a project censored (still running, or abandoned); rows with a null
//! argument are left out. The estimators are friktion-outcomes', checked against lifelines.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray};
use arrow::buffer::OffsetBuffer;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, TypeSignature, Volatility,
};
use friktion_outcomes::survival::{KaplanMeier, log_rank};
use friktion_outcomes::{cox, survival};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    KmQuantile,
    KmSurvival,
    LogrankChi2,
    LogrankP,
    CoxHr,
    CoxLower,
    CoxUpper,
    CoxP,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::KmQuantile => "km_quantile",
            Kind::KmSurvival => "km_survival",
            Kind::LogrankChi2 => "logrank_chi2",
            Kind::LogrankP => "logrank_p",
            Kind::CoxHr => "cox_hr",
            Kind::CoxLower => "cox_hr_lower",
            Kind::CoxUpper => "cox_hr_upper",
            Kind::CoxP => "cox_p",
        }
    }

    fn third(self) -> DataType {
        match self {
            Kind::LogrankChi2 | Kind::LogrankP => DataType::Boolean,
            _ => DataType::Float64,
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SurvivalAgg {
    kind: Kind,
    signature: Signature,
}

impl SurvivalAgg {
    fn new(kind: Kind) -> Self {
        let days = [DataType::Float64, DataType::Int64, DataType::Int32];
        let thirds = match kind.third() {
            DataType::Boolean => vec![DataType::Boolean],
            _ => vec![
                DataType::Float64,
                DataType::Int64,
                DataType::Int32,
                DataType::Boolean,
            ],
        };
        let mut sigs = Vec::new();
        for d in &days {
            for t in &thirds {
                sigs.push(TypeSignature::Exact(vec![
                    d.clone(),
                    DataType::Boolean,
                    t.clone(),
                ]));
            }
        }
        Self {
            kind,
            signature: Signature::one_of(sigs, Volatility::Immutable),
        }
    }
}

fn list(name: String, inner: DataType) -> FieldRef {
    Arc::new(Field::new(
        name,
        DataType::List(Arc::new(Field::new_list_field(inner, true))),
        true,
    ))
}

impl AggregateUDFImpl for SurvivalAgg {
    fn name(&self) -> &str {
        self.kind.name()
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            list(format!("{}[days]", args.name), DataType::Float64),
            list(format!("{}[observed]", args.name), DataType::Boolean),
            list(format!("{}[x]", args.name), DataType::Float64),
        ])
    }
    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Acc {
            kind: self.kind,
            days: vec![],
            observed: vec![],
            x: vec![],
        }))
    }
}

#[derive(Debug)]
struct Acc {
    kind: Kind,
    days: Vec<f64>,
    observed: Vec<bool>,
    x: Vec<f64>,
}

fn f64s(a: &ArrayRef) -> Result<ArrayRef> {
    Ok(cast(a, &DataType::Float64)?)
}

impl Acc {
    fn push(&mut self, days: &ArrayRef, observed: &ArrayRef, x: &ArrayRef) -> Result<()> {
        let days = f64s(days)?;
        let days = days.as_primitive::<Float64Type>();
        let observed = observed.as_boolean();
        let x = f64s(x)?;
        let x = x.as_primitive::<Float64Type>();
        for i in 0..days.len() {
            if days.is_valid(i) && observed.is_valid(i) && x.is_valid(i) {
                self.days.push(days.value(i));
                self.observed.push(observed.value(i));
                self.x.push(x.value(i));
            }
        }
        Ok(())
    }

    fn group(&self, in_a: bool) -> (Vec<f64>, Vec<bool>) {
        self.days
            .iter()
            .zip(&self.observed)
            .zip(&self.x)
            .filter(|(_, x)| (**x != 0.0) == in_a)
            .map(|((d, o), _)| (*d, *o))
            .unzip()
    }

    fn value(&self) -> Option<f64> {
        if self.days.is_empty() {
            return None;
        }
        // The parameter of km_quantile and km_survival is the same on every row.
        let param = self.x[0];
        let km = || KaplanMeier::fit(&self.days, &self.observed).ok();
        let lr = || -> Option<survival::LogRank> {
            let (da, oa) = self.group(true);
            let (db, ob) = self.group(false);
            // A test without information (no go-live with both groups at risk) is no answer.
            (!da.is_empty() && !db.is_empty())
                .then(|| log_rank(&da, &oa, &db, &ob).ok())
                .flatten()
                .filter(|r| r.variance > 0.0)
        };
        let cx = || cox::fit(&self.days, &self.observed, &self.x);
        match self.kind {
            Kind::KmQuantile => km()?.survival_time(1.0 - param),
            Kind::KmSurvival => Some(km()?.at(param)),
            Kind::LogrankChi2 => Some(lr()?.statistic),
            Kind::LogrankP => Some(lr()?.p_value),
            Kind::CoxHr => Some(cx()?.hazard_ratio),
            Kind::CoxLower => Some(cx()?.lower),
            Kind::CoxUpper => Some(cx()?.upper),
            Kind::CoxP => Some(cx()?.p_value),
        }
    }
}

fn list_scalar<A: Array + 'static>(values: A) -> ScalarValue {
    let n = values.len();
    let dt = values.data_type().clone();
    ScalarValue::List(Arc::new(ListArray::new(
        Arc::new(Field::new_list_field(dt, true)),
        OffsetBuffer::from_lengths([n]),
        Arc::new(values),
        None,
    )))
}

impl Accumulator for Acc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.push(&values[0], &values[1], &values[2])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (d, o, x) = (
            states[0].as_list::<i32>(),
            states[1].as_list::<i32>(),
            states[2].as_list::<i32>(),
        );
        for i in 0..d.len() {
            if d.is_valid(i) {
                self.push(&d.value(i), &o.value(i), &x.value(i))?;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            list_scalar(Float64Array::from(self.days.clone())),
            list_scalar(BooleanArray::from(self.observed.clone())),
            list_scalar(Float64Array::from(self.x.clone())),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.value().filter(|v| v.is_finite())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.days.capacity() * 17 + self.x.capacity() * 8
    }
}

/// Every survival aggregate, for registering in a session.
pub fn aggregates() -> Vec<AggregateUDF> {
    [
        Kind::KmQuantile,
        Kind::KmSurvival,
        Kind::LogrankChi2,
        Kind::LogrankP,
        Kind::CoxHr,
        Kind::CoxLower,
        Kind::CoxUpper,
        Kind::CoxP,
    ]
    .into_iter()
    .map(|k| AggregateUDF::from(SurvivalAgg::new(k)))
    .collect()
}
