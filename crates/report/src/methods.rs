//! methods.html: sources, definitions, the cost assumptions, the log friction model and the
//! suppression rule, so every number on the other pages can be traced.

use std::fmt::Write;
use std::path::Path;

use friktion_publish::marts::CostAssumption;

use crate::format::esc;
use crate::html::{RunInfo, page};
use crate::i18n::{num, num_opt, t, tf};
use crate::{ReportError, write_file};

/// Writes methods.html under `dir`.
pub fn write_methods(
    dir: &Path,
    run: &RunInfo,
    costs: &[CostAssumption],
) -> Result<(), ReportError> {
    let lang = run.lang;
    let mut b = String::new();
    let _ = write!(
        b,
        "<p><a href=\"index.html\">{}</a></p>\n<h1>{}</h1>\n",
        t(lang, "kommun.back"),
        t(lang, "methods.h1")
    );
    for (h, p) in [
        ("methods.sources_h2", "methods.sources"),
        ("methods.friction_h2", "methods.friction"),
        ("methods.logs_h2", "methods.logs"),
        ("methods.outcomes_h2", "methods.outcomes"),
    ] {
        let _ = write!(
            b,
            "<section>\n<h2>{}</h2>\n<p>{}</p>\n</section>\n",
            t(lang, h),
            t(lang, p)
        );
    }
    let _ = write!(
        b,
        "<section>\n<h2>{}</h2>\n<p>{}</p>\n<table>\n<caption>{}</caption>\n<thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        t(lang, "methods.cost_h2"),
        t(lang, "methods.cost"),
        t(lang, "methods.cost_caption"),
        t(lang, "methods.cost_set"),
        t(lang, "methods.cost_employees"),
        t(lang, "methods.cost_days"),
        t(lang, "methods.cost_hours"),
        t(lang, "methods.cost_salary"),
        t(lang, "methods.cost_overhead"),
        t(lang, "pub.source"),
    );
    for c in costs {
        let _ = writeln!(
            b,
            "<tr><th scope=\"row\">{} (v{})<br><span class=\"note\">{}</span></th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}&nbsp;%</td><td>{}</td></tr>",
            esc(&c.assumption_set),
            c.version,
            esc(match (lang, &c.description_en) {
                (crate::i18n::Lang::En, Some(en)) => en,
                _ => &c.description,
            }),
            num_opt(lang, c.employees, 0),
            num_opt(lang, c.working_days_per_year, 0),
            num_opt(lang, c.hours_per_month, 0),
            num_opt(lang, c.monthly_salary_sek, 0),
            num(lang, c.payroll_overhead.unwrap_or(0.0) * 100.0, 2),
            esc(&c.source),
        );
    }
    b.push_str("</tbody>\n</table>\n</section>\n");
    let _ = write!(
        b,
        "<section>\n<h2>{}</h2>\n<p>{}</p>\n</section>\n",
        t(lang, "methods.disclosure_h2"),
        tf(lang, "methods.disclosure", &[&run.min_cell])
    );
    write_file(
        &dir.join("methods.html"),
        &page(lang, t(lang, "methods.title"), &b),
    )
}
