//! `friktion instrument check`: how a file maps through an instrument, before anything loads.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use friktion_core::{PseudoKey, Pseudonymiser, Reference};

use crate::instrument::{Instrument, Item, ValueKind};
use crate::read::{self, ReadError};
use crate::{Context, SurveyError, SurveySource, ingest, values};

/// How one instrument field or item fares in the file.
#[derive(Debug, Clone)]
pub struct ColumnReport {
    /// "minutes_lost", "item it_quality", …
    pub target: String,
    /// The instrument's column or pattern.
    pub spec: String,
    pub required: bool,
    /// The header it matched, or why none did.
    pub found: Result<Option<String>, String>,
    /// Distinct raw values with what they become, most frequent first (at most five).
    pub samples: Vec<(String, String)>,
    /// Distinct raw values that do not map, with their counts.
    pub unmapped: Vec<(String, usize)>,
}

#[derive(Debug, Clone)]
pub struct CheckReport {
    pub format: &'static str,
    pub encoding: &'static str,
    pub delimiter: Option<u8>,
    pub header_row: usize,
    pub columns: Vec<ColumnReport>,
    /// Columns in the file the instrument does not use.
    pub unused: Vec<String>,
    pub rows_read: i64,
    pub rows_would_load: i64,
    pub rows_would_reject: i64,
    /// Quarantine reasons (with the line number stripped) and how often each occurs.
    pub reasons: Vec<(String, usize)>,
    pub warnings: Vec<String>,
}

enum Kind<'a> {
    Identifier,
    Workplace,
    Category(&'a BTreeMap<String, String>),
    Value(ValueKind),
}

pub fn check(
    bytes: &[u8],
    file: &str,
    ins: &Instrument,
    reference: &Reference,
) -> Result<CheckReport, SurveyError> {
    let read_err = |source: ReadError| SurveyError::Read {
        file: file.to_string(),
        source,
    };
    let loaded = read::load(bytes, &ins.source).map_err(read_err)?;
    let tz: Tz = ins
        .source
        .timezone
        .parse()
        .expect("validated when the instrument was loaded");
    let f = &ins.fields;
    fn cat(m: &Option<crate::instrument::FieldMap>) -> Option<Kind<'_>> {
        m.as_ref().map(|m| Kind::Category(&m.values))
    }
    let mut targets: Vec<(String, &crate::instrument::FieldMap, Kind<'_>)> = vec![
        ("respondent_id".into(), &f.respondent_id, Kind::Identifier),
        ("workplace".into(), &f.workplace, Kind::Workplace),
        (
            "minutes_lost".into(),
            &f.minutes_lost,
            Kind::Value(ValueKind::Minutes),
        ),
    ];
    for (name, m, kind) in [
        ("employer_type", &f.employer_type, cat(&f.employer_type)),
        ("verksamhet", &f.verksamhet, cat(&f.verksamhet)),
        ("occupation", &f.occupation, cat(&f.occupation)),
        (
            "involved_in_procurement",
            &f.involved_in_procurement,
            Some(Kind::Value(ValueKind::YesNo)),
        ),
        (
            "needs_training",
            &f.needs_training,
            Some(Kind::Value(ValueKind::YesNo)),
        ),
        (
            "submitted_at",
            &f.submitted_at,
            Some(Kind::Value(ValueKind::Datetime)),
        ),
    ] {
        if let (Some(m), Some(kind)) = (m, kind) {
            targets.push((name.into(), m, kind));
        }
    }
    let mut used = vec![false; loaded.header.len()];
    let mut columns = Vec::new();
    let mut report = |target: String,
                      spec: String,
                      required: bool,
                      found: Result<Option<usize>, String>,
                      kind: &Kind<'_>| {
        let (samples, unmapped) = match &found {
            Ok(Some(i)) => {
                used[*i] = true;
                describe_values(&loaded.records, *i, kind, ins, reference, tz)
            }
            _ => (vec![], vec![]),
        };
        columns.push(ColumnReport {
            target,
            spec,
            required,
            found: found.map(|o| o.map(|i| loaded.header[i].clone())),
            samples,
            unmapped,
        });
    };
    for (name, m, kind) in &targets {
        let required = m.required
            || matches!(
                name.as_str(),
                "respondent_id" | "workplace" | "minutes_lost"
            );
        report(
            name.clone(),
            m.describe(),
            required,
            m.locate(&loaded.header).map_err(|e| e.to_string()),
            kind,
        );
    }
    for it in &ins.items {
        let kind = match it.kind {
            ValueKind::Category => Kind::Category(&it.values),
            k => Kind::Value(k),
        };
        report(
            format!("item {}", it.id),
            Item::describe(it),
            false,
            it.locate(&loaded.header).map_err(|e| e.to_string()),
            &kind,
        );
    }
    let unused = loaded
        .header
        .iter()
        .zip(&used)
        .filter(|(h, u)| !**u && !h.is_empty())
        .map(|(h, _)| h.clone())
        .collect();

    // A dry run with a throwaway key: the counts an ingest would give.
    let p = Pseudonymiser::new(&PseudoKey::demo());
    let ctx = Context {
        instrument: ins,
        reference,
        pseudonymiser: &p,
        population: None,
    };
    let (rows_read, load, reject, reasons, warnings) = match ingest(
        &SurveySource {
            source_file: file,
            bytes,
            wave_id: "check",
        },
        &ctx,
    ) {
        Ok(out) => {
            let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
            for q in &out.quarantine {
                *reasons
                    .entry(format!("{} ({})", q.reason, q.action.as_str()))
                    .or_default() += 1;
            }
            let mut reasons: Vec<(String, usize)> = reasons.into_iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (
                out.rows_read,
                out.rows_written,
                out.rows_rejected,
                reasons,
                out.read.warnings,
            )
        }
        Err(SurveyError::MissingColumns { missing, .. }) => (
            loaded.records.len() as i64,
            0,
            loaded.records.len() as i64,
            vec![],
            vec![format!(
                "nothing would load: required column(s) missing: {}",
                missing.join(", ")
            )],
        ),
        Err(e) => return Err(e),
    };
    Ok(CheckReport {
        format: loaded.format,
        encoding: loaded.encoding,
        delimiter: loaded.delimiter,
        header_row: ins.source.header_row,
        columns,
        unused,
        rows_read,
        rows_would_load: load,
        rows_would_reject: reject,
        reasons,
        warnings,
    })
}

