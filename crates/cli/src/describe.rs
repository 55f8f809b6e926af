//! `friktion lake describe`: what is in the lake, from the Parquet footers.

use anyhow::{Result, bail};
use friktion_core::LakeTable;
use friktion_lake::{Lake, LakeLocation, StoreSettings, TableStats};

pub fn stats(lake: &Lake) -> Result<Vec<(String, TableStats)>> {
    let mut out: Vec<(String, TableStats)> = lake
        .table_stats()?
        .into_iter()
        .map(|st| ("table".to_string(), st))
        .collect();
    for m in lake.marts()? {
        let st = lake.stats_of(&format!("{}/{m}", friktion_lake::MARTS), &m, &[])?;
        out.push(("mart".to_string(), st));
    }
    Ok(out)
}

pub fn run(location: &LakeLocation, json: bool) -> Result<()> {
    if let Some(dir) = location.local()
        && !dir.is_dir()
    {
        bail!(
            "no lake at {} (run `friktion run` first, or pass --lake)",
            dir.display()
        );
    }
    let lake = Lake::open_read_at(
        location,
        &StoreSettings::default().with_env(),
        &std::env::temp_dir(),
    )?;
    let all = stats(&lake)?;
    if json {
        let v: Vec<serde_json::Value> = all
            .iter()
            .map(|(kind, s)| {
                let partitions = LakeTable::from_name(&s.name)
                    .map(|t| t.def().partition_cols.to_vec())
                    .unwrap_or_default();
                serde_json::json!({
                    "kind": kind,
                    "name": s.name,
                    "path": if kind == "mart" { format!("marts/{}", s.name) } else { s.name.clone() },
                    "files": s.files,
                    "rows": s.rows,
                    "columns": s.columns,
                    "partition_columns": partitions,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{:<6} {:<22} {:>6} {:>10}  columns",
            "kind", "name", "files", "rows"
        );
        for (kind, s) in &all {
            println!(
                "{kind:<6} {:<22} {:>6} {:>10}  {}",
                s.name,
                s.files,
                s.rows,
                s.columns.join(", ")
            );
        }
    }
    Ok(())
}
