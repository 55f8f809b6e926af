//! `COPY (SELECT …) TO STDOUT` and `COPY <table> TO STDOUT`, in text or CSV: how psql's
//! `\copy … to` and bulk readers fetch large results. The rows go to the client only; COPY to
//! a file on the server, or FROM anywhere, is refused by the guard.

use std::sync::Arc;

use bytes::Bytes;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{CopyOption, CopySource, CopyTarget, Statement};
use datafusion_postgres::arrow_pg::datatypes::arrow_schema_to_pg_fields;
use datafusion_postgres::arrow_pg::encoder::encode_value;
use futures::StreamExt;
use pgwire::api::portal::Format;
use pgwire::api::results::{CopyCsvOptions, CopyEncoder, CopyResponse, CopyTextOptions, Response};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::copy::CopyData;

use crate::guard::{error, sqlstate};

/// A COPY to the client: the query whose rows it sends, and how.
pub struct CopyOut {
    query: Statement,
    csv: bool,
    header: bool,
    delimiter: Option<char>,
    null: Option<String>,
}

/// The COPY … TO STDOUT in `s`, if it is one.
pub fn to_stdout(s: &Statement) -> Option<PgWireResult<CopyOut>> {
    let Statement::Copy {
        source,
        to: true,
        target: CopyTarget::Stdout,
        options,
        ..
    } = s
    else {
        return None;
    };
    let query = match source {
        CopySource::Query(q) => Statement::Query(q.clone()),
        CopySource::Table {
            table_name,
            columns,
        } => {
            let cols = if columns.is_empty() {
                "*".to_string()
            } else {
                columns
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let sql = format!("SELECT {cols} FROM {table_name}");
            match datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser::new(
            )
            .parse(&sql)
            {
                Ok(mut v) if v.len() == 1 => v.remove(0),
                _ => {
                    return Some(Err(error(
                        sqlstate::PRIVILEGE,
                        format!("cannot copy {table_name}"),
                    )));
                }
            }
        }
    };
    let mut out = CopyOut {
        query,
        csv: false,
        header: false,
        delimiter: None,
        null: None,
    };
    for o in options {
        match o {
            CopyOption::Format(f) => match f.value.to_lowercase().as_str() {
                "csv" => out.csv = true,
                "text" => out.csv = false,
                other => {
                    return Some(Err(error(
                        "0A000",
                        format!("COPY format {other} is not supported: use text or csv"),
                    )));
                }
            },
            CopyOption::Header(h) => out.header = *h,
            CopyOption::Delimiter(d) => out.delimiter = Some(*d),
            CopyOption::Null(n) => out.null = Some(n.clone()),
            other => {
                return Some(Err(error(
                    "0A000",
                    format!("COPY option {other} is not supported"),
                )));
            }
        }
    }
    Some(Ok(out))
}

/// Plans the query (checked as any query is) and streams its rows as COPY data.
pub async fn run(copy: CopyOut, ctx: &SessionContext) -> PgWireResult<Response> {
    let plan = crate::guard::plan(&copy.query, ctx).await?;
    let df = DataFrame::new(ctx.state(), plan);
    let schema = Arc::new(df.schema().as_arrow().clone());
    let fields = Arc::new(arrow_schema_to_pg_fields(
        &schema,
        &Format::UnifiedText,
        None,
    )?);
    let columns = fields.len();
    let batches = df
        .execute_stream()
        .await
        .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
    let mut encoder = if copy.csv {
        let d = CopyCsvOptions::default();
        CopyEncoder::new_csv(
            fields.clone(),
            CopyCsvOptions {
                delimiter: copy
                    .delimiter
                    .map_or(d.delimiter.clone(), |c| c.to_string().into()),
                null_string: copy
                    .null
                    .as_deref()
                    .map_or(d.null_string.clone(), Into::into),
                ..d
            },
        )
    } else {
        let d = CopyTextOptions::default();
        CopyEncoder::new_text(
            fields.clone(),
            CopyTextOptions {
                delimiter: copy.delimiter.map_or(d.delimiter, |c| c.to_string().into()),
                null_string: copy.null.as_deref().map_or(d.null_string, Into::into),
            },
        )
    };
    let header = (copy.csv && copy.header).then(|| {
        let d = copy.delimiter.unwrap_or(',').to_string();
        let line = schema
            .fields()
            .iter()
            .map(|f| format!("\"{}\"", f.name().replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(&d);
        Ok(CopyData::new(Bytes::from(line + "\n")))
    });
    let rows = batches.flat_map(move |batch| {
        let rows: Vec<PgWireResult<CopyData>> = match batch {
            Err(e) => vec![Err(PgWireError::ApiError(Box::new(e)))],
            Ok(b) => (0..b.num_rows())
                .map(|i| {
                    for (c, (col, f)) in b.columns().iter().zip(schema.fields()).enumerate() {
                        encode_value(&mut encoder, col, i, f, &fields[c])?;
                    }
                    Ok(encoder.take_copy())
                })
                .collect(),
        };
        futures::stream::iter(rows)
    });
    let stream = futures::stream::iter(header).chain(rows);
    Ok(Response::CopyOut(CopyResponse::new(0, columns, stream)))
}
