//! NDJSON: one JSON object per line, fields found by name (nested with dots: `user.name`).
//!
//! The object is walked once with serde and only the wanted fields are kept, borrowed from the
//! line when they need no unescaping; everything else is skipped without being built.

use friktion_core::quarantine::Rejection;
use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use crate::event::{RawEvent, severity_of_level, url_path};
use crate::fxhash::FxMap;
use crate::mapping::{Field, FieldMap, LatencyUnit};
use crate::time;

/// A JSON value we keep: scalars only.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Other,
}

impl<'a> Scalar<'a> {
    fn text(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Str(s) if !s.is_empty() && s != "-" => Some(s),
            Scalar::Int(i) => Some(Cow::Owned(i.to_string())),
            Scalar::Float(f) => Some(Cow::Owned(f.to_string())),
            Scalar::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
            _ => None,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) => Some(*f),
            Scalar::Str(s) => s.trim().replace(',', ".").parse().ok(),
            _ => None,
        }
    }
}

/// What a dotted path is to the selector: a field to fill (with its priority among the
/// field's candidates), an object to descend into, or both.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub(super) fill: Option<(Field, u16, LatencyUnit)>,
    pub(super) prefix: bool,
}

const FIELDS: usize = 13;

fn field_index(f: Field) -> usize {
    match f {
        Field::Ts => 0,
        Field::Host => 1,
        Field::App => 2,
        Field::User => 3,
        Field::Session => 4,
        Field::Path => 5,
        Field::Method => 6,
        Field::Status => 7,
        Field::Latency => 8,
        Field::Message => 9,
        Field::Level => 10,
        Field::Event => 11,
        Field::Kommun => 12,
    }
}

/// Per field: the best candidate found so far (lowest priority number wins).
pub(super) type Found<'a> = [Option<(u16, Scalar<'a>, LatencyUnit)>; FIELDS];

/// The paths to look for, compiled from a field map.
pub struct Selector {
    entries: FxMap<String, Entry>,
}

impl Selector {
    pub fn new(map: &FieldMap) -> Self {
        let mut entries: FxMap<String, Entry> = FxMap::default();
        let mut prio = [0u16; FIELDS];
        for (field, path, unit) in map.candidates() {
            let p = &mut prio[field_index(field)];
            let e = entries.entry(path.to_string()).or_insert(Entry {
                fill: None,
                prefix: false,
            });
            if e.fill.is_none() {
                e.fill = Some((field, *p, unit));
            }
            *p += 1;
            let mut rest = path;
            while let Some((head, _)) = rest.rsplit_once('.') {
                entries
                    .entry(head.to_string())
                    .or_insert(Entry {
                        fill: None,
                        prefix: true,
                    })
                    .prefix = true;
                rest = head;
            }
        }
        Self { entries }
    }

    /// Parses one line. Err is the reason to quarantine it.
    pub fn parse<'a>(&self, line: &'a str) -> Result<RawEvent<'a>, Rejection> {
        let found = match super::ndjson_scan::walk(self, line) {
            Some(found) => found,
            None => self.walk_serde(line)?,
        };
        let mut ev = RawEvent::default();
        for (i, slot) in found.into_iter().enumerate() {
            let Some((_, v, unit)) = slot else { continue };
            assign(&mut ev, ORDER[i], unit, v)?;
        }
        // Serilog's compact JSON (CLEF) writes the template and the properties, not the
        // message: render it, as Seq would show it.
        // The message is short and rarely holds a brace: test it before searching the line.
        if let Some(m) = ev.message.as_deref().filter(|m| m.contains('{')) {
            if line.contains("\"@mt\"") && !line.contains("\"@m\"") {
                ev.message = Some(Cow::Owned(render_template(m, line)));
            }
        }
        ev.user_from_message();
        Ok(ev)
    }
}

impl Selector {
    /// The wanted fields of `line` by serde's walk, which reads any JSON.
    pub(super) fn walk_serde<'a>(&self, line: &'a str) -> Result<Found<'a>, Rejection> {
        let mut found: Found<'a> = Default::default();
        let mut de = serde_json::Deserializer::from_str(line);
        ObjSeed {
            sel: self,
            prefix: "",
            out: &mut found,
        }
        .deserialize(&mut de)
        .map_err(|e| format!("not a JSON object: {e}"))?;
        de.end()
            .map_err(|e| format!("text after the JSON object: {e}"))?;
        Ok(found)
    }

    /// What a dotted path below the top level is to the selector.
    pub(super) fn entry(&self, path: &str) -> Option<Entry> {
        self.entries.get(path).copied()
    }
}

