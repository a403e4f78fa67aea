//! A batch of JSON documents parsed by simd-json into one flat tape whose strings are offsets into
//! one batch buffer.
//!
//! The documents are copied once, back to back, into a padded scratch buffer; simd-json unescapes
//! strings in place inside it, so after parsing every string — escaped or not — is a byte range
//! of that buffer, and the buffer becomes the Arrow `Buffer` that string views point into (design
//! §1). One copy per batch, no allocation per record.

use crate::error::ConnectError;
use simd_json::{Buffers, ErrorType, Node, StaticNode, Tape};

/// Deepest nesting accepted in a JSON document (simd-json's own bound); deeper input is a
/// DataException, never a stack overflow.
pub const MAX_DEPTH: usize = 128;

/// Kafka's message for bytes that are not JSON.
pub const SERIALIZATION_ERROR: &str =
    "Converting byte[] to Kafka Connect data failed due to serialization error: ";

/// One tape node. Containers give their element count and their total node count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JNode {
    /// A string at `start..start+len` of the batch buffer (already unescaped, valid UTF-8).
    Str {
        /// Offset in the batch buffer.
        start: u32,
        /// Length in bytes.
        len: u32,
    },
    /// An object of `len` key/value pairs spanning `count` nodes after this one.
    Object {
        /// Number of keys.
        len: u32,
        /// Nodes inside, recursively.
        count: u32,
    },
    /// An array of `len` elements spanning `count` nodes after this one.
    Array {
        /// Number of elements.
        len: u32,
        /// Nodes inside, recursively.
        count: u32,
    },
    /// A signed integer.
    I64(i64),
    /// An unsigned integer above `i64::MAX`.
    U64(u64),
    /// A number with a fraction or exponent.
    F64(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl JNode {
    /// How many tape nodes this node and its contents occupy.
    #[inline]
    pub fn span(&self) -> usize {
        match self {
            JNode::Object { count, .. } | JNode::Array { count, .. } => *count as usize + 1,
            _ => 1,
        }
    }
}

/// A [`JNode`] as the tape stores it: a tag and one word, 9 bytes instead of the enum's 16. A
/// batch's nodes live while its columns are built, so they set the decode's peak heap: packed,
/// they take about 1.1× the batch's JSON bytes (a node per 8 bytes), not 2×.
#[derive(Debug, Clone, Copy)]
#[repr(C, packed)]
struct PackedNode {
    tag: u8,
    word: u64,
}

const STR: u8 = 0;
const OBJECT: u8 = 1;
const ARRAY: u8 = 2;
const I64: u8 = 3;
const U64: u8 = 4;
const F64: u8 = 5;
const BOOL: u8 = 6;
const NULL: u8 = 7;

/// Two `u32`s in one word.
fn pair(low: u32, high: u32) -> u64 {
    u64::from(low) | (u64::from(high) << 32)
}

impl PackedNode {
    #[inline]
    fn pack(node: JNode) -> PackedNode {
        let (tag, word) = match node {
            JNode::Str { start, len } => (STR, pair(start, len)),
            JNode::Object { len, count } => (OBJECT, pair(len, count)),
            JNode::Array { len, count } => (ARRAY, pair(len, count)),
            JNode::I64(v) => (I64, v as u64),
            JNode::U64(v) => (U64, v),
            JNode::F64(v) => (F64, v.to_bits()),
            JNode::Bool(v) => (BOOL, u64::from(v)),
            JNode::Null => (NULL, 0),
        };
        PackedNode { tag, word }
    }

    #[inline]
    fn unpack(self) -> JNode {
        let word = self.word;
        let (low, high) = (word as u32, (word >> 32) as u32);
        match self.tag {
            STR => JNode::Str {
                start: low,
                len: high,
            },
            OBJECT => JNode::Object {
                len: low,
                count: high,
            },
            ARRAY => JNode::Array {
                len: low,
                count: high,
            },
            I64 => JNode::I64(word as i64),
            U64 => JNode::U64(word),
            F64 => JNode::F64(f64::from_bits(word)),
            BOOL => JNode::Bool(word != 0),
            // Only `pack` writes tags.
            _ => JNode::Null,
        }
    }
}

/// Parsed documents of a batch.
#[derive(Debug, Default)]
pub struct BatchTape {
    /// Every document's nodes, back to back.
    nodes: Vec<PackedNode>,
    /// The batch buffer the string nodes point into (with simd-json's padding at the end).
    pub buffer: Vec<u8>,
}

/// Where a document's bytes are in [`BatchTape::buffer`] before parsing.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
}

