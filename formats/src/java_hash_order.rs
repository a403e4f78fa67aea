//! The iteration order of a `java.util.HashMap`, which is the order Confluent's AvroData writes a
//! Connect map in (it converts maps into `HashMap`s both ways), the order JsonSchemaData reads an
//! object schema's properties in (everit keeps them in a `HashMap`), and the order JsonConverter
//! writes a map it read (`[[k, v], …]` pairs are `put` into a `HashMap`), so weir's bytes and field
//! orders match Kafka's and Confluent's.
//!
//! A HashMap spreads a key's `hashCode()` as `h ^ (h >>> 16)`, keeps a power-of-two table (16
//! buckets, or the initial capacity it was made with rounded up to a power of two) doubled while
//! the size exceeds 3/4 of it, and iterates bucket by bucket, each
//! bucket in insertion order (resizing keeps that order). A key inserted twice keeps its first
//! place and takes the last value. Cost: one hash per key and a sort of the entry indexes.

use std::collections::HashMap;

use crate::value::Value;

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
/// Cost: as [`java_key_order`], plus hashing each key's UTF-16 units.
pub fn hash_map_order(keys: &[&str]) -> Vec<usize> {
    hash_map_order_sized(keys, DEFAULT_CAPACITY)
}

/// [`hash_map_order`] for a `new HashMap<>(initial_capacity)` (Kafka's ValueToKey makes its key
/// map so): the table starts at `initial_capacity` rounded up to a power of two, not at 16.
pub fn hash_map_order_sized(keys: &[&str], initial_capacity: usize) -> Vec<usize> {
    let keys: Vec<JavaKey<'_>> = keys
        .iter()
        .map(|k| JavaKey {
            hash: java_string_hash(k),
            identity: Identity::Text(k),
        })
        .collect();
    key_order(&keys, initial_capacity)
}

/// The table size of `new HashMap<>()`.
const DEFAULT_CAPACITY: usize = 16;

/// The largest table a HashMap makes (`MAXIMUM_CAPACITY`).
const MAXIMUM_CAPACITY: usize = 1 << 30;

/// [`hash_map_order`] for keys given as [`JavaKey`]s. Cost: one hash-map probe per key and a sort
/// of the distinct keys' indexes (linear when they already come in order).
pub fn java_key_order(keys: &[JavaKey<'_>]) -> Vec<usize> {
    key_order(keys, DEFAULT_CAPACITY)
}

/// [`java_key_order`] for a HashMap made with `initial_capacity`.
fn key_order(keys: &[JavaKey<'_>], initial_capacity: usize) -> Vec<usize> {
    let mut distinct: Vec<(usize, usize)> = Vec::with_capacity(keys.len());
    let mut slot_of: HashMap<&JavaKey<'_>, usize> = HashMap::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        match slot_of.get(k) {
            Some(&slot) => distinct[slot].1 = i,
            None => {
                slot_of.insert(k, distinct.len());
                distinct.push((i, i));
            }
        }
    }
    bucket_order(distinct, |first| keys[first].hash, initial_capacity)
}

