//! The run summary on stdout, as an analyst reads it the morning after.

use friktion_core::LedgerAction;
use friktion_pipeline::RunSummary;

pub fn summary(s: &RunSummary) {
    println!("friktion run {}", s.run_id);
    println!(
        "  sources     {} file(s): {} ingested, {} replaced, {} skipped (unchanged), {} failed",
        s.sources.len() + s.failed_sources.len(),
        s.count(LedgerAction::Ingested),
        s.count(LedgerAction::Replaced),
        s.count(LedgerAction::Skipped),
        s.failed_sources.len()
    );
    println!("  rows in     {}", s.rows_in());
    quarantined_and_tables(s);
    let marts: Vec<String> = s.marts.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("  marts       {}", marts.join(", "));
    if !s.marts_kept.is_empty() {
        println!(
            "              {} of {} kept as an earlier run left them (nothing they read changed)",
            s.marts_kept.len(),
            s.marts.len()
        );
    }
    for v in &s.vanished {
        println!(
            "  vanished    {v} (loaded before, no longer among the sources; its rows are kept until run --full)"
        );
    }
    for v in &s.removed {
        println!("  removed     {v} (its file is gone; its rows were taken out)");
    }
    over_limit(s);
    if !s.tests.is_empty() {
        let passed = s.tests.iter().filter(|t| t.status == "pass").count();
        let failed = s.data_tests_failed();
        let u = s.test_units;
        println!(
            "  data tests  {passed} passed, {} warned, {failed} failed (details in lake/_tests); \
             {} table parts queried, {} kept from the last run",
            s.tests.len() - passed - failed,
            u.queried,
            u.kept
        );
        for t in s.tests.iter().filter(|t| t.status != "pass") {
            let word = if t.is_error() { "FAIL" } else { "warn" };
            println!(
                "    {word} {} {}: {}",
                t.target,
                t.test,
                t.message.as_deref().unwrap_or("")
            );
        }
    }
    for f in &s.failed_sources {
        println!("  failed      {}: {}", f.file, f.message);
    }
    if let Some(k) = &s.kolada {
        println!("  kolada      {}", k.display());
    }
    if let Some(n) = s.vacuumed {
        println!("  vacuum      {n} superseded file(s) deleted from object storage");
    }
    if let Some(r) = &s.report {
        println!("  report      {}", r.display());
    }
    let t: Vec<String> = s
        .timings
        .iter()
        .map(|(stage, d)| format!("{stage} {:.2} s", d.as_secs_f64()))
        .collect();
    println!("  timings     {}", t.join(", "));
}

/// What `friktion ingest` did: each named file's fate, then the tables.
pub fn ingest_summary(s: &RunSummary) {
    println!("friktion ingest {}", s.run_id);
    for x in &s.sources {
        if x.action == LedgerAction::Skipped {
            println!("  skipped     {} (unchanged since its last load)", x.file);
            continue;
        }
        println!(
            "  {:<11} {}: {} rows read, {} written, {} quarantined{}",
            x.action.as_str(),
            x.file,
            x.rows_read,
            x.rows_written,
            x.rows_quarantined,
            if x.values_nulled > 0 {
                format!(", {} value(s) nulled", x.values_nulled)
            } else {
                String::new()
            }
        );
    }
    for f in &s.failed_sources {
        println!("  failed      {}: {}", f.file, f.message);
    }
    over_limit(s);
    quarantined_and_tables(s);
    println!("  next        friktion run rebuilds the marts and the report from the lake");
}

fn quarantined_and_tables(s: &RunSummary) {
    println!(
        "  quarantined {} row(s) rejected, {} value(s) nulled (details in the *_quarantine tables)",
        s.rows_quarantined(),
        s.values_nulled()
    );
    let tables: Vec<String> = s.tables.iter().map(|(t, n)| format!("{t} {n}")).collect();
    println!("  tables      {}", tables.join(", "));
    if s.friction_days > 0 {
        println!(
            "  log model   it_friction_daily recomputed for {} day(s)",
            s.friction_days
        );
    }
}

fn over_limit(s: &RunSummary) {
    for o in &s.over_limit {
        println!(
            "  over limit  {}: {:.1} % of rows rejected (limit {:.1} %)",
            o.file,
            o.share_rejected * 100.0,
            s.limit * 100.0
        );
    }
}