/// Parses documents out of a buffer filled by the caller.
pub struct TapeParser {
    buffers: Buffers,
    /// The tape kept between documents for its allocation; `None` only while a document is
    /// being parsed (taking it must not allocate: `Tape::null()` does).
    tape: Option<Tape<'static>>,
}

impl std::fmt::Debug for TapeParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TapeParser")
    }
}

impl Default for TapeParser {
    fn default() -> Self {
        TapeParser {
            buffers: Buffers::with_max_depth(4096, MAX_DEPTH),
            tape: Some(Tape::null()),
        }
    }
}

impl TapeParser {
    /// Parses the document at `span` of `batch.buffer` (which must end in at least
    /// `simd_json::INPUT_PADDING` bytes past every span), appending its nodes to `batch`'s.
    /// Returns the index of its root node. Like Jackson's `readTree`, only the first value is
    /// read: content after it is ignored.
    pub fn parse(&mut self, batch: &mut BatchTape, span: Span) -> Result<usize, ConnectError> {
        let root = batch.nodes.len();
        match self.parse_exact(batch, span) {
            Ok(()) => Ok(root),
            Err(first_error) => {
                let bytes = &batch.buffer[span.start..span.start + span.len];
                match first_value_len(bytes) {
                    Some(len) if len < span.len => {
                        batch.nodes.truncate(root);
                        self.parse_exact(
                            batch,
                            Span {
                                start: span.start,
                                len,
                            },
                        )
                        .map(|()| root)
                        .map_err(|_| first_error)
                    }
                    _ => Err(first_error),
                }
            }
        }
    }

    /// Parses the document at `span` like [`TapeParser::parse`], except that anything but
    /// whitespace after the first value is an error. A failed parse may have rewritten strings
    /// of the span in place (simd-json unescapes into its input) and leaves no nodes behind.
    pub fn parse_whole(
        &mut self,
        batch: &mut BatchTape,
        span: Span,
    ) -> Result<usize, ConnectError> {
        let root = batch.nodes.len();
        self.parse_exact(batch, span).map(|()| root)
    }

    fn parse_exact(&mut self, batch: &mut BatchTape, span: Span) -> Result<(), ConnectError> {
        let base = batch.buffer.as_ptr() as usize;
        let mut tape = self.tape.take().unwrap_or_else(Tape::null).reset();
        let input = &mut batch.buffer[span.start..];
        let result = simd_json::fill_tape_padded(input, span.len, &mut self.buffers, &mut tape);
        if let Err(e) = result {
            self.tape = Some(tape.reset());
            let bytes = &batch.buffer[span.start..span.start + span.len];
            let surrogate = matches!(
                e.error(),
                ErrorType::InvalidUnicodeCodepoint | ErrorType::InvalidUtf8
            )
            .then(|| unpaired_surrogate(bytes))
            .flatten();
            let cause = match surrogate {
                Some(escape) => format!(
                    "an unpaired UTF-16 surrogate escape ({escape}): Jackson reads it, but a string \
                     in weir holds only Unicode text (a deliberate difference, see the README)"
                ),
                None => e.to_string(),
            };
            return Err(ConnectError::data(format!("{SERIALIZATION_ERROR}{cause}")));
        }
        batch.nodes.reserve(tape.0.len());
        for node in &tape.0 {
            batch.nodes.push(PackedNode::pack(match node {
                Node::String(s) => JNode::Str {
                    start: (s.as_ptr() as usize - base) as u32,
                    len: s.len() as u32,
                },
                Node::Object { len, count } => JNode::Object {
                    len: *len as u32,
                    count: *count as u32,
                },
                Node::Array { len, count } => JNode::Array {
                    len: *len as u32,
                    count: *count as u32,
                },
                Node::Static(StaticNode::I64(v)) => JNode::I64(*v),
                Node::Static(StaticNode::U64(v)) => match i64::try_from(*v) {
                    Ok(v) => JNode::I64(v),
                    Err(_) => JNode::U64(*v),
                },
                // Kafka reads fractional numbers as BigDecimals, which have no negative zero:
                // `-0.0` is `0.0` (so is a negative number too small for a double, which Kafka
                // reads as `-0.0`: the double cannot tell the two apart; see the README).
                Node::Static(StaticNode::F64(v)) => JNode::F64(*v + 0.0),
                Node::Static(StaticNode::Bool(v)) => JNode::Bool(*v),
                Node::Static(StaticNode::Null) => JNode::Null,
            }));
        }
        self.tape = Some(tape.reset());
        Ok(())
    }
}

