//! Variant columns: schemaless fields whose records differ, kept columnar (issue 8).
//!
//! Kafka's schemaless JsonConverter reads each record into its own `HashMap`, so one record may
//! lack a key another has, and a number may be a `Long` in one record and a `Double` in the next.
//! A variant column holds such a field as an Arrow sparse union whose children are named for
//! what they hold:
//!
//! - [`ABSENT`] (`Null`): the record has no such key — a struct child only;
//! - [`VALUE`]: the value where every present record agrees on one type;
//! - [`INT`] (`Int64`) and [`FLOAT`] (`Float64`): numbers, integral or not, each kept as it came.
//!
//! Every child is as long as the union and null wherever another child is selected, so a
//! kernel can run over a child as a whole column and pick rows by type id afterwards. A JSON
//! `null` selects the first value child, null there. Absent therefore stays absent, null stays
//! null, `1` stays an integer and `1.5` a float: exactly what Kafka would write back.
//!
//! Cost: one type id byte per row, plus a full-length child per kind (nulls where unused).

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, UnionArray};
use arrow_buffer::ScalarBuffer;
use arrow_schema::{DataType, Field, FieldRef, UnionFields, UnionMode};

/// The child of a record that lacks the key.
pub const ABSENT: &str = "absent";
/// The child of present values that share one type.
pub const VALUE: &str = "value";
/// The child of integral numbers (`Long`).
pub const INT: &str = "int";
/// The child of other numbers (`Double`).
pub const FLOAT: &str = "float";

/// The variant type with these `children` (fields named [`ABSENT`], [`VALUE`], [`INT`],
/// [`FLOAT`]), type ids 0, 1, … in order. Cost: one allocation.
pub fn variant_type(children: Vec<Field>) -> DataType {
    DataType::Union(UnionFields::from_fields(children), UnionMode::Sparse)
}

/// Whether `data_type` is a variant (the only unions weir makes). Cost: a match.
pub fn is_variant(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Union(_, UnionMode::Sparse))
}

/// Whether `data_type` holds a variant anywhere inside (struct fields, list items, map values).
/// Cost: a walk of the type.
pub fn holds_variant(data_type: &DataType) -> bool {
    match data_type {
        DataType::Union(..) => true,
        DataType::Struct(fields) => fields.iter().any(|f| holds_variant(f.data_type())),
        DataType::List(item) | DataType::LargeList(item) | DataType::Map(item, _) => {
            holds_variant(item.data_type())
        }
        _ => false,
    }
}

/// A variant column read row by row.
#[derive(Debug, Clone, Copy)]
pub struct Variant<'a> {
    union: &'a UnionArray,
    fields: &'a UnionFields,
}

impl<'a> Variant<'a> {
    /// `array` as a variant, if it is one. Cost: a downcast.
    pub fn of(array: &'a dyn Array) -> Option<Variant<'a>> {
        match array.data_type() {
            DataType::Union(fields, UnionMode::Sparse) => Some(Variant {
                union: array.as_union_opt()?,
                fields,
            }),
            _ => None,
        }
    }

    /// The field and column of the child row `row` selects. Cost: a type id load and a scan of
    /// the (at most four) children.
    pub fn selected(&self, row: usize) -> (&'a FieldRef, &'a ArrayRef) {
        let id = self.union.type_id(row);
        self.child_by_id(id)
    }

    /// Whether row `row` is a record without the key. Cost: as [`Variant::selected`].
    pub fn is_absent(&self, row: usize) -> bool {
        self.selected(row).0.name() == ABSENT
    }

    fn child_by_id(&self, id: i8) -> (&'a FieldRef, &'a ArrayRef) {
        // Variants number their children 0, 1, … (`variant_type`), and a union's type ids name
        // its children.
        let (_, field) = &self.fields[id as usize];
        (field, self.union.child(id))
    }

    /// Every child (its field and full-length column), in type id order. Cost: none until
    /// iterated.
    pub fn children(&self) -> impl Iterator<Item = (&'a FieldRef, &'a ArrayRef)> + 'a {
        let union = self.union;
        self.fields.iter().map(move |(id, f)| (f, union.child(id)))
    }

    /// The type id of each row. Cost: none (the union's buffer).
    pub fn type_ids(&self) -> &'a ScalarBuffer<i8> {
        self.union.type_ids()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, NullArray, StringArray};
    use std::sync::Arc;

    fn optional_strings() -> ArrayRef {
        let DataType::Union(fields, _) = variant_type(vec![
            Field::new(ABSENT, DataType::Null, true),
            Field::new(VALUE, DataType::Utf8, true),
        ]) else {
            unreachable!()
        };
        let children: Vec<ArrayRef> = vec![
            Arc::new(NullArray::new(3)),
            Arc::new(StringArray::from(vec![Some("a"), None, None])),
        ];
        let ids = ScalarBuffer::from(vec![1i8, 0, 1]);
        Arc::new(UnionArray::try_new(fields, ids, None, children).unwrap())
    }

    #[test]
    fn absent_null_and_present_rows_are_told_apart() {
        let array = optional_strings();
        let variant = Variant::of(array.as_ref()).unwrap();
        assert!(!variant.is_absent(0));
        assert!(variant.is_absent(1));
        assert!(!variant.is_absent(2));
        assert!(variant.selected(2).1.is_null(2));
        let (field, column) = variant.selected(0);
        assert_eq!(field.name(), VALUE);
        assert_eq!(column.as_string::<i32>().value(0), "a");
        assert_eq!(column.null_count(), 2);
    }

    #[test]
    fn numbers_keep_their_kind_per_row() {
        let DataType::Union(fields, _) = variant_type(vec![
            Field::new(INT, DataType::Int64, true),
            Field::new(FLOAT, DataType::Float64, true),
        ]) else {
            unreachable!()
        };
        let children: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![Some(1), None])),
            Arc::new(arrow_array::Float64Array::from(vec![None, Some(1.5)])),
        ];
        let array: ArrayRef = Arc::new(
            UnionArray::try_new(fields, ScalarBuffer::from(vec![0i8, 1]), None, children).unwrap(),
        );
        assert!(holds_variant(&DataType::Struct(
            vec![Field::new("n", array.data_type().clone(), true)].into()
        )));
        assert_eq!(
            Variant::of(array.as_ref()).unwrap().selected(1).0.name(),
            FLOAT
        );
    }
}
