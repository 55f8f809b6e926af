//! User input never causes a panic: seeded random exports, built from the characters that
//! break parsers (delimiters, quotes, line ends, multi-byte letters, dashes, NUL, U+FFFD, BOMs),
//! must each give a result or an error.

use crate::{VISION, fixture_bytes, load_with};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: [&str; 24] = [
    ";",
    ",",
    "\t",
    "\"",
    "\n",
    "\r\n",
    "å",
    "Ö",
    "–",
    "-",
    "ca ",
    "1,5",
    " h",
    "Vet ej",
    "Ja",
    "Instämmer helt",
    "Göteborg",
    "Region Skåne",
    "19801224-1234",
    "a@b.se",
    "\0",
    "\u{FFFD}",
    "30",
    "999999999999999999999",
];

#[test]
fn random_exports_never_panic() {
    let mut rng = Rng(0x5eed_f00d);
    let good = fixture_bytes("utf8_bom_comma.csv");
    for case in 0..400 {
        let bytes: Vec<u8> = match case % 4 {
            // Random pieces after a real header: exercises every value parser.
            0 | 1 => {
                let header_end = good.iter().position(|b| *b == b'\n').unwrap() + 1;
                let mut b = good[..header_end].to_vec();
                for _ in 0..rng.below(400) {
                    b.extend_from_slice(PIECES[rng.below(PIECES.len())].as_bytes());
                }
                b
            }
            // A real file cut at a random byte, possibly inside a multi-byte letter.
            2 => good[..rng.below(good.len())].to_vec(),
            // Raw bytes, sometimes starting like a zip, an OLE file or a UTF-16 BOM.
            _ => {
                let mut b: Vec<u8> = match rng.below(4) {
                    0 => b"PK\x03\x04".to_vec(),
                    1 => vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
                    2 => vec![0xFF, 0xFE],
                    _ => vec![],
                };
                b.extend((0..rng.below(2000)).map(|_| rng.next() as u8));
                b
            }
        };
        let result = std::panic::catch_unwind(|| {
            load_with("fuzz.csv", &bytes, &VISION, None).map(|o| o.rows_read)
        });
        assert!(
            result.is_ok(),
            "case {case} panicked on {} bytes: {:?}",
            bytes.len(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        );
    }
}