type Described = (Vec<(String, String)>, Vec<(String, usize)>);

fn describe_values(
    records: &[read::Record],
    col: usize,
    kind: &Kind<'_>,
    ins: &Instrument,
    reference: &Reference,
    tz: Tz,
) -> Described {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in records {
        if let Some(v) = r
            .fields
            .get(col)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            *counts.entry(v).or_default() += 1;
        }
    }
    let mut by_freq: Vec<(&str, usize)> = counts.into_iter().collect();
    by_freq.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut samples = Vec::new();
    let mut unmapped = Vec::new();
    for (raw, n) in by_freq {
        let mapped: Result<String, String> = match kind {
            Kind::Identifier => Ok("(pseudonymised)".into()),
            Kind::Workplace => reference
                .resolve(raw)
                .map(|k| format!("{} {}", k.kommun_kod, k.name))
                .or_else(|e| {
                    reference
                        .lookup_lan(raw)
                        .map(|l| format!("län {} {}", l.lan_kod, l.name))
                        .map_err(|_| e.to_string())
                }),
            Kind::Category(values) => values::category(raw, values)
                .map(|v| v.unwrap_or_else(|| "(missing)".into()))
                .map_err(String::from),
            Kind::Value(ValueKind::Minutes) => values::minutes(raw, &ins.minutes_bands)
                .map_err(String::from)
                .map(|m| match m {
                    None => "(missing)".into(),
                    Some(m) if m.high == Some(m.low) => format!("{} min", m.point),
                    Some(m) => format!(
                        "{} min ({}–{})",
                        m.point,
                        m.low,
                        m.high.map_or("".into(), |h| h.to_string())
                    ),
                }),
            Kind::Value(ValueKind::YesNo) => values::yes_no(raw)
                .map(|b| format!("{b:?}"))
                .map_err(String::from),
            Kind::Value(ValueKind::Likert5) => values::likert5(raw)
                .map(|v| v.map_or("(missing)".into(), |v| v.to_string()))
                .map_err(String::from),
            Kind::Value(ValueKind::Number) => values::number(raw)
                .map(|v| v.map_or("(missing)".into(), |v| v.to_string()))
                .map_err(String::from),
            Kind::Value(ValueKind::Datetime) => values::datetime(raw, tz)
                .map(|v| {
                    v.and_then(chrono::DateTime::from_timestamp_micros)
                        .map_or("(missing)".into(), |t| t.to_rfc3339())
                })
                .map_err(String::from),
            Kind::Value(ValueKind::Text) => Ok("(free text, redacted)".into()),
            Kind::Value(ValueKind::Category) => Ok(raw.to_string()),
        };
        match mapped {
            Ok(m) if samples.len() < 5 => samples.push((raw.to_string(), m)),
            Ok(_) => {}
            Err(_) => unmapped.push((raw.to_string(), n)),
        }
    }
    if matches!(kind, Kind::Identifier | Kind::Value(ValueKind::Text)) {
        // Never echo identifiers or free text back to the terminal.
        samples = samples
            .into_iter()
            .take(1)
            .map(|(_, m)| ("…".into(), m))
            .collect();
    }
    (samples, unmapped)
}
