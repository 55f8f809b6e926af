//! From bytes to header and records: encoding, delimiter, and the header row.

use std::borrow::Cow;

use crate::SourceFormat;
use crate::scan::Feed;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("unknown encoding '{0}' (use auto, utf-8, windows-1252 or latin-1)")]
    Encoding(String),
    #[error("the file is not valid UTF-8 at byte {0}, and the instrument says utf-8")]
    NotUtf8(usize),
    #[error("unknown delimiter '{0}' (use auto, ';', ',' or tab)")]
    Delimiter(String),
    #[error("the file has fewer than {0} rows, so no header row {0}")]
    NoHeader(usize),
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error(
        "the header row has only one column ('{0}'): the delimiter is probably wrong; set [source] delimiter in the instrument"
    )]
    OneColumn(String),
    #[error(
        "the file looks like UTF-8 but the instrument says {declared}: å, ä and ö would load as 'Ã¥', 'Ã¤' and 'Ã¶'. Set [source] encoding = \"utf-8\" (or \"auto\")"
    )]
    LooksUtf8 { declared: String },
    #[error(
        "line {line}: the text holds {count} replacement character(s) (U+FFFD): the file was already damaged by a wrong conversion before friktion read it"
    )]
    Replacement { line: usize, count: usize },
    #[error(
        "line {line}: the text holds NUL characters: the encoding is wrong (a UTF-16 file without its byte-order mark?)"
    )]
    Nul { line: usize },
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error(
        "{path} changed while it was read (its bytes are no longer those checked first); run again"
    )]
    Changed { path: String },
    #[error("cannot read the workbook: {0}")]
    Workbook(String),
    #[error("the workbook has no sheet '{wanted}'; its sheets are: {}", .found.join(", "))]
    NoSheet { wanted: String, found: Vec<String> },
}

/// The decoded text and what was decided about it, for `instrument check` and the ledger.
/// UTF-8 input is borrowed, not copied: a large export is held once.
#[derive(Debug, Clone)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static str,
    pub delimiter: u8,
}

/// One data record with the physical line where it starts (1-based, as an editor shows it).
/// Its fields are held in one buffer, not a string each: a national export has tens of
/// millions of cells.
#[derive(Debug, Clone)]
pub struct Record {
    pub line: i64,
    pub fields: csv::StringRecord,
}

pub fn decode<'a>(bytes: &'a [u8], fmt: &SourceFormat) -> Result<Decoded<'a>, ReadError> {
    // Excel's "Unicode text" export is UTF-16 with a byte-order mark, whatever was declared.
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(bytes) {
        if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            let text = Cow::Owned(enc.decode_with_bom_removal(bytes).0.into_owned());
            return finish(
                text,
                if enc == encoding_rs::UTF_16LE {
                    "utf-16le"
                } else {
                    "utf-16be"
                },
                fmt,
            );
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8 = std::str::from_utf8(bytes);
    let valid = utf8.as_ref().map(|_| ()).map_err(|e| e.valid_up_to());
    let encoding = encoding_of(&fmt.encoding, valid, || bytes.is_ascii())?;
    let text = match utf8 {
        Ok(s) if encoding == "utf-8" => Cow::Borrowed(s),
        _ => Cow::Owned(windows_1252(bytes)),
    };
    finish(text, encoding, fmt)
}

fn finish<'a>(
    text: Cow<'a, str>,
    encoding: &'static str,
    fmt: &SourceFormat,
) -> Result<Decoded<'a>, ReadError> {
    // Both are rare: find the first of either before splitting into lines.
    let damaged = text
        .find('\u{FFFD}')
        .into_iter()
        .chain(text.find('\0'))
        .min();
    if let Some(at) = damaged {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = text[..at].matches('\n').count() + 1;
        let l = text[line_start..].lines().next().unwrap_or("");
        let count = l.matches('\u{FFFD}').count();
        if count > 0 {
            return Err(ReadError::Replacement { line, count });
        }
        return Err(ReadError::Nul { line });
    }
    let delimiter = delimiter_of(&text, fmt)?;
    Ok(Decoded {
        text,
        encoding,
        delimiter,
    })
}

