//! Survey ingest against fixtures written like real exports, with the shipped instrument.

mod fixtures;

use std::path::PathBuf;
use std::sync::LazyLock;

use friktion_core::{KeyOrigin, PseudoKey, Pseudonymiser, Reference};
use friktion_ingest_survey::{Context, Instrument, SurveyOutput, SurveySource, ingest};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

static REFERENCE: LazyLock<Reference> =
    LazyLock::new(|| Reference::load(&root().join("sample-data/reference")).unwrap());
static VISION: LazyLock<Instrument> = LazyLock::new(|| {
    Instrument::load(&root().join("pipelines/instruments/vision-it-strul.toml")).unwrap()
});

pub fn pseudonymiser() -> Pseudonymiser {
    Pseudonymiser::new(&PseudoKey::new(b"test key, long enough".to_vec(), KeyOrigin::Env).unwrap())
}

pub fn load(fixture: &str) -> Result<SurveyOutput, friktion_ingest_survey::SurveyError> {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(fixture),
    )
    .unwrap();
    load_bytes(fixture, &bytes)
}

pub fn load_bytes(
    name: &str,
    bytes: &[u8],
) -> Result<SurveyOutput, friktion_ingest_survey::SurveyError> {
    let p = pseudonymiser();
    let ctx = Context {
        instrument: &VISION,
        reference: &REFERENCE,
        pseudonymiser: &p,
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
