//! The companion notebook beside each report: `friktion.ipynb` loads the published tables from
//! the lake (`lake/published/`, protected by the publication stage exactly as the pages are)
//! with polars and draws the main figures again with matplotlib, for researchers who want to
//! go further than the pages. Cells the report hides are hidden here too ("..": no value).

use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use crate::ReportError;
use crate::i18n::{Lang, t};

/// The path from `from` (a directory) to `to`, both absolute, as `../../lake`; `to` itself when
/// they share no root.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return to.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    out
}

fn markdown(text: &str) -> Value {
    json!({"cell_type": "markdown", "metadata": {}, "source": lines(text)})
}

fn code(text: &str) -> Value {
    json!({
        "cell_type": "code",
        "execution_count": null,
        "metadata": {},
        "outputs": [],
        "source": lines(text.trim_start_matches('\n')),
    })
}

/// Notebook sources are lists of lines, each but the last ending in a newline.
fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

/// A Python string literal.
fn py(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

const SETUP: &str = r##"
import os
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import polars as pl

# The lake this report was made from; FRIKTION_LAKE points the notebook at another copy.
LAKE = Path(os.environ.get("FRIKTION_LAKE", LAKE_FROM_RUN))
if not (LAKE / "published").is_dir():
    raise FileNotFoundError(f"no published tables in {LAKE.resolve()} (set FRIKTION_LAKE to the lake directory)")


def published(name):
    """A table as the report published it (lake/published): hidden cells have status '..' and
    no values. Empty if the run published none."""
    files = sorted((LAKE / "published" / name).glob("*.parquet"))
    return pl.read_parquet(files) if files else pl.DataFrame()


def shown(df):
    """The rows the report shows."""
    return df.filter(pl.col("status") == "") if "status" in df.columns else df


def table(name):
    """A lake table, its hive partitions (wave_id=…) as string columns."""
    return pl.read_parquet(LAKE / name / "**" / "*.parquet", hive_partitioning=True)


kommun = published("friction_by_kommun")
national = published("friction_national")
# The newest wave that covers more than one kommun: the report's national wave.
waves = (kommun.group_by("wave_id").len().filter(pl.col("len") > 1)
         .sort("wave_id")["wave_id"].to_list())
WAVE = waves[-1] if waves else None
print("lake:", LAKE.resolve(), "| national wave:", WAVE, "| waves:", waves)
"##;

const HEADLINE: &str = r##"
# The first screen of the report: minutes lost, the change since the previous wave, the yearly
# cost and the projects live within two years, from the published tables.
now = national.filter(pl.col("wave_id") == WAVE)
print(TITLES["minutes"], now.select("mean_minutes", "ci_low", "ci_high", "n").to_dicts())
if len(waves) > 1:
    before = national.filter(pl.col("wave_id") == waves[-2])
    print(TITLES["change"].format(waves[-2]), (now["mean_minutes"] - before["mean_minutes"]).to_list())
sets = table("cost_assumption").filter(pl.col("published_cost_sek").is_null())["assumption_set"]
print(shown(published("friction_cost")).filter((pl.col("wave_id") == WAVE)
      & pl.col("assumption_set").is_in(sets.to_list())).select("assumption_set", "cost_sek", "fte").head(1))
shown(published("time_to_go_live")).filter(pl.col("dimension") == "all").select("n_projects", "share_live_within_2y")
"##;

/// Every kommun a dot with its interval in the band of its kommungrupp, the groups' means and
/// the country's: the report's comparison, in the report's colours.
const KOMMUN: &str = r##"
KOMMUN_C, PEER_C, COUNTRY_C = "#0072b2", "#d55e00", "#222222"


def strip(d, title, group_means=None, country=None):
    groups = sorted(d["grp"].unique().to_list())
    fig, ax = plt.subplots(figsize=(9, 0.7 * len(groups) + 1.5))
    for i, g in enumerate(groups):
        r = d.filter(pl.col("grp") == g).sort("mean_minutes")
        y = [i + 0.1 + 0.8 * (k % 9 + 0.5) / 9 for k in range(len(r))]
        ax.errorbar(r["mean_minutes"], y, xerr=[r["mean_minutes"] - r["ci_low"], r["ci_high"] - r["mean_minutes"]],
                    fmt="o", ms=3, color=KOMMUN_C, ecolor=KOMMUN_C, alpha=0.8, elinewidth=0.6)
        if group_means is not None and g in group_means:
            ax.plot([group_means[g]] * 2, [i + 0.05, i + 0.95], color=PEER_C, lw=3)
    if country is not None:
        ax.axvline(country, color=COUNTRY_C, ls="--")
    ax.set_yticks([i + 0.5 for i in range(len(groups))], groups)
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(TITLES["axis"])
    plt.tight_layout()
    plt.show()


bench = shown(published("kommun_benchmark")).filter(pl.col("wave_id") == WAVE)
name = "peer_group_name" if LANG == "sv" else "peer_group_name_en"
d = (shown(kommun).filter(pl.col("wave_id") == WAVE)
     .join(bench.select("kommun_kod", pl.col(name).alias("grp"), "peer_mean_minutes"), on="kommun_kod"))
means = dict(d.group_by("grp").agg(pl.col("peer_mean_minutes").first()).iter_rows())
strip(d, TITLES["compare"].format(WAVE), means, national.filter(pl.col("wave_id") == WAVE)["mean_minutes"].item())
# The ten with the most and the least friction.
d.sort("mean_minutes", descending=True).select("kommun_name", "grp", "mean_minutes", "ci_low", "ci_high").head(10)
"##;

/// The kommuner's own staff surveys (waves of one kommun each), compared within their year.
const OWN: &str = r##"
own = (shown(kommun).group_by("wave_id").agg(pl.len().alias("kommuner"), pl.all().first())
       .filter(pl.col("kommuner") == 1)
       .with_columns(pl.col("wave_id").str.extract(r"(\d{4})$").alias("year")))
groups = table("municipality").select("kommun_kod", pl.col("peer_group").alias("grp"))
for (year,), d in own.join(groups, on="kommun_kod").group_by(["year"]):
    strip(d, TITLES["own"].format(year))
"##;

const VERKSAMHET: &str = r##"
d = shown(published("friction_by_verksamhet")).filter(pl.col("wave_id") == WAVE).sort("mean_minutes")
fig, ax = plt.subplots(figsize=(8, 0.35 * len(d) + 1.5))
ax.barh(d["verksamhet"], d["mean_minutes"], color="#0072b2",
        xerr=[d["mean_minutes"] - d["ci_low"], d["ci_high"] - d["mean_minutes"]])
ax.set_title(TITLES["verksamhet"].format(WAVE))
ax.set_xlabel(TITLES["axis"])
plt.tight_layout()
plt.show()
"##;

const DISTRIBUTION: &str = r##"
# The distribution mart's bands; with the person-level survey_respondent mart a histogram of
# any other bands is one line away.
d = shown(published("friction_distribution")).filter(pl.col("wave_id") == WAVE).sort("band_order")
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.bar(d["band"], d["weighted_share"] * 100, color="#0072b2")
ax.set_title(TITLES["distribution"].format(WAVE))
ax.set_ylabel(TITLES["share"])
plt.tight_layout()
plt.show()
"##;

const COST: &str = r##"
sets = table("cost_assumption").filter(pl.col("published_cost_sek").is_null())["assumption_set"]
d = shown(published("friction_cost")).filter((pl.col("wave_id") == WAVE)
                                            & pl.col("assumption_set").is_in(sets.to_list()))
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 2.5))
a.barh(d["assumption_set"], d["cost_sek"] / 1e9, color="#0072b2",
       xerr=[(d["cost_sek"] - d["cost_low_sek"]) / 1e9, (d["cost_high_sek"] - d["cost_sek"]) / 1e9])
