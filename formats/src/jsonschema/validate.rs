//! Payload validation for `json.fail.invalid.schema=true`, with the `jsonschema` crate
//! (maintained, drafts 4/6/7/2019-09/2020-12, compiled validators; built without its HTTP and
//! file resolvers: referenced schemas come from the registry, through [`ReferenceRetriever`]).
//! A [`PayloadValidator`] is compiled once per schema id and shared by every row that uses it.
//! It also holds the schema's [`TapeCheck`], which answers most rows without a serde_json tree
//! (on the batch tape, or on a written text's); the crate validates the rows it is unsure of.

use std::collections::HashMap;

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value as Json;

use super::tape_check::{TapeCheck, Verdict};
use crate::json::reference::DecimalFormat;
use crate::json::tape::{BatchTape, Span, TapeParser};
use crate::schema::Schema;

/// Serves the registry's referenced schemas to the validator by the name the `$ref` uses (the
/// last path segment of the URI the validator resolved it to).
struct ReferenceRetriever {
    documents: HashMap<String, Json>,
}

impl Retrieve for ReferenceRetriever {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Json, Box<dyn std::error::Error + Send + Sync>> {
        let text = uri.as_str();
        let found = self.documents.get(text).or_else(|| {
            let last = text.rsplit('/').next().unwrap_or(text);
            self.documents.get(last)
        });
        found
            .cloned()
            .ok_or_else(|| format!("no referenced schema named {text}").into())
    }
}

/// A tape reused to check written JSON texts one at a time ([`PayloadValidator::check_text`]).
#[derive(Debug, Default)]
pub struct TextTape {
    tape: BatchTape,
    parser: TapeParser,
}

/// A compiled validator for one schema and its references, with its tape form.
pub struct PayloadValidator {
    validator: Validator,
    tape: TapeCheck,
}

impl std::fmt::Debug for PayloadValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PayloadValidator")
    }
}

impl PayloadValidator {
    /// Compiles `schema`; `references` are the referenced documents by the name `$ref` uses.
    /// Costs one compile; an invalid schema is an error with the crate's message.
    pub fn compile(schema: &Json, references: &[(String, Json)]) -> Result<Self, String> {
        let retriever = ReferenceRetriever {
            documents: references.iter().cloned().collect(),
        };
        let validator = jsonschema::options()
            .with_retriever(retriever)
            .build(schema)
            .map_err(|e| e.to_string())?;
        Ok(PayloadValidator {
            validator,
            tape: TapeCheck::compile(schema),
        })
    }

    /// Whether [`PayloadValidator::check_tape`] can answer anything for this schema.
    pub fn checks_tapes(&self) -> bool {
        self.tape.checks_anything()
    }

    /// The verdict on the payload at node `at` of `tape` where the tape tells it; `Unsure`
    /// asks for [`PayloadValidator::validate`] on the row's tree. Cost: one walk of the nodes.
    pub fn check_tape(&self, tape: &BatchTape, at: usize) -> Verdict {
        self.tape.check(tape, at)
    }

    /// Whether every text JsonConverter's Arrow writer writes for a value of `schema` is valid,
    /// provided its floats are finite and it holds no raw JSON
    /// ([`TapeCheck::admits_every_written`]). Cost: one walk of the schema.
    pub fn admits_every_written(&self, schema: &Schema, decimal_format: DecimalFormat) -> bool {
        self.tape.admits_every_written(schema, decimal_format)
    }

    /// [`PayloadValidator::check_tape`] on one JSON text, parsed into `scratch`; text simd-json
    /// refuses is `Unsure`. Cost: one copy and one parse of the text.
    pub fn check_text(&self, json: &[u8], scratch: &mut TextTape) -> Verdict {
        let tape = &mut scratch.tape;
        tape.clear();
        tape.buffer.extend_from_slice(json);
        tape.buffer.resize(json.len() + simd_json::INPUT_PADDING, 0);
        let span = Span {
            start: 0,
            len: json.len(),
        };
        match scratch.parser.parse_whole(tape, span) {
            Ok(root) => self.check_tape(tape, root),
            Err(_) => Verdict::Unsure,
        }
    }

    /// `Ok` when `payload` is valid, else the first error (its path and message). Cost: one
    /// walk of the payload.
    pub fn validate(&self, payload: &Json) -> Result<(), String> {
        self.validator
            .validate(payload)
            .map_err(|e| format!("{}: {}", e.instance_path(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validates_against_referenced_schemas() {
        let address =
            json!({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]});
        let v = PayloadValidator::compile(
            &json!({"type":"object","properties":{"home":{"$ref":"address.json"}}}),
            &[("address.json".to_string(), address)],
        )
        .expect("compiles");
        assert!(v.validate(&json!({"home":{"city":"Oslo"}})).is_ok());
        assert!(v.validate(&json!({"home":{}})).is_err());
    }
}
