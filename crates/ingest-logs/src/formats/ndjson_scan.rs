//! A fast path for NDJSON lines: one pass over the bytes, no serde, for the lines it is sure of.
//!
//! Most producers write the same simple shape line after line: strings without escapes,
//! integers, nested objects. Those lines are walked here, about three times faster than through
//! serde. Anything else — an escape, a float, a `-0`, an array where a field is wanted, a
//! malformed line — gives `None` and the line goes to serde, which then decides exactly as
//! before: the fast path never accepts what serde would reject or reads a value differently
//! (`scan_agrees_with_serde` in the tests holds it to that).

use std::borrow::Cow;

use super::ndjson::{Entry, Found, Scalar, Selector};

/// Deeper nesting goes to serde (whose own limit is 128).
const MAX_DEPTH: usize = 32;

/// The fields of `line`, or None to let serde read it.
pub(super) fn walk<'a>(sel: &Selector, line: &'a str) -> Option<Found<'a>> {
    let mut scan = Scan {
        sel,
        src: line,
        b: line.as_bytes(),
        i: 0,
        path: String::new(),
        found: Default::default(),
    };
    scan.ws();
    if scan.peek()? != b'{' {
        return None;
    }
    scan.object(true, 0)?;
    scan.ws();
    (scan.i == scan.b.len()).then_some(scan.found)
}

struct Scan<'s, 'a> {
    sel: &'s Selector,
    src: &'a str,
    b: &'a [u8],
    i: usize,
    /// The dotted path of the object being walked (empty at the top).
    path: String,
    found: Found<'a>,
}

