//! The marts in Kolada's shape: kpi_id, kommun_kod, period, gender, value, n, status.
//!
//! A model says which of its columns are a KPI in a header line (one line per KPI):
//!
//! ```sql
//! -- kolada: kpi=FRIKTION_MIN value=mean_minutes n=n kommun=kommun_kod period=wave_id
//! -- kolada: kpi=FRIKTION_MIN value=mean_minutes n=n period=wave_id where=dimension = 'all'
//! ```
//!
//! `kpi` is a Kolada id (a letter and five digits) where the indicator is Kolada's own and the
//! lake's `kolada_kpi` defines it, else an id in friktion's namespace, `FRIKTION_…`; the export
//! says which in its `source` column. `kommun` is the column with the municipality code; without it the value is the country's
//! and gets Kolada's code for the whole of Sweden, 0000. `period` is a column (or a literal in
//! quotes) whose last year-like number (19xx or 20xx) is the period: vision-2019 → 2019,
//! medarbetarenkat-0163-2025 → 2025, 2026-11-01 → 2026. `n` is the count behind the value; the
//! publication (friktion-publish) hides a value with too few behind it, and any value a
//! published total would give away; this query only gathers the rows. Gender is T (total):
//! no mart splits by gender yet. Marts at the grain of a person or a project are not KPIs and
//! have no such lines.

use arrow::array::{Array, AsArray, RecordBatch};
use friktion_core::codes::{OWN_KPI_PREFIX, is_kolada_kpi_id};

use crate::{LakeSession, Model, QueryError};

#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    pub kpi_id: String,
    pub value: String,
    pub n: Option<String>,
    pub kommun: Option<String>,
    pub period: String,
    pub filter: Option<String>,
}

/// The KPI lines of a model's header; an error names the line.
pub fn kpis(m: &Model) -> Result<Vec<Kpi>, QueryError> {
    let mut out = Vec::new();
    for line in m
        .sql
        .lines()
        .take_while(|l| l.trim_start().starts_with("--") || l.trim().is_empty())
    {
        let Some(spec) = line
            .trim_start()
            .trim_start_matches("--")
            .trim()
            .strip_prefix("kolada:")
        else {
            continue;
        };
        let bad = |why: &str| {
            QueryError::Kolada(format!("{}: '-- kolada:{spec}': {why}", m.path.display()))
        };
        // `where=` takes the rest of the line: it is SQL and may hold spaces.
        let (spec_main, filter) = match spec.split_once("where=") {
            Some((a, b)) => (a, Some(b.trim().to_string())),
            None => (spec, None),
        };
        let mut k = Kpi {
            kpi_id: String::new(),
            value: String::new(),
            n: None,
            kommun: None,
            period: String::new(),
            filter,
        };
        for part in spec_main.split_whitespace() {
            let (key, v) = part
                .split_once('=')
                .ok_or_else(|| bad("each part is key=value"))?;
            let ident =
                v.starts_with('\'') || v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ident {
                return Err(bad(&format!("'{v}' is not a column name")));
            }
            match key {
                "kpi" => k.kpi_id = v.to_string(),
                "value" => k.value = v.to_string(),
                "n" => k.n = Some(v.to_string()),
                "kommun" => k.kommun = Some(v.to_string()),
                "period" => k.period = v.to_string(),
                other => return Err(bad(&format!("unknown key '{other}'"))),
            }
        }
        if k.kpi_id.is_empty() || k.value.is_empty() || k.period.is_empty() {
            return Err(bad("kpi, value and period are required"));
        }
        if !is_kolada_kpi_id(&k.kpi_id) && !k.kpi_id.starts_with(OWN_KPI_PREFIX) {
            return Err(bad(&format!(
                "kpi={} is neither a Kolada id (a letter and five digits, like U21340) nor in friktion's own namespace ({OWN_KPI_PREFIX}…)",
                k.kpi_id
            )));
        }
        out.push(k);
    }
    Ok(out)
}

fn select(mart: &str, k: &Kpi) -> String {
    let n =
        k.n.as_deref()
            .map_or("CAST(NULL AS BIGINT)".to_string(), |n| {
                format!("CAST({n} AS BIGINT)")
            });
    format!(
        "SELECT '{kpi}' AS kpi_id, {kommun} AS kommun_kod, \
         CAST(regexp_replace(CAST({period} AS VARCHAR), '^.*((19|20)[0-9]{{2}}).*$', '\\1') AS VARCHAR) AS period, \
         'T' AS gender, \
         CAST({value} AS DOUBLE) AS value, \
         {n} AS n, \
         {counted} AS counted, \
         '{source}' AS source \
         FROM {mart}{filter}",
        counted = k.n.is_some(),
        source = if is_kolada_kpi_id(&k.kpi_id) {
            "kolada"
        } else {
            "friktion"
        },
        kpi = k.kpi_id,
        kommun = k
            .kommun
            .as_deref()
            .map_or("'0000'".to_string(), |c| format!("CAST({c} AS VARCHAR)")),
        period = k.period,
        value = k.value,
        filter = k
            .filter
            .as_deref()
            .map_or(String::new(), |f| format!(" WHERE {f}")),
    )
}

