//! A CSV file read a block at a time: one pass decides its encoding (and lets the caller hash
//! it on the way), then a window of its text moves through it, so a large export is never held.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::read::{ReadError, encoding_of};
use crate::sheet::{Format, sniff};

/// Bytes read at a time: large enough that a window holds many chunks of records, small
/// enough not to matter beside them.
const BLOCK: usize = 4 << 20;

/// What one pass over a file found, before any record is read.
#[derive(Debug)]
pub struct Scan {
    path: PathBuf,
    block: usize,
    /// Workbooks and UTF-16 text, held whole: calamine needs the whole file, and Excel's
    /// UTF-16 exports are small.
    whole: Option<Vec<u8>>,
    /// Where the text begins: after a UTF-8 byte-order mark.
    start: u64,
    /// Bytes from `start` to the end.
    len: u64,
    /// Err with the offset (from `start`) of the first byte that is not UTF-8.
    utf8: Result<(), usize>,
    ascii: bool,
    nul: bool,
    /// U+FFFD's bytes: damage if the text is read as UTF-8.
    replacement: bool,
}

/// An opened scan: the file's bytes whole, or the first window of its text and the rest.
pub(crate) enum Opened {
    Bytes(Vec<u8>),
    Window(String, &'static str, Option<Feed>),
}

impl Scan {
    /// Reads `path` once, a block at a time, handing every byte to `each` in order (to hash
    /// the file in the same pass).
    pub fn file(path: &Path, each: impl FnMut(&[u8])) -> std::io::Result<Scan> {
        Scan::in_blocks(path, BLOCK, each)
    }

    pub(crate) fn in_blocks(
        path: &Path,
        block: usize,
        mut each: impl FnMut(&[u8]),
    ) -> std::io::Result<Scan> {
        let mut f = File::open(path)?;
        let mut buf = vec![0u8; block + 4];
        let n = read_full(&mut f, &mut buf[..block])?;
        each(&buf[..n]);
        let head = &buf[..n];
        let utf16 = matches!(encoding_rs::Encoding::for_bom(head),
            Some((e, _)) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE);
        let mut scan = Scan {
            path: path.to_path_buf(),
            block,
            whole: None,
            start: 0,
            len: 0,
            utf8: Ok(()),
            ascii: true,
            nul: false,
            replacement: false,
        };
        if utf16 || sniff(head) != Format::Csv {
            buf.truncate(n);
            f.read_to_end(&mut buf)?;
            each(&buf[n..]);
            scan.whole = Some(buf);
            return Ok(scan);
        }
        let bom = if head.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        scan.start = bom as u64;
        // Each pass looks at a character cut off at the end of the last block (kept at the
        // front of `buf`) and the new block; `read_full` gives less than a block only at the end.
        let (mut carried, mut from, mut n) = (0, bom, n);
        loop {
            let last = n < block;
            let text = &buf[from..carried + n];
            scan.ascii &= text.is_ascii();
            scan.nul |= memchr::memchr(0, text).is_some();
            let mut cut = 0;
            if scan.utf8.is_ok() {
                match std::str::from_utf8(text) {
                    Ok(_) => {}
                    Err(e) if e.error_len().is_none() && !last => {
                        cut = text.len() - e.valid_up_to()
                    }
                    Err(e) => scan.utf8 = Err(scan.len as usize + e.valid_up_to()),
                }
                let whole = &text[..text.len() - cut];
                scan.replacement |= memchr::memmem::find(whole, "\u{FFFD}".as_bytes()).is_some();
            }
            scan.len += (text.len() - cut) as u64;
            if last {
                break;
            }
            let to = carried + n;
            buf.copy_within(to - cut..to, 0);
            carried = cut;
            from = 0;
            n = read_full(&mut f, &mut buf[carried..carried + block])?;
            each(&buf[carried..carried + n]);
        }
        Ok(scan)
    }