/// A Connect map's entries (keys with values of any type `V`) as a Java `HashMap` holding them
/// iterates: one entry per key, with the
/// last value, in [`java_key_order`]. Keys without a [`JavaKey`] (`byte[]`, lists, maps, structs)
/// are told apart by `equals` one by one and stay in insertion order (Java's order for them
/// rests on identity hashes or is not reproduced). Cost: linear with [`JavaKey`]s, quadratic
/// without.
pub fn java_hash_map<V>(
    entries: Vec<(Value, V)>,
    equals: impl Fn(&Value, &Value) -> bool,
) -> Vec<(Value, V)> {
    let keys: Option<Vec<JavaKey<'_>>> = entries.iter().map(|(k, _)| java_key(k)).collect();
    let order = match keys {
        Some(keys) => java_key_order(&keys),
        None => {
            let mut distinct: Vec<(usize, usize)> = Vec::with_capacity(entries.len());
            for (i, (k, _)) in entries.iter().enumerate() {
                match distinct
                    .iter_mut()
                    .find(|(first, _)| equals(&entries[*first].0, k))
                {
                    Some(slot) => slot.1 = i,
                    None => distinct.push((i, i)),
                }
            }
            bucket_order(distinct, |_| 0, DEFAULT_CAPACITY)
        }
    };
    let mut slots: Vec<Option<(Value, V)>> = entries.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// Orders distinct keys, given as (first index, last index) in insertion order, as the HashMap
/// holding them iterates; yields each key's last index. `hash` is the `hashCode()` of the key
/// first seen at an index; the map was made with `initial_capacity` (`tableSizeFor`, then
/// `resize()` while the size exceeds the threshold of 3/4).
fn bucket_order(
    distinct: Vec<(usize, usize)>,
    hash: impl Fn(usize) -> i32,
    initial_capacity: usize,
) -> Vec<usize> {
    let mut capacity = initial_capacity
        .max(1)
        .next_power_of_two()
        .min(MAXIMUM_CAPACITY);
    while distinct.len() * 4 > capacity * 3 && capacity < MAXIMUM_CAPACITY {
        capacity *= 2;
    }
    let bucket = |first: usize| {
        let h = hash(first) as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut order: Vec<(usize, usize, usize)> = distinct
        .into_iter()
        .map(|(first, last)| (bucket(first), first, last))
        .collect();
    order.sort_by_key(|&(b, first, _)| (b, first));
    order.into_iter().map(|(_, _, last)| last).collect()
}

/// A Connect map key as a Java `HashMap` sees it: its `hashCode()`, and what its `equals`
/// compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JavaKey<'a> {
    /// Java's `hashCode()` of the key.
    pub hash: i32,
    identity: Identity<'a>,
}

/// What `equals` compares: the Java class (a variant tag) and the value's bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Identity<'a> {
    Number(u8, i128, i32),
    Text(&'a str),
}

/// The [`JavaKey`] of a key of a Connect map, for the classes whose `hashCode()` and `equals` are
/// their value's (numbers, booleans, strings, `Date`, `BigDecimal`); `None` for `byte[]` (identity
/// hash), lists, maps and structs. Floats compare as `Float.equals` does: bit patterns, every NaN
/// equal. Cost: O(1), a string's hash O(length).
pub fn java_key(key: &Value) -> Option<JavaKey<'_>> {
    let long_hash = |v: i64| (v ^ ((v as u64) >> 32) as i64) as i32;
    let number = |tag: u8, bits: i128, hash: i32| JavaKey {
        hash,
        identity: Identity::Number(tag, bits, 0),
    };
    Some(match key {
        Value::Int8(v) => number(0, i128::from(*v), i32::from(*v)),
        Value::Int16(v) => number(1, i128::from(*v), i32::from(*v)),
        Value::Int32(v) => number(2, i128::from(*v), *v),
        Value::Int64(v) => number(3, i128::from(*v), long_hash(*v)),
        Value::Float32(v) => {
            let bits = if v.is_nan() { 0x7fc0_0000 } else { v.to_bits() };
            number(4, i128::from(bits), bits as i32)
        }
        Value::Float64(v) => {
            let bits = if v.is_nan() {
                0x7ff8_0000_0000_0000
            } else {
                v.to_bits()
            };
            number(5, i128::from(bits), long_hash(bits as i64))
        }
        Value::Boolean(v) => number(6, i128::from(*v), if *v { 1231 } else { 1237 }),
        Value::Date(ms) => number(7, i128::from(*ms), long_hash(*ms)),
        Value::Decimal(d) => {
            // BigDecimal: 31 * unscaled.hashCode() + scale; BigInteger folds its magnitude's
            // 32-bit words (most significant first) by 31 and takes the sign.
            let magnitude = d.unscaled.unsigned_abs();
            let folded = (0..4).rev().fold(0i32, |h, word| {
                h.wrapping_mul(31)
                    .wrapping_add((magnitude >> (32 * word)) as u32 as i32)
            });
            let signed = if d.unscaled < 0 {
                folded.wrapping_neg()
            } else {
                folded
            };
            JavaKey {
                hash: signed.wrapping_mul(31).wrapping_add(d.scale),
                identity: Identity::Number(8, d.unscaled, d.scale),
            }
        }
        Value::String(s) => JavaKey {
            hash: java_string_hash(s),
            identity: Identity::Text(s),
        },
        _ => return None,
    })
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

    #[test]
    fn a_sized_map_starts_at_its_capacity() {
        // "a" (97) and "q" (113) share bucket 1 of 16 but not of 64.
        assert_eq!(hash_map_order(&["q", "a"]), vec![0, 1]);
        assert_eq!(hash_map_order_sized(&["q", "a"], 40), vec![1, 0]);
        // "a" and "b" (98) fill a table of 2 past its threshold (1): it grows to 4, where 97
        // and 98 land in buckets 1 and 2.
        assert_eq!(hash_map_order_sized(&["b", "a"], 2), vec![1, 0]);
        // Below 16 buckets the order differs from a default map's: "a" (bucket 1 of 4) comes
        // before "c" (99, bucket 3 of 4), and "e" (101) lands in bucket 1 of 4 after "a".
        assert_eq!(hash_map_order_sized(&["e", "c", "a"], 3), vec![0, 2, 1]);
        assert_eq!(hash_map_order(&["e", "c", "a"]), vec![2, 1, 0]);
        assert_eq!(hash_map_order_sized(&["id", "name"], 2), vec![1, 0]);
    }

    #[test]
    fn java_keys_hash_and_compare_as_java() {
        let hash = |v: Value| java_key(&v).unwrap().hash;
        assert_eq!(hash(Value::Int8(-1)), -1);
        assert_eq!(hash(Value::Int64(-1)), 0);
        assert_eq!(hash(Value::Int64(1 << 32)), 1);
        assert_eq!(hash(Value::Float32(1.0)), 1_065_353_216);
        assert_eq!(hash(Value::Float64(1.0)), 1_072_693_248);
        assert_eq!(hash(Value::Boolean(true)), 1231);
        assert_eq!(hash(Value::Date(1_700_000_000_000)), -807_048_821);
        // From jshell: new BigDecimal("1.5").hashCode(), of -12345678901234567890 and of
        // new BigDecimal(-(2^127 - 1), 3).
        let decimal = |unscaled, scale| Value::Decimal(crate::value::Decimal { unscaled, scale });
        assert_eq!(hash(decimal(15, 1)), 466);
        assert_eq!(hash(decimal(-12_345_678_901_234_567_890, 0)), 1_584_216_582);
        assert_eq!(hash(decimal(-i128::MAX, 3)), -2_146_529_341);
        assert_eq!(hash(Value::String("a".into())), 97);
        let nan = Value::Float64(f64::NAN);
        assert_eq!(java_key(&nan), java_key(&Value::Float64(-f64::NAN)));
        assert_ne!(
            java_key(&Value::Float64(0.0)),
            java_key(&Value::Float64(-0.0))
        );
        assert_ne!(java_key(&Value::Int32(1)), java_key(&Value::Int64(1)));
        assert!(java_key(&Value::Bytes(vec![1])).is_none());
    }

    #[test]
    fn java_key_order_keeps_one_entry_per_key_at_its_first_place() {
        let keys: Vec<Value> = [3, 1, 3, 2, 1].into_iter().map(Value::Int32).collect();
        let keys: Vec<JavaKey<'_>> = keys.iter().map(|k| java_key(k).unwrap()).collect();
        // Buckets 1, 2, 3: the last index of each key.
        assert_eq!(java_key_order(&keys), vec![4, 3, 2]);
        let texts = ["none", "some", "none"];
        let keys: Vec<Value> = texts.iter().map(|t| Value::String(t.to_string())).collect();
        let keys: Vec<JavaKey<'_>> = keys.iter().map(|k| java_key(k).unwrap()).collect();
        assert_eq!(java_key_order(&keys), hash_map_order(&texts));
    }
}
