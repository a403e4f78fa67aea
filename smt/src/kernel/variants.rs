//! Kernels over [variant](weir_formats::variant) columns: schemaless fields some records lack,
//! or that hold integers in some records and other numbers in others.
//!
//! A transform that does `map.put(name, f(map.get(name)))` (Cast, MaskField,
//! TimestampConverter) reads an absent key as null and writes the key back: [`map_kinds`] runs
//! its column kernel once per kind the variant holds — each a full-length column, null where
//! another kind (or absence) is selected — and puts the results back together by type id.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, UnionArray};
use arrow_buffer::ScalarBuffer;
use arrow_schema::{DataType, Field, FieldRef};
use arrow_select::zip::zip;
use weir_formats::arrow_mapping::META_RAW_JSON;
use weir_formats::variant::{variant_type, Variant};

/// `f(map.get(name))` over the column of schemaless field `field`: `f(field, column)` for a
/// plain column; for a variant, `f` once per kind it holds (each kind's field renamed to
/// `field`'s name, its column null where the record lacks the key or holds another kind), the
/// results put back together by type id — one column where they share a type, else a variant of
/// them (a masked `Long` stays a `Long`, a masked `Double` a `Double`). Absent rows come out
/// null: the key is present afterwards, as after Kafka's `put`. `None` where `f` gives up or
/// the results cannot be put together (the caller takes its row-wise path).
///
/// Cost: `f` per kind, then one zip per extra kind (or a union over the results).
pub(crate) fn map_kinds(
    field: &FieldRef,
    column: &ArrayRef,
    mut f: impl FnMut(&FieldRef, &ArrayRef) -> Option<ArrayRef>,
) -> Option<ArrayRef> {
    let Some(variant) = Variant::of(column.as_ref()) else {
        return f(field, column);
    };
    let mut results: Vec<(i8, FieldRef, ArrayRef)> = Vec::new();
    for (id, (kind, child)) in variant.children().enumerate() {
        if kind.name() == weir_formats::variant::ABSENT {
            continue;
        }
        let renamed = Arc::new(kind.as_ref().clone().with_name(field.name()));
        let result = f(&renamed, child)?;
        results.push((id as i8, kind.clone(), result));
    }
    let (first, rest) = results.split_first()?;
    if rest.iter().all(|r| r.2.data_type() == first.2.data_type()) {
        let ids = variant.type_ids();
        return rest
            .iter()
            .try_fold(first.2.clone(), |merged, (id, _, result)| {
                let selected = BooleanArray::from_iter(ids.iter().map(|t| Some(t == id)));
                zip(&selected, result, &merged).ok()
            });
    }
    regrouped(variant.type_ids(), &results)
}

/// A variant of `results` (per old type id: the kind's field and its new column), rows
/// selecting what they selected before, absent rows the first result (null there).
fn regrouped(old_ids: &ScalarBuffer<i8>, results: &[(i8, FieldRef, ArrayRef)]) -> Option<ArrayRef> {
    let fields: Vec<Field> = results
        .iter()
        .map(|(_, kind, result)| {
            kind.as_ref()
                .clone()
                .with_data_type(result.data_type().clone())
        })
        .collect();
    let DataType::Union(union_fields, _) = variant_type(fields) else {
        return None;
    };
    let ids: Vec<i8> = old_ids
        .iter()
        .map(|old| results.iter().position(|(id, _, _)| id == old).unwrap_or(0) as i8)
        .collect();
    let children = results
        .iter()
        .map(|(_, _, result)| result.clone())
        .collect();
    let union = UnionArray::try_new(union_fields, ScalarBuffer::from(ids), None, children).ok()?;
    Some(Arc::new(union))
}

/// Whether `field` holds raw JSON text (rows that disagree on a type), itself or as a kind of
/// its variant. Cost: a metadata lookup per kind.
pub(crate) fn holds_raw_json(field: &Field) -> bool {
    if field.metadata().contains_key(META_RAW_JSON) {
        return true;
    }
    match field.data_type() {
        DataType::Union(kinds, _) => kinds.iter().any(|(_, kind)| holds_raw_json(kind)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    use arrow_array::{Float64Array, Int64Array, NullArray};
    use arrow_cast::cast;
    use weir_formats::variant::{ABSENT, FLOAT, INT};

    /// Rows: absent, 1, 2.5, null.
    fn numbers() -> ArrayRef {
        let DataType::Union(fields, _) = variant_type(vec![
            Field::new(ABSENT, DataType::Null, true),
            Field::new(INT, DataType::Int64, true),
            Field::new(FLOAT, DataType::Float64, true),
        ]) else {
            unreachable!()
        };
        let children: Vec<ArrayRef> = vec![
            Arc::new(NullArray::new(4)),
            Arc::new(Int64Array::from(vec![None, Some(1), None, None])),
            Arc::new(Float64Array::from(vec![None, None, Some(2.5), None])),
        ];
        let ids = ScalarBuffer::from(vec![0i8, 1, 2, 1]);
        Arc::new(UnionArray::try_new(fields, ids, None, children).unwrap())
    }

    fn field_of(column: &ArrayRef) -> FieldRef {
        Arc::new(Field::new("n", column.data_type().clone(), true))
    }

    #[test]
    fn kinds_that_end_in_one_type_make_one_column_with_absent_as_null() {
        let column = numbers();
        let merged = map_kinds(&field_of(&column), &column, |field, child| {
            assert_eq!(field.name(), "n");
            cast(child, &DataType::Int64).ok()
        })
        .unwrap();
        let merged = merged.as_primitive::<Int64Type>();
        assert_eq!(
            merged.iter().collect::<Vec<_>>(),
            vec![None, Some(1), Some(2), None]
        );
    }

    #[test]
    fn kinds_that_keep_their_types_stay_a_variant() {
        let column = numbers();
        let kept = map_kinds(&field_of(&column), &column, |_, child| Some(child.clone())).unwrap();
        let variant = Variant::of(kept.as_ref()).unwrap();
        let kinds: Vec<_> = variant.children().map(|(f, _)| f.name().clone()).collect();
        assert_eq!(kinds, vec![INT, FLOAT]);
        assert_eq!(variant.type_ids().to_vec(), vec![0, 0, 1, 0]);
        assert!(kept.logical_nulls().unwrap().is_null(0));
        let raw = std::collections::HashMap::from([(META_RAW_JSON.to_string(), "true".into())]);
        let raw = Field::new("x", DataType::Utf8View, true).with_metadata(raw);
        assert!(holds_raw_json(&raw));
        assert!(holds_raw_json(&Field::new(
            "n",
            variant_type(vec![raw]),
            true
        )));
    }

    #[test]
    fn a_kind_that_gives_up_gives_up_the_column() {
        let column = numbers();
        let none = map_kinds(&field_of(&column), &column, |field, child| {
            (field.data_type() == &DataType::Int64).then(|| child.clone())
        });
        assert!(none.is_none());
    }
}
