//! `friktion instrument check`: see how a file maps before loading it.

use std::path::Path;

use anyhow::{Context, Result, bail};
use friktion_core::Reference;
use friktion_ingest_survey::Instrument;
use friktion_ingest_survey::check::check;

pub fn run(file: &Path, instrument: &Path, reference: &Path) -> Result<()> {
    let ins = Instrument::load(instrument)?;
    let reference = Reference::load(reference)
        .with_context(|| format!("reference data in {}", reference.display()))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let r = check(&bytes, &name, &ins, &reference)?;
    let delim = match r.delimiter {
        Some(b'\t') => "tab".to_string(),
        Some(d) => format!("'{}'", d as char),
        None => "-".into(),
    };
    println!("{name}");
    println!(
        "  instrument  {} ({}), version {}",
        ins.id, ins.name, ins.version
    );
    println!(
        "  read as     {}, encoding {}, delimiter {delim}, header on row {}",
        r.format, r.encoding, r.header_row
    );
    println!();
    let mut missing_required = false;
    for c in &r.columns {
        match &c.found {
            Ok(Some(h)) => {
                let shown = if h.chars().count() > 60 {
                    format!("{}…", h.chars().take(60).collect::<String>())
                } else {
                    h.clone()
                };
                println!("  {:<28} ← '{shown}'", c.target);
            }
            Ok(None) => {
                missing_required |= c.required;
                let tag = if c.required {
                    "MISSING (required)"
                } else {
                    "not in the file"
                };
                println!("  {:<28} ← {tag}: {}", c.target, c.spec);
            }
            Err(why) => {
                missing_required = true;
                println!("  {:<28} ← AMBIGUOUS: {why}", c.target);
            }
        }
        for (raw, mapped) in &c.samples {
            println!("  {:<28}     {raw} → {mapped}", "");
        }
        for (raw, n) in c.unmapped.iter().take(10) {
            println!("  {:<28}     DOES NOT MAP: '{raw}' ({n} row(s))", "");
        }
        if c.unmapped.len() > 10 {
            println!(
                "  {:<28}     … and {} more values that do not map",
                "",
                c.unmapped.len() - 10
            );
        }
    }
    if !r.unused.is_empty() {
        println!();
        println!(
            "  columns the instrument does not use: {}",
            r.unused.join(" | ")
        );
    }
    println!();
    println!(
        "  dry run     {} row(s) read: {} would load, {} would be rejected",
        r.rows_read, r.rows_would_load, r.rows_would_reject
    );
    for (reason, n) in r.reasons.iter().take(15) {
        println!("              {n:>5} × {reason}");
    }
    for w in &r.warnings {
        println!("  warning     {w}");
    }
    if missing_required {
        bail!(
            "{name} does not fit instrument '{}': see the columns marked above",
            ins.id
        );
    }
    Ok(())
}