/// The first `\uXXXX` escape in `bytes` of a UTF-16 surrogate without its pair (a high one not
/// followed by a low one, or a low one alone), its hex in lowercase. Cost: one pass over the bytes.
fn unpaired_surrogate(bytes: &[u8]) -> Option<String> {
    let unit = |at: usize| -> Option<u32> {
        let escape = bytes.get(at..at + 6)?;
        let hex = std::str::from_utf8(escape.strip_prefix(b"\\u")?).ok()?;
        u32::from_str_radix(hex, 16).ok()
    };
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            at += 1;
            continue;
        }
        match unit(at) {
            Some(high @ 0xD800..=0xDBFF) => {
                if !matches!(unit(at + 6), Some(0xDC00..=0xDFFF)) {
                    return Some(format!("\\u{high:04x}"));
                }
                at += 12;
            }
            Some(low @ 0xDC00..=0xDFFF) => return Some(format!("\\u{low:04x}")),
            // Another escape (`\\` included): skip the backslash and what it escapes.
            _ => at += 2,
        }
    }
    None
}

/// The length of the first JSON value in `bytes` (leading whitespace included), found by a
/// structural scan that skips strings; `None` if it does not end. Used only after a failed parse,
/// to ignore trailing content as Jackson does.
pub fn first_value_len(bytes: &[u8]) -> Option<usize> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    value_end(bytes, start)
}

/// The end (exclusive) of the JSON value starting at `start` (no leading whitespace), by a
/// structural scan; `None` if it does not end inside `bytes`.
pub fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    match *bytes.get(start)? {
        b'"' => string_end(bytes, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i = string_end(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let len = bytes[start..]
                .iter()
                .position(|b| b.is_ascii_whitespace() || b"{}[],:\"".contains(b))
                .unwrap_or(bytes.len() - start);
            (len > 0).then_some(start + len)
        }
    }
}

/// The end (exclusive) of the string whose opening quote is at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

impl BatchTape {
    /// An empty tape with room for `nodes` nodes and `bytes` buffer bytes.
    pub fn with_capacity(nodes: usize, bytes: usize) -> BatchTape {
        BatchTape {
            nodes: Vec::with_capacity(nodes),
            buffer: Vec::with_capacity(bytes),
        }
    }

    /// The node at `at` (decoded from its packed form: a copy, no allocation).
    #[inline]
    pub fn node(&self, at: usize) -> JNode {
        self.nodes[at].unpack()
    }

    /// How many nodes the tape holds.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Empties the nodes and the buffer, keeping their allocations.
    pub fn clear(&mut self) {
        self.nodes.clear();
        self.buffer.clear();
    }

    /// Appends a node.
    pub fn push(&mut self, node: JNode) {
        self.nodes.push(PackedNode::pack(node));
    }

