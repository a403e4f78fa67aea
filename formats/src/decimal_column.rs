//! Decimal columns, including those whose rows keep their own scale (Kafka Connect's
//! `java.math.BigDecimal` carries its own scale; the Decimal schema's `scale` parameter is only
//! checked by some writers).
//!
//! A Connect Decimal column is `Decimal128(38, schema scale)` whenever every value in it has the
//! schema's scale: the common case, at no extra cost. Only when a column's values do not all
//! have that scale (a JSON number `1.5` read for a scale-3 field, a Protobuf
//! `confluent.type.Decimal` message with its own scale) is it an **own-scale column**:
//!
//! ```text
//! Struct { unscaled: Decimal128(38, 0) not null, scale: Int32 not null }
//! ```
//!
//! one row per value (`unscaled × 10^-scale`), the struct's validity being the values'. Both
//! children carry the field-metadata key [`OWN_SCALE_TAG`]; no Connect schema can produce that key
//! (Connect metadata is `connect.*`), so the column is told apart from a Connect STRUCT that
//! happens to have the same field names, and from every other weir column, by
//! [`is_own_scale`] alone. The Connect schema stays `Decimal(scale)`; only the Arrow type
//! differs, so a parent STRUCT, ARRAY or MAP column takes its child's actual type (see
//! [`fields_for_columns`]).
//!
//! This file is the one place that builds ([`DecimalColumnBuilder`]) and reads
//! ([`DecimalColumn`]) Decimal columns; the decoders, encoders and transforms go through it.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Int32Type};
use arrow_array::{Array, ArrayRef, Decimal128Array, Int32Array, PrimitiveArray, StructArray};
use arrow_buffer::{NullBufferBuilder, ScalarBuffer};
use arrow_schema::{DataType, Field, FieldRef, Fields};

use crate::arrow_mapping::DECIMAL_PRECISION;
use crate::error::ConnectError;
use crate::value::Decimal;

/// Field-metadata key on both children of an own-scale Decimal column (see the module doc).
pub const OWN_SCALE_TAG: &str = "weir.decimal_own_scale";

/// The Arrow type of an own-scale Decimal column (see the module doc). Cost: builds two fields.
pub fn own_scale_type() -> DataType {
    let tagged = |name: &str, data_type: DataType| {
        Field::new(name, data_type, false).with_metadata(HashMap::from([(
            OWN_SCALE_TAG.to_string(),
            name.to_string(),
        )]))
    };
    DataType::Struct(Fields::from(vec![
        tagged("unscaled", DataType::Decimal128(DECIMAL_PRECISION, 0)),
        tagged("scale", DataType::Int32),
    ]))
}

/// Whether `data_type` is the own-scale Decimal column type. Cost: O(1).
pub fn is_own_scale(data_type: &DataType) -> bool {
    match data_type {
        DataType::Struct(fields) => {
            fields.len() == 2 && fields[0].metadata().contains_key(OWN_SCALE_TAG)
        }
        _ => false,
    }
}

/// Whether a column of type `actual` holds data of the Connect schema whose planned Arrow type is
/// `planned`: the types are equal, or differ only where one of them has an own-scale Decimal
/// column and the other a Decimal128 one (at any depth of structs, lists and maps). Cost: one
/// walk of the types.
pub fn holds_planned_type(planned: &DataType, actual: &DataType) -> bool {
    if planned == actual {
        return true;
    }
    let same_field = |a: &FieldRef, b: &FieldRef| {
        a.name() == b.name()
            && a.is_nullable() == b.is_nullable()
            && a.metadata() == b.metadata()
            && holds_planned_type(a.data_type(), b.data_type())
    };
    match (planned, actual) {
        (DataType::Decimal128(..), actual) => is_own_scale(actual),
        (planned, DataType::Decimal128(..)) => is_own_scale(planned),
        (DataType::Struct(a), DataType::Struct(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| same_field(a, b))
        }
        (DataType::List(a), DataType::List(b)) => same_field(a, b),
        (DataType::Map(a, sorted_a), DataType::Map(b, sorted_b)) => {
            sorted_a == sorted_b && same_field(a, b)
        }
        _ => false,
    }
}

/// `field` with `data_type` (a clone of the `Arc` when the type already matches). Cost: O(1),
/// or a field copy when the type differs.
pub fn retype(field: &FieldRef, data_type: &DataType) -> FieldRef {
    if field.data_type() == data_type {
        field.clone()
    } else {
        Arc::new(field.as_ref().clone().with_data_type(data_type.clone()))
    }
}

