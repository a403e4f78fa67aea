//! Append-only Arrow column builders that can roll back: a decoder appends a record's values as it
//! walks them and, when the record turns out bad half-way, truncates every builder back to the
//! record's start, so one bad record never leaves a partial row behind.
//!
//! Strings and bytes are appended as views into batch-level buffers (design §1, zero-copy in): the
//! caller owns the buffers and hands them to [`ColumnBuilder::finish`].

use std::sync::Arc;

use arrow_array::builder::make_view;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{
    Array, ArrayRef, BinaryViewArray, BooleanArray, ListArray, MapArray, NullArray, PrimitiveArray,
    StringViewArray, StructArray, UnionArray,
};
use arrow_buffer::{BooleanBufferBuilder, Buffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, FieldRef, Fields, UnionFields, UnionMode};

use crate::decimal_column::{retype, DecimalColumnBuilder};
use crate::variant::ABSENT;

/// Values and validity of a primitive column.
#[derive(Debug)]
pub struct PrimitiveColumn<T: ArrowPrimitiveType> {
    values: Vec<T::Native>,
    nulls: NullBufferBuilder,
    data_type: DataType,
}

impl<T: ArrowPrimitiveType> PrimitiveColumn<T> {
    fn new(data_type: DataType) -> Self {
        PrimitiveColumn {
            values: Vec::new(),
            nulls: NullBufferBuilder::new(0),
            data_type,
        }
    }

    /// Appends a value.
    #[inline]
    pub fn push(&mut self, v: T::Native) {
        self.values.push(v);
        self.nulls.append_non_null();
    }

    fn push_null(&mut self) {
        self.values.push(T::Native::default());
        self.nulls.append_null();
    }

    fn truncate(&mut self, len: usize) {
        self.values.truncate(len);
        self.nulls.truncate(len);
    }

    fn finish(&mut self) -> ArrayRef {
        let values = ScalarBuffer::from(std::mem::take(&mut self.values));
        let array = PrimitiveArray::<T>::new(values, self.nulls.finish());
        Arc::new(array.with_data_type(self.data_type.clone()))
    }
}

/// Views (strings or bytes) into the batch buffers, and validity.
#[derive(Debug)]
pub struct ViewColumn {
    views: Vec<u128>,
    nulls: NullBufferBuilder,
}

impl Default for ViewColumn {
    fn default() -> Self {
        ViewColumn {
            views: Vec::new(),
            nulls: NullBufferBuilder::new(0),
        }
    }
}

impl ViewColumn {
    /// An empty column with room for `rows` views.
    pub fn with_capacity(rows: usize) -> ViewColumn {
        ViewColumn {
            views: Vec::with_capacity(rows),
            nulls: NullBufferBuilder::new(rows),
        }
    }

    /// Appends `data`, which lies at `offset` in buffer `buffer`.
    #[inline]
    pub fn push(&mut self, data: &[u8], buffer: u32, offset: u32) {
        self.views.push(make_view(data, buffer, offset));
        self.nulls.append_non_null();
    }

    /// Appends a null.
    pub fn push_null(&mut self) {
        self.views.push(0);
        self.nulls.append_null();
    }

    fn truncate(&mut self, len: usize) {
        self.views.truncate(len);
        self.nulls.truncate(len);
    }
}

