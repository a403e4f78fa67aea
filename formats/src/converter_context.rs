//! What a converter knows about the rows it converts besides their bytes: which half of the
//! record it works on and, per row, the topic and the headers (Kafka's `Converter.configure(…,
//! isKey)` plus `toConnectData(topic, headers, bytes)` / `fromConnectData(topic, headers, …)`).
//!
//! Schema-registry converters need all three: the subject name comes from the topic and the side,
//! and Confluent's reader takes the schema id from a `__key_schema_id` / `__value_schema_id`
//! header before it looks at the payload. A converter that must resolve something before it can
//! decode (a registry look-up of a schema id it has not seen) first scans the rows' ids through
//! this context, resolves each unknown id once for the whole call, then runs its decode loop over
//! cached state only: the hot loop never waits on the network.

use arrow_buffer::Buffer;

use crate::batch::{Header, Headers};
use crate::raw::RawBatch;

/// Which half of a record a converter reads or writes (Kafka's `isKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The record key (`key.converter`, `…$Key` transforms).
    Key,
    /// The record value (`value.converter`, `…$Value` transforms).
    Value,
}

impl Side {
    /// `"key"` or `"value"`, as Kafka spells the side in subject names and header names.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Key => "key",
            Side::Value => "value",
        }
    }
}

/// Each row's topic: one topic for every row, or a dictionary id per batch row.
#[derive(Debug, Clone, Copy)]
enum Topics<'a> {
    One(&'a str),
    PerRow { ids: &'a [u32], names: &'a [String] },
}

/// Each row's headers: none known, the raw bytes being decoded, or the typed headers being
/// written.
#[derive(Debug, Clone, Copy)]
enum RowHeaders<'a> {
    None,
    Raw(&'a RawBatch),
    Decoded(&'a Headers),
}

/// The context of one `decode` or `encode` call. Row `i` of the call (input `i` of a decode, row
/// `i` of the encoded column) is batch row `positions[i]` (or `i` when there are no positions).
/// Cheap to copy: it only borrows.
#[derive(Debug, Clone, Copy)]
pub struct ConverterContext<'a> {
    side: Side,
    positions: Option<&'a [u32]>,
    topics: Topics<'a>,
    headers: RowHeaders<'a>,
    verbatim: bool,
}

impl<'a> ConverterContext<'a> {
    /// Every row on one `topic`, with no headers: for tests and callers that convert loose bytes.
    pub fn single_topic(side: Side, topic: &'a str) -> ConverterContext<'a> {
        ConverterContext {
            side,
            positions: None,
            topics: Topics::One(topic),
            headers: RowHeaders::None,
            verbatim: false,
        }
    }

    /// Decoding the keys or values of `batch`: row `i` is the batch's record `i`.
    pub fn decoding(side: Side, batch: &'a RawBatch) -> ConverterContext<'a> {
        ConverterContext {
            side,
            positions: None,
            topics: Topics::PerRow {
                ids: batch.topic_ids(),
                names: batch.topics(),
            },
            headers: RowHeaders::Raw(batch),
            verbatim: false,
        }
    }

    /// Encoding the rows at batch `positions`, whose topics (after the transform chain) are
    /// `topic_ids` into `topics` and whose headers are `headers` (all three batch-wide).
    pub fn encoding(
        side: Side,
        positions: &'a [u32],
        topic_ids: &'a [u32],
        topics: &'a [String],
        headers: &'a Headers,
    ) -> ConverterContext<'a> {
        ConverterContext {
            side,
            positions: Some(positions),
            topics: Topics::PerRow {
                ids: topic_ids,
                names: topics,
            },
            headers: RowHeaders::Decoded(headers),
            verbatim: false,
        }
    }

    /// This context, telling the decoder whether nothing will read or change the decoded values
    /// and they will be written back by an equal converter: a converter may then keep a value
    /// whose bytes it would write back unchanged as those bytes, not decoding it (see
    /// [`ConverterContext::keeps_verbatim`]).
    pub fn with_verbatim(self, verbatim: bool) -> ConverterContext<'a> {
        ConverterContext { verbatim, ..self }
    }

