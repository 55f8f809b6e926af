//! Numbers and "no answer" as Swedish exports write them.

use friktion_core::quarantine::Rejection;
/// A value that could not be read, with the reason for the quarantine record.
pub type Parsed<T> = Result<Option<T>, Rejection>;

/// Answers that mean "no answer": missing, never an error.
pub fn is_missing(s: &str) -> bool {
    // Called for every cell: compare without allocating (all the tokens are ASCII).
    const MISSING: [&str; 8] = [
        "",
        "vet ej",
        "vet inte",
        "ej svar",
        "inget svar",
        "don't know",
        "dont know",
        "n/a",
    ];
    let s = s.trim();
    s == "-" || MISSING.iter().any(|m| s.eq_ignore_ascii_case(m))
}

/// A number with decimal comma or point, and thousands separated by space, NBSP or
/// narrow NBSP ("1 234,5").
pub fn number(raw: &str) -> Parsed<f64> {
    if is_missing(raw) {
        return Ok(None);
    }
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{00a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .map(|c| if c == '\u{2212}' { '-' } else { c })
        .collect();
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| Rejection(format!("'{}' is not a number", raw.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_numbers_read() {
        assert_eq!(number("1 234,5").unwrap(), Some(1234.5));
        assert_eq!(number("1\u{a0}250\u{202f}000").unwrap(), Some(1_250_000.0));
        assert_eq!(number("−2,5").unwrap(), Some(-2.5));
        assert_eq!(number("vet ej").unwrap(), None);
        assert!(number("12,3,4").is_err());
        assert!(number("NaN").is_err());
    }
}
