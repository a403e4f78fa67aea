//! The row-wise reference of the decoder: a prost-reflect `DynamicMessage` → the Connect value,
//! written after ProtobufData's `toConnectData` for readability (the oracle the decoder is
//! checked against, and the baseline it is measured against). A `DynamicMessage` per record is
//! what the JVM does and what [`super::decoder`] avoids.

use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, ReflectMessage, Value as PValue,
};

use super::data::{ProtobufData, TAG_PARAM};
use super::decoder::round_to_precision;
use super::encoder::java_map_order;
use super::java_calendar::{date_to_days, time_of_day_to_millis};
use super::schema_file::ENUM_ZERO_PLACEHOLDER;
use super::well_known::{is_wrapper, DATE, DECIMAL, TIMESTAMP, TIME_OF_DAY};
use crate::schema::{SchemaKind, SchemaRef};
use crate::value::{Decimal, Struct, Value};

/// The Connect value of `message` under `schema` (the schema [`ProtobufData`] gives its
/// descriptor). Cost: the value tree plus a walk of the message.
pub fn to_connect_value(
    data: &ProtobufData,
    message: &DynamicMessage,
    schema: &SchemaRef,
) -> Result<Value, String> {
    if !matches!(schema.kind, SchemaKind::Struct(_)) {
        // A wrapper read as its primitive.
        let field = message
            .descriptor()
            .get_field(1)
            .ok_or("wrapper without a value")?;
        return scalar(data, &field, &message.get_field(&field), schema);
    }
    let mut values = Vec::new();
    for f in schema.fields() {
        match f
            .schema
            .parameter(TAG_PARAM)
            .and_then(|t| t.parse::<u32>().ok())
        {
            Some(n) => {
                let fd = message.descriptor().get_field(n).ok_or("no such field")?;
                values.push(field_value(data, message, &fd, &f.schema)?);
            }
            None => {
                let mut members = Vec::new();
                let mut any = false;
                for m in f.schema.fields() {
                    let n = m
                        .schema
                        .parameter(TAG_PARAM)
                        .and_then(|t| t.parse::<u32>().ok())
                        .ok_or("union member without Tag")?;
                    let fd = message.descriptor().get_field(n).ok_or("no such field")?;
                    if message.has_field(&fd) {
                        any = true;
                        members.push(present_value(
                            data,
                            &fd,
                            &message.get_field(&fd),
                            &m.schema,
                        )?);
                    } else {
                        members.push(Value::Null);
                    }
                }
                values.push(if any {
                    Value::Struct(Struct {
                        schema: f.schema.clone(),
                        values: members,
                    })
                } else {
                    Value::Null
                });
            }
        }
    }
    Ok(Value::Struct(Struct {
        schema: schema.clone(),
        values,
    }))
}

fn has_presence(data: &ProtobufData, fd: &FieldDescriptor) -> bool {
    fd.containing_oneof().is_some()
        || fd.parent_file().syntax() == prost_reflect::Syntax::Proto2
            && data.config.optional_for_proto2
            && fd.cardinality() == prost_reflect::Cardinality::Optional
}

fn field_value(
    data: &ProtobufData,
    message: &DynamicMessage,
    fd: &FieldDescriptor,
    schema: &SchemaRef,
) -> Result<Value, String> {
    let value = message.get_field(fd);
    if fd.is_map() || fd.is_list() {
        return present_value(data, fd, &value, schema);
    }
    let is_message = matches!(fd.kind(), Kind::Message(_));
    if !message.has_field(fd) && (is_message || has_presence(data, fd)) {
        let plain = matches!(fd.kind(), Kind::Message(m) if !is_well_known(m.full_name()));
        if !(plain && data.config.generate_struct_for_nulls) {
            return Ok(Value::Null);
        }
    }
    present_value(data, fd, &value, schema)
}

fn is_well_known(name: &str) -> bool {
    matches!(name, TIMESTAMP | DATE | TIME_OF_DAY | DECIMAL) || is_wrapper(name)
}

