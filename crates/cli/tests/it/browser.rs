//! The report in a real browser: Debian's chromium, headless, renders the national page, a
//! municipality page and the methods page, saves screenshots, and records every network
//! request and console message. The pages must make no request and log nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Project, assert_ok, text};

fn chromium() -> PathBuf {
    ["chromium", "chromium-browser"]
        .iter()
        .find_map(|c| {
            std::env::var_os("PATH").and_then(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join(c))
                    .find(|f| f.is_file())
            })
        })
        .expect("chromium is not installed: apt-get install chromium (.ci/run does)")
}

/// Requests the page started (the browser's own update and account checks have no page origin)
/// and console lines, after rendering `page` to `png`.
fn render(page: &Path, png: &Path, work: &Path) -> (Vec<String>, Vec<String>) {
    let net = work.join(format!(
        "{}.netlog.json",
        png.file_stem().unwrap().to_string_lossy()
    ));
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--window-size=1200,2400",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.join("profile").display()
        ))
        .arg(format!("--log-net-log={}", net.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        text(&out.stderr)
    );
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&net).unwrap()).unwrap();
    let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_i64()
        .unwrap();
    let requests = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_i64() == Some(start))
        .filter_map(|e| {
            let url = e["params"]["url"].as_str()?;
            (e["params"]["initiator"].as_str() != Some("not an origin")).then(|| url.to_string())
        })
        .collect();
    let console = text(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (requests, console)
}

#[test]
fn the_pages_render_in_chromium_without_requests_or_console_messages() {
    let p = Project::new();
    let o = p.run();
    assert_ok(&o);
    let index = crate::report_path(&text(&o.stdout));
    let dir = index.parent().unwrap();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let work = p.path().join("browser");
    std::fs::create_dir_all(&work).unwrap();
    for (page, name) in [
        (index.clone(), "index"),
        (dir.join("kommun/0163.html"), "kommun-0163"),
        (dir.join("methods.html"), "methods"),
    ] {
        let png = shots.join(format!("{name}.png"));
        let (requests, console) = render(&page, &png, &work);
        assert!(requests.is_empty(), "{name} made requests: {requests:?}");
        assert!(console.is_empty(), "{name} logged: {console:?}");
        let size = std::fs::metadata(&png).unwrap().len();
        assert!(
            size > 20_000,
            "{name}: a {size}-byte screenshot is an empty page"
        );
    }

    // The checks can fail: a page that fetches an image and logs an error is caught.
    let bad = work.join("bad.html");
    std::fs::write(
        &bad,
        "<html><body><img src=\"http://example.invalid/x.png\"><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let (requests, console) = render(&bad, &work.join("bad.png"), &work);
    assert_eq!(requests, ["http://example.invalid/x.png"]);
    assert!(console.iter().any(|l| l.contains("boom")), "{console:?}");
}