    /// The file's bytes whole, or its first window of text, which holds the header row (the
    /// delimiter is told from it), with the encoding it is read in.
    pub(crate) fn open(self, declared: &str, header_row: usize) -> Result<Opened, ReadError> {
        let io = |e: std::io::Error| ReadError::Io {
            path: self.path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(bytes) = self.whole {
            return Ok(Opened::Bytes(bytes));
        }
        let encoding = encoding_of(declared, self.utf8, || self.ascii)?;
        if self.nul || (self.replacement && encoding == "utf-8") {
            // It fails either way; read whole, the error says on which line.
            return std::fs::read(&self.path).map(Opened::Bytes).map_err(io);
        }
        let mut file = File::open(&self.path).map_err(io)?;
        file.seek(SeekFrom::Start(self.start)).map_err(io)?;
        let mut feed = Feed {
            file,
            path: self.path.clone(),
            utf8: encoding == "utf-8",
            block: self.block,
            buf: vec![0u8; self.block + 4],
            tail: 0,
            left: self.len,
        };
        let mut text = String::with_capacity(self.block + 4);
        let mut more = feed.fill(&mut text)?;
        while more && memchr::memchr_iter(b'\n', text.as_bytes()).count() < header_row {
            more = feed.fill(&mut text)?;
        }
        Ok(Opened::Window(text, encoding, more.then_some(feed)))
    }
}

/// The rest of a scanned file, decoded a block at a time.
pub(crate) struct Feed {
    file: File,
    path: PathBuf,
    utf8: bool,
    pub(crate) block: usize,
    /// A character cut off at the end of the last block, at the front.
    buf: Vec<u8>,
    tail: usize,
    /// Bytes the scan saw that are not read yet: a file that changed since is not read on.
    left: u64,
}

impl Feed {
    /// Appends the file's next block, decoded, to `out`; false once the file has ended.
    pub(crate) fn fill(&mut self, out: &mut String) -> Result<bool, ReadError> {
        let changed = || ReadError::Changed {
            path: self.path.display().to_string(),
        };
        let t = self.tail;
        let n = read_full(&mut self.file, &mut self.buf[t..t + self.block]).map_err(|e| {
            ReadError::Io {
                path: self.path.display().to_string(),
                message: e.to_string(),
            }
        })?;
        let end = n < self.block;
        if n as u64 > self.left || (end && n as u64 != self.left) {
            return Err(changed());
        }
        self.left -= n as u64;
        let bytes = &self.buf[..t + n];
        if !self.utf8 {
            // Borrowed, not copied, for a block of ASCII: decoded straight into the window.
            out.push_str(
                &encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0,
            );
            return Ok(!end);
        }
        let cut = if end { bytes.len() } else { whole_chars(bytes) };
        out.push_str(std::str::from_utf8(&bytes[..cut]).map_err(|_| changed())?);
        self.tail = t + n - cut;
        self.buf.copy_within(cut..t + n, 0);
        if end && self.tail > 0 {
            return Err(changed());
        }
        Ok(!end)
    }
}

/// The length of `bytes` without a UTF-8 character cut off at its end.
fn whole_chars(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(4) {
        let b = bytes[n - back];
        if b & 0xC0 != 0x80 {
            let len = match b {
                0..=0x7F => 1,
                0xF0.. => 4,
                0xE0.. => 3,
                _ => 2,
            };
            return if len > back { n - back } else { n };
        }
    }
    n
}

/// Reads until `buf` is full or the file ends; the bytes read.
fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceFormat, Table};

    type Read = (
        Vec<String>,
        Vec<(i64, Vec<String>)>,
        &'static str,
        Option<u8>,
    );

    fn all(mut t: Table<'_>, chunk: usize) -> Result<Read, ReadError> {
        let mut rows = Vec::new();
        while let Some(c) = t.next_chunk(chunk)? {
            rows.extend(c.into_iter().map(|r| (r.line, crate::read::strings(&r))));
        }
        Ok((t.header, rows, t.encoding, t.delimiter))
    }

