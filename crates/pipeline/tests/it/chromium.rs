//! Debian's chromium, headless, as the report's tests drive it: a profile of its own per test,
//! and a measure of every chart's text labels as laid out on an A4 page. Shared with
//! friktion-cli's tests (the report at national scale), which use all of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::text;

pub fn chromium() -> PathBuf {
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
pub fn headless(work: &Path) -> Command {
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

/// Screenshots `page` in a window of `width` × `height` CSS pixels.
pub fn screenshot(page: &Path, png: &Path, (width, height): (u32, u32), work: &Path) {
    let out = headless(work)
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium: {}", text(&out.stderr));
    assert!(png.is_file(), "no screenshot of {}", page.display());
}

/// Loads `page` in a frame `width` CSS pixels wide, runs `measure` (the body of a JavaScript
/// function of the frame's document `d` that returns a string) once it has loaded, and gives
/// back that string.
pub fn in_frame(page: &Path, width: u32, measure: &str, work: &Path) -> String {
    let frame = work.join("frame.html");
    std::fs::write(
        &frame,
        format!(
            "<html><body style=\"margin:0\"><iframe id=\"f\" src=\"file://{}\" \
             style=\"width:{width}px;height:900px;border:0\"></iframe><script>\
             document.getElementById('f').onload = function () {{\
               var out = (function (d) {{ {measure} }})(document.getElementById('f').contentDocument);\
               document.body.setAttribute('data-out', out);\
             }};</script></body></html>",
            page.display()
        ),
    )
    .unwrap();
    let out = headless(work)
        .args([
            // The frame reads the page's layout: both are files, so let files see each other.
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", frame.display()))
        .output()
        .unwrap();
    let dom = text(&out.stdout);
    let at = dom
        .find("data-out=\"")
        .unwrap_or_else(|| panic!("no measure of {}: {}", page.display(), text(&out.stderr)))
        + 10;
    dom[at..dom[at..].find('"').unwrap() + at]
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every chart's text labels on `page`, laid out as on an A4 page between 18 mm margins: a
/// content box of 658 CSS pixels (the frame adds the 1 rem each side the page's screen style
/// pads its body with, which print drops; its scroll bar is hidden): (labels measured, labels
/// drawn smaller than 11 px, pairs of labels in one chart whose boxes overlap by more than a
/// pixel each way, and labels that run outside their chart, where they are cut off).
pub fn chart_labels(page: &Path, work: &Path) -> (usize, Vec<String>, Vec<String>) {
    let raw = in_frame(
        page,
        690,
        "var n = 0, small = [], overlaps = [];\
         d.documentElement.style.overflow = 'hidden';\
         d.querySelectorAll('svg').forEach(function (svg, k) {\
           var box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;\
           var scale = vb && vb.width ? box.width / vb.width : 1, seen = [];\
           svg.querySelectorAll('text').forEach(function (t) {\
             var words = t.textContent.trim(); if (!words) return;\
             var r = t.getBoundingClientRect(); if (r.width === 0) return;\
             n++;\
             if (r.right > box.right + 1 || r.left < box.left - 1) overlaps.push('chart ' + k + ' \\'' + words + '\\' runs outside its chart');\
             var px = parseFloat(d.defaultView.getComputedStyle(t).fontSize) * scale;\
             if (px < 11) small.push('chart ' + k + ' \\'' + words + '\\' ' + px.toFixed(1) + ' px');\
             seen.forEach(function (o) {\
               var w = Math.min(r.right, o.r.right) - Math.max(r.left, o.r.left);\
               var h = Math.min(r.bottom, o.r.bottom) - Math.max(r.top, o.r.top);\
               if (w > 1 && h > 1) overlaps.push('chart ' + k + ' \\'' + o.words + '\\' / \\'' + words + '\\'');\
             });\
             seen.push({ r: r, words: words });\
           });\
         });\
         return n + '|' + small.slice(0, 8).join(';') + '|' + overlaps.slice(0, 8).join(';') + '|' + small.length + '|' + overlaps.length;",
        work,
    );
    let m: Vec<&str> = raw.split('|').collect();
    let list = |s: &str, total: &str| -> Vec<String> {
        let mut v: Vec<String> = s
            .split(';')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect();
        if let Ok(t) = total.parse::<usize>()
            && t > v.len()
        {
            v.push(format!("… {} in all", t));
        }
        v
    };
    (m[0].parse().unwrap(), list(m[1], m[3]), list(m[2], m[4]))
}
