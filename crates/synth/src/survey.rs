//! A Vision-style IT-strul member survey, exported the Swedish way.

use chrono::{Duration, NaiveDate};
use friktion_core::Kommun;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal};

use crate::written_name;

#[derive(Debug, Clone)]
pub struct SurveySettings {
    /// Survey years to write, one file each.
    pub waves: Vec<u16>,
    /// Mean respondents per municipality and wave.
    pub respondents_per_kommun: usize,
    /// Share of rows with a realistic defect (misspelt kommun, text for minutes, cut row, …).
    pub dirty_rate: f64,
    /// Municipalities that also run their own staff survey (medarbetarenkät, XLSX).
    pub staff_survey_kommuner: usize,
    pub staff_survey_year: u16,
}

impl Default for SurveySettings {
    fn default() -> Self {
        Self {
            waves: vec![2014, 2019],
            respondents_per_kommun: 40,
            dirty_rate: 0.01,
            staff_survey_kommuner: 2,
            staff_survey_year: 2025,
        }
    }
}

pub const HEADER: [&str; 13] = [
    "Respondent-ID",
    "Arbetsgivare",
    "Arbetsplats (kommun eller region)",
    "Verksamhet",
    "Yrke",
    "Hur mycket arbetstid förlorar du en vanlig arbetsdag på grund av IT-strul? (minuter)",
    "Har du deltagit i planering eller upphandling av IT-system?",
    "Behöver du mer utbildning för att använda IT-systemen väl?",
    "IT-systemen bidrar till kvaliteten i verksamheten",
    "IT-systemen bidrar till ett effektivt resursutnyttjande",
    "Jag har den utrustning jag behöver för mitt arbete",
    "Övriga synpunkter",
    "Inskickad",
];

/// Vision's published national means: 26 minutes in 2014, 34 in 2019; straight between, and
/// held at 34 after 2019, the last published figure.
pub fn target_mean_minutes(year: u16) -> f64 {
    let y = f64::from(year.clamp(2014, 2019));
    26.0 + (y - 2014.0) * (34.0 - 26.0) / 5.0
}

/// (label, share of staff, friction multiplier, share involved in procurement)
const VERKSAMHET: [(&str, f64, f64, f64); 9] = [
    ("Äldreomsorg", 0.16, 1.05, 0.14),
    ("Funktionsstöd (LSS)", 0.08, 1.00, 0.13),
    ("Individ- och familjeomsorg", 0.18, 1.25, 0.13),
    ("Hälso- och sjukvård", 0.10, 1.15, 0.18),
    ("Förskola", 0.05, 0.80, 0.15),
    ("Skola", 0.12, 0.90, 0.18),
    ("Teknisk verksamhet", 0.10, 0.80, 0.35),
    ("Kultur och fritid", 0.06, 0.75, 0.22),
    ("Administration och stöd", 0.15, 0.95, 0.32),
];

/// Occupations within each verksamhet above: (label, share, friction multiplier).
const OCCUPATIONS: [&[(&str, f64, f64)]; 9] = [
    &[
        ("Chef", 0.2, 1.1),
        ("Administratör", 0.15, 1.05),
        ("Biståndshandläggare", 0.25, 1.1),
        ("Undersköterska", 0.25, 0.95),
        ("Sjuksköterska", 0.15, 1.05),
    ],
    &[
        ("Chef", 0.25, 1.1),
        ("Biståndshandläggare", 0.35, 1.1),
        ("Undersköterska", 0.25, 0.95),
        ("Administratör", 0.15, 1.05),
    ],
    &[
        ("Socialsekreterare", 0.65, 1.15),
        ("Chef", 0.15, 1.1),
        ("Administratör", 0.2, 1.05),
    ],
    &[
        ("Sjuksköterska", 0.5, 1.05),
        ("Undersköterska", 0.2, 0.95),
        ("Chef", 0.15, 1.1),
        ("Administratör", 0.15, 1.05),
    ],
    &[
        ("Förskollärare", 0.6, 0.9),
        ("Chef", 0.25, 1.1),
        ("Administratör", 0.15, 1.05),
    ],
    &[
        ("Lärare", 0.55, 1.0),
        ("Chef", 0.2, 1.1),
        ("Administratör", 0.25, 1.05),
    ],
    &[
        ("Ingenjör/tekniker", 0.6, 0.9),
        ("Chef", 0.2, 1.1),
        ("Administratör", 0.2, 1.05),
    ],
    &[
        ("Administratör", 0.5, 1.05),
        ("Chef", 0.3, 1.1),
        ("Ingenjör/tekniker", 0.2, 0.9),
    ],
    &[
        ("Administratör", 0.55, 1.05),
        ("IT-personal", 0.25, 0.7),
        ("Chef", 0.2, 1.1),
    ],
];

/// Those who took part in buying their systems lose less time to them.
const INVOLVED_FACTOR: f64 = 0.75;
const ZERO_SHARE: f64 = 0.06;
const SIGMA: f64 = 0.75;
const REGION_SHARE: f64 = 0.12;

