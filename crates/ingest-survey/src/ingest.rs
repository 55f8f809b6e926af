//! One survey export → survey_response and survey_answer batches plus quarantine records.

use std::collections::HashSet;

use arrow::array::{Int64Array, RecordBatch};
use chrono_tz::Tz;
use friktion_core::quarantine::{Action, QuarantineRow, Rejection};
use friktion_core::redact::redact;
use friktion_core::{LakeTable, Pseudonymiser, Reference};
use rayon::prelude::*;

use crate::columns::{
    AnswerColumns, Columns, answers_batch, push_row, responses_batch, with_duplicates, with_weights,
};
use crate::held::{Held, SpillError};
use crate::instrument::{FieldMap, Instrument, ValueKind};
use crate::read::{ReadError, Record, Table};
use crate::values::{self, Minutes};
use crate::weights::{Population, Strata, WeightError, weigh_strata};

/// Pseudonym domain of survey respondents: the same person answering two waves of the same
/// instrument family gets the same key, never the same key as a log user.
pub const RESPONDENT_DOMAIN: &str = "survey-respondent";

/// Records one parallel task reads: enough to outweigh the task's start and its own cache of
/// workplaces, few enough that a national wave (300 000 rows) keeps both cores busy.
const ROWS_PER_TASK: usize = 8192;

/// Responses held in memory while their weights wait for the export's last row; the rest wait
/// in a temporary file. A national wave (300 000 rows, ~45 MiB) stays in memory.
const RESPONSES_HELD: usize = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error("{file}")]
    Read { file: String, source: ReadError },
    #[error("{file}")]
    Weight { file: String, source: WeightError },
    #[error(
        "{file} does not fit instrument '{instrument}' ({path}): required column(s) missing: {}. Headers found: {}",
        .missing.join(", "), .found.join(" | ")
    )]
    MissingColumns {
        file: String,
        instrument: String,
        path: String,
        missing: Vec<String>,
        found: Vec<String>,
    },
    #[error(
        "{file}: column '{column}' no longer holds what instrument '{instrument}' reads there: {bad} of its {filled} values could not be read ({examples}). The export has changed; the file is not loaded. Fix the instrument or the export"
    )]
    ColumnChanged {
        file: String,
        instrument: String,
        column: String,
        bad: usize,
        filled: usize,
        examples: String,
    },
    #[error("{file}: the rows could not be written")]
    Sink { file: String, source: SinkError },
    #[error("{file}: the responses waiting for their weights could not be held")]
    Spill { file: String, source: SpillError },
}

/// Opens a survey export as its instrument declares (format, encoding, header row). The
/// caller can look at the header (to decide whether the file needs loading at all) and then
/// hand the table to [`ingest_table`], which reads its records a chunk at a time.
pub fn open<'a>(src: &SurveySource<'a>, ins: &Instrument) -> Result<Table<'a>, SurveyError> {
    Table::open(src.bytes, &ins.source).map_err(|source| SurveyError::Read {
        file: src.source_file.to_string(),
        source,
    })
}

/// Opens a survey export that [`Scan::file`](crate::scan::Scan::file) has read once, to read
/// its records a block at a time (see [`open`]).
pub fn open_scanned(
    source_file: &str,
    scan: crate::scan::Scan,
    ins: &Instrument,
) -> Result<Table<'static>, SurveyError> {
    Table::from_scan(scan, &ins.source).map_err(|source| SurveyError::Read {
        file: source_file.to_string(),
        source,
    })
}

/// A column most of whose filled cells could not be read as the instrument declares (numbers
/// become text, labels become codes): the export changed shape. Loading the rest would quietly
/// turn a whole column into nulls, so the file stops instead. `filled[i]` is how many records
/// have column i filled.
fn changed_column(
    header: &[String],
    filled: &[usize],
    q: &[QuarantineRow],
) -> Option<(String, usize, usize, String)> {
    let mut by_column: std::collections::BTreeMap<&str, Vec<&QuarantineRow>> =
        std::collections::BTreeMap::new();
    for r in q {
        if let Some(f) = r.field.as_deref() {
            by_column.entry(f).or_default().push(r);
        }
    }
    for (column, rows) in by_column {
        let Some(i) = header.iter().position(|h| h == column) else {
            continue;
        };
        let filled = filled[i];
        let bad = rows.len();
        if bad >= 5 && bad * 2 > filled {
            let examples = rows
                .iter()
                .take(3)
                .map(|r| format!("line {}: {}", r.source_line.unwrap_or(0), r.reason))
                .collect::<Vec<_>>()
                .join("; ");
            return Some((column.to_string(), bad, filled, examples));
        }
    }
    None
}

