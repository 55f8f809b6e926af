//! Project records as a portfolio tool exports them: one row per project, a date column per
//! stage, budget and outcome, and the project's scores on the key factors.
//!
//! Durations run from months to years with a long right tail; some projects are abandoned and
//! many are still running at the data date. Some key factors really shift a project's speed
//! (a proportional-hazards-like effect, [`FACTOR_EFFECT`]) and weak ones make abandonment more
//! likely, so the outcome indicators have something to find, and others have no effect, so a
//! test can tell whether they find only that.

use chrono::{Duration, NaiveDate};
use friktion_core::Kommun;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

#[derive(Debug, Clone)]
pub struct ProjectSettings {
    pub per_kommun: usize,
    /// The date the records were read: later stages are not reached yet (censoring).
    pub data_date: NaiveDate,
    pub key_factors: usize,
    pub dirty_rate: f64,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        Self {
            per_kommun: 20,
            data_date: NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date"),
            key_factors: 11,
            dirty_rate: 0.03,
        }
    }
}

/// (solution, track, median days from decision to go-live)
const SOLUTIONS: [(&str, &str, f64); 8] = [
    ("Digital nattillsyn", "Omsorg", 520.0),
    ("Digitala trygghetslarm", "Omsorg", 300.0),
    ("GPS-larm", "Omsorg", 260.0),
    ("Läkemedelsautomat", "Omsorg", 380.0),
    ("E-tjänst försörjningsstöd", "Omsorg", 450.0),
    ("Lärplattform", "Skola", 330.0),
    ("Digitala nationella prov", "Skola", 240.0),
    ("E-arkiv", "Annan", 600.0),
];

/// Per factor column (NF01…NF11, in the shipped catalogue's order), how much one score point
/// above 3 shortens time to go-live, on the log scale: leadership (NF01), procurement (NF09),
/// competence (NF06) and needs and involvement (NF05) matter; the rest do not.
pub const FACTOR_EFFECT: [f64; 11] = [0.35, 0.0, 0.0, 0.0, 0.12, 0.18, 0.0, 0.0, 0.25, 0.0, 0.0];

pub fn generate(kommuner: &[&Kommun], s: &ProjectSettings, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x70726f6a);
    let mut out = String::new();
    let mut header = vec![
        "Projekt-ID",
        "Kommun",
        "Projektnamn",
        "Lösning",
        "Spår",
        "Status",
        "Idé",
        "Beslut",
        "Upphandling",
        "Pilot",
        "Driftsatt",
        "Införd i ordinarie verksamhet",
        "Avbrutet",
        "Budget (kr)",
        "Utfall (kr)",
        "Mål antal användare",
        "Antal användare",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    header.extend((1..=s.key_factors).map(|i| format!("NF{i:02}")));
    out.push_str(&header.join(";"));
    out.push_str("\r\n");
    let start = NaiveDate::from_ymd_opt(2016, 1, 1).expect("valid date");
    let span = (s.data_date - start).num_days();
    let mut n = 0;
    for k in kommuner {
        for _ in 0..s.per_kommun {
            n += 1;
            let (solution, track, median) = SOLUTIONS[rng.random_range(0..SOLUTIONS.len())];
            let scores: Vec<Option<u8>> = (0..s.key_factors)
                .map(|_| (rng.random::<f64>() < 0.9).then(|| rng.random_range(1..=5)))
                .collect();
            // An unassessed factor counts as average.
            let effect: f64 = scores
                .iter()
                .zip(FACTOR_EFFECT)
                .map(|(sc, w)| w * (sc.map_or(3.0, f64::from) - 3.0))
                .sum();
            let speed = (-effect).exp();
            let idea = start + Duration::days(rng.random_range(0..span));
            let days = |rng: &mut ChaCha8Rng, median: f64, sd: f64| {
                Duration::days(
                    LogNormal::new(median.ln(), sd)
                        .expect("valid")
                        .sample(rng)
                        .round() as i64,
                )
            };
            let decision = idea + days(&mut rng, 150.0, 0.6);
            let go_live = decision + days(&mut rng, median * speed, 0.7);
            let procurement = decision + (go_live - decision) / 4;
            let pilot = decision + (go_live - decision) * 2 / 3;
            let scaled = go_live + days(&mut rng, 300.0, 0.5);
            // Abandonment strikes some time between decision and go-live, more often when
            // the key factors are weak.
            let abandoned = (rng.random::<f64>() < 0.10 * speed)
                .then(|| decision + (go_live - decision) * rng.random_range(20..90) / 100);
            let mut stages: Vec<(usize, NaiveDate)> = [
                (6, idea),
                (7, decision),
                (8, procurement),
                (9, pilot),
                (10, go_live),
                (11, scaled),
            ]
            .into_iter()
            .filter(|(_, d)| *d <= s.data_date && abandoned.is_none_or(|a| *d < a))
            .collect();
            if let Some(a) = abandoned.filter(|a| *a <= s.data_date) {
                stages.push((12, a));
            }
            let status = match stages.last().map(|s| s.0) {
                Some(12) => "Avbrutet",
                Some(11) => "Införd i ordinarie verksamhet",
                Some(10) => "Driftsatt",
                Some(9) => "Pilot",
                Some(8) => "Upphandling",
                Some(7) => "Beslut",
                _ => "Idé",
            };
            let budget = (rng.random_range(2..120) * 50_000) as f64;
            let reached_go_live = stages.iter().any(|s| s.0 == 10);
            let overrun = LogNormal::new(0.1, 0.25).expect("valid").sample(&mut rng);
            let target = rng.random_range(20..800);
            let mut row = vec![String::new(); header.len()];
            row[0] = format!("P-{}-{n:04}", k.kommun_kod);
            row[1] = k.name.clone();
            row[2] = format!("{solution} i {}", k.name);
            row[3] = solution.into();
            row[4] = track.into();
            row[5] = status.into();
            for (col, d) in &stages {
                row[*col] = d.format("%Y-%m-%d").to_string();
            }
            row[13] = thousands(budget);
            if reached_go_live || abandoned.is_some() {
                row[14] = thousands((budget * overrun / 1000.0).round() * 1000.0);
            }
            row[15] = target.to_string();
            if reached_go_live {
                row[16] =
                    ((f64::from(target) * rng.random_range(0.3..1.1)).round() as i64).to_string();
            }
            for (i, sc) in scores.iter().enumerate() {
                row[17 + i] = sc.map(|v| v.to_string()).unwrap_or_default();
            }
            if rng.random::<f64>() < s.dirty_rate {
                match rng.random_range(0..4) {
                    // A name the register does not know: the row is rejected.
                    3 => row[1] = format!("{} kommunn", k.name),
                    0 => {
                        row[10] = (decision - Duration::days(40))
                            .format("%Y-%m-%d")
                            .to_string()
                    }
                    1 => row[5] = "Pågår?".into(),
                    _ => {
                        row[7] = (s.data_date + Duration::days(400))
                            .format("%Y-%m-%d")
                            .to_string()
                    }
                }
            }
            out.push_str(&row.join(";"));
            out.push_str("\r\n");
        }
    }
    out
}

/// "1 250 000" with a space between thousands, as Swedish spreadsheets show amounts.
fn thousands(v: f64) -> String {
    let s = format!("{}", v.round() as i64);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_spaced() {
        assert_eq!(super::thousands(1_250_000.0), "1 250 000");
        assert_eq!(super::thousands(950.0), "950");
    }
}
