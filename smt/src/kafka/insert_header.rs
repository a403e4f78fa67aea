//! `org.apache.kafka.connect.transforms.InsertHeader`: adds the header `header` with the value
//! of `value.literal`, read once at configure time with Kafka's `Values.parseString` (so `1234`
//! is an INT16, `true` a BOOLEAN, `[1,2]` an ARRAY; see [`parse_string`]). The header is added
//! after the record's own, even when one has the same name.

use std::sync::Arc;

use weir_formats::batch::Header;
use weir_formats::error::ConnectError;
use weir_formats::header_values::parse_string;

use crate::config::{ConfigProblem, TransformConfig};
use crate::record::ConnectRecord;
use crate::transform::{SegmentInput, SegmentOutput, Transform};

/// The configured transform: the header to add, parsed once.
#[derive(Debug)]
pub struct InsertHeader {
    header: Header,
}

/// Builds `InsertHeader` from `header` and `value.literal` (both required, in that order).
pub fn build(config: &TransformConfig) -> Result<Arc<dyn Transform>, ConfigProblem> {
    Ok(Arc::new(InsertHeader::from_config(config)?))
}

impl InsertHeader {
    /// Parses the settings. Cost: one `Values.parseString` of the literal.
    pub fn from_config(config: &TransformConfig) -> Result<InsertHeader, ConfigProblem> {
        let name = config.required_string("header")?;
        let literal = config.required_string("value.literal")?;
        let (schema, value) = parse_string(&literal);
        Ok(InsertHeader {
            header: Header {
                name: name.as_str().into(),
                schema,
                value,
            },
        })
    }
}

impl Transform for InsertHeader {
    /// Neither key nor value: it edits headers.
    fn touches(&self, _side: crate::Side) -> bool {
        false
    }

    /// Adds its one header; reads none.
    fn header_use(&self) -> crate::HeaderUse {
        crate::HeaderUse {
            writes: crate::HeaderNames::Only(vec![self.header.name.to_string()]),
            ..crate::HeaderUse::NONE
        }
    }

    /// Appends the header to each row's headers. Cost: one pass over the batch's headers and
    /// one clone of the parsed value for all rows (a clone per row was 5% of the benchmark
    /// chain's instructions, callgrind); keys and values are not touched.
    fn apply(&self, input: SegmentInput<'_>) -> SegmentOutput {
        input.meta.headers.append_shared(input.rows, &self.header);
        SegmentOutput::all(input.rows.len(), input.key.clone(), input.value.clone())
    }

    fn apply_record(
        &self,
        mut record: ConnectRecord,
    ) -> Result<Option<ConnectRecord>, ConnectError> {
        record.headers.push(self.header.clone());
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use weir_formats::schema::SchemaKind;
    use weir_formats::value::Value;

    use super::*;
    use crate::kernel::routing::testkit::{arb_segment, assert_agree, kernel, reference};

    fn insert(pairs: &[(&str, &str)]) -> Result<InsertHeader, ConfigProblem> {
        InsertHeader::from_config(&TransformConfig::new(
            "ih",
            "org.apache.kafka.connect.transforms.InsertHeader",
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ))
    }

    proptest! {
        #[test]
        fn kernel_agrees_with_reference(
            records in arb_segment(),
            literal in prop_oneof![Just("literal"), Just("true"), Just("[1,2]"), Just("null"), Just("{\"a\":1}")],
        ) {
            let t = insert(&[("header", "a"), ("value.literal", literal)]).unwrap();
            assert_agree(&kernel(&t, &records), &reference(&t, &records));
        }
    }

    #[test]
    fn literal_is_parsed_like_a_header_value() {
        let h = insert(&[("header", "h"), ("value.literal", " 1234 ")])
            .unwrap()
            .header;
        assert_eq!(h.schema.map(|s| s.kind.clone()), Some(SchemaKind::Int16));
        assert_eq!(h.value, Value::Int16(1234));
        let h = insert(&[("header", "h"), ("value.literal", "null")])
            .unwrap()
            .header;
        assert_eq!((h.schema, h.value), (None, Value::Null));
    }

    #[test]
    fn config_errors_use_kafkas_messages() {
        assert_eq!(
            insert(&[("value.literal", "x")]).unwrap_err().message,
            "Missing required configuration \"header\" which has no default value."
        );
        assert_eq!(
            insert(&[("header", "h")]).unwrap_err().message,
            "Missing required configuration \"value.literal\" which has no default value."
        );
        assert_eq!(insert(&[]).unwrap_err().key, "header");
    }
}