/// What to ingest, and under which wave and run.
pub struct SurveySource<'a> {
    /// As recorded in lineage: the path relative to the pipeline's root.
    pub source_file: &'a str,
    pub bytes: &'a [u8],
    pub wave_id: &'a str,
}

pub struct Context<'a> {
    pub instrument: &'a Instrument,
    pub reference: &'a Reference,
    pub pseudonymiser: &'a Pseudonymiser,
    /// Population totals to weight to; without them every response weighs 1.
    pub population: Option<&'a Population>,
}

/// Where an export's rows go as they are read: the answers a chunk at a time, the responses at
/// the end, once every respondent's stratum is known and so their weights.
pub trait SurveySink {
    fn answers(&mut self, batch: RecordBatch) -> Result<(), SinkError>;
    fn responses(&mut self, batch: RecordBatch) -> Result<(), SinkError>;
}

/// Why a sink could not take a batch; the sink's owner keeps the details.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// The batches of a whole export, gathered: for tests and dry runs of small files.
#[derive(Debug)]
pub struct SurveyOutput {
    pub responses: RecordBatch,
    pub answers: RecordBatch,
    pub read: Ingested,
}

impl std::ops::Deref for SurveyOutput {
    type Target = Ingested;
    fn deref(&self) -> &Ingested {
        &self.read
    }
}

/// What ingest found in an export, beside its rows.
#[derive(Debug)]
pub struct Ingested {
    pub quarantine: Vec<QuarantineRow>,
    /// Data records in the file (header and blank lines excluded).
    pub rows_read: i64,
    pub rows_written: i64,
    pub rows_rejected: i64,
    pub duplicates: i64,
    pub encoding: &'static str,
    /// The CSV delimiter; None for a workbook.
    pub delimiter: Option<u8>,
    /// "csv", "workbook".
    pub format: &'static str,
    /// Optional columns the instrument names but the file lacks.
    pub warnings: Vec<String>,
}

/// Column positions of the instrument's fields in this file's header.
struct Layout {
    respondent_id: usize,
    employer_type: Option<usize>,
    workplace: usize,
    verksamhet: Option<usize>,
    occupation: Option<usize>,
    minutes_lost: usize,
    involved: Option<usize>,
    needs_training: Option<usize>,
    submitted_at: Option<usize>,
    items: Vec<Option<usize>>,
}