/// The scale that makes the expected mean come out at `target` given the mix above.
fn base_minutes(target: f64) -> f64 {
    let mut mix = 0.0;
    for (i, (_, share, mv, p_inv)) in VERKSAMHET.iter().enumerate() {
        let occ: f64 = OCCUPATIONS[i].iter().map(|(_, s, m)| s * m).sum();
        mix += share * mv * occ * (p_inv * INVOLVED_FACTOR + (1.0 - p_inv));
    }
    target / (mix * (1.0 - ZERO_SHARE))
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T], share: impl Fn(&T) -> f64) -> (usize, &'a T) {
    let total: f64 = items.iter().map(&share).sum();
    let mut x = rng.random::<f64>() * total;
    for (i, it) in items.iter().enumerate() {
        x -= share(it);
        if x <= 0.0 {
            return (i, it);
        }
    }
    (items.len() - 1, &items[items.len() - 1])
}

/// A five-point agreement scale's labels, agreeing fully first, and its "don't know".
pub(crate) struct Scale {
    pub labels: [&'static str; 5],
    pub dont_know: &'static str,
    /// Share answering "don't know".
    pub dont_know_share: f64,
    /// Share of the agreeing who agree fully.
    pub fully: f64,
}

pub(crate) const INSTAMMER: Scale = Scale {
    labels: [
        "Instämmer helt",
        "Instämmer till stor del",
        "Instämmer delvis",
        "Instämmer till liten del",
        "Instämmer inte alls",
    ],
    dont_know: "Vet ej",
    dont_know_share: 0.03,
    fully: 0.45,
};

/// Draws an answer: agreeing (the top two labels) with probability `p_agree`.
pub(crate) fn agreement(rng: &mut impl Rng, scale: &Scale, p_agree: f64) -> &'static str {
    if rng.random::<f64>() < scale.dont_know_share {
        return scale.dont_know;
    }
    let l = &scale.labels;
    if rng.random::<f64>() < p_agree {
        if rng.random::<f64>() < scale.fully {
            l[0]
        } else {
            l[1]
        }
    } else {
        match rng.random::<f64>() {
            x if x < 0.5 => l[2],
            x if x < 0.85 => l[3],
            _ => l[4],
        }
    }
}

/// Minutes as people write them: mostly round numbers, sometimes "ca", units or hours.
fn minutes_text(rng: &mut impl Rng, m: f64) -> String {
    if m == 0.0 {
        return if rng.random::<f64>() < 0.5 {
            "0".into()
        } else {
            "Ingen tid".into()
        };
    }
    let rounded = if m >= 10.0 {
        (m / 5.0).round() * 5.0
    } else {
        m.round().max(1.0)
    };
    match rng.random_range(0..100) {
        0..68 => format!("{rounded}"),
        68..78 => format!("{:.1}", m).replace('.', ","),
        78..86 => format!("ca {rounded}"),
        86..93 => format!("{rounded} min"),
        _ if rounded >= 60.0 => format!("{} h", format!("{:.1}", rounded / 60.0).replace('.', ",")),
        _ => format!("{rounded} minuter"),
    }
}

const COMMENTS: [&str; 8] = [
    "Systemet loggar ut mig flera gånger om dagen.",
    "Det tar lång tid att starta datorn på morgonen.",
    "Vi har för många inloggningar; behöver en gemensam inloggning.",
    "Verksamhetssystemet är segt vid dokumentation, särskilt på eftermiddagen.",
    "Kontakta mig gärna på {email} om ni vill veta mer.",
    "Mitt ärende hos IT-supporten gällde personnummer {pnr} och tog två veckor.",
    "Bra support men systemen är gamla.\nSkrivaren fungerar sällan.",
    "Surfplattorna i hemtjänsten tappar uppkopplingen; vi skriver \"på papper\" istället.",
];

/// One respondent's latent answers, shared by every survey format.
pub(crate) struct Respondent {
    pub verksamhet: usize,
    pub occupation: &'static str,
    pub involved: bool,
    pub minutes: f64,
}

/// Draws the respondents of one municipality with the calibrated model.
pub(crate) fn respondents(rng: &mut impl Rng, year: u16, n: usize) -> Vec<Respondent> {
    let base = base_minutes(target_mean_minutes(year));
    let latent = LogNormal::new(base.ln() - SIGMA * SIGMA / 2.0, SIGMA).expect("valid lognormal");
    let sd: f64 = 0.12;
    let effect = Normal::new(-sd * sd / 2.0, sd)
        .expect("valid normal")
        .sample(rng)
        .exp();
    (0..n)
        .map(|_| {
            let (vi, v) = pick(rng, &VERKSAMHET, |v| v.1);
            let (_, o) = pick(rng, OCCUPATIONS[vi], |o| o.1);
            let involved = rng.random::<f64>() < v.3;
            let mut m = if rng.random::<f64>() < ZERO_SHARE {
                0.0
            } else {
                latent.sample(rng) * v.2 * o.2 * effect
            };
            if involved {
                m *= INVOLVED_FACTOR;
            }
            Respondent {
                verksamhet: vi,
                occupation: o.0,
                involved,
                minutes: m.min(480.0),
            }
        })
        .collect()
}