fn present_value(
    data: &ProtobufData,
    fd: &FieldDescriptor,
    value: &PValue,
    schema: &SchemaRef,
) -> Result<Value, String> {
    match (value, &schema.kind) {
        (PValue::List(items), SchemaKind::Array(element)) => items
            .iter()
            .map(|v| single(data, fd, v, element))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        (PValue::Map(entries), SchemaKind::Map(ks, vs)) => {
            let Kind::Message(entry) = fd.kind() else {
                return Err("map without entry".into());
            };
            let (kf, vf) = (entry.map_entry_key_field(), entry.map_entry_value_field());
            let mut out = Vec::new();
            for (k, v) in entries {
                let k = match k {
                    MapKey::Bool(b) => PValue::Bool(*b),
                    MapKey::I32(x) => PValue::I32(*x),
                    MapKey::I64(x) => PValue::I64(*x),
                    MapKey::U32(x) => PValue::U32(*x),
                    MapKey::U64(x) => PValue::U64(*x),
                    MapKey::String(s) => PValue::String(s.clone()),
                };
                out.push((single(data, &kf, &k, ks)?, single(data, &vf, v, vs)?));
            }
            Ok(Value::Map(java_map_order(out)))
        }
        _ => single(data, fd, value, schema),
    }
}

fn single(
    data: &ProtobufData,
    fd: &FieldDescriptor,
    value: &PValue,
    schema: &SchemaRef,
) -> Result<Value, String> {
    let PValue::Message(m) = value else {
        return scalar(data, fd, value, schema);
    };
    let name = m.descriptor().full_name().to_string();
    let int = |n: &str| -> i64 {
        match m.get_field_by_name(n).as_deref() {
            Some(PValue::I32(x)) => i64::from(*x),
            Some(PValue::I64(x)) => *x,
            Some(PValue::U32(x)) => i64::from(*x),
            _ => 0,
        }
    };
    Ok(match name.as_str() {
        TIMESTAMP => Value::Date(int("seconds") * 1000 + int("nanos") / 1_000_000),
        DATE => Value::Date(
            date_to_days(int("year") as i32, int("month") as i32, int("day") as i32)? * 86_400_000,
        ),
        TIME_OF_DAY => Value::Date(time_of_day_to_millis(
            int("hours") as i32,
            int("minutes") as i32,
            int("seconds") as i32,
            int("nanos") as i32,
        )?),
        DECIMAL => {
            // `DecimalUtils.toBigDecimal`: the message's own scale, whatever the field's.
            let bytes = match m.get_field_by_name("value").as_deref() {
                Some(PValue::Bytes(b)) => b.to_vec(),
                _ => Vec::new(),
            };
            let unscaled = crate::json::schema_decode::unscaled_from_bytes(&bytes)
                .ok_or("decimal out of range")?;
            let decimal = Decimal {
                unscaled,
                scale: int("scale") as i32,
            };
            Value::Decimal(round_to_precision(decimal, int("precision") as i32)?)
        }
        n if is_wrapper(n) => {
            let inner = m.descriptor().get_field(1).ok_or("wrapper without value")?;
            scalar(data, &inner, &m.get_field(&inner), schema)?
        }
        _ => to_connect_value(data, m, schema)?,
    })
}

