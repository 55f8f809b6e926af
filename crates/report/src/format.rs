//! Numbers and text the way Swedish official statistics print them.

/// Narrow no-break space: the thousands separator of Swedish typography, which never wraps.
pub const THIN: char = '\u{202f}';
/// What a suppressed or missing cell shows, as in SCB's and Kolada's tables.
pub const SUPPRESSED: &str = "..";

/// `1234.56` with one decimal → "1 234,6" (thin space, decimal comma).
pub fn sv_number(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return SUPPRESSED.into();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let mut out = String::new();
    if v < 0.0 && s.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        out.push('−');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(THIN);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

pub fn sv_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| SUPPRESSED.into(), |v| sv_number(v, decimals))
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_numbers() {
        assert_eq!(sv_number(1234.56, 1), format!("1{THIN}234,6"));
        assert_eq!(sv_number(34.0, 1), "34,0");
        assert_eq!(sv_number(-2.5, 1), "−2,5");
        assert_eq!(sv_number(-0.01, 1), "0,0");
        assert_eq!(sv_number(1_000_000.0, 0), format!("1{THIN}000{THIN}000"));
        assert_eq!(sv_number(f64::NAN, 1), SUPPRESSED);
        assert_eq!(sv_opt(None, 1), SUPPRESSED);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">Å & Ö</a>"),
            "&lt;a href=&quot;x&quot;&gt;Å &amp; Ö&lt;/a&gt;"
        );
    }
}
