//! The key-factor catalogue and each [[projects]] export into project, project_stage and
//! project_factor, one commit per file.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use friktion_core::LakeTable;
use friktion_ingest_projects::{Mapping, MappingError, ProjectSource};
use friktion_lake::{LoadError, Loaded, Source, content_hash};
use friktion_outcomes::factors::KeyFactors;

use crate::PipelineError;
use crate::config::ProjectSource as ProjectSpec;
use crate::context::{RunContext, Sources};
use crate::event::Stage;
use crate::sources::whole;
use crate::summary::SourceResult;

/// Bumped when project ingest changes in a way that should reload every export.
const PROJECT_INGEST_VERSION: &str = "project-ingest-1";

const TABLES: &[LakeTable] = &[
    LakeTable::Project,
    LakeTable::ProjectStage,
    LakeTable::ProjectFactor,
];

/// Why a [[projects]] source cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ProjectSourceError {
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(
        "{mapping} maps factor columns, but the key-factor catalogue {catalogue} could not be loaded (see its error)"
    )]
    CatalogueFailed { mapping: String, catalogue: String },
    #[error(
        "{mapping} maps factor columns, but the pipeline config names no key_factors catalogue"
    )]
    NoCatalogue { mapping: String },
    #[error("[[projects]] data_date '{0}' is not a date (YYYY-MM-DD)")]
    DataDate(String),
    #[error("cannot read the modification time of {path}")]
    Modified {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Loads the catalogue and every [[projects]] export. A bad catalogue, mapping or file fails
/// alone (reported, exit status 2) and the run goes on. True when there was anything to do.
pub fn load_all(ctx: &RunContext<'_>, out: &mut Sources<'_>) -> Result<bool, PipelineError> {
    let cfg = ctx.cfg;
    let kf = match &cfg.key_factors {
        Some(path) => super::needed(ctx, out, path, whole::key_factors)?,
        None => None,
    };
    for spec in &cfg.projects {
        let files = cfg.glob(&spec.files)?;
        let names: Vec<String> = files.iter().map(|f| cfg.source_name(f)).collect();
        out.seen.extend(names.iter().cloned());
        let m = match mapping(spec, kf.as_ref(), cfg.key_factors.as_deref()) {
            Ok(m) => m,
            Err(e) => {
                // Without its mapping no file of the source can be read; what they gave
                // before stays in the lake until the mapping is fixed.
                for name in names {
                    out.failed(ctx, &name, friktion_core::error_chain(&e));
                }
                continue;
            }
        };
        for (file, name) in files.iter().zip(names) {
            match load_file(ctx, spec, &m, file, &name)? {
                Ok(r) => out.loaded(ctx, r),
                Err(message) => out.failed(ctx, &name, message),
            }
        }
    }
    Ok(cfg.key_factors.is_some() || !cfg.projects.is_empty())
}

/// The mapping of a [[projects]] source, checked against the catalogue. `catalogue` is the
/// configured catalogue's path, to say why factors cannot be checked when it failed to load.
fn mapping(
    spec: &ProjectSpec,
    kf: Option<&KeyFactors>,
    catalogue: Option<&Path>,
) -> Result<Mapping, ProjectSourceError> {
    let m = Mapping::load(&spec.mapping)?;
    let mapping = spec.mapping.display().to_string();
    match (kf, catalogue) {
        (Some(kf), _) => {
            let ids: Vec<&str> = kf.factors.iter().map(|f| f.id.as_str()).collect();
            m.check_factors(&ids)?;
        }
        (None, _) if m.factors.is_empty() => {}
        (None, Some(c)) => {
            return Err(ProjectSourceError::CatalogueFailed {
                mapping,
                catalogue: c.display().to_string(),
            });
        }
        (None, None) => return Err(ProjectSourceError::NoCatalogue { mapping }),
    }
    Ok(m)
}

fn data_date(spec: &ProjectSpec, file: &Path) -> Result<NaiveDate, ProjectSourceError> {
    match &spec.data_date {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ProjectSourceError::DataDate(d.clone())),
        None => {
            let modified =
                std::fs::metadata(file)
                    .and_then(|m| m.modified())
                    .map_err(|source| ProjectSourceError::Modified {
                        path: file.display().to_string(),
                        source,
                    })?;
            Ok(DateTime::<Utc>::from(modified)
                .with_timezone(&chrono_tz::Europe::Stockholm)
                .date_naive())
        }
    }
}

fn load_file(
    ctx: &RunContext<'_>,
    spec: &ProjectSpec,
    m: &Mapping,
    file: &Path,
    name: &str,
) -> Result<Result<SourceResult, String>, PipelineError> {
    let bytes = match super::read_file(file) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    let date = match data_date(spec, file) {
        Ok(d) => d,
        Err(e) => return Ok(Err(friktion_core::error_chain(&e))),
    };
    let config_hash =
        content_hash(format!("{PROJECT_INGEST_VERSION}|{}|{date}", m.content).as_bytes());
    let source = Source {
        content_hash: Some(content_hash(&bytes)),
        tables: TABLES,
        quarantine: Some(LakeTable::ProjectQuarantine),
        ..Source::new(name, "projects", config_hash)
    };
    let src = ProjectSource {
        source_file: name,
        bytes: &bytes,
        data_date: date,
    };
    let ingest = friktion_ingest_projects::ingest::Context {
        mapping: m,
        reference: ctx.reference,
    };
    let mut nulled = 0;
    let outcome = ctx.load_source(&source, |w| {
            let out = friktion_ingest_projects::ingest(&src, &ingest).map_err(LoadError::Source)?;
            w.write(LakeTable::Project, &[], std::slice::from_ref(&out.projects))?;
            w.write(LakeTable::ProjectStage, &[], std::slice::from_ref(&out.stages))?;
            w.write(LakeTable::ProjectFactor, &[], std::slice::from_ref(&out.factors))?;
            w.quarantine(&out.quarantine)?;
            nulled = out.values_nulled;
            if out.timelines_flagged > 0 {
                ctx.warn(
                    Some(name),
                    format!(
                        "{name}: {} project(s) have stage dates that cannot be used for time to go-live (see project_quarantine)",
                        out.timelines_flagged
                    ),
                );
            }
            Ok(Loaded::counts(
                out.rows_read,
                out.rows_written,
                out.rows_rejected,
            ))
        })?;
    Ok(super::result(outcome, Stage::Projects, nulled))
}
