//! Survey ingest against fixtures written like real exports, with the shipped instrument.

mod fixtures;
mod formats;
mod fuzz;
mod weighting;

use std::path::PathBuf;
use std::sync::LazyLock;

use friktion_core::{KeyOrigin, PseudoKey, Pseudonymiser, Reference};
use friktion_ingest_survey::weights::Population;
use friktion_ingest_survey::{
    Context, Instrument, SurveyError, SurveyOutput, SurveySource, ingest,
};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub static REFERENCE: LazyLock<Reference> =
    LazyLock::new(|| Reference::load(&root().join("sample-data/reference")).unwrap());
pub static VISION: LazyLock<Instrument> = LazyLock::new(|| {
    Instrument::load(&root().join("pipelines/instruments/vision-it-strul.toml")).unwrap()
});

pub fn pseudonymiser() -> Pseudonymiser {
    Pseudonymiser::new(&PseudoKey::new(b"test key, long enough".to_vec(), KeyOrigin::Env).unwrap())
}

pub fn fixture_bytes(fixture: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(fixture),
    )
    .unwrap()
}

pub fn load(fixture: &str) -> Result<SurveyOutput, SurveyError> {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(fixture),
    )
    .unwrap();
    load_bytes(fixture, &bytes)
}

pub fn load_bytes(name: &str, bytes: &[u8]) -> Result<SurveyOutput, SurveyError> {
    load_with(name, bytes, &VISION, None)
}

pub fn load_with(
    name: &str,
    bytes: &[u8],
    instrument: &Instrument,
    population: Option<&Population>,
) -> Result<SurveyOutput, SurveyError> {
    let p = pseudonymiser();
    let ctx = Context {
        instrument,
        reference: &REFERENCE,
        pseudonymiser: &p,
        population,
    };
    ingest(
        &SurveySource {
            source_file: name,
            bytes,
            wave_id: "test-2019",
        },
        &ctx,
    )
}
