//! A fast, non-cryptographic hasher for the per-line lookups (field names, hosts, users), where
//! std's SipHash, built to resist flooding, costs more than the parsing it serves. Inputs are
//! the caller's own logs and the maps are rebuilt per chunk, so flooding is not a concern.

use std::hash::{BuildHasherDefault, Hasher};

/// The FxHash of rustc and Firefox: multiply-rotate per word.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// Fx alone leaves the low bits, which pick the bucket, depending on few input bits: keys
    /// that differ only in their last bytes ("sol0004", "sol0005") would share buckets. A
    /// murmur3 finaliser spreads every input bit over the whole word.
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// hashbrown's map rather than std's for `entry_ref`: a lookup by `&str` that allocates the
/// key only when it is new, in one probe.
pub type FxMap<K, V> = hashbrown::HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn similar_keys_spread_over_buckets() {
        let b = BuildHasherDefault::<FxHasher>::default();
        let mut low: Vec<u64> = (0..1000)
            .map(|i| b.hash_one(format!("sol{i:04}")) & 1023)
            .collect();
        low.sort();
        low.dedup();
        assert!(low.len() > 550, "{} distinct buckets of 1024", low.len());
    }
}