impl Layout {
    fn new(
        header: &[String],
        ins: &Instrument,
        file: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Self, SurveyError> {
        let mut missing = Vec::new();
        let f = &ins.fields;
        let mut find = |m: &FieldMap, must: bool| -> Option<usize> {
            match m.locate(header) {
                Ok(Some(i)) => Some(i),
                Ok(None) if must || m.required => {
                    missing.push(m.describe());
                    None
                }
                Ok(None) => {
                    warnings.push(format!(
                        "column {} not in the file; left empty",
                        m.describe()
                    ));
                    None
                }
                Err(ambiguous) => {
                    missing.push(ambiguous.to_string());
                    None
                }
            }
        };
        let respondent_id = find(&f.respondent_id, true);
        let workplace = find(&f.workplace, true);
        let minutes_lost = find(&f.minutes_lost, true);
        let mut opt = |m: Option<&FieldMap>| m.and_then(|m| find(m, false));
        let employer_type = opt(f.employer_type.as_ref());
        let verksamhet = opt(f.verksamhet.as_ref());
        let occupation = opt(f.occupation.as_ref());
        let involved = opt(f.involved_in_procurement.as_ref());
        let needs_training = opt(f.needs_training.as_ref());
        let submitted_at = opt(f.submitted_at.as_ref());
        let mut items = Vec::new();
        for it in &ins.items {
            match it.locate(header) {
                Ok(i) => {
                    if i.is_none() {
                        warnings.push(format!(
                            "item '{}': column {} not in the file",
                            it.id,
                            it.describe()
                        ));
                    }
                    items.push(i);
                }
                Err(ambiguous) => missing.push(format!("item '{}': {ambiguous}", it.id)),
            }
        }
        // Columns the instrument does not read are said, never dropped unseen: a new question
        // in the export is loaded once the instrument names it as an item.
        let used: Vec<usize> = [respondent_id, workplace, minutes_lost]
            .into_iter()
            .chain([
                employer_type,
                verksamhet,
                occupation,
                involved,
                needs_training,
                submitted_at,
            ])
            .chain(items.iter().copied())
            .flatten()
            .collect();
        let unread: Vec<String> = (0..header.len())
            .filter(|i| !used.contains(i) && !header[*i].trim().is_empty())
            .map(|i| format!("'{}'", header[i]))
            .collect();
        if !unread.is_empty() {
            warnings.push(format!(
                "column(s) {} not in instrument '{}', so not loaded; add an [[items]] entry to {} to take one in",
                unread.join(", "),
                ins.id,
                ins.path.display()
            ));
        }
        match (respondent_id, workplace, minutes_lost) {
            (Some(respondent_id), Some(workplace), Some(minutes_lost)) if missing.is_empty() => {
                Ok(Layout {
                    respondent_id,
                    employer_type,
                    workplace,
                    verksamhet,
                    occupation,
                    minutes_lost,
                    involved,
                    needs_training,
                    submitted_at,
                    items,
                })
            }
            _ => Err(SurveyError::MissingColumns {
                file: file.to_string(),
                instrument: ins.id.clone(),
                path: ins.path.display().to_string(),
                missing,
                found: header.to_vec(),
            }),
        }
    }
}

/// A whole export read into gathered batches.
pub fn ingest(src: &SurveySource<'_>, ctx: &Context<'_>) -> Result<SurveyOutput, SurveyError> {
    #[derive(Default)]
    struct Gather(Vec<RecordBatch>, Vec<RecordBatch>);
    impl SurveySink for Gather {
        fn answers(&mut self, b: RecordBatch) -> Result<(), SinkError> {
            self.0.push(b);
            Ok(())
        }
        fn responses(&mut self, b: RecordBatch) -> Result<(), SinkError> {
            self.1.push(b);
            Ok(())
        }
    }
    let mut g = Gather::default();
    let read = ingest_table(src.source_file, open(src, ctx.instrument)?, ctx, &mut g)?;
    let concat = |t: LakeTable, parts: &[RecordBatch]| {
        let schema = t.def().file_schema();
        arrow::compute::concat_batches(&schema, parts).expect("parts of one contract")
    };
    Ok(SurveyOutput {
        responses: concat(LakeTable::SurveyResponse, &g.1),
        answers: concat(LakeTable::SurveyAnswer, &g.0),
        read,
    })
}

/// One chunk of records as the parallel tasks read it.
/// Everything that does not need the rows before it is done here, on the chunk's own core:
/// what is left for file order is finding repeats and numbering strata.
struct ChunkRead {
    quarantine: Vec<QuarantineRow>,
    /// Per column: records with it filled (to tell a changed export from a few bad values).
    filled: Vec<usize>,
    rejected: i64,
    /// Per response: its respondent key, to find repeats.
    keys: Vec<u128>,
    /// Per response: its stratum among this chunk's (when weighting).
    strata: Strata,
    row_stratum: Vec<u32>,
    answers: Option<RecordBatch>,
    /// None marked as a duplicate yet, and unweighted.
    responses: Option<RecordBatch>,
}

/// What every chunk of an export is mapped with.
struct Mapping<'m, 'c> {
    header: &'m [String],
    layout: &'m Layout,
    ins: &'m Instrument,
    ctx: &'m Context<'c>,
    tz: Tz,
    stratifiers: Option<&'m [String]>,
    file: &'m str,
}

/// One chunk's records into its batches, on its own core, with its own cache of workplaces.
fn map_chunk(recs: &[Record], m: &Mapping<'_, '_>) -> ChunkRead {
    let (mut q, mut places) = (Vec::new(), Places::new());
    let mut filled = vec![0usize; m.header.len()];
    for r in recs {
        for (n, v) in filled.iter_mut().zip(&r.fields) {
            *n += usize::from(!v.trim().is_empty());
        }
    }
    let (mut cols, mut ans) = (Columns::default(), AnswerColumns::default());
    let (mut keys, mut rejected) = (Vec::new(), 0);
    for rec in recs {
        let Some(r) = row(
            rec,
            m.header,
            m.layout,
            m.ins,
            m.ctx,
            m.tz,
            &mut q,
            &mut places,
        ) else {
            rejected += 1;
            continue;
        };
        keys.push(u128::from_str_radix(&r.key, 16).expect("a pseudonym is 32 hex digits"));
        push_row(&mut cols, &mut ans, r, false, rec.line);
    }
    let (mut strata, mut row_stratum) = (Strata::default(), Vec::new());
    if let Some(names) = m.stratifiers {
        for i in 0..cols.line.len() {
            let s: Vec<Option<String>> = names.iter().map(|n| cols.stratum(n, i)).collect();
            row_stratum.push(strata.id(&s));
        }
    }
    ChunkRead {
        quarantine: q,
        filled,
        rejected,
        keys,
        strata,
        row_stratum,
        answers: (!ans.line.is_empty()).then(|| answers_batch(ans, m.file)),
        responses: (!cols.line.is_empty()).then(|| responses_batch(cols, m.file)),
    }
}

/// Hands answers to the sink in order, stopping at the first it refuses.
fn hand_on(sink: &mut (dyn SurveySink + Send), answers: Vec<RecordBatch>) -> Result<(), SinkError> {
    answers.into_iter().try_for_each(|a| sink.answers(a))
}

/// Reads an opened export a few chunks at a time, each chunk on its own core, and hands the
/// answers to `sink` as they are read (a group of chunks behind, written while the next group
/// is mapped) and the responses at the end with their weights. What is
/// held at once is a few chunks of records, the responses (Arrow arrays, spilled to a temporary
/// file past [`RESPONSES_HELD`]), and per respondent a stratum id, whether it counts towards
/// the weights, and a 16-byte key for finding repeats.
pub fn ingest_table(
    file: &str,
    mut table: Table<'_>,
    ctx: &Context<'_>,
    sink: &mut (dyn SurveySink + Send),
) -> Result<Ingested, SurveyError> {
    let ins = ctx.instrument;
    let header = std::mem::take(&mut table.header);
    let mut warnings = Vec::new();
    let layout = Layout::new(&header, ins, file, &mut warnings)?;
    let tz: Tz = ins
        .source
        .timezone
        .parse()
        .expect("validated when the instrument was loaded");
    let read_err = |source: ReadError| SurveyError::Read {
        file: file.to_string(),
        source,
    };
    let sink_err = |source: SinkError| SurveyError::Sink {
        file: file.to_string(),
        source,
    };
    let spill_err = |source: SpillError| SurveyError::Spill {
        file: file.to_string(),
        source,
    };

    let mut q: Vec<QuarantineRow> = table
        .cell_problems
        .iter()
        .map(|(line, col, why)| {
            let field = header.get(*col).map(String::as_str);
            QuarantineRow::new(Some(*line), field, None, why.clone(), Action::ValueNulled)
        })
        .collect();
    let stratifiers = ctx.population.map(Population::stratifiers);
    let mut strata = Strata::default();
    let (mut row_stratum, mut eligible) = (Vec::new(), Vec::new());
    let mut responses = Held::new(RESPONSES_HELD);
    let mut filled = vec![0usize; header.len()];
    let mut seen: HashSet<u128> = HashSet::new();
    let (mut rows_read, mut rejected, mut duplicates) = (0i64, 0i64, 0i64);
    // Enough chunks to keep every core busy; few enough that memory does not follow the file.
    let group = rayon::current_num_threads() * 2;
    let next_group = |table: &mut Table<'_>| -> Result<Vec<Vec<Record>>, SurveyError> {
        let mut chunks = Vec::with_capacity(group);
        while chunks.len() < group {
            match table.next_chunk(ROWS_PER_TASK).map_err(read_err)? {
                Some(c) => chunks.push(c),
                None => break,
            }
        }
        Ok(chunks)
    };
    let mapping = Mapping {
        header: &header,
        layout: &layout,
        ins,
        ctx,
        tz,
        stratifiers: stratifiers.as_deref(),
        file,
    };
    // The answers of the group before, written (encoded to Parquet) while this group is
    // mapped, so that the writing does not leave a core idle.
    let mut unwritten: Vec<RecordBatch> = Vec::new();
    let mut following = next_group(&mut table)?;
    while !following.is_empty() {
        let chunks = std::mem::take(&mut following);
        let to_write = std::mem::take(&mut unwritten);
        // Each chunk with its own cache of workplaces; gathered in file order, so which repeat
        // of a respondent is the duplicate, and the order of the quarantine records, are those
        // of a reading from top to bottom. The next group is read from the file meanwhile.
        let (read, (written, next)) = rayon::join(
            || {
                chunks
                    .par_iter()
                    .map(|recs| map_chunk(recs, &mapping))
                    .collect::<Vec<_>>()
            },
            || {
                let written = hand_on(sink, to_write);
                (written, next_group(&mut table))
            },
        );
        written.map_err(sink_err)?;
        for (recs, part) in chunks.iter().zip(read) {
            rows_read += recs.len() as i64;
            rejected += part.rejected;
            q.extend(part.quarantine);
            for (n, m) in filled.iter_mut().zip(&part.filled) {
                *n += m;
            }
            let dup: Vec<bool> = part.keys.iter().map(|k| !seen.insert(*k)).collect();
            duplicates += dup.iter().filter(|d| **d).count() as i64;
            eligible.extend(dup.iter().map(|d| !d));
            // The chunk's strata numbered in the file's: in order of first appearance.
            let ids: Vec<u32> = part.strata.cells().iter().map(|s| strata.id(s)).collect();
            row_stratum.extend(part.row_stratum.iter().map(|&j| ids[j as usize]));
            if let Some(a) = part.answers {
                unwritten.push(a);
            }
            if let Some(r) = part.responses {
                responses.push(with_duplicates(r, dup)).map_err(spill_err)?;
            }
        }
        // A failure further down the file is said after what came before it was handed on.
        if next.is_err() {
            hand_on(sink, std::mem::take(&mut unwritten)).map_err(sink_err)?;
        }
        following = next?;
    }
    hand_on(sink, unwritten).map_err(sink_err)?;
    if let Some((column, bad, filled, examples)) = changed_column(&header, &filled, &q) {
        return Err(SurveyError::ColumnChanged {
            file: file.to_string(),
            instrument: ins.id.clone(),
            column,
            bad,
            filled,
            examples,
        });
    }
    drop(seen);
    let rows_written = eligible.len() as i64;
    let (weights, mut unweighted) = match ctx.population {
        None => (None, Vec::new()),
        Some(pop) => {
            let mut w = weigh_strata(pop, &strata, &row_stratum, &eligible).map_err(|source| {
                SurveyError::Weight {
                    file: file.to_string(),
                    source,
                }
            })?;
            warnings.extend(std::mem::take(&mut w.warnings));
            let unweighted = std::mem::take(&mut w.unweighted);
            (Some(w), unweighted)
        }
    };
    // Rows left unweighted are said by line, which their batch holds.
    unweighted.sort_by_key(|(i, _)| *i);
    let mut unweighted = unweighted.into_iter().peekable();
    let mut at = 0;
    for b in responses.batches().map_err(spill_err)? {
        let b = b.map_err(spill_err)?;
        let n = b.num_rows();
        let lines = b
            .column_by_name("source_line")
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            .expect("survey_response has source_line");
        while let Some((i, why)) = unweighted.next_if(|(i, _)| *i < at + n) {
            q.push(QuarantineRow::new(
                Some(lines.value(i - at)),
                Some("weight"),
                None,
                why,
                Action::ValueNulled,
            ));
        }
        let weights: Vec<f64> = match &weights {
            // Without population totals every response weighs 1.
            None => vec![1.0; n],
            Some(w) => (at..at + n)
                .map(|i| w.of(row_stratum[i], eligible[i]))
                .collect(),
        };
        sink.responses(with_weights(b, weights)).map_err(sink_err)?;
        at += n;
    }
    Ok(Ingested {
        rows_read,
        rows_written,
        rows_rejected: rejected,
        duplicates,
        quarantine: q,
        encoding: table.encoding,
        delimiter: table.delimiter,
        format: table.format,
        warnings,
    })
}

