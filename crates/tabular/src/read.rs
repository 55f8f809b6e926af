//! From bytes to header and records: encoding, delimiter, and the header row.

use std::borrow::Cow;

use crate::SourceFormat;

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
#[derive(Debug, Clone)]
pub struct Record {
    pub line: i64,
    pub fields: Vec<String>,
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
    let declared = fmt.encoding.to_lowercase();
    if matches!(
        declared.as_str(),
        "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1"
    ) && !bytes.is_ascii()
        && std::str::from_utf8(bytes).is_ok()
    {
        return Err(ReadError::LooksUtf8 { declared });
    }
    let (text, encoding) = match declared.as_str() {
        "utf-8" | "utf8" => match std::str::from_utf8(bytes) {
            Ok(s) => (Cow::Borrowed(s), "utf-8"),
            Err(e) => return Err(ReadError::NotUtf8(e.valid_up_to())),
        },
        "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => {
            (Cow::Owned(windows_1252(bytes)), "windows-1252")
        }
        // Valid UTF-8 of any length is almost never Windows-1252 text with å/ä/ö in it.
        "auto" => match std::str::from_utf8(bytes) {
            Ok(s) => (Cow::Borrowed(s), "utf-8"),
            Err(_) => (Cow::Owned(windows_1252(bytes)), "windows-1252"),
        },
        other => return Err(ReadError::Encoding(other.to_string())),
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
    let delimiter = match fmt.delimiter.as_str() {
        "auto" => detect_delimiter(&text, fmt.header_row),
        ";" => b';',
        "," => b',',
        "tab" | "\t" => b'\t',
        other => return Err(ReadError::Delimiter(other.to_string())),
    };
    Ok(Decoded {
        text,
        encoding,
        delimiter,
    })
}

fn windows_1252(bytes: &[u8]) -> String {
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
    pub fn open(bytes: &'a [u8], fmt: &SourceFormat) -> Result<Self, ReadError> {
        match crate::sheet::sniff(bytes) {
            crate::sheet::Format::Csv => {
                let d = decode(bytes, fmt)?;
                let (encoding, delimiter) = (d.encoding, d.delimiter);
                let (header, rows) = CsvRows::open(d, fmt.header_row)?;
                Ok(Table {
                    header,
                    encoding,
                    delimiter: Some(delimiter),
                    format: "csv",
                    cell_problems: vec![],
                    rows: TableRows::Csv(rows),
                })
            }
            _ => {
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
        }
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

/// CSV records from decoded text, read from where the last chunk ended.
struct CsvRows<'a> {
    text: Cow<'a, str>,
    delimiter: u8,
    /// Byte offset of the next record.
    pos: usize,
    lines: LineCounter,
}

impl<'a> CsvRows<'a> {
    /// The header row (trimmed) and the rows after it; rows above the header are skipped.
    fn open(d: Decoded<'a>, header_row: usize) -> Result<(Vec<String>, Self), ReadError> {
        let mut rows = CsvRows {
            text: d.text,
            delimiter: d.delimiter,
            pos: 0,
            lines: LineCounter::default(),
        };
        let mut header = None;
        rows.read(usize::MAX, |i, _, fields| {
            if i + 1 < header_row {
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
        let header: Vec<String> = header.ok_or(ReadError::NoHeader(header_row))?;
        if header.len() == 1 {
            return Err(ReadError::OneColumn(header[0].clone()));
        }
        Ok((header, rows))
    }

    fn next_chunk(&mut self, max: usize) -> Result<Vec<Record>, ReadError> {
        let mut out = Vec::with_capacity(max.min(8192));
        // Blank rows do not count towards `max`: `take` says when the chunk is full.
        self.read(usize::MAX, |_, line, fields| {
            // Blank rows after the header are no answers, not bad rows.
            if fields.iter().any(|f| !f.trim().is_empty()) {
                out.push(Record {
                    line,
                    fields: fields.iter().map(str::to_string).collect(),
                });
            }
            Ok(out.len() < max)
        })?;
        Ok(out)
    }

    /// Hands each record from `pos` on to `take` (its index in this call, line, fields) until
    /// `take` says stop or the text ends; `pos` is left after the last record taken.
    fn read(
        &mut self,
        limit: usize,
        mut take: impl FnMut(usize, i64, &csv::StringRecord) -> Result<bool, ReadError>,
    ) -> Result<(), ReadError> {
        let text = &self.text.as_bytes()[self.pos..];
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut r = csv::StringRecord::new();
        let all = self.text.as_bytes();
        // The csv crate counts lines off by one after CRLF endings (what Excel and most
        // Swedish survey tools write), so lines are counted here from each record's offset.
        for i in 0..limit {
            let more = rdr.read_record(&mut r).map_err(|e| ReadError::Csv {
                line: e.position().map_or(0, |p| {
                    self.lines.at(all, self.pos + p.byte() as usize) as u64
                }),
                message: e.to_string(),
            })?;
            if !more {
                self.pos = all.len();
                return Ok(());
            }
            let start = self.pos + r.position().map_or(0, |p| p.byte() as usize);
            let line = self.lines.at(all, start);
            if !take(i, line, &r)? {
                break;
            }
        }
        self.pos += rdr.position().byte() as usize;
        Ok(())
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
    let borrowed = Decoded {
        text: Cow::Borrowed(&d.text),
        ..*d
    };
    let (header, mut rows) = CsvRows::open(borrowed, header_row)?;
    let records = rows.next_chunk(usize::MAX)?;
    Ok((header, records))
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
            assert_eq!(r[0].fields[1], "two\nlines");
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
                l.records.into_iter().map(|r| (r.line, r.fields)).collect()
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
                    got.extend(c.into_iter().map(|r| (r.line, r.fields)));
                }
                assert_eq!(got, whole, "chunks of {size}, {eol:?}");
            }
        }
    }
}