impl<'a> Scan<'_, 'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string at the cursor (its opening quote), borrowed; None on an escape or a control
    /// character (serde unescapes the one and rejects the other).
    fn string(&mut self) -> Option<&'a str> {
        let start = self.i + 1;
        let rest = self.b.get(start..)?;
        // memchr's vector search for the end, then one branch-free pass for control
        // characters, rather than a branch per byte.
        let len = memchr::memchr2(b'"', b'\\', rest)?;
        if rest[len] != b'"' || rest[..len].iter().fold(false, |c, &b| c | (b < 0x20)) {
            return None;
        }
        self.i = start + len + 1;
        // Both ends are ASCII quotes, so these are char boundaries.
        Some(&self.src[start..start + len])
    }

    /// An integer as serde reads it (u64 → i64, a negative as i64); None for a float, `-0`
    /// (serde makes it -0.0), more than 18 digits or a malformed number.
    fn integer(&mut self) -> Option<Scalar<'a>> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = self.i;
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.i += 1;
                }
            }
            _ => return None,
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) || self.i - digits > 18 {
            return None;
        }
        let v: i64 = self.src[start..self.i].parse().ok()?;
        (v != 0 || start == digits).then_some(Scalar::Int(v))
    }

    fn literal(&mut self, word: &[u8], v: Scalar<'a>) -> Option<Scalar<'a>> {
        self.b[self.i..].starts_with(word).then(|| {
            self.i += word.len();
            v
        })
    }

    /// A scalar value at the cursor; None for anything else.
    fn scalar(&mut self) -> Option<Scalar<'a>> {
        match self.peek()? {
            b'"' => self.string().map(|s| Scalar::Str(Cow::Borrowed(s))),
            b'-' | b'0'..=b'9' => self.integer(),
            b't' => self.literal(b"true", Scalar::Bool(true)),
            b'f' => self.literal(b"false", Scalar::Bool(false)),
            b'n' => self.literal(b"null", Scalar::Null),
            _ => None,
        }
    }

    /// The object at the cursor (its `{`), keeping the selector's fields.
    fn object(&mut self, top: bool, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        let mut position = 0;
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.expect(b':')?;
            self.ws();
            let outer = self.path.len();
            let entry = if top {
                self.sel.top_level(position, key)
            } else {
                self.path.push('.');
                self.path.push_str(key);
                self.sel.entry(&self.path)
            };
            // Only an object walked into needs its path: a line of flat fields allocates none.
            if top && entry.is_some_and(|e| e.prefix) {
                self.path.push_str(key);
            }
            position += 1;
            self.value(entry, depth)?;
            self.path.truncate(outer);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The value of a key whose entry is `entry`, as serde's walk treats it.
    fn value(&mut self, entry: Option<Entry>, depth: usize) -> Option<()> {
        match (self.peek()?, entry) {
            (b'{', Some(Entry { prefix: true, .. })) => self.object(false, depth + 1),
            // A wanted field that is an object is no value; anything unwanted is skipped.
            (b'{', _) => self.skip(depth),
            // Arrays where a field is wanted are journald's bytes: serde reads those.
            (b'[', Some(Entry { fill: Some(_), .. })) => None,
            (
                _,
                Some(Entry {
                    fill: Some(fill), ..
                }),
            ) => {
                let v = self.scalar()?;
                Selector::keep(&mut self.found, fill, v);
                Some(())
            }
            _ => self.skip(depth),
        }
    }

    /// Skips any value, checking it as strictly as serde would.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    self.string()?;
                    self.expect(b':')?;
                    self.ws();
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => self.scalar().map(drop),
        }
    }

    /// Any JSON number, floats included (skipped, so serde's rounding does not matter).
    fn skip_number(&mut self) -> Option<()> {
        let digits = |s: &mut Self| {
            let from = s.i;
            while let Some(b'0'..=b'9') = s.peek() {
                s.i += 1;
            }
            (s.i > from).then_some(())
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => digits(self)?,
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            digits(self)?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            digits(self)?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::FieldMap;

    /// Lines the fast path should take, lines it must hand to serde, and lines serde rejects.
    const LINES: &[&str] = &[
        r#"{"@timestamp":"2026-10-30T07:03:33.000+01:00","app":"lifecare","duration_ms":180,"event":"login","host":"lifecare-web01.k1762.example.se","http_status":200,"kommun":"1762","message":"Inloggning lyckades","path":"/lifecare/login","session":"9eb6bddd3df90f28","user":"mun0000"}"#,
        r#"{"@timestamp":"2026-10-26T07:06:45Z","event":{"duration":2500000000,"action":"x"},"user":{"name":"anna","id":7},"http":{"response":{"status_code":504}},"extra":[1,{"a":2},[],{}],"f":-1.5e3,"g":true,"h":null,"url":{"path":"/a?b"}}"#,
        " { \"user\" : \"bo\" ,\t\"http_status\" : 200 , \"message\":\"\" }\r\n ",
        r#"{"user":"a","user":"b","user":null,"user":"-"}"#,
        r#"{"message":"Åsa är här ✓ 😀","user":"åsa","level":3,"severity":"warning"}"#,
        r#"{"level":true,"user":false,"message":null,"status":0,"duration_ms":-12}"#,
        r#"{"duration_ms":12.5}"#,
        r#"{"http_status":-0}"#,
        r#"{"http_status":1e3}"#,
        r#"{"x":01}"#,
        r#"{"message":"a \"quoted\" text"}"#,
        r#"{"user":"a\u00e5"}"#,
        "{\"message\":\"a\tb\"}",
        r#"{"MESSAGE":[104,105],"message":[104,105],"_HOSTNAME":"h"}"#,
        r#"{"event":[1,2],"user":{"name":[1]}}"#,
        r#"{"http_status":12345678901234567890,"duration_ms":-9223372036854775808}"#,
        r#"{"duration_ms":123456789012345678,"x":-1.0E+2,"y":0.5e-7}"#,
        r#"{"user":{"name":{"deep":"x"}},"event":{}}"#,
        r#"{"":"empty key","user":""}"#,
        "{}",
        "{} x",
        r#"{"a":1}}"#,
        r#"{"a":1,}"#,
        r#"{,"a":1}"#,
        r#"{"a" 1}"#,
        r#"{"a":tru}"#,
        r#"{"a":1.}"#,
        r#"{"a":-}"#,
        r#"{"a":1e}"#,
        r#"{"a":.5}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":{"b":1,}}"#,
        r#"{'a':1}"#,
        "[1,2]",
        "\"text\"",
        "",
        "   ",
    ];

    fn deep(levels: usize) -> String {
        format!("{}\"x\"{}", "{\"user\":".repeat(levels), "}".repeat(levels))
    }

    #[test]
    fn scan_agrees_with_serde() {
        let sel = Selector::new(&FieldMap::default());
        let mut lines: Vec<String> = LINES.iter().map(|l| l.to_string()).collect();
        lines.extend([deep(3), deep(40), deep(200)]);
        let (mut checked, mut fast) = (0, 0);
        for line in &lines {
            // Every prefix too: nearly all are malformed, and none may pass the fast path.
            for end in (0..=line.len()).filter(|&e| line.is_char_boundary(e)) {
                let l = &line[..end];
                checked += 1;
                if let Some(found) = walk(&sel, l) {
                    fast += 1;
                    let by_serde = sel.walk_serde(l);
                    assert!(
                        by_serde.is_ok(),
                        "the fast path took a line serde rejects: {l}"
                    );
                    assert_eq!(Some(found), by_serde.ok(), "read differently: {l}");
                }
            }
        }
        assert!(
            checked > 2000 && fast >= 15,
            "{fast} of {checked} on the fast path"
        );
    }

    #[test]
    fn simple_lines_take_the_fast_path_and_others_do_not() {
        let sel = Selector::new(&FieldMap::default());
        for l in &LINES[..6] {
            assert!(walk(&sel, l).is_some(), "{l}");
        }
        // Valid, but for serde: a float, -0, an exponent, escapes, journald's byte arrays,
        // integers past 18 digits.
        for i in [6, 7, 8, 10, 11, 13, 14, 15] {
            assert!(walk(&sel, LINES[i]).is_none(), "{}", LINES[i]);
            assert!(sel.parse(LINES[i]).is_ok(), "{}", LINES[i]);
        }
        // Invalid: a leading zero, a raw tab in a string.
        for i in [9, 12] {
            assert!(walk(&sel, LINES[i]).is_none(), "{}", LINES[i]);
            assert!(sel.parse(LINES[i]).is_err(), "{}", LINES[i]);
        }
        let ev = sel.parse(LINES[1]).unwrap();
        assert_eq!(ev.user.as_deref(), Some("anna"));
        assert_eq!((ev.status, ev.latency_ms), (Some(504), Some(2500.0)));
        assert_eq!(ev.path.as_deref(), Some("/a"));
    }
}
