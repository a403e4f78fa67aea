//! The defaults everit fills in while it validates (`json.fail.invalid.schema=true`): a property
//! absent from an object whose schema has a `default` gets that default before JsonSchemaData
//! reads the payload, in nested objects, array items and `allOf` members too.
//! Cost: one walk of the payload along the schema.

use serde_json::Value as Json;

use super::document::{Criterion, Document, Kind, NodeId};

/// Fills the defaults of `node`'s absent properties into `value`, recursively.
pub fn fill_defaults(doc: &Document, node: NodeId, value: &mut Json) {
    fill(doc, node, value, 0);
}

/// Deeper than this the walk stops (a recursive schema over a deep payload).
const MAX_DEPTH: usize = 128;

fn fill(doc: &Document, node: NodeId, value: &mut Json, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match &doc.node(node).kind {
        Kind::Reference(target) => fill(doc, *target, value, depth + 1),
        Kind::Combined {
            criterion: Criterion::AllOf,
            subschemas,
        } => {
            for sub in subschemas {
                fill(doc, *sub, value, depth + 1);
            }
        }
        Kind::Object { properties, .. } => {
            let Json::Object(object) = value else {
                return;
            };
            for (name, sub) in properties {
                match object.get_mut(name) {
                    Some(child) => fill(doc, *sub, child, depth + 1),
                    None => {
                        if let Some(default) = &doc.node(*sub).default {
                            object.insert(name.clone(), default.clone());
                        }
                    }
                }
            }
        }
        Kind::Array { items: Some(items) } => {
            if let Json::Array(elements) = value {
                for element in elements {
                    fill(doc, *items, element, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_properties_take_their_defaults() {
        let doc = Document::load(
            &json!({"type":"object","properties":{"e":{"type":"string","enum":["A","B"],"default":"B"},"i":{"type":"integer","default":7}}}),
            &[],
            false,
        )
        .expect("loads");
        let mut value = json!({"i": 5});
        fill_defaults(&doc, doc.root, &mut value);
        assert_eq!(value, json!({"i": 5, "e": "B"}));
    }
}
