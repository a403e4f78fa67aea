//! Debezium's `MurmurHash3` (`io.debezium.util.MurmurHash3`, seed 9001), the `murmur` hash of
//! PartitionRouting: MurmurHash3 x64 with Debezium's sign-extended tail bytes, its upper 32 bits.
//! Strings hash their UTF-8 bytes, byte arrays their bytes, other objects their Java `hashCode`
//! as four little-endian bytes.

const SEED: u64 = 9001;

struct State {
    h1: u64,
    h2: u64,
    k1: u64,
    k2: u64,
    c1: u64,
    c2: u64,
}

impl State {
    fn bmix(&mut self) {
        self.k1 = self.k1.wrapping_mul(self.c1);
        self.k1 = self.k1.rotate_left(23);
        self.k1 = self.k1.wrapping_mul(self.c2);
        self.h1 ^= self.k1;
        self.h1 = self.h1.wrapping_add(self.h2);
        self.h2 = self.h2.rotate_left(41);
        self.k2 = self.k2.wrapping_mul(self.c2);
        self.k2 = self.k2.rotate_left(23);
        self.k2 = self.k2.wrapping_mul(self.c1);
        self.h2 ^= self.k2;
        self.h2 = self.h2.wrapping_add(self.h1);
        self.h1 = self.h1.wrapping_mul(3).wrapping_add(0x52dc_e729);
        self.h2 = self.h2.wrapping_mul(3).wrapping_add(0x3849_5ab5);
        self.c1 = self.c1.wrapping_mul(5).wrapping_add(0x7b7d_159c);
        self.c2 = self.c2.wrapping_mul(5).wrapping_add(0x6bce_6396);
    }
}

fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// `MurmurHash3_x64_64(key, 9001)`. Cost: linear in the bytes.
pub fn murmur3_x64_64(key: &[u8]) -> u64 {
    let mut s = State {
        h1: 0x9368_e53c_2f6a_f274 ^ SEED,
        h2: 0x586d_cd20_8f7c_d3fd ^ SEED,
        k1: 0,
        k2: 0,
        c1: 0x87c3_7b91_1142_53d5,
        c2: 0x4cf5_ad43_2745_937f,
    };
    let blocks = key.len() / 16;
    for i in 0..blocks {
        let block = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&key[at..at + 8]);
            u64::from_le_bytes(b)
        };
        s.k1 = block(i * 16);
        s.k2 = block(i * 16 + 8);
        s.bmix();
    }
    s.k1 = 0;
    s.k2 = 0;
    let tail = &key[blocks * 16..];
    // Java's `(long) key[i] << n`: the byte is sign-extended before the shift.
    let signed = |i: usize, shift: u32| ((tail[i] as i8 as i64) << shift) as u64;
    for i in (8..tail.len()).rev() {
        s.k2 ^= signed(i, ((i - 8) * 8) as u32);
    }
    for i in (0..tail.len().min(8)).rev() {
        s.k1 ^= signed(i, (i * 8) as u32);
    }
    if !tail.is_empty() {
        s.bmix();
    }
    s.h2 ^= key.len() as u64;
    s.h1 = s.h1.wrapping_add(s.h2);
    s.h2 = s.h2.wrapping_add(s.h1);
    s.h1 = fmix(s.h1);
    s.h2 = fmix(s.h2);
    s.h1 = s.h1.wrapping_add(s.h2);
    s.h1
}

/// `MurmurHash3.hash(byte[])` and `hash(String)` (a Rust string's UTF-8 bytes are what Debezium
/// encodes). Cost: linear in the bytes.
pub fn hash_bytes(bytes: &[u8]) -> i32 {
    (murmur3_x64_64(bytes) >> 32) as i32
}

/// `MurmurHash3.hash(int)`: of an object's Java `hashCode`.
pub fn hash_int(hash_code: i32) -> i32 {
    hash_bytes(&hash_code.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_debeziums_java_implementation() {
        // Printed by Debezium 3.6.1's MurmurHash3.getInstance().hash(Object) on a JVM.
        let strings = [
            ("", 89_125_410),
            ("a", -1_119_243_492),
            ("eu-west", -453_615_782),
            ("héllo wörld ünïcode strings!", 1_645_403_671),
            ("0123456789abcdef", 26_898_387),
            ("0123456789abcdefX", 166_285_569),
            (
                "\u{ff}\u{fe}\u{fd}\u{fc}\u{fb}\u{fa}\u{f9}\u{f8}\u{f7}",
                600_786_802,
            ),
        ];
        for (text, expected) in strings {
            assert_eq!(hash_bytes(text.as_bytes()), expected, "{text:?}");
        }
        assert_eq!(hash_int(-7), -1_990_014_637);
        // Long.valueOf(123456789012L).hashCode() == -1097262584
        assert_eq!(hash_int(-1_097_262_584), -1_471_995_676);
    }
}
