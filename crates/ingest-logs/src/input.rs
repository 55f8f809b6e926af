//! Bytes in: transparent gzip and zstd, and chunks cut at line boundaries so that workers can
//! parse them independently, with memory bounded by the chunk size whatever the line lengths.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Counts the bytes read from the file (compressed), for progress, and hashes them, so that
/// a new file is read once rather than once to hash and once to load.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
    hash: Option<Arc<Mutex<Sha256>>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(h) = &self.hash {
            h.lock().expect("not poisoned").update(&buf[..n]);
        }
        Ok(n)
    }
}

pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub compression: Compression,
    /// Size of the file on disk.
    pub size: u64,
    /// Bytes of the file consumed so far.
    pub consumed: Arc<AtomicU64>,
    /// SHA-256 of the bytes consumed so far, when asked for: of the whole file once it has
    /// been read to its end.
    pub hash: Option<Arc<Mutex<Sha256>>>,
}

/// Opens a file, decompressing by its first bytes (not its name: rotated logs are often
/// misnamed).
pub fn open(path: &Path, hash: bool) -> io::Result<Opened> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match f.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let f = File::open(path)?;
    let consumed = Arc::new(AtomicU64::new(0));
    let hash = hash.then(|| Arc::new(Mutex::new(Sha256::new())));
    let counting = BufReader::with_capacity(
        1 << 20,
        Counting {
            inner: f,
            read: consumed.clone(),
            hash: hash.clone(),
        },
    );
    let (reader, compression): (Box<dyn Read + Send>, _) = match &magic[..got] {
        [0x1f, 0x8b, ..] => (
            // Multi-member: logrotate and `cat a.gz b.gz` produce several gzip members.
            Box::new(flate2::bufread::MultiGzDecoder::new(counting)),
            Compression::Gzip,
        ),
        [0x28, 0xb5, 0x2f, 0xfd] => (
            Box::new(zstd::stream::read::Decoder::with_buffer(counting)?),
            Compression::Zstd,
        ),
        _ => (Box::new(counting), Compression::None),
    };
    let reader = utf16_as_utf8(reader)?;
    Ok(Opened {
        reader,
        compression,
        size,
        consumed,
        hash,
    })
}

/// Windows tools (PowerShell's `Out-File` and `Export-Csv` in Windows PowerShell 5, Event
/// Viewer, some SIEM exports) write UTF-16 with a byte-order mark: such text, compressed or
/// not, is read as the UTF-8 it stands for, so every format reads it as it reads UTF-8.
fn utf16_as_utf8(r: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    use std::io::BufRead;
    let mut r = BufReader::with_capacity(1 << 16, r);
    let encoding = match r.fill_buf()? {
        [0xff, 0xfe, ..] => encoding_rs::UTF_16LE,
        [0xfe, 0xff, ..] => encoding_rs::UTF_16BE,
        _ => return Ok(Box::new(r)),
    };
    Ok(Box::new(Transcoded {
        inner: r,
        // Sniffs the BOM again and drops it.
        decoder: encoding.new_decoder(),
        input: vec![0; 1 << 16],
        out: Vec::new(),
        at: 0,
        done: false,
    }))
}

/// Decodes UTF-16 to UTF-8 as it is read; unpaired surrogates become U+FFFD.
struct Transcoded<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    done: bool,
}

impl<R: Read> Read for Transcoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.out.len() {
            if self.done {
                return Ok(0);
            }
            let n = loop {
                match self.inner.read(&mut self.input) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            self.done = n == 0;
            let cap = self.decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
            self.out.clear();
            self.out.resize(cap, 0);
            let (_, _, written, _) =
                self.decoder
                    .decode_to_utf8(&self.input[..n], &mut self.out, self.done);
            self.out.truncate(written);
            self.at = 0;
        }
        let k = buf.len().min(self.out.len() - self.at);
        buf[..k].copy_from_slice(&self.out[self.at..self.at + k]);
        self.at += k;
        Ok(k)
    }
}

/// What the chunker hands out, in input order.
#[derive(Debug)]
pub enum Piece {
    /// Whole lines (the last may lack its newline at the end of input).
    Chunk { bytes: Vec<u8>, first_line: i64 },
    /// A line longer than the limit, skipped without being held: its start and length.
    LongLine { line: i64, head: Vec<u8>, len: u64 },
    /// The last line, cut off where the input broke (a truncated compressed file).
    CutLine { line: i64, head: Vec<u8> },
}

pub const HEAD_BYTES: usize = 200;

pub struct Chunker<R> {
    r: R,
    carry: Vec<u8>,
    next_line: i64,
    eof: bool,
    chunk_size: usize,
    max_line: usize,
    /// The read error that ended the input early, if one did.
    pub error: Option<io::Error>,
    /// Bytes of decompressed input seen.
    pub bytes: u64,
}

