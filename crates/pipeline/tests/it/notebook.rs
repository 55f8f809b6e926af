//! The companion notebook beside each report runs top to bottom with nbclient (PyPI) on the
//! lake it was written for, and draws its figures from the published (protected) tables.

use std::process::Command;

use crate::python::python;
use crate::{Project, text, workspace};

fn execute(notebook: &std::path::Path, env: &[(&str, &str)]) -> (bool, serde_json::Value) {
    let mut cmd = Command::new(python());
    cmd.arg(workspace().join("python/run_notebook.py"))
        .arg(notebook)
        .arg(notebook.with_file_name("executed.ipynb"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)));
    (out.status.success(), report)
}

#[test]
fn the_companion_notebook_runs_top_to_bottom_and_draws_every_figure() {
    let p = Project::new();
    let o = p.run();
    o.ok();
    let index = o.report();
    let nb = index.with_file_name("friktion.ipynb");
    let source = std::fs::read_to_string(&nb).unwrap();
    assert!(!source.contains("[missing label]"), "a title is missing");
    // The lake is found relative to the report, so the project can move as a whole.
    assert!(source.contains("\\\"../../lake\\\""), "{source}");
    // It reads what the report published, never the unprotected marts.
    assert!(source.contains("\\\"published\\\"") && !source.contains("\\\"marts\\\""));
    let (ok, r) = execute(&nb, &[]);
    assert!(ok, "{r:#}");
    assert_eq!(r["errors"], serde_json::json!([]));
    // Kommuner by kommungrupp, their own surveys of 2025, verksamhet, spread, cost, trend,
    // logs, curves, funnel, factors.
    assert_eq!(r["figures"], 10, "{r:#}");

    // Pointed at a lake that is not there, it fails loudly instead of drawing nothing.
    let (ok, r) = execute(&nb, &[("FRIKTION_LAKE", "/nonexistent/lake")]);
    assert!(!ok, "{r:#}");
    assert!(
        r["errors"][0]
            .as_str()
            .unwrap()
            .contains("no published tables in /nonexistent/lake"),
        "{r:#}"
    );
}