/// The declared delimiter, or the one the header row (in `text`, which begins the file) uses.
pub(crate) fn delimiter_of(text: &str, fmt: &SourceFormat) -> Result<u8, ReadError> {
    Ok(match fmt.delimiter.as_str() {
        "auto" => detect_delimiter(text, fmt.header_row),
        ";" => b';',
        "," => b',',
        "tab" | "\t" => b'\t',
        other => return Err(ReadError::Delimiter(other.to_string())),
    })
}

/// The encoding to read with, from the declared one and what the bytes are: `utf8` is Err with
/// the offset of the first byte that is not UTF-8.
pub(crate) fn encoding_of(
    declared: &str,
    utf8: Result<(), usize>,
    ascii: impl FnOnce() -> bool,
) -> Result<&'static str, ReadError> {
    let declared = declared.to_lowercase();
    let latin = matches!(
        declared.as_str(),
        "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1"
    );
    if latin && utf8.is_ok() && !ascii() {
        return Err(ReadError::LooksUtf8 { declared });
    }
    match declared.as_str() {
        "utf-8" | "utf8" => utf8.map(|()| "utf-8").map_err(ReadError::NotUtf8),
        _ if latin => Ok("windows-1252"),
        // Valid UTF-8 of any length is almost never Windows-1252 text with å/ä/ö in it.
        "auto" => Ok(if utf8.is_ok() {
            "utf-8"
        } else {
            "windows-1252"
        }),
        other => Err(ReadError::Encoding(other.to_string())),
    }
}

pub(crate) fn windows_1252(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// The candidate that splits the header row into the most columns (quotes respected).
fn detect_delimiter(text: &str, header_row: usize) -> u8 {
    let header = text.lines().nth(header_row - 1).unwrap_or("");
    let count = |d: char| {
        let mut in_q = false;
        header
            .chars()
            .filter(|&c| {
                if c == '"' {
                    in_q = !in_q;
                }
                !in_q && c == d
            })
            .count()
    };
    [';', '\t', ',']
        .into_iter()
        .max_by_key(|&d| (count(d), d == ';'))
        .map(|d| d as u8)
        .unwrap_or(b';')
}

/// A source file read into header and records, whatever its format.
#[derive(Debug)]
pub struct Loaded {
    pub header: Vec<String>,
    pub records: Vec<Record>,
    pub encoding: &'static str,
    pub delimiter: Option<u8>,
    pub format: &'static str,
    /// (line, column index, problem) for workbook cells that cannot be read as text.
    pub cell_problems: Vec<(i64, usize, String)>,
}

/// Reads CSV text or a workbook (XLSX, XLS, ODS), told apart by their first bytes, whole.
pub fn load(bytes: &[u8], fmt: &SourceFormat) -> Result<Loaded, ReadError> {
    let mut t = Table::open(bytes, fmt)?;
    let mut records = Vec::new();
    while let Some(chunk) = t.next_chunk(8192)? {
        records.extend(chunk);
    }
    Ok(Loaded {
        header: t.header,
        records,
        encoding: t.encoding,
        delimiter: t.delimiter,
        format: t.format,
        cell_problems: t.cell_problems,
    })
}

/// A source file whose header is read and whose records are read a chunk at a time, so that
/// a large export is never held as records all at once.
pub struct Table<'a> {
    pub header: Vec<String>,
    pub encoding: &'static str,
    /// The CSV delimiter; None for a workbook.
    pub delimiter: Option<u8>,
    /// "csv", "workbook".
    pub format: &'static str,
    /// (line, column index, problem) for workbook cells that cannot be read as text.
    pub cell_problems: Vec<(i64, usize, String)>,
    rows: TableRows<'a>,
}

enum TableRows<'a> {
    Csv(CsvRows<'a>),
    /// A workbook is read whole by calamine; its records are handed out in chunks all the same.
    Sheet(std::vec::IntoIter<Record>),
}

impl<'a> Table<'a> {
    /// Opens a file held in memory.
    pub fn open(bytes: &'a [u8], fmt: &SourceFormat) -> Result<Self, ReadError> {
        match crate::sheet::sniff(bytes) {
            crate::sheet::Format::Csv => Table::csv(decode(bytes, fmt)?, None, fmt),
            _ => Table::workbook(bytes, fmt),
        }
    }