a.set_xlabel(TITLES["bn_sek"])
b.barh(d["assumption_set"], d["fte"], color="#0072b2",
       xerr=[d["fte"] - d["fte_low"], d["fte_high"] - d["fte"]])
b.set_xlabel(TITLES["fte"])
fig.suptitle(TITLES["cost"].format(WAVE))
plt.tight_layout()
plt.show()
d.join(table("cost_assumption"), on="assumption_set").select(
    "assumption_set", "employees", "working_days_per_year", "mean_minutes", "cost_sek", "fte")
"##;

const TREND: &str = r##"
d = national.filter(pl.col("wave_id").is_in(waves)).sort("wave_id")
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.errorbar(d["wave_id"], d["mean_minutes"], marker="o", capsize=4, color="#0072b2",
            yerr=[d["mean_minutes"] - d["ci_low"], d["ci_high"] - d["mean_minutes"]])
ax.set_ylim(bottom=0)
ax.set_title(TITLES["trend"])
ax.set_ylabel(TITLES["axis"])
plt.tight_layout()
plt.show()
"##;

const LOGS: &str = r##"
d = shown(published("log_friction_by_system")).filter(pl.col("level") == "system").sort("system_id")
if len(d):
    total = national.filter(pl.col("wave_id") == WAVE)
    labels = d["system_id"].to_list() + [TITLES["survey"].format(WAVE)]
    values = d["minutes_lost_per_user_day"].to_list() + total["mean_minutes"].to_list()
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.barh(labels, values, color=["#1f5a96"] * len(d) + ["#222222"])
    ax.set_title(TITLES["logs"])
    ax.set_xlabel(TITLES["logs_axis"])
    plt.tight_layout()
    plt.show()
"##;