pub fn generate(
    kommuner: &[&Kommun],
    lan: &[String],
    s: &SurveySettings,
    year: u16,
    seed: u64,
) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (u64::from(year) << 32));
    let start = NaiveDate::from_ymd_opt(i32::from(year), 10, 1).expect("valid date");

    let mut rows: Vec<(i64, Vec<String>)> = Vec::new();
    let mut next_id = 1000 + u32::from(year % 100) * 100_000;
    for k in kommuner {
        let n = (s.respondents_per_kommun as f64 * rng.random_range(0.5..1.5)).round() as usize;
        for r in respondents(&mut rng, year, n.max(1)) {
            next_id += rng.random_range(1..7);
            let (v, involved, m) = (&VERKSAMHET[r.verksamhet], r.involved, r.minutes);
            let region = rng.random::<f64>() < REGION_SHARE;
            let training = match rng.random_range(0..100) {
                0..40 => "Ja",
                40..92 => "Nej",
                _ => "Vet ej",
            };
            let comment = if rng.random::<f64>() < 0.06 {
                let c = COMMENTS[rng.random_range(0..COMMENTS.len())];
                c.replace(
                    "{email}",
                    &format!(
                        "fornamn.efternamn{}@kommun.example.se",
                        rng.random_range(1..99)
                    ),
                )
                .replace(
                    "{pnr}",
                    &format!(
                        "19{:02}0{}1{}-{:04}",
                        rng.random_range(50..99),
                        rng.random_range(1..9),
                        rng.random_range(0..9),
                        rng.random_range(0..9999)
                    ),
                )
            } else {
                String::new()
            };
            let when = start.and_hms_opt(7, 0, 0).expect("valid time")
                + Duration::minutes(rng.random_range(0..(45 * 24 * 60)));
            let workplace = if region {
                let lan_name = &lan[rng.random_range(0..lan.len())];
                format!(
                    "Region {}",
                    lan_name.trim_end_matches(" län").trim_end_matches('s')
                )
            } else {
                written_name(k, rng.random_range(0..100))
            };
            let fields = vec![
                format!("V{next_id:07}"),
                if region { "Region" } else { "Kommun" }.to_string(),
                workplace,
                v.0.to_string(),
                r.occupation.to_string(),
                minutes_text(&mut rng, m),
                if involved { "Ja" } else { "Nej" }.to_string(),
                training.to_string(),
                agreement(&mut rng, &INSTAMMER, if involved { 0.94 } else { 0.79 }).to_string(),
                agreement(&mut rng, &INSTAMMER, if involved { 0.92 } else { 0.78 }).to_string(),
                agreement(&mut rng, &INSTAMMER, 0.45).to_string(),
                comment,
                when.format("%Y-%m-%d %H:%M").to_string(),
            ];
            let t = when.and_utc().timestamp();
            // Now and then someone submits twice.
            if rng.random::<f64>() < 0.004 {
                let mut again = fields.clone();
                again[12] = (when + Duration::minutes(3))
                    .format("%Y-%m-%d %H:%M")
                    .to_string();
                rows.push((t + 180, again));
            }
            rows.push((t, dirty(&mut rng, fields, s.dirty_rate)));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1[0].cmp(&b.1[0])));
    let mut out = String::new();
    push_line(&mut out, HEADER.iter().map(|h| h.to_string()));
    for (_, r) in rows {
        push_line(&mut out, r);
    }
    out
}

/// The defects real exports have, each of which friktion must quarantine with a reason.
fn dirty(rng: &mut impl Rng, mut f: Vec<String>, rate: f64) -> Vec<String> {
    if rng.random::<f64>() >= rate {
        return f;
    }
    match rng.random_range(0..6) {
        0 => f[5] = "ca trettio".into(),
        1 => f[2] = format!("{}x", f[2].trim_end_matches(" kommun")),
        2 => f[0] = String::new(),
        3 => f.truncate(7),
        4 => f[8] = "Instämmer kanske".into(),
        _ => f[5] = "900".into(),
    }
    f
}

fn push_line(out: &mut String, fields: impl IntoIterator<Item = String>) {
    let mut first = true;
    for f in fields {
        if !first {
            out.push(';');
        }
        first = false;
        if f.contains([';', '"', '\n']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_reproduces_about_twenty_percent_involved() {
        let p: f64 = VERKSAMHET.iter().map(|v| v.1 * v.3).sum();
        assert!((p - 0.20).abs() < 0.01, "{p}");
        let social = VERKSAMHET[2].3;
        let technical = VERKSAMHET[6].3;
        assert!(social < technical);
        for occ in OCCUPATIONS {
            let s: f64 = occ.iter().map(|o| o.1).sum();
            assert!((s - 1.0).abs() < 1e-9);
        }
        assert!((VERKSAMHET.iter().map(|v| v.1).sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn targets_follow_vision() {
        assert_eq!(target_mean_minutes(2014), 26.0);
        assert_eq!(target_mean_minutes(2019), 34.0);
    }
}