    fn csv(d: Decoded<'a>, feed: Option<Feed>, fmt: &SourceFormat) -> Result<Self, ReadError> {
        let (encoding, delimiter) = (d.encoding, d.delimiter);
        let (header, rows) = CsvRows::new(d.text, delimiter, feed).open(fmt.header_row)?;
        Ok(Table {
            header,
            encoding,
            delimiter: Some(delimiter),
            format: "csv",
            cell_problems: vec![],
            rows: TableRows::Csv(rows),
        })
    }

    fn workbook(bytes: &[u8], fmt: &SourceFormat) -> Result<Self, ReadError> {
        let (header, records, cell_problems) =
            crate::sheet::records(bytes, fmt.sheet.as_deref(), fmt.header_row)?;
        Ok(Table {
            header,
            encoding: "workbook",
            delimiter: None,
            format: "workbook",
            cell_problems,
            rows: TableRows::Sheet(records.into_iter()),
        })
    }

    /// The next records (at most `max`; blank rows are not records), or None at the end.
    pub fn next_chunk(&mut self, max: usize) -> Result<Option<Vec<Record>>, ReadError> {
        let chunk = match &mut self.rows {
            TableRows::Csv(c) => c.next_chunk(max)?,
            TableRows::Sheet(it) => it.by_ref().take(max).collect(),
        };
        Ok((!chunk.is_empty()).then_some(chunk))
    }
}

impl Table<'static> {
    /// Opens a file that [`Scan::file`](crate::scan::Scan::file) has read once, to read its
    /// records a block at a time: what is held is a window of the text, not the file.
    /// Workbooks and UTF-16 text are read whole (calamine needs the whole file; Excel's UTF-16
    /// exports are small), and so is a damaged file, to say on which line (it fails).
    pub fn from_scan(scan: crate::scan::Scan, fmt: &SourceFormat) -> Result<Self, ReadError> {
        use crate::scan::Opened;
        let owned = |bytes: Vec<u8>| -> Result<Self, ReadError> {
            match crate::sheet::sniff(&bytes) {
                crate::sheet::Format::Csv => {
                    let d = decode(&bytes, fmt)?;
                    let d = Decoded {
                        text: Cow::Owned(d.text.into_owned()),
                        ..d
                    };
                    Table::csv(d, None, fmt)
                }
                _ => Table::workbook(&bytes, fmt),
            }
        };
        let (text, encoding, feed) = match scan.open(&fmt.encoding, fmt.header_row)? {
            Opened::Bytes(bytes) => return owned(bytes),
            Opened::Window(text, encoding, feed) => (text, encoding, feed),
        };
        let delimiter = delimiter_of(&text, fmt)?;
        let d = Decoded {
            text: Cow::Owned(text),
            encoding,
            delimiter,
        };
        Table::csv(d, feed, fmt)
    }
}

/// CSV records from decoded text, read from where the last chunk ended. The text is what is
/// left of the file, or a window of it that moves on through the file a block at a time.
pub(crate) struct CsvRows<'a> {
    text: Cow<'a, str>,
    delimiter: u8,
    /// Byte offset of the next record in `text`.
    pos: usize,
    lines: LineCounter,
    /// Lines of the file before `text` begins.
    lines_before: i64,
    /// The rest of the file when `text` is a window; None when `text` holds all that is left.
    feed: Option<Feed>,
}

/// Why [`CsvRows::read`] stopped.
enum Stopped {
    /// `take` said it had enough.
    Taken,
    /// The text is used up: the end of the file, or time to move the window on.
    End,
}

impl<'a> CsvRows<'a> {
    pub(crate) fn new(text: Cow<'a, str>, delimiter: u8, feed: Option<Feed>) -> Self {
        CsvRows {
            text,
            delimiter,
            pos: 0,
            lines: LineCounter::default(),
            lines_before: 0,
            feed,
        }
    }

    /// The header row (trimmed) and the rows after it; rows above the header are skipped.
    pub(crate) fn open(mut self, header_row: usize) -> Result<(Vec<String>, Self), ReadError> {
        let (mut row, mut header) = (0, None);
        loop {
            let stopped = self.read(|_, fields| {
                row += 1;
                if row < header_row {
                    return Ok(true);
                }
                header = Some(
                    fields
                        .iter()
                        .map(|f| f.trim().to_string())
                        .collect::<Vec<_>>(),
                );
                Ok(false)
            })?;
            if matches!(stopped, Stopped::Taken) || !self.advance()? {
                break;
            }
        }
        let header: Vec<String> = header.ok_or(ReadError::NoHeader(header_row))?;
        if header.len() == 1 {
            return Err(ReadError::OneColumn(header[0].clone()));
        }
        Ok((header, self))
    }

