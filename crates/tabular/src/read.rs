//! From bytes to header and records: encoding, delimiter, and the header row.

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
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
    pub delimiter: u8,
}

/// One data record with the physical line where it starts (1-based, as an editor shows it).
#[derive(Debug, Clone)]
pub struct Record {
    pub line: i64,
    pub fields: Vec<String>,
}

pub fn decode(bytes: &[u8], fmt: &SourceFormat) -> Result<Decoded, ReadError> {
    // Excel's "Unicode text" export is UTF-16 with a byte-order mark, whatever was declared.
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(bytes) {
        if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            let text = enc.decode_with_bom_removal(bytes).0.into_owned();
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
            Ok(s) => (s.to_string(), "utf-8"),
            Err(e) => return Err(ReadError::NotUtf8(e.valid_up_to())),
        },
        "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => {
            (windows_1252(bytes), "windows-1252")
        }
        // Valid UTF-8 of any length is almost never Windows-1252 text with å/ä/ö in it.
        "auto" => match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_string(), "utf-8"),
            Err(_) => (windows_1252(bytes), "windows-1252"),
        },
        other => return Err(ReadError::Encoding(other.to_string())),
    };
    finish(text, encoding, fmt)
}

fn finish(text: String, encoding: &'static str, fmt: &SourceFormat) -> Result<Decoded, ReadError> {
    for (i, l) in text.lines().enumerate() {
        let count = l.matches('\u{FFFD}').count();
        if count > 0 {
            return Err(ReadError::Replacement { line: i + 1, count });
        }
        if l.contains('\0') {
            return Err(ReadError::Nul { line: i + 1 });
        }
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

/// Reads CSV text or a workbook (XLSX, XLS, ODS), told apart by their first bytes.
pub fn load(bytes: &[u8], fmt: &SourceFormat) -> Result<Loaded, ReadError> {
    match crate::sheet::sniff(bytes) {
        crate::sheet::Format::Csv => {
            let d = decode(bytes, fmt)?;
            let (header, records) = records(&d, fmt.header_row)?;
            Ok(Loaded {
                header,
                records,
                encoding: d.encoding,
                delimiter: Some(d.delimiter),
                format: "csv",
                cell_problems: vec![],
            })
        }
        _ => {
            let (header, records, cell_problems) =
                crate::sheet::records(bytes, fmt.sheet.as_deref(), fmt.header_row)?;
            Ok(Loaded {
                header,
                records,
                encoding: "workbook",
                delimiter: None,
                format: "workbook",
                cell_problems,
            })
        }
    }
}

/// Gathers the header and the data records after it, whatever the format: the first row pushed
/// is the header (trimmed); blank rows after it are no answers, not bad rows.
#[derive(Default)]
pub(crate) struct Rows {
    header: Option<Vec<String>>,
    records: Vec<Record>,
}

impl Rows {
    pub(crate) fn push(&mut self, line: i64, fields: Vec<String>) {
        if self.header.is_none() {
            self.header = Some(fields.iter().map(|f| f.trim().to_string()).collect());
        } else if fields.iter().any(|f| !f.trim().is_empty()) {
            self.records.push(Record { line, fields });
        }
    }

    pub(crate) fn has_header(&self) -> bool {
        self.header.is_some()
    }

    pub(crate) fn finish(self, header_row: usize) -> Result<(Vec<String>, Vec<Record>), ReadError> {
        Ok((
            self.header.ok_or(ReadError::NoHeader(header_row))?,
            self.records,
        ))
    }
}

/// Header (trimmed) and data records after it. Rows above the header are skipped.
pub fn records(d: &Decoded, header_row: usize) -> Result<(Vec<String>, Vec<Record>), ReadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(d.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(d.text.as_bytes());
    // The csv crate counts lines off by one after CRLF endings (what Excel and most Swedish
    // survey tools write), so lines are counted here from each record's byte offset.
    let text = d.text.as_bytes();
    let newlines: Vec<usize> = newline_offsets(text);
    let line_at = |byte: u64| -> i64 {
        let mut b = byte as usize;
        while b < text.len() && matches!(text[b], b'\r' | b'\n') {
            b += 1;
        }
        newlines.partition_point(|&nl| nl < b) as i64 + 1
    };
    let mut rows = Rows::default();
    for (i, r) in rdr.records().enumerate() {
        let r = r.map_err(|e| ReadError::Csv {
            line: e.position().map_or(0, |p| line_at(p.byte()) as u64),
            message: e.to_string(),
        })?;
        let line = r.position().map_or(0, |p| line_at(p.byte()));
        if i + 1 < header_row {
            continue;
        }
        rows.push(line, r.iter().map(str::to_string).collect());
    }
    let (header, out) = rows.finish(header_row)?;
    if header.len() == 1 {
        return Err(ReadError::OneColumn(header[0].clone()));
    }
    Ok((header, out))
}

fn newline_offsets(text: &[u8]) -> Vec<usize> {
    text.iter()
        .enumerate()
        .filter_map(|(i, b)| (*b == b'\n').then_some(i))
        .collect()
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
}