    /// Whether the decoded values go untouched to an equal converter ([`ConverterContext::with_verbatim`]).
    /// A decoder that keeps values as their bytes marks them so that only its own `encode` reads
    /// them (JsonConverter and JsonSchemaConverter: [`crate::json::converter::verbatim_column`];
    /// AvroConverter: a LargeBinary column of payloads, [`crate::avro::kept`]).
    pub fn keeps_verbatim(&self) -> bool {
        self.verbatim
    }

    /// The side converted.
    pub fn side(&self) -> Side {
        self.side
    }

    fn position(&self, row: usize) -> usize {
        match self.positions {
            Some(positions) => positions[row] as usize,
            None => row,
        }
    }

    /// Row `row`'s topic dictionary id (0 for a single-topic context). Rows with equal ids
    /// share a topic, so per-topic work (a subject name) is done once per id.
    pub fn topic_id(&self, row: usize) -> u32 {
        match self.topics {
            Topics::One(_) => 0,
            Topics::PerRow { ids, .. } => ids[self.position(row)],
        }
    }

    /// Row `row`'s topic.
    pub fn topic(&self, row: usize) -> &'a str {
        match self.topics {
            Topics::One(topic) => topic,
            Topics::PerRow { names, .. } => &names[self.topic_id(row) as usize],
        }
    }

    /// The raw bytes of row `row`'s last header named `name`, when decoding (the last one, as
    /// Kafka's `Headers.lastHeader`); `None` when there is none, it is null, or the headers are
    /// not raw. Cost: a scan of the row's headers.
    pub fn raw_header(&self, row: usize, name: &str) -> Option<&'a [u8]> {
        match self.headers {
            RowHeaders::Raw(batch) => batch.last_header(self.position(row), name).flatten(),
            RowHeaders::None | RowHeaders::Decoded(_) => None,
        }
    }

    /// The buffer the decoded bytes live in, when decoding a [`RawBatch`]: a decoder may keep
    /// views of it (Arrow view arrays) instead of copying values out. Cost: a reference-count
    /// increment.
    pub fn input_buffer(&self) -> Option<Buffer> {
        match self.headers {
            RowHeaders::Raw(batch) => Some(batch.shared_bytes()),
            RowHeaders::None | RowHeaders::Decoded(_) => None,
        }
    }

    /// Row `row`'s typed headers, when encoding (empty otherwise).
    pub fn decoded_headers(&self, row: usize) -> &'a [Header] {
        match self.headers {
            RowHeaders::Decoded(headers) => headers.row(self.position(row)),
            RowHeaders::None | RowHeaders::Raw(_) => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::RawBatchBuilder;

    #[test]
    fn decoding_context_reads_topics_and_raw_headers_per_row() {
        let mut builder = RawBatchBuilder::new();
        builder.push_parts("a", 0, 0, None, None, None, [("h", Some(&b"1"[..]))]);
        builder.push_parts(
            "b",
            0,
            1,
            None,
            None,
            None,
            [("h", Some(&b"2"[..])), ("h", Some(&b"3"[..]))],
        );
        let batch = builder.finish();
        let context = ConverterContext::decoding(Side::Value, &batch);
        assert_eq!(context.topic(0), "a");
        assert_eq!(context.topic(1), "b");
        assert_ne!(context.topic_id(0), context.topic_id(1));
        assert_eq!(context.raw_header(0, "h"), Some(&b"1"[..]));
        assert_eq!(context.raw_header(1, "h"), Some(&b"3"[..]));
        assert_eq!(context.raw_header(1, "x"), None);
        assert!(context.decoded_headers(0).is_empty());
    }

    #[test]
    fn encoding_context_maps_column_rows_to_batch_rows() {
        let topics = vec!["x".to_string(), "y".to_string()];
        let topic_ids = [0, 1, 1];
        let headers = Headers::default();
        let positions = [2, 0];
        let context =
            ConverterContext::encoding(Side::Key, &positions, &topic_ids, &topics, &headers);
        assert_eq!(context.side().as_str(), "key");
        assert_eq!(context.topic(0), "y");
        assert_eq!(context.topic(1), "x");
        assert_eq!(context.raw_header(0, "h"), None);
    }

    #[test]
    fn single_topic_context_gives_one_topic_for_every_row() {
        let context = ConverterContext::single_topic(Side::Value, "t");
        assert_eq!(context.topic(7), "t");
        assert_eq!(context.topic_id(7), 0);
    }
}
