//! Calibration of the generator against the published figures, on a sample large enough that
//! sampling noise cannot hide a bias.

use std::path::PathBuf;

use friktion_core::Reference;
use friktion_synth::{
    LogSettings, ProjectSettings, Settings, SurveySettings, generate, target_mean_minutes,
};

/// Minutes as the generator writes them: "30", "32,5", "ca 30", "30 min", "30 minuter",
/// "1,5 h", "0", "Ingen tid".
fn minutes(s: &str) -> f64 {
    if s == "Ingen tid" {
        return 0.0;
    }
    let (s, factor) = match s.strip_suffix(" h") {
        Some(h) => (h, 60.0),
        None => (s, 1.0),
    };
    let s = s
        .trim_start_matches("ca ")
        .trim_end_matches(" minuter")
        .trim_end_matches(" min");
    s.replace(',', ".")
        .parse::<f64>()
        .unwrap_or_else(|_| panic!("unreadable minutes '{s}'"))
        * factor
}

#[test]
fn a_large_sample_reproduces_vision_2014_and_2019() {
    let reference = Reference::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/reference"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let settings = Settings {
        seed: 99,
        kommuner: 200,
        survey: SurveySettings {
            waves: vec![2014, 2019],
            respondents_per_kommun: 150,
            dirty_rate: 0.0,
            staff_survey_kommuner: 0,
            staff_survey_year: 2025,
        },
        logs: LogSettings {
            days: 0,
            ..LogSettings::default()
        },
        projects: ProjectSettings {
            per_kommun: 0,
            ..ProjectSettings::default()
        },
        kolada: false,
    };
    generate(&reference, &settings, out.path()).unwrap();
    for year in [2014u16, 2019] {
        let text =
            std::fs::read_to_string(out.path().join(format!("survey/vision-{year}.csv"))).unwrap();
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        let (mut n, mut sum, mut inv, mut sum_inv, mut n_inv, mut sum_not) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for r in rdr.records() {
            let r = r.unwrap();
            let m = minutes(&r[5]);
            n += 1.0;
            sum += m;
            if &r[6] == "Ja" {
                inv += 1.0;
                n_inv += 1.0;
                sum_inv += m;
            } else {
                sum_not += m;
            }
        }
        let mean = sum / n;
        let target = target_mean_minutes(year);
        assert!(n > 20_000.0, "{n}");
        // Rounding answers to 5 minutes and capping at a working day move the mean a little.
        assert!(
            (mean - target).abs() < 1.0,
            "{year}: mean {mean:.2}, target {target}"
        );
        let share = inv / n;
        assert!((0.18..0.22).contains(&share), "{year}: involved {share:.3}");
        let (m_inv, m_not) = (sum_inv / n_inv, sum_not / (n - n_inv));
        assert!(
            m_inv < 0.85 * m_not,
            "{year}: involved {m_inv:.1} vs not {m_not:.1}"
        );
    }
}

#[test]
fn kolada_shaped_values_are_written_marked_synthetic_unless_left_out() {
    let reference = Reference::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/reference"),
    )
    .unwrap();
    let small = |kolada| Settings {
        kommuner: 3,
        logs: LogSettings {
            days: 0,
            ..LogSettings::default()
        },
        projects: ProjectSettings {
            per_kommun: 0,
            ..ProjectSettings::default()
        },
        kolada,
        ..Settings::default()
    };
    let out = tempfile::tempdir().unwrap();
    generate(&reference, &small(true), out.path()).unwrap();
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            out.path()
                .join("kolada/valfardsteknik-aldre-synthetic.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(json["synthetic"], true);
    assert!(json["note"].as_str().unwrap().starts_with("SYNTHETIC"));
    // 3 kommuner × 4 KPIs × 4 years, each a value 0–2.
    let values = json["values"].as_array().unwrap();
    assert_eq!(values.len(), 48);
    assert!(values.iter().all(|v| {
        let x = v["values"][0]["value"].as_f64().unwrap();
        (0.0..=2.0).contains(&x) && x.fract() == 0.0
    }));
    let csv = std::fs::read_to_string(
        out.path()
            .join("kolada/valfardsteknik-funktionsnedsattning-synthetic.csv"),
    )
    .unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("kpi,municipality,period,gender,value,count,status,synthetic")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 36);
    assert!(rows.iter().all(|r| r.ends_with(",true")));

    let none = tempfile::tempdir().unwrap();
    generate(&reference, &small(false), none.path()).unwrap();
    assert!(!none.path().join("kolada").exists());
}

#[test]
fn logs_in_a_file_per_kommun_hold_that_kommun_only() {
    let reference = Reference::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/reference"),
    )
    .unwrap();
    let settings = Settings {
        kommuner: 3,
        logs: LogSettings {
            days: 1,
            users_per_kommun: 3,
            kommuner: 0,
            file_per_kommun: true,
            ..LogSettings::default()
        },
        projects: ProjectSettings {
            per_kommun: 0,
            ..ProjectSettings::default()
        },
        kolada: false,
        ..Settings::default()
    };
    let out = tempfile::tempdir().unwrap();
    let written = generate(&reference, &settings, out.path()).unwrap();
    let logs: Vec<_> = written
        .files
        .iter()
        .filter(|(f, _)| f.starts_with("logs"))
        .collect();
    assert_eq!(logs.len(), 6, "{logs:?}");
    for (file, size) in logs {
        let name = file.file_stem().unwrap().to_str().unwrap();
        let code = name.rsplit('-').next().unwrap();
        assert_eq!(code.len(), 4, "{name}");
        let text = std::fs::read_to_string(out.path().join(file)).unwrap();
        assert_eq!(text.len() as u64, *size);
        assert!(
            text.lines().count() > 3,
            "{name}: {} lines",
            text.lines().count()
        );
        for line in text.lines() {
            assert!(line.contains(&format!(".k{code}.")), "{name}: {line}");
        }
    }
}
