//! A chart as the pages publish it: the SVG with its text alternative and caption, the same
//! numbers as a table for readers who cannot see the chart, and the data as CSV beside the page.

use std::fmt::Write;

use crate::format::esc;
use crate::i18n::{Lang, t};

/// A figure's HTML and its data file (a path relative to the page, and the CSV text).
#[derive(Debug, Clone, Default)]
pub struct Figure {
    pub html: String,
    pub csv_path: String,
    pub csv: String,
}

/// A small table of a chart's values: a caption, column headers (numeric ones right-aligned)
/// and rows whose first cell heads the row. Cells are already formatted and escaped.
pub struct DataTable {
    pub caption: String,
    pub headers: Vec<(String, bool)>,
    pub rows: Vec<Vec<String>>,
}

impl DataTable {
    pub fn html(&self) -> String {
        let mut s = format!("<table>\n<caption>{}</caption>\n<thead><tr>", self.caption);
        for (h, numeric) in &self.headers {
            let class = if *numeric { " class=\"num\"" } else { "" };
            let _ = write!(s, "<th scope=\"col\"{class}>{h}</th>");
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            s.push_str("<tr>");
            for (i, cell) in row.iter().enumerate() {
                if i == 0 {
                    let _ = write!(s, "<th scope=\"row\">{cell}</th>");
                } else {
                    let numeric = self.headers.get(i).is_some_and(|h| h.1);
                    let class = if numeric { " class=\"num\"" } else { "" };
                    let _ = write!(s, "<td{class}>{cell}</td>");
                }
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody>\n</table>\n");
        s
    }
}

/// The chart (as an image with its text alternative), its caption with a link to the CSV, and
/// its table under a disclosure triangle that opens for printing.
pub fn html(
    lang: Lang,
    alt: &str,
    svg: &str,
    caption: &str,
    csv_path: &str,
    table: Option<&DataTable>,
) -> String {
    let table = table.map_or(String::new(), |tb| {
        format!(
            "<details class=\"data\"><summary>{}</summary>\n{}</details>\n",
            t(lang, "figure.table"),
            tb.html()
        )
    });
    format!(
        "<figure role=\"group\">\n<div role=\"img\" aria-label=\"{}\">{svg}</div>\n\
         <figcaption>{caption} <a href=\"{csv_path}\">{}</a></figcaption>\n{table}</figure>\n",
        esc(alt),
        t(lang, "wave.csv"),
    )
}

/// A CSV field, quoted when it needs to be (the publication writes its own CSV the same way).
pub use friktion_publish::csv_field;