/// A Serilog message template with the event's properties put in: `{UserId}` → `"anna"`
/// (strings quoted, as Serilog renders them, unless formatted `:l`), `{{` → `{`; a property the
/// event lacks stays as its hole.
pub fn render_template(template: &str, line: &str) -> String {
    let props: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).unwrap_or_default();
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let Some(close) = tail.find('}').filter(|_| tail.starts_with('{')) else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        };
        let hole = &tail[1..close];
        let name = hole.trim_start_matches(['@', '$']);
        let (name, format) = match name.split_once(':') {
            Some((n, f)) => (n, f),
            None => (name, ""),
        };
        let name = name.split(',').next().unwrap_or(name);
        match props.get(name) {
            Some(serde_json::Value::String(v)) if format.contains('l') => out.push_str(v),
            Some(serde_json::Value::String(v)) => {
                out.push('"');
                out.push_str(v);
                out.push('"');
            }
            Some(v) => out.push_str(&v.to_string()),
            None => out.push_str(&tail[..=close]),
        }
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    out
}

thread_local! {
    /// The top-level keys of the last line this thread parsed, by position, with what each
    /// is: a producer writes the same keys in the same order line after line, so comparing a
    /// key with the one at its position last time is usually enough, with no hashing.
    static LAST_KEYS: std::cell::RefCell<(usize, Vec<(Box<str>, Option<Entry>)>)> =
        const { std::cell::RefCell::new((0, Vec::new())) };
}

impl Selector {
    pub(super) fn top_level(&self, position: usize, key: &str) -> Option<Entry> {
        LAST_KEYS.with(|cell| {
            let mut cell = cell.borrow_mut();
            let (owner, keys) = &mut *cell;
            let me = self as *const Selector as usize;
            if *owner != me {
                *owner = me;
                keys.clear();
            }
            if let Some((k, e)) = keys.get(position) {
                if **k == *key {
                    return *e;
                }
            }
            let e = self.entries.get(key).copied();
            if position < keys.len() {
                keys[position] = (key.into(), e);
            } else if position == keys.len() && position < 64 {
                keys.push((key.into(), e));
            }
            e
        })
    }
}

const ORDER: [Field; FIELDS] = [
    Field::Ts,
    Field::Host,
    Field::App,
    Field::User,
    Field::Session,
    Field::Path,
    Field::Method,
    Field::Status,
    Field::Latency,
    Field::Message,
    Field::Level,
    Field::Event,
    Field::Kommun,
];

fn assign<'a>(
    ev: &mut RawEvent<'a>,
    field: Field,
    unit: LatencyUnit,
    v: Scalar<'a>,
) -> Result<(), Rejection> {
    match field {
        Field::Ts => {
            ev.ts = match &v {
                Scalar::Str(s) => time::parse_any(s),
                _ => v.number().and_then(time::parse_epoch).map(time::Stamp::Utc),
            };
            if ev.ts.is_none() && !matches!(v, Scalar::Null) {
                return Err(Rejection::from(format!(
                    "timestamp {v:?} is not a time friktion reads"
                )));
            }
        }
        Field::Host => ev.host = v.text(),
        Field::App => ev.app = v.text(),
        Field::User => ev.user = v.text(),
        Field::Session => ev.session = v.text(),
        Field::Path => {
            ev.path = v.text().map(|p| match p {
                Cow::Borrowed(b) => Cow::Borrowed(url_path(b)),
                Cow::Owned(o) => Cow::Owned(url_path(&o).to_string()),
            })
        }
        Field::Method => ev.method = v.text(),
        Field::Status => ev.status = v.number().filter(|n| n.fract() == 0.0).map(|n| n as i32),
        Field::Latency => ev.latency_ms = v.number().map(|n| unit.to_ms(n)),
        Field::Message => ev.message = v.text(),
        Field::Level => {
            ev.severity = match &v {
                Scalar::Int(i) if (0..=7).contains(i) => Some(*i as u8),
                _ => v.text().and_then(|l| severity_of_level(&l)),
            }
        }
        Field::Event => ev.event = v.text(),
        Field::Kommun => ev.kommun_kod = v.text(),
    }
    Ok(())
}

impl<'a> Selector {
    /// Keeps `v` for its field if no better-placed candidate was found yet.
    pub(super) fn keep(found: &mut Found<'a>, fill: (Field, u16, LatencyUnit), v: Scalar<'a>) {
        let (field, prio, unit) = fill;
        let slot = &mut found[field_index(field)];
        // A null or empty value does not hide a later candidate that has one.
        let empty = matches!(&v, Scalar::Null | Scalar::Other)
            || matches!(&v, Scalar::Str(s) if s.is_empty() || s == "-");
        if empty {
            return;
        }
        if slot.as_ref().is_none_or(|(p, _, _)| prio < *p) {
            *slot = Some((prio, v, unit));
        }
    }
}