const CURVES: &str = r##"
# Kaplan–Meier: the share of projects live by days since the decision (running projects
# censored, not dropped).
c = published("time_to_go_live_curve")
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, dim in zip(axes, ["track", "solution"]):
    for (grp,), g in c.filter(pl.col("dimension") == dim).sort("days").group_by(["grp"], maintain_order=True):
        ax.step([0] + g["days"].to_list(), [0] + (1 - g["survival"]).to_list(), where="post", label=grp)
    ax.set_xlabel(TITLES["days"])
    ax.legend(fontsize=7)
axes[0].set_ylabel(TITLES["live"])
fig.suptitle(TITLES["curves"])
plt.tight_layout()
plt.show()
"##;

const FUNNEL: &str = r##"
f = shown(published("project_funnel"))
fig, ax = plt.subplots(figsize=(8, 3))
ax.barh(f["stage"][::-1], (f["n_reached"] / f["n_projects"] * 100)[::-1], color="#0072b2")
ax.set_title(TITLES["funnel"])
plt.tight_layout()
plt.show()
"##;

const FACTORS: &str = r##"
s = published("factor_scores_by_kommun").rename({"mean_score": "score"})
names = table("municipality").select("kommun_kod", "name")
h = (s.join(names, on="kommun_kod").sort("factor_position")
     .pivot(on="factor_position", index="name", values="score").sort("name"))
fig, ax = plt.subplots(figsize=(9, 0.3 * len(h) + 1.5))
im = ax.imshow(h.drop("name").to_numpy().astype(float), cmap="Blues", vmin=1, vmax=5, aspect="auto")
ax.set_yticks(range(len(h)), h["name"].to_list())
ax.set_xticks(range(len(h.columns) - 1), h.columns[1:])
fig.colorbar(im, ax=ax)
ax.set_title(TITLES["factors"])
plt.tight_layout()
plt.show()
"##;

/// Writes `friktion.ipynb` into the run's report directory, pointing at `lake`.
pub fn write(dir: &Path, lake: &Path, run_id: &str, lang: Lang) -> Result<PathBuf, ReportError> {
    let here = std::env::current_dir().unwrap_or_default();
    let lake_path = relative(&here.join(dir), &here.join(lake));
    let titles: Vec<(&str, &str)> = vec![
        ("kommun", "nb.kommun"),
        ("minutes", "head.minutes"),
        ("change", "head.change"),
        ("compare", "compare.title"),
        ("own", "own.title"),
        ("axis", "wave.axis"),
        ("verksamhet", "verksamhet.title"),
        ("distribution", "distribution.title"),
        ("share", "distribution.axis"),
        ("bn_sek", "cost.bn_sek"),
        ("fte", "cost.fte_axis"),
        ("cost", "cost.sek_title"),
        ("trend", "trend.title"),
        ("survey", "logs.self_reported"),
        ("logs", "nb.logs"),
        ("logs_axis", "logs.axis"),
        ("days", "ttg.curve_x"),
        ("live", "ttg.curve_y"),
        ("curves", "nb.curves"),
        ("funnel", "funnel.title"),
        ("factors", "factors.title"),
    ];
    let mut dict = String::from("TITLES = {\n");
    for (k, key) in titles {
        // The page's "{}" placeholders become Python's.
        dict.push_str(&format!("    {}: {},\n", py(k), py(t(lang, key))));
    }
    dict.push_str("}\n");
    dict.push_str(&format!("LANG = {}\n", py(lang.code())));
    let setup = SETUP.replace("LAKE_FROM_RUN", &py(&lake_path.to_string_lossy()));
    let mut cells = vec![
        markdown(&format!(
            "# {}\n\n{}\n\n{}",
            t(lang, "nb.title"),
            crate::i18n::tf(lang, "nb.intro", &[&run_id]),
            t(lang, "nb.privacy")
        )),
        code(&format!("{setup}\n{dict}")),
    ];
    for (heading, src) in [
        ("head.h2", HEADLINE),
        ("nb.h_kommun", KOMMUN),
        ("own.h2", OWN),
        ("nb.h_verksamhet", VERKSAMHET),
        ("nb.h_distribution", DISTRIBUTION),
        ("nb.h_cost", COST),
        ("trend.h2", TREND),
        ("logs.h2", LOGS),
        ("ttg.h2", CURVES),
        ("nb.h_funnel", FUNNEL),
        ("factors.h2", FACTORS),
    ] {
        cells.push(markdown(&format!("## {}", t(lang, heading))));
        cells.push(code(src));
    }
    let nb = json!({
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 4,
    });
    let path = dir.join("friktion.ipynb");
    let text = serde_json::to_string_pretty(&nb).expect("a notebook serialises");
    crate::write_file(&path, &(text + "\n"))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lake_is_found_relative_to_the_report() {
        assert_eq!(
            relative(Path::new("/p/notebooks-out/run1"), Path::new("/p/lake")),
            PathBuf::from("../../lake")
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b/lake")),
            PathBuf::from("lake")
        );
    }
}