pub(crate) struct Row {
    pub(crate) key: String,
    pub(crate) employer_type: String,
    pub(crate) kommun_kod: Option<String>,
    pub(crate) lan_kod: Option<String>,
    pub(crate) verksamhet: Option<String>,
    pub(crate) occupation: Option<String>,
    pub(crate) minutes: Option<Minutes>,
    pub(crate) involved: Option<bool>,
    pub(crate) needs_training: Option<bool>,
    pub(crate) submitted_at: Option<i64>,
    pub(crate) answers: Vec<(String, Option<f64>, Option<String>)>,
}

/// An optional field's raw text and mapping, when both the instrument and the file have it.
fn mapped<'a>(
    rec: &'a Record,
    i: Option<usize>,
    m: &'a Option<FieldMap>,
) -> Option<(&'a str, &'a FieldMap)> {
    Some((rec.fields[i?].trim(), m.as_ref()?))
}

/// The parsed value, or None after recording why the raw value was left out.
fn kept<T>(
    nulls: &mut Vec<QuarantineRow>,
    line: Option<i64>,
    field: &str,
    raw: &str,
    parsed: values::Parsed<T>,
) -> Option<T> {
    parsed.unwrap_or_else(|why| {
        nulls.push(QuarantineRow::new(
            line,
            Some(field),
            Some(raw),
            why,
            Action::ValueNulled,
        ));
        None
    })
}

