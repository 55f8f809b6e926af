//! The report in a real browser: Debian's chromium, headless, renders the national page, a
//! municipality page and the methods page, saves screenshots, and records every network
//! request and console message. The pages must make no request and log nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Project, text};

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

/// Chromium, headless, with a profile of its own under `work`.
fn headless(work: &Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
    ])
    .arg(format!(
        "--user-data-dir={}",
        work.join("profile").display()
    ));
    c
}

/// Requests the page started (the browser's own update and account checks have no page origin)
/// and console lines, after rendering `page` to `png`.
fn render(page: &Path, png: &Path, work: &Path) -> (Vec<String>, Vec<String>) {
    let net = work.join(format!(
        "{}.netlog.json",
        png.file_stem().unwrap().to_string_lossy()
    ));
    let out = headless(work)
        .args([
            "--disable-background-networking",
            "--window-size=1200,2400",
            "--enable-logging=stderr",
            "--v=0",
        ])
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
    o.ok();
    let index = o.report();
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

/// Prints `page` to PDF with chromium; returns each page's size in points (the MediaBoxes).
fn print_to_pdf(page: &Path, pdf: &Path, work: &Path) -> Vec<(f64, f64)> {
    let out = headless(work)
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium: {}", text(&out.stderr));
    let bytes = std::fs::read(pdf).unwrap();
    let raw = String::from_utf8_lossy(&bytes);
    raw.split("/MediaBox [")
        .skip(1)
        .map(|s| {
            let v: Vec<f64> = s[..s.find(']').unwrap()]
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect();
            (v[2] - v[0], v[3] - v[1])
        })
        .collect()
}

/// How wide `page` lays out in a frame as wide as an A4 page between 18 mm margins (174 mm,
/// 658 CSS pixels): (the frame's width, the page's width, the embedded font faces loaded, the
/// elements that stick out).
fn width_on_a4(page: &Path, work: &Path) -> (i64, i64, i64, String) {
    let frame = work.join("a4-frame.html");
    std::fs::write(
        &frame,
        format!(
            "<html><body style=\"margin:0\"><iframe id=\"f\" src=\"file://{}\" \
             style=\"width:658px;height:900px;border:0\"></iframe><script>\
             document.getElementById('f').onload = function () {{\
               var d = document.getElementById('f').contentDocument, w = d.documentElement.clientWidth, out = [];\
               d.querySelectorAll('body *').forEach(function (e) {{\
                 if (e.getBoundingClientRect().right > w + 1) out.push(e.tagName + ' ' + e.textContent.slice(0, 40)); }});\
               var faces = 0; d.fonts.forEach(function (f) {{ if (f.family.indexOf('friktion-sans') >= 0 && f.status === 'loaded') faces++; }});\
               document.body.setAttribute('data-a4', w + ';' + d.documentElement.scrollWidth + ';' + faces + ';' + out.slice(0, 5).join(' | '));\
             }};</script></body></html>",
            page.display()
        ),
    )
    .unwrap();
    let out = headless(work)
        .args([
            // The frame reads the page's layout: both are files, so let files see each other.
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", frame.display()))
        .output()
        .unwrap();
    let dom = text(&out.stdout);
    let at = dom
        .find("data-a4=\"")
        .unwrap_or_else(|| panic!("no measure: {dom} {}", text(&out.stderr)))
        + 9;
    let m: Vec<&str> = dom[at..dom[at..].find('"').unwrap() + at]
        .splitn(4, ';')
        .collect();
    (
        m[0].parse().unwrap(),
        m[1].parse().unwrap(),
        m[2].parse().unwrap(),
        m[3].to_string(),
    )
}

#[test]
fn the_pages_print_on_a4_and_nothing_is_wider_than_the_paper() {
    let p = Project::new();
    let o = p.run();
    o.ok();
    let index = o.report();
    let dir = index.parent().unwrap();
    let work = p.path().join("print");
    std::fs::create_dir_all(&work).unwrap();
    for (page, name) in [
        (index.clone(), "index"),
        (dir.join("kommun/0163.html"), "kommun-0163"),
        (dir.join("methods.html"), "methods"),
    ] {
        let sizes = print_to_pdf(&page, &work.join(format!("{name}.pdf")), &work);
        assert!(!sizes.is_empty(), "{name}: no pages");
        for (w, h) in &sizes {
            // A4 is 595.3 × 841.9 points.
            assert!(
                (w - 595.3).abs() < 2.0 && (h - 841.9).abs() < 2.0,
                "{name}: {w} × {h}"
            );
        }
        let (frame, width, faces, wide) = width_on_a4(&page, &work);
        assert!(
            width <= frame,
            "{name} is {width} px on a {frame} px A4 line: {wide}"
        );
        // The page's own font, regular and bold, from the page itself: nothing depends on the
        // fonts the reader's machine has.
        assert_eq!(faces, 2, "{name}: embedded font faces loaded");
    }
    // The national page runs over several sheets; the measure can fail: a wide table is caught.
    let pages = print_to_pdf(&index, &work.join("again.pdf"), &work).len();
    assert!(pages >= 5, "{pages} pages");
    let wide = work.join("wide.html");
    std::fs::write(
        &wide,
        format!(
            "<html><body><table><tr><td style=\"white-space:nowrap\">{}</td></tr></table></body></html>",
            "Personalomkostnadspålägg ".repeat(8)
        ),
    )
    .unwrap();
    let (frame, width, faces, what) = width_on_a4(&wide, &work);
    assert!(
        width > frame && what.contains("TABLE"),
        "{frame} {width} {what}"
    );
    assert_eq!(faces, 0, "a page without the embedded font has none loaded");
}
