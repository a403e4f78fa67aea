//! The buffers a binary decoder's string and byte views point into (Avro, Protobuf): the
//! batch's own input buffer where a payload lies in it, so nothing is copied (design §1,
//! zero-copy in); a buffer of copies for payloads that do not (loose bytes a caller passes); and
//! a scratch buffer for what the decoder must rewrite (text with invalid UTF-8, enum symbols).
//!
//! Not copying matters more in time than in instructions: on the Avro benchmark chain the copy
//! (1.4 MB a batch, into memory no cache held) took 9% of a pass's perf samples for 0.5% of its
//! instructions; viewing the input instead cut the simulated last-level cache misses by 8%.

use std::sync::Arc;

use arrow_buffer::Buffer;

use crate::converter_context::ConverterContext;
use crate::raw::range_in;

/// Buffer index of the copied payloads.
pub const COPIES: u32 = 0;
/// Buffer index of the scratch buffer.
pub const SCRATCH: u32 = 1;
/// Buffer index of the batch's input buffer, when there is one.
pub const INPUT: u32 = 2;

/// Where one decode call's payloads are viewed. Cost: one reference-count increment to make;
/// per payload, a pointer comparison, plus the copy when it is not in the input buffer.
#[derive(Debug, Default)]
pub struct PayloadBuffers {
    copies: Vec<u8>,
    /// The decoder's rewritten bytes, appended to.
    pub scratch: Vec<u8>,
    input: Option<Buffer>,
}

impl PayloadBuffers {
    /// Buffers for decoding under `context`: views of its input buffer when it has one that
    /// 32-bit view offsets can address.
    pub fn for_context(context: &ConverterContext<'_>) -> PayloadBuffers {
        PayloadBuffers {
            input: context
                .input_buffer()
                .filter(|buffer| buffer.len() <= u32::MAX as usize),
            ..PayloadBuffers::default()
        }
    }

    /// Where `payload` can be viewed: (buffer index, offset of its first byte). A payload in
    /// the input buffer is viewed there; any other is appended to the copies first.
    #[inline]
    pub fn place(&mut self, payload: &[u8]) -> (u32, u32) {
        let viewed = self
            .input
            .as_ref()
            .and_then(|input| range_in(input, payload));
        match viewed {
            Some(range) => (INPUT, range.start),
            None => {
                let start = self.copies.len() as u32;
                self.copies.extend_from_slice(payload);
                (COPIES, start)
            }
        }
    }

    /// The buffers, in index order, for [`crate::column_builder::ColumnBuilder::finish`]. Cost:
    /// moves the vectors.
    pub fn finish(self) -> Arc<[Buffer]> {
        let mut buffers = vec![
            Buffer::from_vec(self.copies),
            Buffer::from_vec(self.scratch),
        ];
        buffers.extend(self.input);
        Arc::from(buffers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converter_context::Side;
    use crate::raw::{RawBatch, RawRecord};

    fn batch_of(value: &[u8]) -> RawBatch {
        [RawRecord {
            topic: "t",
            partition: None,
            offset: 0,
            timestamp: None,
            key: None,
            value: Some(value),
            headers: vec![],
        }]
        .into_iter()
        .collect()
    }

    #[test]
    fn a_payload_of_the_input_buffer_is_viewed_in_place() {
        let batch = batch_of(b"abcdef");
        let context = ConverterContext::decoding(Side::Value, &batch);
        let mut buffers = PayloadBuffers::for_context(&context);
        let payload = &batch.value(0).expect("a value")[2..];
        let (buffer, offset) = buffers.place(payload);
        assert_eq!(buffer, INPUT);
        let finished = buffers.finish();
        assert_eq!(finished.len(), 3);
        assert!(finished[COPIES as usize].is_empty());
        let start = offset as usize;
        assert_eq!(&finished[INPUT as usize][start..start + 4], b"cdef");
    }

    #[test]
    fn a_loose_payload_is_copied() {
        let batch = batch_of(b"abcdef");
        let context = ConverterContext::decoding(Side::Value, &batch);
        let mut buffers = PayloadBuffers::for_context(&context);
        buffers.place(b"xy");
        let (buffer, offset) = buffers.place(b"loose");
        assert_eq!((buffer, offset), (COPIES, 2));
        let finished = buffers.finish();
        assert_eq!(&finished[COPIES as usize][..], b"xyloose");
    }

    #[test]
    fn without_an_input_buffer_every_payload_is_copied() {
        let context = ConverterContext::single_topic(Side::Value, "t");
        let mut buffers = PayloadBuffers::for_context(&context);
        assert_eq!(buffers.place(b"abc"), (COPIES, 0));
        assert_eq!(buffers.finish().len(), 2);
    }
}