    /// The text of a string node.
    #[inline]
    pub fn str(&self, start: u32, len: u32) -> &str {
        let bytes = &self.buffer[start as usize..(start + len) as usize];
        // simd-json validated every string as UTF-8; the fallback is unreachable.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The bytes of a string node.
    #[inline]
    pub fn bytes(&self, start: u32, len: u32) -> &[u8] {
        &self.buffer[start as usize..(start + len) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(docs: &[&str]) -> (BatchTape, Vec<Result<usize, ConnectError>>) {
        let mut batch = BatchTape::default();
        let mut spans = Vec::new();
        for d in docs {
            spans.push(Span {
                start: batch.buffer.len(),
                len: d.len(),
            });
            batch.buffer.extend_from_slice(d.as_bytes());
        }
        batch
            .buffer
            .resize(batch.buffer.len() + simd_json::INPUT_PADDING, 0);
        let mut parser = TapeParser::default();
        let roots = spans.iter().map(|s| parser.parse(&mut batch, *s)).collect();
        (batch, roots)
    }

    #[test]
    fn strings_are_unescaped_in_place_in_the_batch_buffer() {
        let (batch, roots) = parse_all(&[r#"{"a":"x\ny"}"#, r#"["plain",1,2.5,null,true]"#]);
        let r0 = *roots[0].as_ref().unwrap();
        let JNode::Str { start, len } = batch.node(r0 + 2) else {
            panic!("{:?}", batch.node(r0 + 2))
        };
        assert_eq!(batch.str(start, len), "x\ny");
        let r1 = *roots[1].as_ref().unwrap();
        assert_eq!(batch.node(r1), JNode::Array { len: 5, count: 5 });
        assert_eq!(batch.node(r1 + 2), JNode::I64(1));
        assert_eq!(batch.node(r1 + 3), JNode::F64(2.5));
    }

    #[test]
    fn a_packed_node_is_nine_bytes() {
        assert_eq!(std::mem::size_of::<PackedNode>(), 9);
    }

    fn any_node() -> impl proptest::strategy::Strategy<Value = JNode> {
        use proptest::prelude::*;
        prop_oneof![
            (any::<u32>(), any::<u32>()).prop_map(|(start, len)| JNode::Str { start, len }),
            (any::<u32>(), any::<u32>()).prop_map(|(len, count)| JNode::Object { len, count }),
            (any::<u32>(), any::<u32>()).prop_map(|(len, count)| JNode::Array { len, count }),
            any::<i64>().prop_map(JNode::I64),
            any::<u64>().prop_map(JNode::U64),
            any::<f64>().prop_map(JNode::F64),
            any::<bool>().prop_map(JNode::Bool),
            Just(JNode::Null),
        ]
    }

    proptest::proptest! {
        #[test]
        fn nodes_come_back_as_they_were_pushed(nodes in proptest::collection::vec(any_node(), 0..50)) {
            let mut tape = BatchTape::default();
            for node in &nodes {
                tape.push(*node);
            }
            proptest::prop_assert_eq!(tape.node_count(), nodes.len());
            for (at, node) in nodes.iter().enumerate() {
                // Bitwise for doubles: NaN payloads and -0.0 survive too.
                match (tape.node(at), *node) {
                    (JNode::F64(got), JNode::F64(want)) => {
                        proptest::prop_assert_eq!(got.to_bits(), want.to_bits())
                    }
                    (got, want) => proptest::prop_assert_eq!(got, want),
                }
            }
        }
    }

    #[test]
    fn trailing_content_is_ignored_like_jackson_but_garbage_fails() {
        let (_, roots) = parse_all(&[r#"{"a":1} trailing"#, "nope", r#"{"a":"#, "7 8"]);
        assert!(roots[0].is_ok());
        assert!(roots[1].is_err());
        assert!(roots[2].is_err());
        assert!(roots[3].is_ok());
        let message = roots[1].as_ref().unwrap_err().message.clone();
        assert!(message.starts_with(SERIALIZATION_ERROR), "{message}");
    }

    #[test]
    fn unpaired_surrogate_escapes_fail_naming_the_escape() {
        let docs = [
            r#"{"a":"x\ud800"}"#,
            r#"{"a":"\uDC00y"}"#,
            r#"{"a":"\\ud800 \ud83d\ude00"}"#,
            r#"{"a":"\u12G4"}"#,
        ];
        let (_, roots) = parse_all(&docs);
        let message = |i: usize| roots[i].as_ref().unwrap_err().message.clone();
        assert!(message(0).ends_with(
            "an unpaired UTF-16 surrogate escape (\\ud800): Jackson reads it, but a string in weir \
             holds only Unicode text (a deliberate difference, see the README)"
        ));
        assert!(
            message(1).contains("surrogate escape (\\udc00)"),
            "{}",
            message(1)
        );
        // An escaped backslash before `ud800` and a paired surrogate are text.
        assert!(roots[2].is_ok());
        // Not hex: simd-json's own message.
        assert!(!message(3).contains("surrogate"), "{}", message(3));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let (_, roots) = parse_all(&[&deep]);
        assert!(roots[0].is_err());
    }

    #[test]
    fn huge_integers_are_rejected() {
        let (_, roots) = parse_all(&["123456789012345678901234567890", "18446744073709551615"]);
        assert!(roots[0].is_err());
        assert!(roots[1].is_ok());
    }
}