    /// The file read in blocks of `block` bytes, and the bytes `each` was handed.
    fn scanned(
        bytes: &[u8],
        fmt: &SourceFormat,
        block: usize,
        chunk: usize,
    ) -> (Result<Read, ReadError>, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, bytes).unwrap();
        let mut seen = Vec::new();
        let scan = Scan::in_blocks(&path, block, |b| seen.extend_from_slice(b)).unwrap();
        (
            Table::from_scan(scan, fmt).and_then(|t| all(t, chunk)),
            seen,
        )
    }

    fn fmt(header_row: usize, encoding: &str) -> SourceFormat {
        SourceFormat {
            header_row,
            encoding: encoding.into(),
            ..SourceFormat::default()
        }
    }

    #[test]
    fn a_file_read_in_blocks_of_any_size_reads_as_the_whole_file_does() {
        let mut files: Vec<(Vec<u8>, SourceFormat)> = Vec::new();
        for eol in ["\r\n", "\n"] {
            let t = format!(
                "above{eol}a;b{eol}1;2{eol}{eol}3;\"x{eol}y{eol}z\"{eol}5;6{eol};{eol}7;\"8\"\"{eol}\"{eol}9;10"
            );
            files.push((t.into_bytes(), fmt(2, "auto")));
        }
        let utf8 = "\u{feff}Kommun,Yrke,Svar\nGöteborg,Undersköterska,\"ja 😀\nnej\"\nMalmö,Sjuksköterska,å\n\nLuleå,,ö";
        files.push((utf8.as_bytes().to_vec(), fmt(1, "auto")));
        files.push((utf8.as_bytes().to_vec(), fmt(1, "utf-8")));
        let cp1252 = b"Kommun\tYrke\nG\xf6teborg\tUndersk\xf6terska\r\nMalm\xf6\t\"Sjuksk\xf6terska\n\xe5\"\n".to_vec();
        files.push((cp1252.clone(), fmt(1, "auto")));
        files.push((cp1252, fmt(1, "windows-1252")));
        for (bytes, f) in &files {
            let whole = all(Table::open(bytes, f).unwrap(), usize::MAX).unwrap();
            assert!(!whole.1.is_empty());
            for block in (1..=9).chain([16, 64, 1 << 20]) {
                for chunk in [1, 2, 1000] {
                    let (read, seen) = scanned(bytes, f, block, chunk);
                    assert_eq!(
                        read.unwrap(),
                        whole,
                        "blocks of {block}, chunks of {chunk}: {bytes:?}"
                    );
                    assert_eq!(&seen, bytes, "every byte handed on once, in order");
                }
            }
        }
    }

    #[test]
    fn a_file_read_in_blocks_fails_as_the_whole_file_does() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            // Not UTF-8 late in the file, declared UTF-8: the same offset.
            (b"a;b\n1;\xc3\xa5\n2;\xe5\n".to_vec(), "utf-8"),
            // UTF-8 declared as Windows-1252.
            ("a;b\n1;2\n3;å\n".as_bytes().to_vec(), "windows-1252"),
            // A NUL, and U+FFFD left by an earlier wrong conversion: the same line.
            (b"a;b\n1;2\n3;\x004\n".to_vec(), "auto"),
            ("a;b\n1;2\n3;\u{FFFD}\u{FFFD}\n".as_bytes().to_vec(), "auto"),
            (b"a;b\n1;2\n3;4\n".to_vec(), "ebcdic"),
            (b"above\n".to_vec(), "auto"),
        ];
        for (bytes, enc) in &cases {
            let f = fmt(if bytes.starts_with(b"above") { 2 } else { 1 }, enc);
            let whole = Table::open(bytes, &f).map(|_| ()).unwrap_err();
            for block in 1..=7 {
                let (read, _) = scanned(bytes, &f, block, 2);
                assert_eq!(read.unwrap_err(), whole, "blocks of {block}: {bytes:?}");
            }
        }
    }

    #[test]
    fn a_file_that_changes_after_its_scan_is_not_read_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, "a;b\n1;2\n3;4\n5;6\n").unwrap();
        let scan = Scan::in_blocks(&path, 4, |_| {}).unwrap();
        std::fs::write(&path, "a;b\n1;2\n3;4\n5;6\n7;8\n").unwrap();
        let err = Table::from_scan(scan, &fmt(1, "auto"))
            .and_then(|t| all(t, 10))
            .unwrap_err();
        assert!(matches!(err, ReadError::Changed { .. }), "{err:?}");
    }
}
