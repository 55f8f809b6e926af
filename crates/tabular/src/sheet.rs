//! Spreadsheets (XLSX, XLS, ODS) through calamine: one sheet becomes header and records, with
//! each record's line the spreadsheet's own row number, as the analyst sees it in Excel.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use crate::read::{ReadError, Record};

/// What the bytes are, from their first bytes rather than the file name, which lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// XLSX or ODS: both are zip archives; calamine tells them apart.
    Zip,
    /// The legacy binary Excel format (OLE compound file).
    Xls,
}

pub fn sniff(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"PK\x03\x04") {
        Format::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Format::Xls
    } else {
        Format::Csv
    }
}

/// The cell as the text a CSV export would have held. Dates come out ISO-formatted in the
/// workbook's local time; whole numbers lose Excel's ".0".
fn cell_text(d: &Data) -> Result<String, String> {
    Ok(match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "Ja" } else { "Nej" }.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => {
                return Err(format!(
                    "a date cell that is out of range ({})",
                    dt.as_f64()
                ));
            }
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.replace('T', " "),
        Data::Error(e) => return Err(format!("the cell holds the spreadsheet error {e}")),
    })
}

/// Header and data records of the named sheet, or the first one.
pub fn records(
    bytes: &[u8],
    sheet: Option<&str>,
    header_row: usize,
) -> Result<(Vec<String>, Vec<Record>, Vec<(i64, usize, String)>), ReadError> {
    let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| ReadError::Workbook(e.to_string()))?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| ReadError::NoSheet {
                wanted: s.to_string(),
                found: names.clone(),
            })?,
        None => names
            .first()
            .cloned()
            .ok_or(ReadError::Workbook("the workbook has no sheets".into()))?,
    };
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| ReadError::Workbook(format!("sheet '{name}': {e}")))?;
    // The range starts at the first non-empty cell; rows and columns before it are empty.
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut rows = Rows::default();
    // (line, column index, problem) for cells that cannot be read as text.
    let mut bad_cells = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let line = i64::from(row0) + i as i64 + 1;
        if (line as usize) < header_row {
            continue;
        }
        let mut fields = vec![String::new(); col0 as usize];
        for (j, c) in row.iter().enumerate() {
            match cell_text(c) {
                Ok(t) => fields.push(t),
                Err(problem) => {
                    bad_cells.push((line, col0 as usize + j, problem));
                    fields.push(String::new());
                }
            }
        }
        // The header is the row the instrument names, exactly; rows after it are records.
        if rows.has_header() || line as usize == header_row {
            rows.push(line, fields);
        }
    }
    let (header, rows) = rows.finish(header_row)?;
    // Spreadsheets pad rows to the widest one; trailing empty header cells are not columns.
    let width = header
        .iter()
        .rposition(|h| !h.is_empty())
        .map_or(0, |i| i + 1);
    let header: Vec<String> = header.into_iter().take(width).collect();
    let out = rows
        .into_iter()
        .map(|(line, mut fields)| {
            while fields.len() > width && fields.last().is_some_and(|f| f.trim().is_empty()) {
                fields.pop();
            }
            if fields.len() < width {
                fields.resize(width, String::new());
            }
            Record {
                line,
                fields: fields.into(),
            }
        })
        .collect();
    Ok((header, out, bad_cells))
}

/// Gathers the header and the data records after it: the first row pushed is the header
/// (trimmed); blank rows after it are no answers, not bad rows.
#[derive(Default)]
struct Rows {
    header: Option<Vec<String>>,
    records: Vec<(i64, Vec<String>)>,
}

impl Rows {
    fn push(&mut self, line: i64, fields: Vec<String>) {
        if self.header.is_none() {
            self.header = Some(fields.iter().map(|f| f.trim().to_string()).collect());
        } else if fields.iter().any(|f| !f.trim().is_empty()) {
            self.records.push((line, fields));
        }
    }

    fn has_header(&self) -> bool {
        self.header.is_some()
    }

    fn finish(
        self,
        header_row: usize,
    ) -> Result<(Vec<String>, Vec<(i64, Vec<String>)>), ReadError> {
        Ok((
            self.header.ok_or(ReadError::NoHeader(header_row))?,
            self.records,
        ))
    }
}