struct ObjSeed<'s, 'o, 'a> {
    sel: &'s Selector,
    prefix: &'s str,
    out: &'o mut Found<'a>,
}

impl<'de, 's, 'o> DeserializeSeed<'de> for ObjSeed<'s, 'o, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 's, 'o> Visitor<'de> for ObjSeed<'s, 'o, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut position = 0;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let full: Cow<str> = if self.prefix.is_empty() {
                Cow::Borrowed(&key)
            } else {
                Cow::Owned(format!("{}.{}", self.prefix, key))
            };
            let entry = if self.prefix.is_empty() {
                self.sel.top_level(position, &full)
            } else {
                self.sel.entries.get(full.as_ref()).copied()
            };
            position += 1;
            match entry {
                Some(Entry { prefix: true, fill }) => {
                    // `event` may be a string here and an object with `event.duration` there.
                    map.next_value_seed(MaybeObj {
                        obj: ObjSeed {
                            sel: self.sel,
                            prefix: &full,
                            out: &mut *self.out,
                        },
                        fill,
                    })?;
                }
                Some(Entry {
                    fill: Some(fill), ..
                }) => {
                    let v = map.next_value::<ScalarSeed>()?;
                    Selector::keep(self.out, fill, v.0);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A value that may be an object to descend into, or a scalar for `slot` if there is one.
struct MaybeObj<'s, 'o, 'a> {
    obj: ObjSeed<'s, 'o, 'a>,
    fill: Option<(Field, u16, LatencyUnit)>,
}

impl<'de> MaybeObj<'_, '_, 'de> {
    fn keep<E>(self, v: Scalar<'de>) -> Result<(), E> {
        if let Some(f) = self.fill {
            Selector::keep(self.obj.out, f, v);
        }
        Ok(())
    }
}

impl<'de, 's, 'o> DeserializeSeed<'de> for MaybeObj<'s, 'o, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 's, 'o> Visitor<'de> for MaybeObj<'s, 'o, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.obj.visit_map(map)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.keep(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.keep(Scalar::Str(Cow::Owned(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.keep(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.keep(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.keep(Scalar::Float(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.keep(Scalar::Bool(v))
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.keep(Scalar::Null)
    }
}

struct ScalarSeed<'a>(Scalar<'a>);

impl<'de> de::Deserialize<'de> for ScalarSeed<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor).map(ScalarSeed)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    /// The journal writes a field that is not valid UTF-8 (or holds control characters) as an
    /// array of its bytes: read as text. Any other array is skipped.
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        let mut bytes = Vec::new();
        let mut all_bytes = true;
        while let Some(v) = seq.next_element::<ScalarSeed>()? {
            match v.0 {
                Scalar::Int(b @ 0..=255) if all_bytes => bytes.push(b as u8),
                _ => all_bytes = false,
            }
        }
        Ok(if all_bytes && !bytes.is_empty() {
            Scalar::Str(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()))
        } else {
            Scalar::Other
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_nested_fields() {
        let sel = Selector::new(&FieldMap::default());
        let ev = sel
            .parse(r#"{"@timestamp":"2026-10-26T07:06:45.000+01:00","user":{"name":"anna","id":7},"http":{"response":{"status_code":504}},"event":{"duration":2500000000},"url":{"path":"/lifecare/x?pnr=1"},"message":"a \"quoted\" text","extra":[1,{"a":2}]}"#)
            .unwrap();
        assert!(ev.ts.is_some());
        assert_eq!(ev.user.as_deref(), Some("anna"));
        assert_eq!(ev.status, Some(504));
        assert_eq!(ev.latency_ms, Some(2500.0));
        assert_eq!(ev.path.as_deref(), Some("/lifecare/x"));
        assert_eq!(ev.message.as_deref(), Some("a \"quoted\" text"));
    }

    #[test]
    fn bad_json_and_bad_time_are_reasons() {
        let sel = Selector::new(&FieldMap::default());
        assert!(sel.parse("{\"a\":").unwrap_err().contains("JSON"));
        assert!(sel.parse("[1,2]").is_err());
        assert!(
            sel.parse("{\"ts\":\"igår\"}")
                .unwrap_err()
                .contains("timestamp")
        );
        assert!(sel.parse("{} x").unwrap_err().contains("after"));
    }
}
