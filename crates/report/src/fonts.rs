//! The pages' own font, embedded: DejaVu Sans (regular and bold, cut to the characters the
//! pages use) as base64 in each page's CSS. A page then looks the same on every machine, and
//! the charts' labels keep the widths they were laid out with, whatever fonts the reader has.
//! See `assets/README.md` for how the files were made, and their licence.

use std::sync::OnceLock;

/// The family name pages and charts ask for; the generic family follows as the fallback.
pub const FAMILY: &str = "friktion-sans";
/// For plotters' text: the embedded family first.
pub const CHART_FONT: &str = "friktion-sans, DejaVu Sans, sans-serif";

const REGULAR: &[u8] = include_bytes!("../assets/DejaVuSans.subset.woff");
const BOLD: &[u8] = include_bytes!("../assets/DejaVuSans-Bold.subset.woff");

/// The two @font-face rules, built once per process.
pub fn css() -> &'static str {
    static CSS: OnceLock<String> = OnceLock::new();
    CSS.get_or_init(|| {
        let face = |weight: u16, bytes: &[u8]| {
            format!(
                "@font-face {{ font-family: \"{FAMILY}\"; font-weight: {weight}; font-style: normal; \
                 src: url(data:font/woff;base64,{}) format(\"woff\"); }}\n",
                base64(bytes)
            )
        };
        face(400, REGULAR) + &face(700, BOLD)
    })
}

/// Standard base64 with padding (RFC 4648), for data: URLs.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ABC[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn both_faces_are_embedded_as_woff() {
        let css = css();
        assert_eq!(css.matches("@font-face").count(), 2);
        assert!(css.contains("font-weight: 700"));
        // A WOFF file starts with "wOFF": base64 "d09GRg".
        assert_eq!(css.matches("base64,d09GRg").count(), 2);
    }
}