/// One Arrow column under construction.
#[derive(Debug)]
pub enum ColumnBuilder {
    /// A column that only ever holds nulls (schemaless data with no typed value yet).
    Null(usize),
    /// Boolean values.
    Boolean(BooleanBufferBuilder, NullBufferBuilder),
    /// INT8.
    Int8(PrimitiveColumn<Int8Type>),
    /// INT16.
    Int16(PrimitiveColumn<Int16Type>),
    /// INT32.
    Int32(PrimitiveColumn<Int32Type>),
    /// INT64.
    Int64(PrimitiveColumn<Int64Type>),
    /// FLOAT32.
    Float32(PrimitiveColumn<Float32Type>),
    /// FLOAT64.
    Float64(PrimitiveColumn<Float64Type>),
    /// Date: days since the epoch.
    Date32(PrimitiveColumn<Date32Type>),
    /// Time: ms since midnight.
    Time32(PrimitiveColumn<Time32MillisecondType>),
    /// Timestamp: ms since the epoch.
    Timestamp(PrimitiveColumn<TimestampMillisecondType>),
    /// A Decimal: Decimal128 at the schema's scale, or own-scale when values differ from it
    /// ([`crate::decimal_column`]).
    Decimal(DecimalColumnBuilder),
    /// Utf8View (strings, and raw JSON text).
    Utf8(ViewColumn),
    /// BinaryView.
    Binary(ViewColumn),
    /// A list: offsets, validity, the element builder and the element field.
    List {
        /// Offsets into the child, one more than rows.
        offsets: Vec<i32>,
        /// Validity.
        nulls: NullBufferBuilder,
        /// The element column.
        child: Box<ColumnBuilder>,
        /// The element field (its type is taken from the finished child).
        item: FieldRef,
    },
    /// A map: offsets, validity, keys and values.
    Map {
        /// Offsets into the entries, one more than rows.
        offsets: Vec<i32>,
        /// Validity.
        nulls: NullBufferBuilder,
        /// Keys, one per entry.
        keys: Box<ColumnBuilder>,
        /// Values, one per entry.
        values: Box<ColumnBuilder>,
        /// The entries field (struct of key and value).
        entries: FieldRef,
    },
    /// A struct: one child per field, validity, row count.
    Struct {
        /// Child fields (types are taken from the finished children).
        fields: Fields,
        /// One builder per field.
        children: Vec<ColumnBuilder>,
        /// Validity.
        nulls: NullBufferBuilder,
        /// Rows so far.
        len: usize,
    },
    /// A [variant](crate::variant): a sparse union, one type id per row and a full-length child
    /// per kind.
    Variant {
        /// The children's fields (types are taken from the finished children).
        fields: UnionFields,
        /// One builder per child, in `fields` order (type ids 0, 1, …).
        children: Vec<ColumnBuilder>,
        /// The child each row selects.
        type_ids: Vec<i8>,
    },
}

impl ColumnBuilder {
    /// [`ColumnBuilder::for_type`] with room for `rows` rows in its own values and in those of
    /// struct fields (list and map elements grow as they come). Cost: one allocation per
    /// column, instead of the doubling a batch of rows would make (2.6% of a schemaless
    /// passthrough's instructions went to copying grown vectors, callgrind).
    pub fn with_capacity(data_type: &DataType, rows: usize) -> ColumnBuilder {
        let mut builder = ColumnBuilder::for_type(data_type);
        builder.reserve(rows);
        builder
    }

    fn reserve(&mut self, rows: usize) {
        match self {
            ColumnBuilder::Int8(c) => c.values.reserve(rows),
            ColumnBuilder::Int16(c) => c.values.reserve(rows),
            ColumnBuilder::Int32(c) => c.values.reserve(rows),
            ColumnBuilder::Int64(c) => c.values.reserve(rows),
            ColumnBuilder::Float32(c) => c.values.reserve(rows),
            ColumnBuilder::Float64(c) => c.values.reserve(rows),
            ColumnBuilder::Date32(c) => c.values.reserve(rows),
            ColumnBuilder::Time32(c) => c.values.reserve(rows),
            ColumnBuilder::Timestamp(c) => c.values.reserve(rows),
            ColumnBuilder::Utf8(c) | ColumnBuilder::Binary(c) => c.views.reserve(rows),
            ColumnBuilder::Boolean(values, _) => values.reserve(rows),
            ColumnBuilder::List { offsets, .. } | ColumnBuilder::Map { offsets, .. } => {
                offsets.reserve(rows)
            }
            ColumnBuilder::Struct { children, .. } => {
                children.iter_mut().for_each(|child| child.reserve(rows))
            }
            ColumnBuilder::Variant {
                children, type_ids, ..
            } => {
                type_ids.reserve(rows);
                children.iter_mut().for_each(|child| child.reserve(rows))
            }
            ColumnBuilder::Null(_) | ColumnBuilder::Decimal(_) => {}
        }
    }

