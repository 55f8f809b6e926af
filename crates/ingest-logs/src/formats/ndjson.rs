//! NDJSON: one JSON object per line, fields found by name (nested with dots: `user.name`).
//!
//! The object is walked once with serde and only the wanted fields are kept, borrowed from the
//! line when they need no unescaping; everything else is skipped without being built.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use crate::event::{RawEvent, severity_of_level, url_path};
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

/// The paths to look for, compiled from a field map.
pub struct Selector {
    /// Full dotted path → slot.
    slots: HashMap<String, usize>,
    /// Every proper prefix of a wanted path (`user` for `user.name`): objects to descend into.
    prefixes: HashMap<String, ()>,
    /// Per slot: which field it fills, and the latency unit where it is a latency.
    fills: Vec<(Field, LatencyUnit)>,
}

impl Selector {
    pub fn new(map: &FieldMap) -> Self {
        let mut slots = HashMap::new();
        let mut prefixes = HashMap::new();
        let mut fills = Vec::new();
        for (field, path, unit) in map.candidates() {
            if slots.contains_key(path) {
                continue;
            }
            slots.insert(path.to_string(), fills.len());
            fills.push((field, unit));
            let mut p = path;
            while let Some((head, _)) = p.rsplit_once('.') {
                prefixes.insert(head.to_string(), ());
                p = head;
            }
        }
        Self {
            slots,
            prefixes,
            fills,
        }
    }

    /// Parses one line. Err is the reason to quarantine it.
    pub fn parse<'a>(&self, line: &'a str) -> Result<RawEvent<'a>, String> {
        let mut found: Vec<Option<Scalar<'a>>> = vec![None; self.fills.len()];
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
        let mut ev = RawEvent::default();
        // Candidates come in priority order per field: the first one present wins.
        for (slot, v) in found.into_iter().enumerate() {
            let Some(v) = v else { continue };
            let (field, unit) = self.fills[slot];
            match field {
                Field::Ts if ev.ts.is_none() => {
                    ev.ts = match &v {
                        Scalar::Str(s) => time::parse_any(s),
                        _ => v.number().and_then(time::parse_epoch).map(time::Stamp::Utc),
                    };
                    if ev.ts.is_none() && !matches!(v, Scalar::Null) {
                        return Err(format!("timestamp {v:?} is not a time friktion reads"));
                    }
                }
                Field::Host if ev.host.is_none() => ev.host = v.text(),
                Field::App if ev.app.is_none() => ev.app = v.text(),
                Field::User if ev.user.is_none() => ev.user = v.text(),
                Field::Session if ev.session.is_none() => ev.session = v.text(),
                Field::Path if ev.path.is_none() => {
                    ev.path = v.text().map(|p| match p {
                        Cow::Borrowed(b) => Cow::Borrowed(url_path(b)),
                        Cow::Owned(o) => Cow::Owned(url_path(&o).to_string()),
                    })
                }
                Field::Method if ev.method.is_none() => ev.method = v.text(),
                Field::Status if ev.status.is_none() => {
                    ev.status = v.number().filter(|n| n.fract() == 0.0).map(|n| n as i32)
                }
                Field::Latency if ev.latency_ms.is_none() => {
                    ev.latency_ms = v.number().map(|n| unit.to_ms(n))
                }
                Field::Message if ev.message.is_none() => ev.message = v.text(),
                Field::Level if ev.severity.is_none() => {
                    ev.severity = match &v {
                        Scalar::Int(i) if (0..=7).contains(i) => Some(*i as u8),
                        _ => v.text().and_then(|l| severity_of_level(&l)),
                    }
                }
                Field::Event if ev.event.is_none() => ev.event = v.text(),
                Field::Kommun if ev.kommun_kod.is_none() => ev.kommun_kod = v.text(),
                _ => {}
            }
        }
        Ok(ev)
    }
}

struct ObjSeed<'s, 'o, 'a> {
    sel: &'s Selector,
    prefix: &'s str,
    out: &'o mut Vec<Option<Scalar<'a>>>,
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
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let full: Cow<str> = if self.prefix.is_empty() {
                Cow::Borrowed(&key)
            } else {
                Cow::Owned(format!("{}.{}", self.prefix, key))
            };
            let slot = self.sel.slots.get(full.as_ref()).copied();
            if self.sel.prefixes.contains_key(full.as_ref()) {
                // `event` may be a string here and an object with `event.duration` there.
                map.next_value_seed(MaybeObj {
                    obj: ObjSeed {
                        sel: self.sel,
                        prefix: &full,
                        out: &mut *self.out,
                    },
                    slot,
                })?;
            } else if let Some(slot) = slot {
                let v = map.next_value::<ScalarSeed>()?;
                self.out[slot] = Some(v.0);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A value that may be an object to descend into, or a scalar for `slot` if there is one.
struct MaybeObj<'s, 'o, 'a> {
    obj: ObjSeed<'s, 'o, 'a>,
    slot: Option<usize>,
}

impl<'de> MaybeObj<'_, '_, 'de> {
    fn keep<E>(self, v: Scalar<'de>) -> Result<(), E> {
        if let Some(s) = self.slot {
            self.obj.out[s] = Some(v);
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
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
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
