//! Java's `Object.hashCode()` of the objects a Connect value holds (the `java` hash of
//! PartitionRouting): `String`'s polynomial over UTF-16 units, the boxed numbers', `Boolean`'s
//! 1231/1237, `BigDecimal`'s, `Date`'s, `List`'s and `HashMap`'s. A `Struct` or `byte[]`
//! hashes by identity in Java (different on every JVM run), which nothing can reproduce.

use weir_formats::value::{Decimal, Value};

/// The Java `hashCode()` of `value`, or `None` for objects whose hash is an identity hash
/// (`Struct`, `byte[]`, and collections holding them). Cost: linear in the value.
pub fn java_hash_code(value: &Value) -> Option<i32> {
    Some(match value {
        Value::Null => 0,
        Value::Int8(v) => i32::from(*v),
        Value::Int16(v) => i32::from(*v),
        Value::Int32(v) => *v,
        Value::Int64(v) | Value::Date(v) => long_hash(*v),
        Value::Float32(v) => {
            let bits = if v.is_nan() { 0x7fc0_0000 } else { v.to_bits() };
            bits as i32
        }
        Value::Float64(v) => {
            let bits = if v.is_nan() {
                0x7ff8_0000_0000_0000
            } else {
                v.to_bits()
            };
            long_hash(bits as i64)
        }
        Value::Boolean(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        Value::String(s) => string_hash(s),
        Value::Decimal(d) => decimal_hash(*d),
        Value::Array(items) => {
            let mut h: i32 = 1;
            for item in items {
                h = h.wrapping_mul(31).wrapping_add(java_hash_code(item)?);
            }
            h
        }
        Value::Map(entries) => {
            let mut h: i32 = 0;
            for (k, v) in entries {
                h = h.wrapping_add(java_hash_code(k)? ^ java_hash_code(v)?);
            }
            h
        }
        Value::Bytes(_) | Value::Struct(_) => return None,
    })
}

/// `String.hashCode()`.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// `Long.hashCode(v)`.
fn long_hash(v: i64) -> i32 {
    (v ^ ((v as u64) >> 32) as i64) as i32
}

/// `BigDecimal.hashCode()`: `31 * unscaledValue.hashCode() + scale`, where `BigInteger`'s hash
/// runs over its magnitude's big-endian 32-bit words and takes the sign.
fn decimal_hash(d: Decimal) -> i32 {
    let magnitude = d.unscaled.unsigned_abs();
    let mut h: i32 = 0;
    let mut started = false;
    for shift in [96u32, 64, 32, 0] {
        let word = (magnitude >> shift) as u32;
        if word == 0 && !started {
            continue;
        }
        started = true;
        h = h.wrapping_mul(31).wrapping_add(word as i32);
    }
    let signum = d.unscaled.signum() as i32;
    31i32
        .wrapping_mul(h.wrapping_mul(signum))
        .wrapping_add(d.scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_javas_hash_codes() {
        assert_eq!(string_hash("hello"), 99_162_322);
        assert_eq!(string_hash(""), 0);
        assert_eq!(java_hash_code(&Value::Int64(-1)), Some(0));
        assert_eq!(java_hash_code(&Value::Int64(1 << 32)), Some(1));
        assert_eq!(java_hash_code(&Value::Boolean(true)), Some(1231));
        assert_eq!(java_hash_code(&Value::Float64(1.0)), Some(1_072_693_248));
        // new BigDecimal("1.50").hashCode() == 31 * 150 + 2
        let d = Decimal {
            unscaled: 150,
            scale: 2,
        };
        assert_eq!(java_hash_code(&Value::Decimal(d)), Some(4652));
        assert_eq!(
            java_hash_code(&Value::Array(vec![Value::Int32(1), Value::Int32(2)])),
            Some(994)
        );
        assert_eq!(java_hash_code(&Value::Bytes(vec![1])), None);
        // Printed by a JVM: Long.valueOf(123456789012L), Double.valueOf(2.5),
        // new BigDecimal("-123456789012345678901234.50").
        assert_eq!(
            java_hash_code(&Value::Int64(123_456_789_012)),
            Some(-1_097_262_584)
        );
        assert_eq!(java_hash_code(&Value::Float64(2.5)), Some(1_074_003_968));
        let big = Decimal {
            unscaled: -12_345_678_901_234_567_890_123_450,
            scale: 2,
        };
        assert_eq!(java_hash_code(&Value::Decimal(big)), Some(1_365_463_326));
    }
}
