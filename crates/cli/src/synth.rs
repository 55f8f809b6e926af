//! `friktion synth`: sample inputs at any scale.

use anyhow::{Context, Result};

use crate::flags::SynthArgs;
use friktion_core::Reference;
use friktion_synth::{LogSettings, ProjectSettings, Settings, SurveySettings, generate};

pub fn run(a: SynthArgs) -> Result<()> {
    let reference = Reference::load(&a.reference)
        .with_context(|| format!("reference data in {}", a.reference.display()))?;
    if !(0.0..=1.0).contains(&a.dirty_rate) {
        anyhow::bail!("--dirty-rate must be between 0 and 1");
    }
    let settings = Settings {
        seed: a.seed,
        kommuner: a.kommuner,
        survey: SurveySettings {
            waves: a.waves,
            respondents_per_kommun: a.respondents,
            dirty_rate: a.dirty_rate,
            staff_survey_kommuner: a.staff_surveys,
            ..SurveySettings::default()
        },
        logs: LogSettings {
            days: a.log_days,
            users_per_kommun: a.log_users,
            kommuner: a.log_kommuner,
            web_syslog: a.log_web_syslog,
            file_per_kommun: a.log_file_per_kommun,
            ..LogSettings::default()
        },
        projects: ProjectSettings {
            per_kommun: a.projects,
            ..ProjectSettings::default()
        },
        kolada: !a.no_kolada,
    };
    let written = generate(&reference, &settings, &a.out)?;
    for (f, size) in &written.files {
        println!("{:>10}  {}", size, a.out.join(f).display());
    }
    Ok(())
}