impl<R: Read> Chunker<R> {
    pub fn new(r: R, chunk_size: usize, max_line: usize) -> Self {
        assert!(chunk_size > max_line, "a chunk must hold the longest line");
        Self {
            r,
            carry: Vec::with_capacity(chunk_size + (1 << 16)),
            next_line: 1,
            eof: false,
            chunk_size,
            max_line,
            error: None,
            bytes: 0,
        }
    }

    /// Reads until `carry` holds at least `chunk_size` bytes or the input ends.
    fn fill(&mut self) {
        while !self.eof && self.carry.len() < self.chunk_size {
            let len = self.carry.len();
            let want = (self.chunk_size - len).max(1 << 16);
            self.carry.resize(len + want, 0);
            match self.r.read(&mut self.carry[len..]) {
                Ok(0) => {
                    self.carry.truncate(len);
                    self.eof = true;
                }
                Ok(n) => {
                    self.carry.truncate(len + n);
                    self.bytes += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.carry.truncate(len),
                Err(e) => {
                    self.carry.truncate(len);
                    self.error = Some(e);
                    self.eof = true;
                }
            }
        }
    }

    /// Skips the rest of an over-long line, reading in blocks; returns the bytes skipped.
    fn skip_line(&mut self) -> u64 {
        let mut skipped = 0u64;
        loop {
            if let Some(p) = memchr::memchr(b'\n', &self.carry) {
                skipped += p as u64;
                self.carry.drain(..=p);
                return skipped;
            }
            skipped += self.carry.len() as u64;
            self.carry.clear();
            if self.eof {
                return skipped;
            }
            self.fill();
        }
    }

    pub fn next_piece(&mut self) -> Option<Piece> {
        self.fill();
        if self.carry.is_empty() {
            return None;
        }
        match memchr::memrchr(b'\n', &self.carry) {
            Some(p) if !self.eof || p + 1 == self.carry.len() || self.error.is_some() => {
                let rest = self.carry.split_off(p + 1);
                let bytes = std::mem::replace(&mut self.carry, rest);
                let first_line = self.next_line;
                self.next_line += memchr::memchr_iter(b'\n', &bytes).count() as i64;
                Some(Piece::Chunk { bytes, first_line })
            }
            None if self.carry.len() > self.max_line => {
                let line = self.next_line;
                self.next_line += 1;
                let head = self.carry[..HEAD_BYTES].to_vec();
                let len = self.skip_line();
                Some(Piece::LongLine { line, head, len })
            }
            None if self.error.is_some() => {
                let line = self.next_line;
                self.next_line += 1;
                let head = self.carry[..self.carry.len().min(HEAD_BYTES)].to_vec();
                self.carry.clear();
                Some(Piece::CutLine { line, head })
            }
            // The end of a clean input: lines, the last without a newline.
            _ => {
                let bytes = std::mem::take(&mut self.carry);
                let first_line = self.next_line;
                self.next_line += memchr::memchr_iter(b'\n', &bytes).count() as i64 + 1;
                Some(Piece::Chunk { bytes, first_line })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(input: &[u8], chunk: usize, max: usize) -> Vec<Piece> {
        let mut c = Chunker::new(input, chunk, max);
        std::iter::from_fn(|| c.next_piece()).collect()
    }

    #[test]
    fn chunks_end_at_newlines_and_number_lines() {
        let input = b"a\nbb\nccc\ndddd\ne";
        let ps = pieces(input, 6, 5);
        let mut joined = Vec::new();
        let mut expect_line = 1;
        for p in &ps {
            let Piece::Chunk { bytes, first_line } = p else {
                panic!("{p:?}")
            };
            assert_eq!(*first_line, expect_line);
            expect_line += bytes.iter().filter(|b| **b == b'\n').count() as i64;
            joined.extend_from_slice(bytes);
        }
        assert_eq!(joined, input);
    }

    #[test]
    fn long_lines_are_skipped_and_counted() {
        let mut input = b"ok\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 300_000));
        input.extend_from_slice(b"\nafter\n");
        let ps = pieces(&input, 100_000, 50_000);
        let long = ps
            .iter()
            .find_map(|p| match p {
                Piece::LongLine { line, len, head } => Some((*line, *len, head.len())),
                _ => None,
            })
            .unwrap();
        assert_eq!(long, (2, 300_000, HEAD_BYTES));
        let Some(Piece::Chunk { bytes, first_line }) = ps.last() else {
            panic!()
        };
        assert_eq!((bytes.as_slice(), *first_line), (&b"after\n"[..], 3));
    }
}