    fn next_chunk(&mut self, max: usize) -> Result<Vec<Record>, ReadError> {
        let mut out = Vec::with_capacity(max.min(8192));
        loop {
            // Blank rows do not count towards `max`: `take` says when the chunk is full.
            let stopped = self.read(|line, fields| {
                // Blank rows after the header are no answers, not bad rows.
                if fields.iter().any(|f| !f.trim().is_empty()) {
                    out.push(Record {
                        line,
                        fields: fields.clone(),
                    });
                }
                Ok(out.len() < max)
            })?;
            if matches!(stopped, Stopped::Taken) || !self.advance()? {
                return Ok(out);
            }
        }
    }

    /// Hands each record from `pos` on to `take` (its line and fields) until `take` says stop
    /// or the text is used up; `pos` is left after the last record taken.
    fn read(
        &mut self,
        mut take: impl FnMut(i64, &csv::StringRecord) -> Result<bool, ReadError>,
    ) -> Result<Stopped, ReadError> {
        let all = self.text.as_bytes();
        let text = &all[self.pos..];
        let whole = self.feed.is_none();
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut r = csv::StringRecord::new();
        // The csv crate counts lines off by one after CRLF endings (what Excel and most
        // Swedish survey tools write), so lines are counted here from each record's offset.
        loop {
            let more = rdr.read_record(&mut r).map_err(|e| ReadError::Csv {
                line: e.position().map_or(0, |p| {
                    (self.lines_before + self.lines.at(all, self.pos + p.byte() as usize)) as u64
                }),
                message: e.to_string(),
            })?;
            if !more {
                self.pos = all.len();
                return Ok(Stopped::End);
            }
            let start = self.pos + r.position().map_or(0, |p| p.byte() as usize);
            // A record that runs to the window's end may go on past it (a quoted field, a
            // line cut in two): it is read again once the window has moved on.
            if !whole && rdr.position().byte() as usize == text.len() {
                self.pos = start;
                return Ok(Stopped::End);
            }
            let line = self.lines_before + self.lines.at(all, start);
            if !take(line, &r)? {
                self.pos += rdr.position().byte() as usize;
                return Ok(Stopped::Taken);
            }
        }
    }

    /// Moves the window on to what is left of it and the file's next block; false when there
    /// is nothing more to read.
    fn advance(&mut self) -> Result<bool, ReadError> {
        let Some(feed) = &mut self.feed else {
            return Ok(false);
        };
        let (done, left) = self.text.split_at(self.pos);
        self.lines_before += memchr::memchr_iter(b'\n', done.as_bytes()).count() as i64;
        let mut next = String::with_capacity(left.len() + feed.block + 4);
        next.push_str(left);
        if !feed.fill(&mut next)? {
            self.feed = None;
        }
        self.text = Cow::Owned(next);
        self.pos = 0;
        self.lines = LineCounter::default();
        Ok(true)
    }
}

/// The line of a byte offset, counted on from the last one asked about (offsets come in
/// order), so that no table of every line's offset is kept.
#[derive(Default)]
struct LineCounter {
    scanned: usize,
    newlines: i64,
}

impl LineCounter {
    fn at(&mut self, text: &[u8], byte: usize) -> i64 {
        let mut b = byte.min(text.len());
        // A record "starts" at its first character, after any line ends left before it.
        while b < text.len() && matches!(text[b], b'\r' | b'\n') {
            b += 1;
        }
        if b < self.scanned {
            return memchr::memchr_iter(b'\n', &text[..b]).count() as i64 + 1;
        }
        self.newlines += memchr::memchr_iter(b'\n', &text[self.scanned..b]).count() as i64;
        self.scanned = b;
        self.newlines + 1
    }
}

/// Header (trimmed) and data records after it. Rows above the header are skipped.
pub fn records(d: &Decoded, header_row: usize) -> Result<(Vec<String>, Vec<Record>), ReadError> {
    // The text is borrowed, not copied, whatever the decoded text owns.
    let (header, mut rows) =
        CsvRows::new(Cow::Borrowed(&d.text), d.delimiter, None).open(header_row)?;
    let records = rows.next_chunk(usize::MAX)?;
    Ok((header, records))
}