/// Workplaces already resolved in this file: employer type as given → raw text →
/// (employer type, kommun_kod, lan_kod).
type Places = std::collections::HashMap<
    Option<String>,
    std::collections::HashMap<String, Result<(String, Option<String>, Option<String>), String>>,
>;

/// Reads one record, or returns None after quarantining why it cannot be loaded.
fn row(
    rec: &Record,
    header: &[String],
    l: &Layout,
    ins: &Instrument,
    ctx: &Context<'_>,
    tz: Tz,
    q: &mut Vec<QuarantineRow>,
    places: &mut Places,
) -> Option<Row> {
    let line = Some(rec.line);
    let reject =
        |q: &mut Vec<QuarantineRow>, field: Option<&str>, raw: Option<&str>, why: String| {
            q.push(QuarantineRow::new(
                line,
                field,
                raw,
                why,
                Action::RowRejected,
            ));
        };
    let extra_nonempty = rec
        .fields
        .iter()
        .skip(header.len())
        .any(|f| !f.trim().is_empty());
    if rec.fields.len() < header.len() || extra_nonempty {
        reject(
            q,
            None,
            Some(&rec.fields.iter().collect::<Vec<_>>().join(" | ")),
            format!(
                "expected {} fields, found {}",
                header.len(),
                rec.fields.len()
            ),
        );
        return None;
    }
    let cell = |i: usize| rec.fields[i].trim();
    let f = &ins.fields;

    let rid = cell(l.respondent_id);
    if rid.is_empty() {
        reject(
            q,
            Some(&f.respondent_id.column),
            None,
            "respondent id is empty".into(),
        );
        return None;
    }
    let key = ctx.pseudonymiser.pseudonym(RESPONDENT_DOMAIN, rid);

    // None: the export does not say, and the workplace decides (a region → "region").
    let mut employer_type: Option<String> = None;
    if let (Some(i), Some(m)) = (l.employer_type, &f.employer_type) {
        match values::category(cell(i), &m.values) {
            Ok(v) => employer_type = v,
            Err(why) => {
                reject(q, Some(&m.column), Some(cell(i)), why.into());
                return None;
            }
        }
    }

    let wp = cell(l.workplace);
    // The same few workplaces repeat on thousands of rows: resolve each once per file.
    // Looked up by reference first: a key is made only for a workplace not seen before.
    if !places
        .get(&employer_type)
        .is_some_and(|m| m.contains_key(wp))
    {
        let resolution = {
            let region = || {
                ctx.reference
                    .lookup_lan(wp)
                    .map(|lan| ("region".to_string(), None, Some(lan.lan_kod.clone())))
            };
            let kommun = || {
                ctx.reference.resolve(wp).map(|k| {
                    (
                        "kommun".to_string(),
                        Some(k.kommun_kod.clone()),
                        Some(k.lan_kod.clone()),
                    )
                })
            };
            match employer_type.as_deref() {
                Some("region") => region().map_err(|e| e.to_string()),
                Some(other) => kommun()
                    .map(|(_, k, l)| (other.to_string(), k, l))
                    .map_err(|e| e.to_string()),
                // A kommun first: "Region Gotland" is a kommun too.
                None => kommun().or_else(|e| region().map_err(|_| e.to_string())),
            }
        };
        places
            .entry(employer_type.clone())
            .or_default()
            .insert(wp.to_string(), resolution);
    }
    let resolved = &places[&employer_type][wp];
    let (employer_type, kommun_kod, lan_kod) = match resolved {
        Ok(codes) => codes.clone(),
        Err(why) => {
            reject(q, Some(&f.workplace.column), Some(wp), why.clone());
            return None;
        }
    };

    // From here on a bad value nulls that value only: the response still counts.
    let mut nulls = Vec::new();
    let field = |i: Option<usize>, m| mapped(rec, i, m);
    let verksamhet = field(l.verksamhet, &f.verksamhet).and_then(|(raw, m)| {
        kept(
            &mut nulls,
            line,
            &m.column,
            raw,
            values::category(raw, &m.values),
        )
    });
    let occupation = field(l.occupation, &f.occupation).and_then(|(raw, m)| {
        kept(
            &mut nulls,
            line,
            &m.column,
            raw,
            values::category(raw, &m.values),
        )
    });
    let raw_min = cell(l.minutes_lost);
    let minutes = match (
        values::minutes(raw_min, &ins.minutes_bands),
        f.minutes_lost.max,
    ) {
        (Ok(Some(m)), Some(max)) if m.low > max => Err(Rejection(format!(
            "{} minutes a day is more than the plausible maximum {max}",
            m.low
        ))),
        (parsed, _) => parsed,
    };
    let minutes = kept(&mut nulls, line, &f.minutes_lost.column, raw_min, minutes);
    let involved = field(l.involved, &f.involved_in_procurement)
        .and_then(|(raw, m)| kept(&mut nulls, line, &m.column, raw, values::yes_no(raw)));
    let needs_training = field(l.needs_training, &f.needs_training)
        .and_then(|(raw, m)| kept(&mut nulls, line, &m.column, raw, values::yes_no(raw)));
    let submitted_at = field(l.submitted_at, &f.submitted_at)
        .and_then(|(raw, m)| kept(&mut nulls, line, &m.column, raw, values::datetime(raw, tz)));

    let mut answers = Vec::new();
    for (it, idx) in ins.items.iter().zip(&l.items) {
        let Some(raw) = idx.map(cell).filter(|r| !r.is_empty()) else {
            continue;
        };
        // (value, label): a category's label is its code, free text is redacted.
        let parsed: Result<(Option<f64>, String), Rejection> = match it.kind {
            ValueKind::Likert5 => values::likert5(raw).map(|v| (v, raw.to_string())),
            ValueKind::Number => values::number(raw).map(|v| (v, raw.to_string())),
            ValueKind::YesNo => {
                values::yes_no(raw).map(|v| (v.map(|b| f64::from(u8::from(b))), raw.to_string()))
            }
            ValueKind::Minutes => values::minutes(raw, &ins.minutes_bands)
                .map(|m| (m.map(|m| m.point), raw.to_string())),
            ValueKind::Category => {
                values::category(raw, &it.values).map(|c| (None, c.unwrap_or_default()))
            }
            ValueKind::Text => Ok((None, redact(raw).into_owned())),
            ValueKind::Datetime => {
                values::datetime(raw, tz).map(|v| (v.map(|t| t as f64), raw.to_string()))
            }
        };
        match parsed {
            Ok((v, label)) => answers.push((it.id.clone(), v, Some(label))),
            Err(why) => nulls.push(QuarantineRow::new(
                line,
                Some(&it.column),
                Some(raw),
                why,
                Action::ValueNulled,
            )),
        }
    }
    q.extend(nulls);
    Some(Row {
        key,
        employer_type,
        kommun_kod,
        lan_kod,
        verksamhet,
        occupation,
        minutes,
        involved,
        needs_training,
        submitted_at,
        answers,
    })
}
