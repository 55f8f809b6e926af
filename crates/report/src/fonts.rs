//! The pages' own font: DejaVu Sans (regular and bold, cut to the characters the pages use),
//! written once per report as `fonts/*.woff` beside the pages that use it. A page then looks
//! the same on every machine, and the charts' labels keep the widths they were laid out with,
//! whatever fonts the reader has. Each directory of pages gets its own copy (the report root
//! and `kommun/`): Firefox lets a page opened from disk load a font only from its own
//! directory or below. See `assets/README.md` for how the files were made, and their licence.

use std::path::Path;

use crate::ReportError;

/// The family name pages and charts ask for; the generic family follows as the fallback.
pub const FAMILY: &str = "friktion-sans";
/// For plotters' text: the embedded family first.
pub const CHART_FONT: &str = "friktion-sans, DejaVu Sans, sans-serif";

const REGULAR: &[u8] = include_bytes!("../assets/DejaVuSans.subset.woff");
const BOLD: &[u8] = include_bytes!("../assets/DejaVuSans-Bold.subset.woff");

/// The font files, by weight, as the pages name them (relative to the page).
const FILES: [(u16, &str, &[u8]); 2] = [
    (400, "fonts/friktion-sans.woff", REGULAR),
    (700, "fonts/friktion-sans-bold.woff", BOLD),
];

/// The two @font-face rules of every page.
pub fn css() -> String {
    FILES
        .iter()
        .map(|(weight, path, _)| {
            format!(
                "@font-face {{ font-family: \"{FAMILY}\"; font-weight: {weight}; font-style: normal; \
                 src: url({path}) format(\"woff\"); }}\n"
            )
        })
        .collect()
}

/// Writes the font files beside the pages of `dir`.
pub fn write(dir: &Path) -> Result<(), ReportError> {
    for (_, path, bytes) in FILES {
        let to = dir.join(path);
        let io = |source| ReportError::Io {
            path: to.clone(),
            source,
        };
        if let Some(d) = to.parent() {
            std::fs::create_dir_all(d).map_err(io)?;
        }
        std::fs::write(&to, bytes).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_faces_are_named_and_written_as_woff() {
        let css = css();
        assert_eq!(css.matches("@font-face").count(), 2);
        assert!(
            css.contains("font-weight: 700") && css.contains("url(fonts/friktion-sans-bold.woff)")
        );
        let dir = tempfile::tempdir().unwrap();
        write(dir.path()).unwrap();
        for (_, path, _) in FILES {
            // A WOFF file starts with "wOFF".
            let bytes = std::fs::read(dir.path().join(path)).unwrap();
            assert_eq!(&bytes[..4], b"wOFF");
        }
    }
}
