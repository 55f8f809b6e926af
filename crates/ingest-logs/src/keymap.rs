//! Per-event caches whose short keys live in the map's own slot, so that a hit compares words
//! already in cache instead of following a pointer to the key's heap allocation.
//!
//! The NDJSON profile put 12 % of all samples on key compares of hits in the workers' caches
//! (users, sessions, kommuner, hosts): each read a heap `String` that the slot only points to
//! (benches/RESULTS.md, eighth session).

use std::hash::{Hash, Hasher};

use crate::fxhash::FxMap;

/// Parts of a key are joined by a byte that UTF-8 never holds, so ("ab", "c") and ("a", "bc")
/// stay different keys.
const SEP: u8 = 0xFF;

/// A key of at most `8 * W - 1` bytes, zero-padded in `W` words; the last byte holds the
/// length, so that "a" and "a\0" differ.
#[derive(Clone, Copy, Debug, Eq)]
pub struct Inline<const W: usize> {
    words: [u64; W],
}

/// Word by word, without branches: the derived comparison of an array calls `memcmp`.
impl<const W: usize> PartialEq for Inline<W> {
    fn eq(&self, o: &Self) -> bool {
        self.words
            .iter()
            .zip(&o.words)
            .fold(0, |d, (a, b)| d | (a ^ b))
            == 0
    }
}

impl<const W: usize> Inline<W> {
    pub const CAPACITY: usize = 8 * W - 1;

    /// The parts joined by [`SEP`], or None when they are longer than [`Self::CAPACITY`].
    pub fn new(parts: &[&[u8]]) -> Option<Self> {
        let len = parts.iter().map(|p| p.len()).sum::<usize>() + parts.len().saturating_sub(1);
        if len > Self::CAPACITY {
            return None;
        }
        let mut words = [0u64; W];
        let mut at = 0;
        let mut put = |b: u8| {
            words[at / 8] |= (b as u64) << (8 * (at % 8));
            at += 1;
        };
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                put(SEP);
            }
            p.iter().for_each(|&b| put(b));
        }
        words[W - 1] |= (len as u64) << 56;
        Some(Self { words })
    }
}

impl<const W: usize> Hash for Inline<W> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // One word per round, with no length prefix: the length is in the last word.
        for w in self.words {
            state.write_u64(w);
        }
    }
}

/// A map from keys given in parts to `V`: keys that fit in `W` words inline, longer ones on
/// the heap.
pub struct KeyMap<const W: usize, V> {
    inline: FxMap<Inline<W>, V>,
    long: FxMap<Vec<u8>, V>,
    scratch: Vec<u8>,
}

impl<const W: usize, V> Default for KeyMap<W, V> {
    fn default() -> Self {
        Self {
            inline: FxMap::default(),
            long: FxMap::default(),
            scratch: Vec::new(),
        }
    }
}

impl<const W: usize, V> KeyMap<W, V> {
    /// The value of the key made of `parts`, computed by `make` when the key is new.
    pub fn get_or_insert_with(&mut self, parts: &[&[u8]], make: impl FnOnce() -> V) -> &mut V {
        if let Some(k) = Inline::<W>::new(parts) {
            return self.inline.entry(k).or_insert_with(make);
        }
        self.scratch.clear();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                self.scratch.push(SEP);
            }
            self.scratch.extend_from_slice(p);
        }
        self.long
            .entry_ref(self.scratch.as_slice())
            .or_insert_with(make)
    }

    pub fn len(&self) -> usize {
        self.inline.len() + self.long.len()
    }

    pub fn clear(&mut self) {
        self.inline.clear();
        self.long.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_every_byte_their_length_and_where_their_parts_split() {
        let k = |parts: &[&str]| {
            let b: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
            Inline::<3>::new(&b)
        };
        assert_eq!(k(&["anna"]), k(&["anna"]));
        assert_ne!(k(&["anna"]), k(&["anne"]));
        assert_ne!(k(&["a"]), k(&["a\0"]));
        assert_ne!(k(&[""]), k(&["\0"]));
        assert_ne!(k(&["ab", "c"]), k(&["a", "bc"]));
        assert_ne!(k(&["ab", ""]), k(&["ab"]));
        assert!(k(&["x".repeat(23).as_str()]).is_some());
        assert!(k(&["x".repeat(24).as_str()]).is_none());
        assert!(k(&["x".repeat(11).as_str(), "y".repeat(11).as_str()]).is_some());
        assert!(k(&["x".repeat(12).as_str(), "y".repeat(11).as_str()]).is_none());
    }

    #[test]
    fn short_and_long_keys_each_keep_their_own_value() {
        let mut m: KeyMap<2, usize> = KeyMap::default();
        let long = "l".repeat(40);
        let mut made = 0;
        for round in 0..2 {
            for (i, key) in ["a", "b", long.as_str(), &long[..39]].iter().enumerate() {
                let v = *m.get_or_insert_with(&[key.as_bytes(), b"app"], || {
                    made += 1;
                    i
                });
                assert_eq!(v, i, "round {round}, key {key}");
            }
        }
        assert_eq!((made, m.len()), (4, 4));
        // The same bytes split differently are another key, in either store.
        assert_eq!(*m.get_or_insert_with(&[b"a", b""], || 9), 9);
        assert_eq!(*m.get_or_insert_with(&[long.as_bytes()], || 8), 8);
        m.clear();
        assert_eq!(m.len(), 0);
    }
}
