//! Errors as text, for the places where text outlives the error.

/// An error and its causes, each said once, joined by ": ". Messages name what failed and leave
/// the cause to `source()`; where an older message still repeats its cause, the repeat is left
/// out. For a quarantine reason, a failed source's line in the summary, the CLI's last word.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() && !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        cause = c.source();
    }
    msg
}
