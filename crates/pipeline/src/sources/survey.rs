//! Survey exports into survey_response and survey_answer, one commit per file, the answers
//! streamed into the lake as they are read; small files (workbooks) several at a time.

use std::path::Path;

use arrow::array::RecordBatch;
use friktion_core::LakeTable;
use friktion_core::quarantine::Action;
use friktion_ingest_survey::scan::Scan;
use friktion_ingest_survey::weights::Population;
use friktion_ingest_survey::{Instrument, SinkError, SurveySink};
use friktion_lake::{
    ContentHasher, LakeError, LoadError, Loaded, PartitionedWriter, Source, Txn, content_hash,
};

use crate::PipelineError;
use crate::context::{RunContext, Sources};
use crate::event::Stage;
use crate::summary::SourceResult;

/// Bumped when ingest logic changes in a way that should reload every source.
const INGEST_VERSION: &str = "survey-ingest-1";

const TABLES: &[LakeTable] = &[LakeTable::SurveyResponse, LakeTable::SurveyAnswer];

/// Every [[survey]] source's files, in the config's order, small ones several at a time
/// whichever source names them (`friktion ingest survey` makes a source of each file). A bad
/// instrument or population stops the run: they are the pipeline's own files, not the
/// municipalities'.
pub fn load_all(ctx: &RunContext<'_>, out: &mut Sources<'_>) -> Result<(), PipelineError> {
    let cfg = ctx.cfg;
    let mut settings = Vec::new();
    let mut files = Vec::new();
    for (k, src) in cfg.survey.iter().enumerate() {
        let instrument = Instrument::load(&cfg.dir.join(&src.instrument))
            .map_err(crate::config::ConfigError::from)?;
        let population = match &src.population {
            Some(p) => Some(
                Population::load(&cfg.root.join(p)).map_err(crate::config::ConfigError::from)?,
            ),
            None => None,
        };
        settings.push((instrument, population));
        files.extend(cfg.glob(&src.files)?.into_iter().map(|path| super::Named {
            name: cfg.source_name(&path),
            path,
            source: k,
        }));
    }
    out.seen.extend(files.iter().map(|f| f.name.clone()));
    let load = |f: &super::Named| {
        let (instrument, population) = &settings[f.source];
        let wave = wave_of(&cfg.survey[f.source], &f.path);
        load_file(
            ctx,
            &SurveyFile {
                path: &f.path,
                name: &f.name,
                wave: &wave,
                instrument,
                population: population.as_ref(),
            },
        )
    };
    let together = super::together::Together::surveys();
    super::together::load_in_order(&files, together, load, |f, loaded| {
        match loaded? {
            Ok(r) => out.loaded(ctx, r),
            Err(message) => out.failed(ctx, &f.name, message),
        }
        Ok(())
    })
}

/// A file's wave: the config's `wave_id`, or the file's name without extension.
fn wave_of(src: &crate::config::SurveySource, file: &Path) -> String {
    src.wave_id.clone().unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    })
}

/// The instrument of every wave whose files the config names now, for the report (a wave
/// whose files are gone keeps its rows in the lake but is not named here).
pub fn wave_instruments(
    cfg: &crate::config::Config,
) -> Result<
    std::collections::BTreeMap<String, friktion_report::national::WaveInstrument>,
    PipelineError,
> {
    let mut out = std::collections::BTreeMap::new();
    for src in &cfg.survey {
        let i = Instrument::load(&cfg.dir.join(&src.instrument))
            .map_err(crate::config::ConfigError::from)?;
        for file in cfg.glob(&src.files)? {
            out.insert(
                wave_of(src, &file),
                friktion_report::national::WaveInstrument {
                    id: i.id.clone(),
                    name: i.name.clone(),
                    version: i.version,
                },
            );
        }
    }
    Ok(out)
}

/// What unfinished Parquet row groups of one export may hold in memory, per table.
const WRITE_BUDGET: usize = 32 << 20;

/// The lake as survey ingest's sink: both tables into the wave's partition. A lake failure is
/// kept here and handed back as the lake's, not the source's.
struct LakeSink<'t, 'l, 'w> {
    txn: &'t Txn<'l>,
    wave: &'w str,
    answers: PartitionedWriter,
    responses: PartitionedWriter,
    failed: Option<LakeError>,
}

impl SurveySink for LakeSink<'_, '_, '_> {
    fn answers(&mut self, batch: RecordBatch) -> Result<(), SinkError> {
        let partition = [self.wave];
        super::write_streamed(
            &mut self.answers,
            self.txn,
            &partition,
            &batch,
            &mut self.failed,
        )
    }
    fn responses(&mut self, batch: RecordBatch) -> Result<(), SinkError> {
        let partition = [self.wave];
        super::write_streamed(
            &mut self.responses,
            self.txn,
            &partition,
            &batch,
            &mut self.failed,
        )
    }
}