    /// An empty builder producing `data_type` (any type of the design's mapping; others give a
    /// null column). `field` supplies child field names and metadata for nested types.
    pub fn for_type(data_type: &DataType) -> ColumnBuilder {
        match data_type {
            DataType::Boolean => {
                ColumnBuilder::Boolean(BooleanBufferBuilder::new(0), NullBufferBuilder::new(0))
            }
            DataType::Int8 => ColumnBuilder::Int8(PrimitiveColumn::new(data_type.clone())),
            DataType::Int16 => ColumnBuilder::Int16(PrimitiveColumn::new(data_type.clone())),
            DataType::Int32 => ColumnBuilder::Int32(PrimitiveColumn::new(data_type.clone())),
            DataType::Int64 => ColumnBuilder::Int64(PrimitiveColumn::new(data_type.clone())),
            DataType::Float32 => ColumnBuilder::Float32(PrimitiveColumn::new(data_type.clone())),
            DataType::Float64 => ColumnBuilder::Float64(PrimitiveColumn::new(data_type.clone())),
            DataType::Date32 => ColumnBuilder::Date32(PrimitiveColumn::new(data_type.clone())),
            DataType::Time32(_) => ColumnBuilder::Time32(PrimitiveColumn::new(data_type.clone())),
            DataType::Timestamp(_, _) => {
                ColumnBuilder::Timestamp(PrimitiveColumn::new(data_type.clone()))
            }
            DataType::Decimal128(_, scale) => {
                ColumnBuilder::Decimal(DecimalColumnBuilder::new(*scale))
            }
            DataType::Utf8View => ColumnBuilder::Utf8(ViewColumn::default()),
            DataType::BinaryView => ColumnBuilder::Binary(ViewColumn::default()),
            DataType::List(item) => ColumnBuilder::List {
                offsets: vec![0],
                nulls: NullBufferBuilder::new(0),
                child: Box::new(ColumnBuilder::for_type(item.data_type())),
                item: item.clone(),
            },
            DataType::Map(entries, _) => {
                let (key, value) = match entries.data_type() {
                    DataType::Struct(kv) if kv.len() == 2 => {
                        (kv[0].data_type().clone(), kv[1].data_type().clone())
                    }
                    _ => (DataType::Null, DataType::Null),
                };
                ColumnBuilder::Map {
                    offsets: vec![0],
                    nulls: NullBufferBuilder::new(0),
                    keys: Box::new(ColumnBuilder::for_type(&key)),
                    values: Box::new(ColumnBuilder::for_type(&value)),
                    entries: entries.clone(),
                }
            }
            DataType::Struct(fields) => ColumnBuilder::Struct {
                fields: fields.clone(),
                children: fields
                    .iter()
                    .map(|f| ColumnBuilder::for_type(f.data_type()))
                    .collect(),
                nulls: NullBufferBuilder::new(0),
                len: 0,
            },
            DataType::Union(fields, UnionMode::Sparse) => ColumnBuilder::Variant {
                fields: fields.clone(),
                children: fields
                    .iter()
                    .map(|(_, f)| ColumnBuilder::for_type(f.data_type()))
                    .collect(),
                type_ids: Vec::new(),
            },
            _ => ColumnBuilder::Null(0),
        }
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        match self {
            ColumnBuilder::Null(n) => *n,
            ColumnBuilder::Boolean(_, nulls) => nulls.len(),
            ColumnBuilder::Int8(c) => c.values.len(),
            ColumnBuilder::Int16(c) => c.values.len(),
            ColumnBuilder::Int32(c) => c.values.len(),
            ColumnBuilder::Int64(c) => c.values.len(),
            ColumnBuilder::Float32(c) => c.values.len(),
            ColumnBuilder::Float64(c) => c.values.len(),
            ColumnBuilder::Date32(c) => c.values.len(),
            ColumnBuilder::Time32(c) => c.values.len(),
            ColumnBuilder::Timestamp(c) => c.values.len(),
            ColumnBuilder::Decimal(c) => c.len(),
            ColumnBuilder::Utf8(c) | ColumnBuilder::Binary(c) => c.views.len(),
            ColumnBuilder::List { offsets, .. } | ColumnBuilder::Map { offsets, .. } => {
                offsets.len() - 1
            }
            ColumnBuilder::Struct { len, .. } => *len,
            ColumnBuilder::Variant { type_ids, .. } => type_ids.len(),
        }
    }