/// The struct fields for `columns`: each of `fields` (planned from a Connect schema) with its
/// column's actual type where that differs only by own-scale Decimal columns
/// ([`holds_planned_type`]); other differences are left for Arrow to report. Cost: one type
/// compare per field; a copy of the fields only where one differs.
pub fn fields_for_columns(fields: &Fields, columns: &[ArrayRef]) -> Fields {
    let differs = fields
        .iter()
        .zip(columns)
        .any(|(f, c)| f.data_type() != c.data_type());
    if !differs {
        return fields.clone();
    }
    fields
        .iter()
        .zip(columns)
        .map(|(f, c)| {
            if holds_planned_type(f.data_type(), c.data_type()) {
                retype(f, c.data_type())
            } else {
                f.clone()
            }
        })
        .chain(fields.iter().skip(columns.len()).cloned())
        .collect::<Vec<_>>()
        .into()
}

/// `array` as an own-scale column when it is a Decimal column of either kind (a Decimal128 one
/// gets its scale on every row), else `None`. Cost: one Int32 buffer of the scale for a
/// Decimal128 column; the unscaled values are shared, not copied.
fn as_own_scale(array: &ArrayRef) -> Option<ArrayRef> {
    match DecimalColumn::of(array.as_ref())? {
        DecimalColumn::OwnScale(..) => Some(array.clone()),
        DecimalColumn::Uniform(values, scale) => {
            let DataType::Struct(fields) = own_scale_type() else {
                unreachable!("own_scale_type is a struct")
            };
            let unscaled = PrimitiveArray::<Decimal128Type>::new(values.values().clone(), None)
                .with_data_type(DataType::Decimal128(DECIMAL_PRECISION, 0));
            let scales = Int32Array::from(vec![scale; values.len()]);
            let rows = StructArray::new(
                fields,
                vec![Arc::new(unscaled), Arc::new(scales)],
                values.nulls().cloned(),
            );
            Some(Arc::new(rows))
        }
    }
}

/// `a` and `b` in one Arrow type, for kernels that combine two columns of one Connect schema
/// (`zip` with a default): when both are Decimal columns of different kinds, both as own-scale
/// columns; otherwise as they are (a STRUCT default beside a struct column with an own-scale
/// child is not reconciled: Arrow reports the mismatch and the rows fail). Cost: see
/// [`as_own_scale`]; nothing when the types already agree.
pub fn alike(a: &ArrayRef, b: &ArrayRef) -> (ArrayRef, ArrayRef) {
    if a.data_type() != b.data_type() {
        if let (Some(a), Some(b)) = (as_own_scale(a), as_own_scale(b)) {
            return (a, b);
        }
    }
    (a.clone(), b.clone())
}

/// Kafka's `Decimal.fromLogical` check, which BASE64 JSON, Avro and the other byte writers
/// apply: the value's own scale must be the schema's. Cost: O(1).
pub fn check_schema_scale(decimal: Decimal, schema_scale: i32) -> Result<(), ConnectError> {
    if decimal.scale == schema_scale {
        return Ok(());
    }
    Err(ConnectError::data(format!(
        "Decimal value has mismatching scale for given Decimal schema. Schema has scale \
         {schema_scale}, value has scale {}.",
        decimal.scale
    )))
}

/// The smallest magnitude with more digits than a Decimal128 column holds.
const DIGITS_LIMIT: u128 = 10u128.pow(DECIMAL_PRECISION as u32);

/// The decimal's unscaled value when it has at most the 38 digits a Decimal128 column holds.
fn checked_unscaled(decimal: Decimal) -> Result<i128, ConnectError> {
    if decimal.unscaled.unsigned_abs() >= DIGITS_LIMIT {
        return Err(ConnectError::data(format!(
            "Decimal value {decimal} has more than {DECIMAL_PRECISION} digits"
        )));
    }
    Ok(decimal.unscaled)
}