/// Every KPI of every model, one row per KPI × kommun × period, sorted: kpi_id, kommun_kod,
/// period, gender, value, n, and counted (whether the KPI has a count behind it). Unprotected:
/// the publication decides what may be shown.
pub async fn export(
    session: &LakeSession,
    models: &[Model],
) -> Result<Vec<RecordBatch>, QueryError> {
    let mut parts = Vec::new();
    let mut kolada_ids = Vec::new();
    for m in models {
        for k in kpis(m)? {
            parts.push(select(&m.name, &k));
            if is_kolada_kpi_id(&k.kpi_id) {
                kolada_ids.push((m.path.display().to_string(), k.kpi_id.clone()));
            }
        }
    }
    if parts.is_empty() {
        return Ok(vec![]);
    }
    // A Kolada id is published under Kolada's meaning: it must be one Kolada defines.
    if !kolada_ids.is_empty() {
        let known = session.query("SELECT kpi_id FROM kolada_kpi").await?;
        let known: std::collections::BTreeSet<String> = known
            .iter()
            .flat_map(|b| {
                let c = b.column(0).as_string::<i32>();
                (0..c.len())
                    .map(|i| c.value(i).to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        if let Some((path, id)) = kolada_ids.iter().find(|(_, id)| !known.contains(id)) {
            return Err(QueryError::Kolada(format!(
                "{path}: kpi={id} is not among Kolada's KPI definitions (the kolada_kpi table, from the reference's kolada/kpi.csv)"
            )));
        }
    }
    let rows = session.query(&parts.join(" UNION ALL ")).await?;
    let rows = sorted(rows).map_err(datafusion::error::DataFusionError::from)?;
    Ok(rows.into_iter().collect())
}

/// The rows in one batch by kpi_id, kommun_kod and period, ties in the order they came.
/// Sorted here rather than by the query: the rows are few, and Ballista 55 plans an ORDER BY
/// over this UNION ALL into a stage it cannot run (each branch's kpi_id is a constant, and the
/// merged order it derives from that does not survive the shuffle).
fn sorted(batches: Vec<RecordBatch>) -> Result<Option<RecordBatch>, arrow::error::ArrowError> {
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let all = arrow::compute::concat_batches(&first.schema(), &batches)?;
    let keys = ["kpi_id", "kommun_kod", "period"]
        .iter()
        .map(|k| {
            let c = all.column_by_name(k).ok_or_else(|| {
                arrow::error::ArrowError::SchemaError(format!("the Kolada rows lack {k}"))
            })?;
            arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let keys: Vec<_> = keys.iter().map(|k| k.as_string::<i32>()).collect();
    let mut order: Vec<u32> = (0..all.num_rows() as u32).collect();
    order.sort_by(|&a, &b| {
        keys.iter()
            .map(|k| {
                let (a, b) = (a as usize, b as usize);
                (k.is_null(a), k.value(a)).cmp(&(k.is_null(b), k.value(b)))
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    let order = arrow::array::UInt32Array::from(order);
    Ok(Some(arrow::compute::take_record_batch(&all, &order)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(header: &str) -> Model {
        Model {
            name: "m".into(),
            description: String::new(),
            unit: String::new(),
            grain: String::new(),
            sql: format!("{header}\nSELECT 1"),
            path: "m.sql".into(),
            depends_on: vec![],
        }
    }

    #[test]
    fn kpi_lines_are_read_and_mistakes_named() {
        let k = kpis(&model(
            "-- kolada: kpi=FRIKTION_1 value=mean_minutes n=n kommun=kommun_kod period=wave_id\n-- kolada: kpi=U21340 value=mean_minutes period='2026' where=dimension = 'all'",
        ))
        .unwrap();
        assert_eq!(k.len(), 2);
        assert_eq!(k[0].kommun.as_deref(), Some("kommun_kod"));
        assert_eq!(k[1].filter.as_deref(), Some("dimension = 'all'"));
        assert_eq!(k[1].period, "'2026'");
        let e = kpis(&model("-- kolada: kpi=FRIKTION_1 value=a;DROP period=p")).unwrap_err();
        assert!(e.to_string().contains("is not a column name"), "{e}");
        let e = kpis(&model("-- kolada: kpi=FRIKTION_1 period=p")).unwrap_err();
        assert!(e.to_string().contains("required"), "{e}");
        let e = kpis(&model("-- kolada: kpi=MINUTER value=v period=p")).unwrap_err();
        assert!(e.to_string().contains("friktion's own namespace"), "{e}");
    }
}