    /// Whether no rows were appended.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a null row (for a struct: null children too, masked by the struct's validity).
    pub fn push_null(&mut self) {
        match self {
            ColumnBuilder::Null(n) => *n += 1,
            ColumnBuilder::Boolean(values, nulls) => {
                values.append(false);
                nulls.append_null();
            }
            ColumnBuilder::Int8(c) => c.push_null(),
            ColumnBuilder::Int16(c) => c.push_null(),
            ColumnBuilder::Int32(c) => c.push_null(),
            ColumnBuilder::Int64(c) => c.push_null(),
            ColumnBuilder::Float32(c) => c.push_null(),
            ColumnBuilder::Float64(c) => c.push_null(),
            ColumnBuilder::Date32(c) => c.push_null(),
            ColumnBuilder::Time32(c) => c.push_null(),
            ColumnBuilder::Timestamp(c) => c.push_null(),
            ColumnBuilder::Decimal(c) => c.push_null(),
            ColumnBuilder::Utf8(c) | ColumnBuilder::Binary(c) => c.push_null(),
            ColumnBuilder::List { offsets, nulls, .. }
            | ColumnBuilder::Map { offsets, nulls, .. } => {
                let last = offsets.last().copied().unwrap_or(0);
                offsets.push(last);
                nulls.append_null();
            }
            ColumnBuilder::Struct {
                children,
                nulls,
                len,
                ..
            } => {
                children.iter_mut().for_each(ColumnBuilder::push_null);
                nulls.append_null();
                *len += 1;
            }
            ColumnBuilder::Variant {
                fields,
                children,
                type_ids,
            } => {
                // A null is a present value: it selects the first child that is not the absent one.
                let present = fields.iter().find(|(_, f)| f.name() != ABSENT);
                type_ids.push(present.map_or(0, |(id, _)| id));
                children.iter_mut().for_each(ColumnBuilder::push_null);
            }
        }
    }

    /// Appends a row of a [`ColumnBuilder::Variant`] that selects the child named `kind`, nulls to
    /// the other children, and returns that child for the value (the caller appends exactly one
    /// row to it); `None` (nothing appended) when the builder is no variant or has no such child.
    /// Cost: a scan of the (at most four) children.
    pub fn push_variant(&mut self, kind: &str) -> Option<&mut ColumnBuilder> {
        let ColumnBuilder::Variant {
            fields,
            children,
            type_ids,
        } = self
        else {
            return None;
        };
        let (selected, (id, _)) = fields
            .iter()
            .enumerate()
            .find(|(_, (_, f))| f.name() == kind)?;
        type_ids.push(id);
        for (i, child) in children.iter_mut().enumerate() {
            if i != selected {
                child.push_null();
            }
        }
        Some(&mut children[selected])
    }

    /// Appends a row for a record that lacks this key: the absent child of a variant (see
    /// [`crate::variant`]); a null for any other column (which only a variant can tell apart).
    pub fn push_absent(&mut self) {
        match self.push_variant(ABSENT) {
            Some(absent) => absent.push_null(),
            None => self.push_null(),
        }
    }

    /// Appends a boolean (the builder must be [`ColumnBuilder::Boolean`]).
    #[inline]
    pub fn push_bool(&mut self, v: bool) {
        if let ColumnBuilder::Boolean(values, nulls) = self {
            values.append(v);
            nulls.append_non_null();
        }
    }

    /// Marks the next list/map row as valid and closed after its children were appended
    /// (the child length is read from the child builder). Inlined: decoders call it once per
    /// record, list and map of every row, where the call cost more than the push it makes.
    #[inline(always)]
    pub fn close_nested_row(&mut self) {
        match self {
            ColumnBuilder::List {
                offsets,
                nulls,
                child,
                ..
            } => {
                offsets.push(child.len() as i32);
                nulls.append_non_null();
            }
            ColumnBuilder::Map {
                offsets,
                nulls,
                keys,
                ..
            } => {
                offsets.push(keys.len() as i32);
                nulls.append_non_null();
            }
            ColumnBuilder::Struct { nulls, len, .. } => {
                nulls.append_non_null();
                *len += 1;
            }
            _ => {}
        }
    }