struct SurveyFile<'a> {
    path: &'a Path,
    name: &'a str,
    wave: &'a str,
    instrument: &'a Instrument,
    population: Option<&'a Population>,
}

/// One export; the inner error is the source's own failure, said and left behind.
fn load_file(
    ctx: &RunContext<'_>,
    f: &SurveyFile<'_>,
) -> Result<Result<SourceResult, String>, PipelineError> {
    // Everything that shapes the rows and is known before the file is read.
    let settings_hash = content_hash(
        format!(
            "{INGEST_VERSION}|{}|{}|{}|{}",
            f.instrument.hash_whole(),
            f.wave,
            ctx.key.fingerprint(),
            f.population.map_or("", |p| p.content_hash())
        )
        .as_bytes(),
    );
    let stat = match friktion_lake::FileStat::of(f.path) {
        Ok(s) => s,
        Err(e) => return Ok(Err(format!("cannot read {}: {e}", f.path.display()))),
    };
    if let Some(e) = ctx.unchanged_on_disk(f.name, "survey", stat, &settings_hash) {
        return Ok(Ok(SourceResult::from_entry(&e, Stage::Surveys, 0)));
    }
    // Read once to hash it, a block at a time; the same pass decides how its text is read.
    let mut hasher = ContentHasher::default();
    let scan = match Scan::file(f.path, |b| hasher.update(b)) {
        Ok(s) => s,
        Err(e) => return Ok(Err(format!("cannot read {}: {e}", f.path.display()))),
    };
    let hash = hasher.finish();
    // Touched but the same bytes (or --verify): no need to parse it to know.
    if let Some(e) = ctx.unchanged_content(f.name, "survey", &hash, stat, &settings_hash) {
        return Ok(Ok(SourceResult::from_entry(&e, Stage::Surveys, 0)));
    }
    // Opened once: the header decides whether the file needs loading, the rows are read on.
    let table = friktion_ingest_survey::open_scanned(f.name, scan, f.instrument);
    // The instrument as it applies to this file's columns: an item added for a column only
    // newer exports have leaves the older files' loads standing. An unreadable file has no
    // header; it is never skipped (it was never loaded) and fails below with its reason.
    let applied = table
        .as_ref()
        .map_or_else(|_| String::new(), |l| f.instrument.hash_for(&l.header));
    let config_hash = content_hash(
        format!(
            "{INGEST_VERSION}|{}|{}|{}|{}|{}",
            f.instrument.id,
            applied,
            f.wave,
            ctx.key.fingerprint(),
            f.population.map_or("", |p| p.content_hash())
        )
        .as_bytes(),
    );
    let source = Source {
        content_hash: Some(hash),
        stat: Some(stat),
        settings_hash: Some(settings_hash),
        tables: TABLES,
        quarantine: Some(LakeTable::SurveyQuarantine),
        ..Source::new(f.name, "survey", config_hash)
    };
    let ingest = friktion_ingest_survey::Context {
        instrument: f.instrument,
        reference: ctx.reference,
        pseudonymiser: ctx.pseudonymiser,
        population: f.population,
    };
    let mut nulled = 0;
    let outcome = ctx.load_source(&source, |w| {
        let stem = w.stem().to_string();
        let mut sink = LakeSink {
            txn: w.txn(),
            wave: f.wave,
            answers: PartitionedWriter::new(LakeTable::SurveyAnswer.def(), &stem, WRITE_BUDGET),
            responses: PartitionedWriter::new(LakeTable::SurveyResponse.def(), &stem, WRITE_BUDGET),
            failed: None,
        };
        let read =
            table.and_then(|t| friktion_ingest_survey::ingest_table(f.name, t, &ingest, &mut sink));
        let LakeSink {
            answers,
            responses,
            failed,
            ..
        } = sink;
        let out = match (read, failed) {
            (_, Some(lake)) => return Err(LoadError::Lake(lake)),
            (Err(e), None) => return Err(LoadError::Source(e)),
            (Ok(out), None) => out,
        };
        answers.finish(w.txn())?;
        responses.finish(w.txn())?;
        for warning in &out.warnings {
            ctx.warn(Some(f.name), format!("{}: {warning}", f.name));
        }
        w.quarantine(&out.quarantine)?;
        nulled = out
            .quarantine
            .iter()
            .filter(|q| q.action == Action::ValueNulled)
            .count() as i64;
        Ok(Loaded::counts(
            out.rows_read,
            out.rows_written,
            out.rows_rejected,
        ))
    })?;
    Ok(super::result(outcome, Stage::Surveys, nulled))
}
