//! Redaction of personnummer, samordningsnummer and e-mail addresses from free text.
//!
//! Errs towards redacting: a ten- or twelve-digit number shaped like a personnummer is removed
//! whether or not its check digit is right, since a typo'd personnummer is still personal data.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

pub const PERSONNUMMER_MARK: &str = "[personnummer]";
pub const EMAIL_MARK: &str = "[e-post]";

static PERSONNUMMER: LazyLock<Regex> = LazyLock::new(|| {
    // (century)? YY MM DD, day +60 for samordningsnummer, separator -, + (100+) or none/space.
    Regex::new(
        r"(?:19|20)?[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01])[-+\s]?[0-9]{4}",
    )
    .expect("valid regex")
});

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
        .expect("valid regex")
});

/// Byte ranges of personnummer-shaped numbers that are not part of a longer run of digits.
fn personnummer_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(m) = PERSONNUMMER.find_at(text, at) {
        let digit_before = m.start() > 0 && bytes[m.start() - 1].is_ascii_digit();
        let digit_after = bytes.get(m.end()).is_some_and(u8::is_ascii_digit);
        if digit_before || digit_after {
            // Inside a longer number: try the next start, a shorter match may still fit.
            at = m.start() + 1;
        } else {
            spans.push((m.start(), m.end()));
            at = m.end();
        }
    }
    spans
}

/// Returns the text with every personnummer and e-mail address replaced by a marker.
pub fn redact(text: &str) -> Cow<'_, str> {
    // Most text has neither: a personnummer needs ten digits and an address an '@'. This
    // check is far cheaper than the regexes, and logs call this once per event.
    if !text.contains('@') && text.bytes().filter(u8::is_ascii_digit).count() < 10 {
        return Cow::Borrowed(text);
    }
    let has_email = EMAIL.is_match(text);
    let spans = personnummer_spans(text);
    if !has_email && spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (s, e) in spans {
        out.push_str(&text[last..s]);
        out.push_str(PERSONNUMMER_MARK);
        last = e;
    }
    out.push_str(&text[last..]);
    if has_email {
        out = EMAIL.replace_all(&out, EMAIL_MARK).into_owned();
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personnummer_in_every_written_form_is_removed() {
        for pnr in [
            "198012241234",
            "19801224-1234",
            "801224-1234",
            "8012241234",
            "121212+1212",
            "801284-1234", // samordningsnummer (day + 60)
        ] {
            let text = format!("Ring mig, {pnr}, tack");
            let r = redact(&text);
            assert!(!r.contains(pnr), "{pnr} survived in {r}");
            assert_eq!(r, format!("Ring mig, {PERSONNUMMER_MARK}, tack"));
        }
    }

    #[test]
    fn adjacent_personnummer_are_both_removed() {
        let r = redact("801224-1234 801225-4321");
        assert!(!r.contains("1234") && !r.contains("4321"), "{r}");
    }

    #[test]
    fn email_is_removed() {
        let r = redact("Mejla anna.andersson@goteborg.se eller a+b@x.kommun.se.");
        assert_eq!(r, format!("Mejla {EMAIL_MARK} eller {EMAIL_MARK}."));
    }

    #[test]
    fn ordinary_numbers_and_text_are_kept() {
        for t in [
            "Systemet låg nere 45 minuter",
            "Ärende 2023-0412",
            "tel 031-123 45 67",
            "år 2019",
        ] {
            assert_eq!(redact(t), t);
            assert!(matches!(redact(t), Cow::Borrowed(_)));
        }
    }
}