    /// Rolls back to `len` rows, discarding everything appended after.
    pub fn truncate(&mut self, len: usize) {
        match self {
            ColumnBuilder::Null(n) => *n = len.min(*n),
            ColumnBuilder::Boolean(values, nulls) => {
                values.truncate(len);
                nulls.truncate(len);
            }
            ColumnBuilder::Int8(c) => c.truncate(len),
            ColumnBuilder::Int16(c) => c.truncate(len),
            ColumnBuilder::Int32(c) => c.truncate(len),
            ColumnBuilder::Int64(c) => c.truncate(len),
            ColumnBuilder::Float32(c) => c.truncate(len),
            ColumnBuilder::Float64(c) => c.truncate(len),
            ColumnBuilder::Date32(c) => c.truncate(len),
            ColumnBuilder::Time32(c) => c.truncate(len),
            ColumnBuilder::Timestamp(c) => c.truncate(len),
            ColumnBuilder::Decimal(c) => c.truncate(len),
            ColumnBuilder::Utf8(c) | ColumnBuilder::Binary(c) => c.truncate(len),
            ColumnBuilder::List {
                offsets,
                nulls,
                child,
                ..
            } => {
                offsets.truncate(len + 1);
                nulls.truncate(len);
                child.truncate(offsets.last().copied().unwrap_or(0) as usize);
            }
            ColumnBuilder::Map {
                offsets,
                nulls,
                keys,
                values,
                ..
            } => {
                offsets.truncate(len + 1);
                nulls.truncate(len);
                let entries = offsets.last().copied().unwrap_or(0) as usize;
                keys.truncate(entries);
                values.truncate(entries);
            }
            ColumnBuilder::Struct {
                children,
                nulls,
                len: rows,
                ..
            } => {
                children.iter_mut().for_each(|c| c.truncate(len));
                nulls.truncate(len);
                *rows = len.min(*rows);
            }
            ColumnBuilder::Variant {
                children, type_ids, ..
            } => {
                children.iter_mut().for_each(|c| c.truncate(len));
                type_ids.truncate(len);
            }
        }
    }

