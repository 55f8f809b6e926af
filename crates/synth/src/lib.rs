//! Seeded, realistic sample inputs for all three sources, at any scale, and Kolada-shaped
//! values marked as synthetic.
//!
//! The survey is calibrated to the published figures in DOMAIN.md: a national mean near 26
//! minutes lost a day in 2014 and 34 in 2019 (Vision), a right-skewed spread that differs by
//! verksamhet and occupation, about 20 % involved in planning or buying IT (fewer in social
//! services than in technical services), and less friction among the involved. Logs and project
//! records are shaped like what municipal systems and portfolio tools export.
//!
//! The same seed and settings give byte-identical files.

mod kolada;
mod logs;
mod projects;
mod staff_survey;
mod survey;

use std::io::Write;
use std::path::{Path, PathBuf};

use friktion_core::{Kommun, Reference};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

pub use logs::LogSettings;
pub use projects::ProjectSettings;
pub use survey::{SurveySettings, target_mean_minutes};

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("cannot write {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Settings(String),
    #[error("cannot make the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Settings {
    pub seed: u64,
    /// How many municipalities take part (1–290). They are drawn by the seed.
    pub kommuner: usize,
    pub survey: SurveySettings,
    pub logs: LogSettings,
    pub projects: ProjectSettings,
    /// Kolada-shaped welfare-technology values (made up, and marked so).
    pub kolada: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 41,
            kommuner: 12,
            survey: SurveySettings::default(),
            logs: LogSettings::default(),
            projects: ProjectSettings::default(),
            kolada: true,
        }
    }
}

/// The files written, relative to the output directory, with their sizes.
#[derive(Debug, Default)]
pub struct Written {
    pub files: Vec<(PathBuf, u64)>,
}

/// Writes survey/, logs/ and projects/ under `out`.
pub fn generate(reference: &Reference, s: &Settings, out: &Path) -> Result<Written, SynthError> {
    if s.kommuner == 0 || s.kommuner > 290 {
        return Err(SynthError::Settings(format!(
            "kommuner must be between 1 and 290, not {}",
            s.kommuner
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let mut all: Vec<&Kommun> = reference.kommuner().collect();
    all.shuffle(&mut rng);
    let mut chosen: Vec<&Kommun> = all.into_iter().take(s.kommuner).collect();
    chosen.sort_by(|a, b| a.kommun_kod.cmp(&b.kommun_kod));
    let lan: Vec<String> = reference.lan().map(|l| l.name.clone()).collect();

    let mut w = Written::default();
    for wave in &s.survey.waves {
        let text = survey::generate(&chosen, &lan, &s.survey, *wave, s.seed);
        write(
            out,
            &format!("survey/vision-{wave}.csv"),
            text.as_bytes(),
            &mut w,
        )?;
    }
    // Two municipalities' own staff surveys, as Excel exports.
    for k in chosen.iter().take(s.survey.staff_survey_kommuner) {
        let bytes = staff_survey::generate(
            k,
            s.survey.staff_survey_year,
            s.survey.respondents_per_kommun * 2,
            s.seed,
        )?;
        write(
            out,
            &format!(
                "survey/medarbetarenkat-{}-{}.xlsx",
                k.kommun_kod, s.survey.staff_survey_year
            ),
            &bytes,
            &mut w,
        )?;
    }
    if s.logs.days > 0 {
        if s.logs.file_per_kommun {
            let take = match s.logs.kommuner {
                0 => chosen.len(),
                n => n.min(chosen.len()),
            };
            for k in &chosen[..take] {
                let code: u64 = k.kommun_kod.parse().unwrap_or(0);
                let settings = LogSettings {
                    kommuner: 0,
                    ..s.logs.clone()
                };
                let suffix = format!("-{}", k.kommun_kod);
                write_logs(
                    out,
                    &[*k],
                    &settings,
                    s.seed ^ (code << 20),
                    &suffix,
                    &mut w,
                )?;
            }
        } else {
            write_logs(out, &chosen, &s.logs, s.seed, "", &mut w)?;
        }
    }
    if s.projects.per_kommun > 0 {
        let csv = projects::generate(&chosen, &s.projects, s.seed);
        write(out, "projects/projects.csv", csv.as_bytes(), &mut w)?;
    }
    if s.kolada {
        let (json, csv) = kolada::generate(&chosen, s.seed);
        write(
            out,
            "kolada/valfardsteknik-aldre-synthetic.json",
            json.as_bytes(),
            &mut w,
        )?;
        write(
            out,
            "kolada/valfardsteknik-funktionsnedsattning-synthetic.csv",
            csv.as_bytes(),
            &mut w,
        )?;
    }
    Ok(w)
}

/// logs/webapps{suffix}.ndjson and logs/auth{suffix}.syslog (and logs/webapps{suffix}.syslog)
/// for `kommuner`, written day by day.
fn write_logs(
    out: &Path,
    kommuner: &[&Kommun],
    s: &LogSettings,
    seed: u64,
    suffix: &str,
    w: &mut Written,
) -> Result<(), SynthError> {
    let json = out.join(format!("logs/webapps{suffix}.ndjson"));
    let syslog = out.join(format!("logs/auth{suffix}.syslog"));
    let web = out.join(format!("logs/webapps{suffix}.syslog"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SynthError::Io { path, source }
    };
    std::fs::create_dir_all(out.join("logs")).map_err(io(&out.join("logs")))?;
    let mut jw = std::io::BufWriter::new(std::fs::File::create(&json).map_err(io(&json))?);
    let mut sw = std::io::BufWriter::new(std::fs::File::create(&syslog).map_err(io(&syslog))?);
    let mut ww = match s.web_syslog {
        true => Some(std::io::BufWriter::new(
            std::fs::File::create(&web).map_err(io(&web))?,
        )),
        false => None,
    };
    let (jn, sn, wn) = logs::generate_to(
        kommuner,
        s,
        seed,
        &mut jw,
        &mut sw,
        ww.as_mut().map(|w| w as &mut dyn Write),
    )
    .and_then(|n| {
        jw.flush()?;
        sw.flush()?;
        if let Some(w) = ww.as_mut() {
            w.flush()?;
        }
        Ok(n)
    })
    .map_err(io(&json))?;
    let rel = |p: &Path| p.strip_prefix(out).unwrap_or(p).to_path_buf();
    w.files.push((rel(&json), jn));
    w.files.push((rel(&syslog), sn));
    if s.web_syslog {
        w.files.push((rel(&web), wn));
    }
    Ok(())
}

fn write(out: &Path, rel: &str, bytes: &[u8], w: &mut Written) -> Result<(), SynthError> {
    let path = out.join(rel);
    let io = |source| SynthError::Io {
        path: path.clone(),
        source,
    };
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(io)?;
    }
    std::fs::write(&path, bytes).map_err(io)?;
    w.files.push((PathBuf::from(rel), bytes.len() as u64));
    Ok(())
}

/// A name as people write it on a form: the plain name, "X kommun", "Xs Stad", upper case,
/// or the code. Drawn by `pick`, in 0..100.
pub(crate) fn written_name(k: &Kommun, pick: u32) -> String {
    let genitive = if k.name.ends_with(['s', 'x', 'z']) {
        k.name.clone()
    } else {
        format!("{}s", k.name)
    };
    match pick {
        0..55 => k.name.clone(),
        55..75 => format!("{genitive} kommun"),
        75..83 => format!("{genitive} stad"),
        83..90 => k.name.to_uppercase(),
        _ => k.kommun_kod.clone(),
    }
}
