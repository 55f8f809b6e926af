//! Kolada's KPI definitions (the reference directory's kolada/kpi.csv) into kolada_kpi, and
//! each [[kolada]] download into kolada_value, one commit per file. Källa: Kolada.

use std::path::Path;

use friktion_core::LakeTable;
use friktion_ingest_kolada::Definitions;
use friktion_lake::{LoadError, Loaded, Source, content_hash};

use crate::PipelineError;
use crate::context::{RunContext, Sources};
use crate::event::Stage;
use crate::sources::whole;
use crate::summary::SourceResult;

/// Bumped when Kolada ingest changes in a way that should reload every file.
const KOLADA_INGEST_VERSION: &str = "kolada-ingest-1";

/// Why a Kolada file could not be loaded (its earlier rows are taken out).
#[derive(Debug, thiserror::Error)]
pub enum KoladaSourceError {
    #[error(transparent)]
    Read(#[from] friktion_ingest_kolada::KoladaError),
    #[error(transparent)]
    Contract(#[from] friktion_core::ContractError),
}

/// Where the definitions sit under the reference directory.
pub const DEFINITIONS: &str = "kolada/kpi.csv";

/// Loads the definitions (when the reference has them) and every [[kolada]] file. A file that
/// cannot be read fails alone. True when there was anything to do.
pub fn load_all(ctx: &RunContext<'_>, out: &mut Sources<'_>) -> Result<bool, PipelineError> {
    let cfg = ctx.cfg;
    let path = cfg.reference.join(DEFINITIONS);
    let defs = if path.is_file() {
        super::needed(ctx, out, &path, whole::kolada_kpi)?
    } else {
        None
    };
    if cfg.kolada.is_empty() {
        return Ok(defs.is_some());
    }
    let Some(defs) = defs else {
        // Without the definitions no id can be checked: nothing is loaded unchecked.
        for spec in &cfg.kolada {
            for f in cfg.glob(&spec.files)? {
                let name = cfg.source_name(&f);
                out.seen.push(name.clone());
                out.failed(
                    ctx,
                    &name,
                    format!(
                        "Kolada's KPI definitions ({}) are missing or unreadable, so its KPI ids cannot be checked",
                        path.display()
                    ),
                );
            }
        }
        return Ok(true);
    };
    for spec in &cfg.kolada {
        for file in cfg.glob(&spec.files)? {
            let name = cfg.source_name(&file);
            out.seen.push(name.clone());
            match load_file(ctx, &defs, &file, &name)? {
                Ok(r) => out.loaded(ctx, r),
                Err(message) => out.failed(ctx, &name, message),
            }
        }
    }
    Ok(true)
}

fn load_file(
    ctx: &RunContext<'_>,
    defs: &Definitions,
    file: &Path,
    name: &str,
) -> Result<Result<SourceResult, String>, PipelineError> {
    let bytes = match super::read_file(file) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    let source = Source {
        content_hash: Some(content_hash(&bytes)),
        tables: &[LakeTable::KoladaValue],
        quarantine: Some(LakeTable::KoladaQuarantine),
        // The definitions' revision decides which ids pass.
        ..Source::new(
            name,
            "kolada",
            content_hash(format!("{KOLADA_INGEST_VERSION}|{}", defs.revision).as_bytes()),
        )
    };
    let outcome = ctx.load_source(&source, |w| {
        let source = |e: KoladaSourceError| LoadError::Source(e);
        let read = friktion_ingest_kolada::read(name, &bytes, ctx.reference, defs)
            .map_err(|e| source(e.into()))?;
        let batch = read.batch(name).map_err(|e| source(e.into()))?;
        w.write(LakeTable::KoladaValue, &[], std::slice::from_ref(&batch))?;
        w.quarantine(&read.quarantine)?;
        if read.synthetic {
            ctx.warn(
                Some(name),
                format!("{name}: synthetic figures (made by friktion synth), not Kolada's"),
            );
        }
        Ok(Loaded::counts(
            read.records,
            read.values.len() as i64,
            read.quarantine.len() as i64,
        ))
    })?;
    Ok(super::result(outcome, Stage::Kolada, 0))
}