    /// Finishes the column; string and byte views resolve against `buffers`. Cost: moves the
    /// appended vectors into Arrow buffers, no copy of the data.
    pub fn finish(&mut self, buffers: &Arc<[Buffer]>) -> ArrayRef {
        match self {
            ColumnBuilder::Null(n) => Arc::new(NullArray::new(std::mem::take(n))),
            ColumnBuilder::Boolean(values, nulls) => {
                Arc::new(BooleanArray::new(values.finish(), nulls.finish()))
            }
            ColumnBuilder::Int8(c) => c.finish(),
            ColumnBuilder::Int16(c) => c.finish(),
            ColumnBuilder::Int32(c) => c.finish(),
            ColumnBuilder::Int64(c) => c.finish(),
            ColumnBuilder::Float32(c) => c.finish(),
            ColumnBuilder::Float64(c) => c.finish(),
            ColumnBuilder::Date32(c) => c.finish(),
            ColumnBuilder::Time32(c) => c.finish(),
            ColumnBuilder::Timestamp(c) => c.finish(),
            ColumnBuilder::Decimal(c) => c.finish(),
            ColumnBuilder::Utf8(c) => {
                let views = ScalarBuffer::from(std::mem::take(&mut c.views));
                // SAFETY: every view was made by `make_view` from a `&str` slice of
                // `buffers[buffer]` at `offset` (see `ViewColumn::push` callers), so each view
                // is in bounds and valid UTF-8.
                Arc::new(unsafe {
                    StringViewArray::new_unchecked(views, buffers.clone(), c.nulls.finish())
                })
            }
            ColumnBuilder::Binary(c) => {
                let views = ScalarBuffer::from(std::mem::take(&mut c.views));
                // SAFETY: every view was made by `make_view` from a slice of `buffers[buffer]`
                // at `offset`, so each view is in bounds.
                Arc::new(unsafe {
                    BinaryViewArray::new_unchecked(views, buffers.clone(), c.nulls.finish())
                })
            }
            ColumnBuilder::List {
                offsets,
                nulls,
                child,
                item,
            } => {
                let values = child.finish(buffers);
                let item = retype(item, values.data_type());
                let offsets =
                    OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, vec![0])));
                Arc::new(ListArray::new(item, offsets, values, nulls.finish()))
            }
            ColumnBuilder::Map {
                offsets,
                nulls,
                keys,
                values,
                entries,
            } => {
                let (keys, values) = (keys.finish(buffers), values.finish(buffers));
                let kv_fields = match entries.data_type() {
                    DataType::Struct(kv) if kv.len() == 2 => Fields::from(vec![
                        retype(&kv[0], keys.data_type()),
                        retype(&kv[1], values.data_type()),
                    ]),
                    _ => Fields::from(vec![
                        Field::new("key", keys.data_type().clone(), false),
                        Field::new("value", values.data_type().clone(), true),
                    ]),
                };
                let entries_field = Arc::new(Field::new(
                    entries.name(),
                    DataType::Struct(kv_fields.clone()),
                    false,
                ));
                let struct_array = StructArray::new(kv_fields, vec![keys, values], None);
                let offsets =
                    OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, vec![0])));
                Arc::new(MapArray::new(
                    entries_field,
                    offsets,
                    struct_array,
                    nulls.finish(),
                    false,
                ))
            }
            ColumnBuilder::Struct {
                fields,
                children,
                nulls,
                len,
            } => {
                let arrays: Vec<ArrayRef> =
                    children.iter_mut().map(|c| c.finish(buffers)).collect();
                let fields: Fields = fields
                    .iter()
                    .zip(&arrays)
                    .map(|(f, a)| retype(f, a.data_type()))
                    .collect::<Vec<_>>()
                    .into();
                let rows = std::mem::take(len);
                if fields.is_empty() {
                    return Arc::new(StructArray::new_empty_fields(rows, nulls.finish()));
                }
                Arc::new(StructArray::new(fields, arrays, nulls.finish()))
            }
            ColumnBuilder::Variant {
                fields,
                children,
                type_ids,
            } => {
                let arrays: Vec<ArrayRef> =
                    children.iter_mut().map(|c| c.finish(buffers)).collect();
                let fields: UnionFields = fields
                    .iter()
                    .zip(&arrays)
                    .map(|((id, f), a)| (id, retype(f, a.data_type())))
                    .collect();
                let ids = ScalarBuffer::from(std::mem::take(type_ids));
                // SAFETY: every row pushed one of `fields`' ids and one row to every child
                // (`push_variant`), so the ids are valid and the children as long as the union.
                Arc::new(unsafe { UnionArray::new_unchecked(fields, ids, None, arrays) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;

    #[test]
    fn truncate_rolls_back_nested_rows() {
        let item = Arc::new(Field::new("item", DataType::Int64, true));
        let mut list = ColumnBuilder::for_type(&DataType::List(item));
        let ColumnBuilder::List { child, .. } = &mut list else {
            unreachable!()
        };
        let ColumnBuilder::Int64(c) = child.as_mut() else {
            unreachable!()
        };
        c.push(1);
        c.push(2);
        list.close_nested_row();
        let ColumnBuilder::List { child, .. } = &mut list else {
            unreachable!()
        };
        let ColumnBuilder::Int64(c) = child.as_mut() else {
            unreachable!()
        };
        c.push(3);
        list.close_nested_row();
        list.truncate(1);
        list.push_null();
        let array = list.finish(&Arc::from(Vec::<Buffer>::new()));
        let array = array.as_list::<i32>();
        assert_eq!(array.len(), 2);
        assert_eq!(array.value(0).as_primitive::<Int64Type>().values(), &[1, 2]);
        assert!(array.is_null(1));
        assert_eq!(array.values().len(), 2);
    }

    #[test]
    fn strings_are_views_into_the_given_buffers() {
        let buffer = Buffer::from_vec(b"hello, a longer string than twelve".to_vec());
        let mut col = ColumnBuilder::for_type(&DataType::Utf8View);
        let ColumnBuilder::Utf8(v) = &mut col else {
            unreachable!()
        };
        v.push(b"hello", 0, 0);
        v.push(&buffer.as_slice()[7..], 0, 7);
        col.push_null();
        let array = col.finish(&Arc::from(vec![buffer]));
        let array = array.as_string_view();
        assert_eq!(array.value(0), "hello");
        assert_eq!(array.value(1), "a longer string than twelve");
        assert!(array.is_null(2));
    }
}
