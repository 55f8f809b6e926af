//! From bytes to header and records: encoding, delimiter, and the header row.

use crate::instrument::SourceFormat;

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
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (text, encoding) = match fmt.encoding.to_lowercase().as_str() {
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
    let mut header = None;
    let mut out = Vec::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.map_err(|e| ReadError::Csv {
            line: e.position().map_or(0, |p| line_at(p.byte()) as u64),
            message: e.to_string(),
        })?;
        let line = r.position().map_or(0, |p| line_at(p.byte()));
        let fields: Vec<String> = r.iter().map(str::to_string).collect();
        if i + 1 < header_row {
            continue;
        }
        if header.is_none() {
            header = Some(
                fields
                    .iter()
                    .map(|f| f.trim().to_string())
                    .collect::<Vec<_>>(),
            );
            continue;
        }
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue; // a blank line between records is no answer, not a bad row
        }
        out.push(Record { line, fields });
    }
    let header = header.ok_or(ReadError::NoHeader(header_row))?;
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
