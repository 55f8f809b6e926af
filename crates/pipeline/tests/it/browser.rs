//! The report in a real browser: Debian's chromium, headless, renders the national page, a
//! municipality page and the methods page, saves screenshots, and records every network
//! request and console message. The pages must make no request and log nothing.

use std::path::{Path, PathBuf};

use crate::chromium::headless;
use crate::{Project, text};

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
    let raw = crate::chromium::in_frame(
        page,
        658,
        "var w = d.documentElement.clientWidth, out = [];\
         d.querySelectorAll('body *').forEach(function (e) {\
           if (e.getBoundingClientRect().right > w + 1) out.push(e.tagName + ' ' + e.textContent.slice(0, 40)); });\
         var faces = 0; d.fonts.forEach(function (f) { if (f.family.indexOf('friktion-sans') >= 0 && f.status === 'loaded') faces++; });\
         return w + ';' + d.documentElement.scrollWidth + ';' + faces + ';' + out.slice(0, 5).join(' | ');",
        work,
    );
    let m: Vec<&str> = raw.splitn(4, ';').collect();
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

#[test]
fn every_charts_labels_are_at_least_11_px_on_a4_and_none_overlap() {
    let p = Project::new();
    let o = p.run();
    o.ok();
    let index = o.report();
    let dir = index.parent().unwrap();
    let work = p.path().join("labels");
    std::fs::create_dir_all(&work).unwrap();
    for page in [
        index.clone(),
        dir.join("kommun/0163.html"),
        dir.join("factors.html"),
    ] {
        let (n, small, overlaps) = crate::chromium::chart_labels(&page, &work);
        assert!(n > 20, "{}: only {n} labels measured", page.display());
        assert!(small.is_empty(), "{}: {small:?}", page.display());
        assert!(overlaps.is_empty(), "{}: {overlaps:?}", page.display());
    }
    // The measure can fail: small type and two labels on top of each other are caught.
    let bad = work.join("bad.html");
    std::fs::write(
        &bad,
        "<html><body><svg width=\"760\" height=\"100\" viewBox=\"0 0 760 100\">\
         <text x=\"10\" y=\"20\" font-size=\"10\">small at A4</text>\
         <text x=\"300\" y=\"50\" font-size=\"16\">Stockholm</text>\
         <text x=\"310\" y=\"55\" font-size=\"16\">Göteborg</text></svg></body></html>",
    )
    .unwrap();
    let (n, small, overlaps) = crate::chromium::chart_labels(&bad, &work);
    assert_eq!(n, 3);
    assert_eq!(small.len(), 1, "{small:?}");
    assert!(small[0].contains("small at A4"), "{small:?}");
    assert_eq!(overlaps.len(), 1, "{overlaps:?}");
}