/// A Decimal column being read: at one scale, or own-scale.
#[derive(Debug, Clone, Copy)]
pub enum DecimalColumn<'a> {
    /// `Decimal128(_, scale)`: every row at `scale`.
    Uniform(&'a Decimal128Array, i32),
    /// An own-scale column: its rows, unscaled values and scales.
    OwnScale(&'a StructArray, &'a Decimal128Array, &'a Int32Array),
}

impl<'a> DecimalColumn<'a> {
    /// `array` as a Decimal column, `None` when it is neither kind. Cost: O(1).
    pub fn of(array: &'a dyn Array) -> Option<DecimalColumn<'a>> {
        match array.data_type() {
            DataType::Decimal128(_, scale) => Some(DecimalColumn::Uniform(
                array.as_primitive_opt::<Decimal128Type>()?,
                i32::from(*scale),
            )),
            data_type if is_own_scale(data_type) => {
                let rows = array.as_struct_opt()?;
                Some(DecimalColumn::OwnScale(
                    rows,
                    rows.column(0).as_primitive_opt::<Decimal128Type>()?,
                    rows.column(1).as_primitive_opt::<Int32Type>()?,
                ))
            }
            _ => None,
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            DecimalColumn::Uniform(values, _) => values.len(),
            DecimalColumn::OwnScale(rows, _, _) => rows.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `row` is null.
    pub fn is_null(&self, row: usize) -> bool {
        match self {
            DecimalColumn::Uniform(values, _) => values.is_null(row),
            DecimalColumn::OwnScale(rows, _, _) => rows.is_null(row),
        }
    }

    /// Row `row`'s value (meaningless for a null row). Cost: O(1).
    #[inline]
    pub fn value(&self, row: usize) -> Decimal {
        match self {
            DecimalColumn::Uniform(values, scale) => Decimal {
                unscaled: values.value(row),
                scale: *scale,
            },
            DecimalColumn::OwnScale(_, unscaled, scales) => Decimal {
                unscaled: unscaled.value(row),
                scale: scales.value(row),
            },
        }
    }

    /// The scale every row has, `None` for an own-scale column.
    pub fn uniform_scale(&self) -> Option<i32> {
        match self {
            DecimalColumn::Uniform(_, scale) => Some(*scale),
            DecimalColumn::OwnScale(..) => None,
        }
    }
}

/// Builds a Decimal column for a schema scale: `Decimal128(38, scale)` while every value has that
/// scale, an own-scale column otherwise (decided at [`DecimalColumnBuilder::finish`]). Rows can be
/// rolled back ([`DecimalColumnBuilder::truncate`]).
#[derive(Debug)]
pub struct DecimalColumnBuilder {
    scale: i8,
    unscaled: Vec<i128>,
    /// Each row's scale, kept from the first value of another scale on (`None` until then).
    scales: Option<Vec<i32>>,
    nulls: NullBufferBuilder,
}

impl DecimalColumnBuilder {
    /// An empty builder for a schema of `scale`.
    pub fn new(scale: i8) -> DecimalColumnBuilder {
        DecimalColumnBuilder {
            scale,
            unscaled: Vec::new(),
            scales: None,
            nulls: NullBufferBuilder::new(0),
        }
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        self.unscaled.len()
    }

    /// Whether no row was appended.
    pub fn is_empty(&self) -> bool {
        self.unscaled.is_empty()
    }

    /// Appends a value at the schema's scale (an unscaled integer that fits 38 digits).
    #[inline]
    pub fn push_unscaled(&mut self, unscaled: i128) {
        if let Some(scales) = &mut self.scales {
            scales.push(i32::from(self.scale));
        }
        self.unscaled.push(unscaled);
        self.nulls.append_non_null();
    }

    /// Appends `decimal` with its own scale; a value of more than 38 digits is an error (nothing
    /// is appended). Cost: O(1), plus one pass over the rows so far at the first value of
    /// another scale.
    pub fn push(&mut self, decimal: Decimal) -> Result<(), ConnectError> {
        let unscaled = checked_unscaled(decimal)?;
        let schema_scale = i32::from(self.scale);
        if decimal.scale != schema_scale && self.scales.is_none() {
            self.scales = Some(vec![schema_scale; self.unscaled.len()]);
        }
        if let Some(scales) = &mut self.scales {
            scales.push(decimal.scale);
        }
        self.unscaled.push(unscaled);
        self.nulls.append_non_null();
        Ok(())
    }

    /// Appends a null row.
    pub fn push_null(&mut self) {
        if let Some(scales) = &mut self.scales {
            scales.push(i32::from(self.scale));
        }
        self.unscaled.push(0);
        self.nulls.append_null();
    }

    /// Rolls back to `len` rows.
    pub fn truncate(&mut self, len: usize) {
        self.unscaled.truncate(len);
        if let Some(scales) = &mut self.scales {
            scales.truncate(len);
        }
        self.nulls.truncate(len);
    }

    /// The finished column, leaving the builder empty: `Decimal128(38, scale)` when every row has
    /// the schema's scale, else an own-scale column. Cost: moves the vectors into Arrow buffers,
    /// plus a pass over the scales when some were kept.
    pub fn finish(&mut self) -> ArrayRef {
        let unscaled = ScalarBuffer::from(std::mem::take(&mut self.unscaled));
        let scales = self.scales.take().unwrap_or_default();
        let nulls = self.nulls.finish();
        let schema_scale = i32::from(self.scale);
        if scales.iter().all(|&s| s == schema_scale) {
            let values = PrimitiveArray::<Decimal128Type>::new(unscaled, nulls)
                .with_data_type(DataType::Decimal128(DECIMAL_PRECISION, self.scale));
            return Arc::new(values);
        }
        let DataType::Struct(fields) = own_scale_type() else {
            unreachable!("own_scale_type is a struct")
        };
        let unscaled = PrimitiveArray::<Decimal128Type>::new(unscaled, None)
            .with_data_type(DataType::Decimal128(DECIMAL_PRECISION, 0));
        let scales = PrimitiveArray::<Int32Type>::new(ScalarBuffer::from(scales), None);
        Arc::new(StructArray::new(
            fields,
            vec![Arc::new(unscaled), Arc::new(scales)],
            nulls,
        ))
    }
}

/// The Decimal column of a schema of `scale` holding `values` (`None`: null), through
/// [`DecimalColumnBuilder`]; the first value of more than 38 digits is an error with its index.
/// Cost: one pass.
pub fn decimal_array(
    scale: i8,
    values: impl IntoIterator<Item = Option<Decimal>>,
) -> Result<ArrayRef, (usize, ConnectError)> {
    let mut builder = DecimalColumnBuilder::new(scale);
    for (i, value) in values.into_iter().enumerate() {
        match value {
            Some(d) => builder.push(d).map_err(|e| (i, e))?,
            None => builder.push_null(),
        }
    }
    Ok(builder.finish())
}

/// `BigInteger.toByteArray()` of an unscaled value: its shortest big-endian two's-complement
/// bytes (at least one), as Kafka's `Decimal.fromLogical` writes a Decimal's bytes. Cost: O(1),
/// on the stack.
pub fn big_integer_bytes(v: i128) -> BigIntegerBytes {
    let bytes = v.to_be_bytes();
    let sign_byte = if v < 0 { 0xFF } else { 0x00 };
    // A leading byte is redundant while it only repeats the sign bit of the byte after it.
    let start = (0..15)
        .take_while(|&i| bytes[i] == sign_byte && (bytes[i + 1] & 0x80 != 0) == (v < 0))
        .count();
    BigIntegerBytes { bytes, start }
}

/// The bytes [`big_integer_bytes`] gives; derefs to the slice.
#[derive(Debug, Clone, Copy)]
pub struct BigIntegerBytes {
    bytes: [u8; 16],
    start: usize,
}

impl std::ops::Deref for BigIntegerBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_integer_bytes_are_the_shortest_twos_complement() {
        let cases: [(i128, &[u8]); 8] = [
            (0, &[0]),
            (127, &[0x7F]),
            (128, &[0x00, 0x80]),
            (14_990, &[0x3A, 0x8E]),
            (-1, &[0xFF]),
            (-128, &[0x80]),
            (-129, &[0xFF, 0x7F]),
            (i128::from(i64::MIN), &i64::MIN.to_be_bytes()),
        ];
        for (v, want) in cases {
            assert_eq!(&*big_integer_bytes(v), want, "{v}");
        }
        assert_eq!(&*big_integer_bytes(i128::MIN), &i128::MIN.to_be_bytes());
    }

    proptest::proptest! {
        #[test]
        fn big_integer_bytes_sign_extend_back_and_are_minimal(v in proptest::prelude::any::<i128>()) {
            let bytes = big_integer_bytes(v);
            let start: i128 = if bytes[0] & 0x80 != 0 { -1 } else { 0 };
            let back = bytes.iter().fold(start, |acc, &b| (acc << 8) | i128::from(b));
            proptest::prop_assert_eq!(back, v);
            // One byte fewer would not do: it would read back as another number.
            if bytes.len() > 1 {
                let shorter = &bytes[1..];
                let start: i128 = if shorter[0] & 0x80 != 0 { -1 } else { 0 };
                let other = shorter.iter().fold(start, |acc, &b| (acc << 8) | i128::from(b));
                proptest::prop_assert_ne!(other, v);
            }
        }
    }

    fn d(unscaled: i128, scale: i32) -> Decimal {
        Decimal { unscaled, scale }
    }

    fn read(array: &ArrayRef) -> Vec<Option<Decimal>> {
        let column = DecimalColumn::of(array.as_ref()).expect("a decimal column");
        (0..array.len())
            .map(|i| (!column.is_null(i)).then(|| column.value(i)))
            .collect()
    }

    #[test]
    fn values_at_the_schema_scale_make_a_plain_decimal128_column() {
        let values = vec![Some(d(150, 2)), None, Some(d(-1, 2))];
        let array = decimal_array(2, values.clone()).expect("builds");
        assert_eq!(array.data_type(), &DataType::Decimal128(38, 2));
        assert_eq!(read(&array), values);
    }

    #[test]
    fn a_value_of_another_scale_makes_an_own_scale_column() {
        let values = vec![Some(d(150, 2)), None, Some(d(15, 1)), Some(d(1005, 3))];
        let array = decimal_array(2, values.clone()).expect("builds");
        assert!(is_own_scale(array.data_type()));
        assert_eq!(read(&array), values);
        assert!(holds_planned_type(
            &DataType::Decimal128(38, 2),
            array.data_type()
        ));
    }

    #[test]
    fn a_first_value_of_another_scale_is_kept() {
        let values = vec![Some(d(15, 1)), Some(d(1500, 3))];
        let array = decimal_array(3, values.clone()).expect("builds");
        assert!(is_own_scale(array.data_type()));
        assert_eq!(read(&array), values);
    }

    #[test]
    fn rolling_back_the_off_scale_rows_gives_a_plain_column_again() {
        let mut builder = DecimalColumnBuilder::new(3);
        builder.push(d(1500, 3)).expect("fits");
        builder.push(d(15, 1)).expect("fits");
        builder.truncate(1);
        builder.push_unscaled(7);
        let array = builder.finish();
        assert_eq!(array.data_type(), &DataType::Decimal128(38, 3));
        assert_eq!(read(&array), vec![Some(d(1500, 3)), Some(d(7, 3))]);
    }

    #[test]
    fn more_than_38_digits_is_an_error_naming_the_row() {
        let huge = d(10i128.pow(38), 0);
        let (row, error) = decimal_array(0, [Some(d(1, 0)), Some(huge)]).expect_err("too big");
        assert_eq!(row, 1);
        assert!(error.to_string().contains("more than 38 digits"), "{error}");
    }

    #[test]
    fn a_connect_struct_with_the_same_field_names_is_not_own_scale() {
        let lookalike = DataType::Struct(Fields::from(vec![
            Field::new("unscaled", DataType::Decimal128(38, 0), false),
            Field::new("scale", DataType::Int32, false),
        ]));
        assert!(!is_own_scale(&lookalike));
        assert!(is_own_scale(&own_scale_type()));
    }

    #[test]
    fn a_plain_and_an_own_scale_column_are_made_alike() {
        let plain = decimal_array(2, [Some(d(150, 2)), None]).expect("builds");
        let own = decimal_array(2, [Some(d(15, 1))]).expect("builds");
        let (a, b) = alike(&plain, &own);
        assert_eq!(a.data_type(), b.data_type());
        assert_eq!(read(&a), vec![Some(d(150, 2)), None]);
        assert_eq!(read(&b), vec![Some(d(15, 1))]);
        let (a, _) = alike(&plain, &plain);
        assert_eq!(a.data_type(), &DataType::Decimal128(38, 2));
    }

    #[test]
    fn the_scale_check_speaks_kafkas_words() {
        assert!(check_schema_scale(d(15, 1), 1).is_ok());
        let error = check_schema_scale(d(-15, 1), 3).expect_err("mismatch");
        assert_eq!(
            error.to_string(),
            "DataException: Decimal value has mismatching scale for given Decimal schema. Schema \
             has scale 3, value has scale 1."
        );
    }

    #[test]
    fn parent_fields_take_the_own_scale_type_of_their_columns() {
        let planned = Fields::from(vec![Field::new("p", DataType::Decimal128(38, 3), true)]);
        let column = decimal_array(3, [Some(d(15, 1))]).expect("builds");
        let fields = fields_for_columns(&planned, std::slice::from_ref(&column));
        assert_eq!(fields[0].data_type(), column.data_type());
        assert!(holds_planned_type(
            &DataType::Struct(planned),
            &DataType::Struct(fields)
        ));
    }
}
