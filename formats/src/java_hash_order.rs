//! The iteration order of a `java.util.HashMap` with `String` keys, which is the order Confluent's
//! AvroData writes a Connect map in (it converts maps into `HashMap`s both ways) and the order
//! JsonSchemaData reads an object schema's properties in (everit keeps them in a `HashMap`), so
//! weir's bytes and field orders match Confluent's.
//!
//! A HashMap spreads `String.hashCode()` (31-polynomial over UTF-16 units) as `h ^ (h >>> 16)`,
//! keeps a power-of-two table of at least 16 buckets grown while the size exceeds 3/4 of it, and
//! iterates bucket by bucket, each bucket in insertion order (resizing keeps that order). A key
//! inserted twice keeps its first place and takes the last value. Cost: one hash per key and a
//! sort of the entry indexes; maps are small.

/// Java's `String.hashCode()`.
pub fn java_string_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    h
}

/// The order Java's HashMap iterates `keys` in, as indexes into `keys`; of repeated keys only
/// the last index is kept, at the first one's place (`put` replaces the value in place).
pub fn hash_map_order(keys: &[&str]) -> Vec<usize> {
    hash_map_order_by(keys, |k| java_string_hash(k))
}

/// [`hash_map_order`] for keys of any type, given Java's `hashCode()` of a key (`Integer`: the
/// value; `Long`: `(int) (v ^ (v >>> 32))`; `Boolean`: 1231 / 1237).
pub fn hash_map_order_by<K: PartialEq>(keys: &[K], hash: impl Fn(&K) -> i32) -> Vec<usize> {
    let mut distinct: Vec<(usize, usize)> = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        match distinct.iter_mut().find(|(first, _)| keys[*first] == *k) {
            Some(slot) => slot.1 = i,
            None => distinct.push((i, i)),
        }
    }
    let mut capacity = 16usize;
    while distinct.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |k: &K| {
        let h = hash(k) as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut order: Vec<(usize, usize, usize)> = distinct
        .iter()
        .map(|&(first, last)| (bucket(&keys[first]), first, last))
        .collect();
    order.sort_by_key(|&(b, first, _)| (b, first));
    order.into_iter().map(|(_, _, last)| last).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_java() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99162322);
        assert_eq!(java_string_hash("😀"), 1772899);
    }

    #[test]
    fn iterates_by_bucket_then_insertion() {
        // "none" and "some" as Java's HashMap orders them (Confluent wrote "some" first).
        assert_eq!(hash_map_order(&["none", "some"]), vec![1, 0]);
        // Single letters land in buckets by their code point.
        assert_eq!(hash_map_order(&["b", "a"]), vec![1, 0]);
        assert_eq!(hash_map_order(&["a", "b", "a"]), vec![2, 1]);
    }
}
