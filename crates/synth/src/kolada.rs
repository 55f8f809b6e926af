//! Kolada-shaped values for the demo: Socialstyrelsen's welfare-technology KPIs (what a
//! kommun offers people living at home: 2 breddinfört, 1 testverksamhet, 0 nej), in the API's
//! JSON and in the CSV export. Made up, and marked so in both files: never Kolada's figures.

use std::fmt::Write;

use friktion_core::Kommun;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// For older people (JSON) and for people with disabilities (CSV), living at home.
const OLDER: [&str; 4] = ["U21340", "U21341", "U21342", "U21349"];
const DISABILITY: [&str; 3] = ["U21350", "U21351", "U21352"];
const PERIODS: std::ops::RangeInclusive<i32> = 2022..=2025;

pub const NOTE: &str = "SYNTHETIC: made up by friktion synth for the demo; not Kolada's figures";

/// Each kommun's offer per KPI and year: once offered, kept; a pilot may become broad.
fn values(
    kommuner: &[&Kommun],
    kpis: &[&str],
    rng: &mut ChaCha8Rng,
) -> Vec<(String, String, i32, u8)> {
    let mut out = Vec::new();
    for k in kommuner {
        for kpi in kpis {
            let mut level = rng.random_range(0..=2u8);
            for year in PERIODS {
                if level < 2 && rng.random::<f64>() < 0.3 {
                    level += 1;
                }
                out.push((kpi.to_string(), k.kommun_kod.clone(), year, level));
            }
        }
    }
    out
}

/// (JSON as the API answers, with `"synthetic": true`; CSV with a `synthetic` column.)
pub fn generate(kommuner: &[&Kommun], seed: u64) -> (String, String) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6b6f6c61);
    let entries: Vec<serde_json::Value> = values(kommuner, &OLDER, &mut rng)
        .into_iter()
        .map(|(kpi, m, period, v)| {
            serde_json::json!({
                "kpi": kpi,
                "municipality": m,
                "period": period,
                "values": [{"gender": "T", "count": 1, "status": "", "value": v as f64}],
            })
        })
        .collect();
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "synthetic": true,
        "note": NOTE,
        "values": entries,
    }))
    .expect("JSON of plain values");
    let mut csv = String::from("kpi,municipality,period,gender,value,count,status,synthetic\n");
    for (kpi, m, period, v) in values(kommuner, &DISABILITY, &mut rng) {
        let _ = writeln!(csv, "{kpi},{m},{period},T,{v},1,,true");
    }
    (json + "\n", csv)
}