fn scalar(
    data: &ProtobufData,
    fd: &FieldDescriptor,
    value: &PValue,
    schema: &SchemaRef,
) -> Result<Value, String> {
    Ok(match (value, &schema.kind) {
        (PValue::I32(x), SchemaKind::Int8) => Value::Int8(*x as i8),
        (PValue::I32(x), SchemaKind::Int16) => Value::Int16(*x as i16),
        (PValue::I32(x), _) => Value::Int32(*x),
        (PValue::U32(x), _) => Value::Int64(i64::from(*x)),
        (PValue::I64(x), _) => Value::Int64(*x),
        (PValue::U64(x), _) => Value::Int64(*x as i64),
        (PValue::F32(x), _) => Value::Float32(*x),
        (PValue::F64(x), _) => Value::Float64(*x),
        (PValue::Bool(b), _) => Value::Boolean(*b),
        (PValue::String(s), _) => Value::String(s.clone()),
        (PValue::Bytes(b), _) => Value::Bytes(b.to_vec()),
        (PValue::EnumNumber(n), _) => {
            let Kind::Enum(e) = fd.kind() else {
                return Err("enum value of a non-enum field".into());
            };
            if data.config.int_for_enums {
                Value::Int32(*n)
            } else {
                match e
                    .get_value(*n)
                    .filter(|v| v.name() != ENUM_ZERO_PLACEHOLDER)
                {
                    Some(v) => Value::String(v.name().to_string()),
                    None => Value::String(format!("UNKNOWN_ENUM_VALUE_{}_{n}", e.name())),
                }
            }
        }
        _ => return Err(format!("unexpected value {value:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow_mapping::arrow_type;
    use crate::column_builder::ColumnBuilder;
    use crate::fuzzing::PROTOBUF_FUZZ_SCHEMA;
    use crate::protobuf::decoder::{Batch, Decoder};
    use crate::protobuf::encoder::Encoder;
    use crate::protobuf::schema_file::SchemaFile;
    use crate::value_array::value_at;
    use arrow_array::ArrayRef;
    use proptest::prelude::*;
    use prost::Message;

    fn fixture() -> (
        ProtobufData,
        prost_reflect::MessageDescriptor,
        SchemaRef,
        Decoder,
    ) {
        let file = SchemaFile::parse(PROTOBUF_FUZZ_SCHEMA).expect("fuzz schema parses");
        let message = file.message(&[0]).expect("All");
        let data = ProtobufData::default();
        let schema = data.to_connect_schema(&message, Some(1)).expect("schema");
        let decoder = Decoder::compile(&data, &message, schema.clone()).expect("decoder");
        (data, message, schema, decoder)
    }

    /// The rows `payloads` decode to through the columnar decoder, read back from Arrow (an
    /// error for a payload that does not decode).
    fn columnar(
        decoder: &Decoder,
        schema: &SchemaRef,
        payloads: &[&[u8]],
    ) -> Vec<Result<Value, String>> {
        let (outcomes, array) = decode_column(decoder, schema, payloads);
        let mut row = 0;
        outcomes
            .into_iter()
            .map(|outcome| {
                outcome.map(|()| {
                    row += 1;
                    value_at(Some(schema), array.as_ref(), row - 1)
                })
            })
            .collect()
    }

    /// Each payload's outcome through the columnar decoder, and the column of those that
    /// decoded.
    fn decode_column(
        decoder: &Decoder,
        schema: &SchemaRef,
        payloads: &[&[u8]],
    ) -> (Vec<Result<(), String>>, ArrayRef) {
        let mut builder = ColumnBuilder::for_type(&arrow_type(schema));
        let mut batch = Batch::default();
        let outcomes: Vec<Result<(), String>> = payloads
            .iter()
            .map(|p| {
                decoder
                    .decode(p, &mut builder, &mut batch)
                    .map_err(|e| format!("{e:?}"))
            })
            .collect();
        (outcomes, builder.finish(&batch.finish()))
    }

    /// Map entries compared as sets: a Java HashMap orders colliding keys by insertion, which a
    /// decoded DynamicMessage no longer knows.
    fn normalise(v: Value) -> Value {
        match v {
            Value::Map(mut entries) => {
                entries.sort_by_key(|(k, _)| format!("{k:?}"));
                Value::Map(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k, normalise(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.into_iter().map(normalise).collect()),
            Value::Struct(s) => Value::Struct(Struct {
                schema: s.schema,
                values: s.values.into_iter().map(normalise).collect(),
            }),
            other => other,
        }
    }

    fn inner(
        message: &prost_reflect::MessageDescriptor,
        name: &str,
        values: &[i64],
    ) -> DynamicMessage {
        let Some(Kind::Message(inner)) = message.get_field_by_name("nested").map(|f| f.kind())
        else {
            panic!("nested is a message");
        };
        let mut m = DynamicMessage::new(inner);
        m.set_field_by_name("name", PValue::String(name.into()));
        m.set_field_by_name(
            "values",
            PValue::List(values.iter().map(|v| PValue::I64(*v)).collect()),
        );
        m
    }

    #[test]
    fn a_closed_enum_sets_an_unknown_number_aside() {
        // proto2 enums are closed: protobuf-java keeps a number without a symbol as an unknown
        // field, so the record reads as if that value were not there (a singular field keeps
        // its earlier value; list elements, packed or not, are dropped; a map entry keeps its
        // key and reads its value as unset: the first declared symbol — checked with
        // protobuf-java 3.25.5's DynamicMessage, which Confluent's deserializer builds).
        let file = SchemaFile::parse(
            "syntax = \"proto2\";\npackage p;\nenum E { B = 2; A = 1; }\n\
             message M {\n  optional E e = 1;\n  repeated E es = 2;\n  \
             repeated E ps = 3 [packed = true];\n  map<string, E> m = 4;\n}\n",
        )
        .expect("proto2 parses");
        let message = file.message(&[0]).expect("M");
        let data = ProtobufData::default();
        let schema = data.to_connect_schema(&message, Some(1)).expect("schema");
        let decoder = Decoder::compile(&data, &message, schema.clone()).expect("decoder");
        // e = 1, e = 7 (unknown), es = [7, 2], ps = [1, 7, 2], m = {k: 7 (unknown), j: A}
        let with_unknown = [
            8, 1, 8, 7, 16, 7, 16, 2, 26, 3, 1, 7, 2, 34, 5, 10, 1, b'k', 16, 7, 34, 5, 10, 1,
            b'j', 16, 1,
        ];
        let without = [
            8, 1, 16, 2, 26, 2, 1, 2, 34, 3, 10, 1, b'k', 34, 5, 10, 1, b'j', 16, 1,
        ];
        let got = columnar(&decoder, &schema, &[&with_unknown, &without]);
        assert_eq!(got[0], got[1]);
        let Ok(Value::Struct(row)) = &got[0] else {
            panic!("decodes: {got:?}")
        };
        assert_eq!(row.values[0], Value::String("A".into()));
        let Value::Map(entries) = &row.values[3] else {
            panic!("m is a map: {row:?}")
        };
        let k = Value::String("k".into());
        let value_of_k = entries.iter().find(|(key, _)| *key == k).map(|(_, v)| v);
        assert_eq!(value_of_k, Some(&Value::String("B".into())));
    }

    #[test]
    fn an_absent_enum_reads_as_its_first_declared_value() {
        let (data, message, schema, decoder) = fixture();
        // by_id (21) holds one entry with a key (5) and no value: the value is Color's
        // default, NONE (declared first), not BLUE (the lowest number).
        let bytes = [170, 1, 2, 8, 5];
        let parsed = DynamicMessage::decode(message.clone(), bytes.as_slice()).expect("parses");
        let want = to_connect_value(&data, &parsed, &schema).expect("reference");
        let got = columnar(&decoder, &schema, &[&bytes])
            .remove(0)
            .expect("decodes");
        assert_eq!(got, want);
        let Value::Struct(row) = got else {
            panic!("a struct")
        };
        assert!(format!("{:?}", row.values).contains("\"NONE\""));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn decoder_matches_the_dynamic_message_reference(
            i32v in any::<i32>(), s32 in any::<i32>(), u32v in any::<u32>(), u64v in any::<u64>(),
            f in any::<f32>(), d in any::<f64>(), b in any::<bool>(), s in ".{0,6}",
            color in prop_oneof![Just(0), Just(1), Just(-2), Just(7)],
            packed in proptest::collection::vec(any::<i32>(), 0..4),
            names in proptest::collection::vec("[a-c]{0,2}", 0..3),
            map in proptest::collection::vec(("[a-d]{0,2}", "[x-z]{0,2}"), 0..4),
            choice in 0u8..4, maybe in proptest::option::of(any::<i32>()),
            nested in proptest::option::of(("[a-z]{0,3}|[a-z]{120,300}", proptest::collection::vec(any::<i64>(), 0..3))),
            seconds in -100_000_000_000i64..100_000_000_000, nanos in 0i32..1_000_000_000,
        ) {
            let (data, message, schema, decoder) = fixture();
            let mut m = DynamicMessage::new(message.clone());
            m.set_field_by_name("i32", PValue::I32(i32v));
            m.set_field_by_name("s32", PValue::I32(s32));
            m.set_field_by_name("u32", PValue::U32(u32v));
            m.set_field_by_name("u64", PValue::U64(u64v));
            m.set_field_by_name("fl", PValue::F32(f));
            m.set_field_by_name("db", PValue::F64(d));
            m.set_field_by_name("b", PValue::Bool(b));
            m.set_field_by_name("s", PValue::String(s.clone()));
            m.set_field_by_name("color", PValue::EnumNumber(color));
            m.set_field_by_name("packed", PValue::List(packed.iter().map(|v| PValue::I32(*v)).collect()));
            m.set_field_by_name("names", PValue::List(names.iter().map(|v| PValue::String(v.clone())).collect()));
            let entries = map
                .iter()
                .map(|(k, v)| (MapKey::String(k.clone()), PValue::Message(inner(&message, v, &[]))))
                .collect();
            m.set_field_by_name("by_name", PValue::Map(entries));
            match choice {
                1 => m.set_field_by_name("text", PValue::String(s.clone())),
                2 => m.set_field_by_name("inner", PValue::Message(inner(&message, &s, &[1]))),
                3 => m.set_field_by_name("score", PValue::F64(d)),
                _ => {}
            }
            if let Some(v) = maybe {
                m.set_field_by_name("maybe", PValue::I32(v));
            }
            if let Some((name, values)) = &nested {
                m.set_field_by_name("nested", PValue::Message(inner(&message, name, values)));
            }
            let Some(Kind::Message(ts)) = message.get_field_by_name("ts").map(|f| f.kind()) else {
                panic!("ts is a message");
            };
            let mut t = DynamicMessage::new(ts);
            t.set_field_by_name("seconds", PValue::I64(seconds));
            t.set_field_by_name("nanos", PValue::I32(nanos));
            m.set_field_by_name("ts", PValue::Message(t));
            let bytes = m.encode_to_vec();
            let parsed = DynamicMessage::decode(message.clone(), bytes.as_slice()).expect("reparses");
            let want = to_connect_value(&data, &parsed, &schema).expect("reference");
            // Between a record that fails half-way (rolled back) and a second copy.
            let truncated = &bytes[..bytes.len().saturating_sub(1)];
            let got = columnar(&decoder, &schema, &[&bytes, truncated, &bytes]);
            prop_assert_eq!(got.len(), 3);
            prop_assert_eq!(normalise(got[0].clone().expect("decodes")), normalise(want.clone()));
            prop_assert_eq!(normalise(got[2].clone().expect("decodes")), normalise(want));
            // A message read twice in a row, then with the oneof switched to `score`: last
            // scalars win, lists and map entries add up, messages merge, oneof members clear
            // each other (protobuf parses a concatenation as a merge).
            // The encoder writes the decoded row back as protobuf-java would: the same content,
            // in canonical order (fields by number, packed lists, lengths patched in place).
            let (_, array) = decode_column(&decoder, &schema, &[&bytes]);
            let encoder = Encoder::compile(&data, &schema, &message).expect("encoder");
            let mut ours = Vec::new();
            let written = encoder.write(array.as_ref(), 0, &mut ours);
            if color == 7 {
                // An unknown number reads as `UNKNOWN_ENUM_VALUE_Color_7`, a symbol
                // ProtobufData cannot write back.
                prop_assert!(written.is_err());
            } else {
                written.expect("encodes");
                let reread = DynamicMessage::decode(message.clone(), ours.as_slice()).expect("reparses");
                prop_assert_eq!(
                    normalise(to_connect_value(&data, &reread, &schema).expect("reference")),
                    normalise(to_connect_value(&data, &parsed, &schema).expect("reference"))
                );
                if map.len() <= 1 {
                    prop_assert_eq!(&ours, &reread.encode_to_vec());
                }
            }
            let mut switch = DynamicMessage::new(message.clone());
            switch.set_field_by_name("score", PValue::F64(d));
            let twice = [bytes.clone(), bytes.clone(), switch.encode_to_vec()];
            for merged in [twice[..2].concat(), twice.concat()] {
                let parsed = DynamicMessage::decode(message.clone(), merged.as_slice()).expect("merges");
                let want = to_connect_value(&data, &parsed, &schema).expect("reference");
                let got = columnar(&decoder, &schema, &[&merged]).remove(0).expect("decodes");
                prop_assert_eq!(normalise(got), normalise(want));
            }
        }
    }
}