#[cfg(test)]
pub(crate) fn strings(r: &Record) -> Vec<String> {
    r.fields.iter().map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(delim: &str, enc: &str) -> SourceFormat {
        SourceFormat {
            delimiter: delim.into(),
            encoding: enc.into(),
            header_row: 1,
            timezone: "Europe/Stockholm".into(),
            sheet: None,
        }
    }

    #[test]
    fn bom_and_windows_1252_decode_to_the_same_text() {
        let utf8 = "\u{feff}Kommun;Yrke\nGöteborg;Undersköterska\n"
            .as_bytes()
            .to_vec();
        let cp1252: Vec<u8> = b"Kommun;Yrke\nG\xf6teborg;Undersk\xf6terska\n".to_vec();
        let a = decode(&utf8, &fmt("auto", "auto")).unwrap();
        let b = decode(&cp1252, &fmt("auto", "auto")).unwrap();
        assert_eq!(a.text, b.text);
        assert_eq!((a.encoding, b.encoding), ("utf-8", "windows-1252"));
        assert_eq!(
            decode(&cp1252, &fmt("auto", "utf-8")).unwrap_err(),
            ReadError::NotUtf8(13)
        );
    }

    #[test]
    fn delimiters_are_detected_and_quoted_newlines_keep_line_numbers() {
        for (d, b) in [(";", b';'), (",", b','), ("\t", b'\t')] {
            let text = format!("a{d}\"b{d}c\"{d}d\n1{d}\"two\nlines\"{d}3\n4{d}5{d}6\n");
            let dec = decode(text.as_bytes(), &fmt("auto", "auto")).unwrap();
            assert_eq!(dec.delimiter, b);
            let (h, r) = records(&dec, 1).unwrap();
            assert_eq!(h, vec!["a", &format!("b{d}c"), "d"]);
            assert_eq!(&r[0].fields[1], "two\nlines");
            assert_eq!((r[0].line, r[1].line), (2, 4));
        }
    }

    #[test]
    fn a_wrong_delimiter_is_reported_not_loaded() {
        let dec = decode(b"a;b;c\n1;2;3\n", &fmt(",", "auto")).unwrap();
        assert!(matches!(records(&dec, 1), Err(ReadError::OneColumn(_))));
    }

    #[test]
    fn line_numbers_hold_for_crlf_and_lf_and_embedded_newlines() {
        let f = fmt("auto", "auto");
        for eol in ["\r\n", "\n"] {
            let text = format!("a;b{eol}1;2{eol}3;\"x{eol}y\"{eol}5;6{eol}{eol}7;8{eol}");
            let dec = decode(text.as_bytes(), &f).unwrap();
            let (_, r) = records(&dec, 1).unwrap();
            assert_eq!(
                r.iter().map(|r| r.line).collect::<Vec<_>>(),
                vec![2, 3, 5, 7],
                "{eol:?}"
            );
        }
    }

    #[test]
    fn chunks_of_any_size_give_the_records_and_lines_of_one_reading() {
        let f = fmt("auto", "auto");
        for eol in ["\r\n", "\n"] {
            let text = format!(
                "above{eol}a;b{eol}1;2{eol}{eol}3;\"x{eol}y{eol}z\"{eol}5;6{eol};{eol}7;\"8\"\"{eol}\"{eol}9;10"
            );
            let whole: Vec<(i64, Vec<String>)> = {
                let mut fmt2 = f.clone();
                fmt2.header_row = 2;
                let l = load(text.as_bytes(), &fmt2).unwrap();
                assert_eq!(l.header, ["a", "b"]);
                l.records
                    .into_iter()
                    .map(|r| (r.line, strings(&r)))
                    .collect()
            };
            assert_eq!(
                whole.iter().map(|r| r.0).collect::<Vec<_>>(),
                vec![3, 5, 8, 10, 12],
                "{eol:?}"
            );
            for size in 1..=5 {
                let mut fmt2 = f.clone();
                fmt2.header_row = 2;
                let mut t = Table::open(text.as_bytes(), &fmt2).unwrap();
                let mut got = Vec::new();
                while let Some(c) = t.next_chunk(size).unwrap() {
                    assert!(c.len() <= size);
                    got.extend(c.into_iter().map(|r| (r.line, strings(&r))));
                }
                assert_eq!(got, whole, "chunks of {size}, {eol:?}");
            }
        }
    }
}
