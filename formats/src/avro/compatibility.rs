//! Avro schema resolution as a yes/no question: can data written with one schema be read with
//! another (Avro's `SchemaCompatibility`, which the registry client asks for
//! `latest.compatibility.strict` and `id.compatibility.strict`)? Promotions int → long → float →
//! double and string ⇄ bytes; records match by name with every reader field found in the writer
//! or defaulted; enums need the writer's symbols (or a reader default); unions need a readable
//! branch for each writer branch. Costs one walk of both schemas (pairs already under way count
//! as compatible, so recursive schemas terminate).

use super::schema::{AvroKind, AvroSchema, TypeId};

/// Whether `reader` can read data written with `writer`.
pub fn can_read(reader: &AvroSchema, writer: &AvroSchema) -> bool {
    let mut seen = Vec::new();
    compatible(reader, reader.root, writer, writer.root, &mut seen)
}

fn compatible(
    r: &AvroSchema,
    rid: TypeId,
    w: &AvroSchema,
    wid: TypeId,
    seen: &mut Vec<(TypeId, TypeId)>,
) -> bool {
    if seen.contains(&(rid, wid)) {
        return true;
    }
    seen.push((rid, wid));
    let result = check(r, rid, w, wid, seen);
    seen.pop();
    result
}

fn check(
    r: &AvroSchema,
    rid: TypeId,
    w: &AvroSchema,
    wid: TypeId,
    seen: &mut Vec<(TypeId, TypeId)>,
) -> bool {
    let (rt, wt) = (r.get(rid), w.get(wid));
    if let AvroKind::Union(wb) = &wt.kind {
        return wb.iter().all(|&b| compatible(r, rid, w, b, seen));
    }
    if let AvroKind::Union(rb) = &rt.kind {
        return rb.iter().any(|&b| compatible(r, b, w, wid, seen));
    }
    let unqualified = |n: Option<&super::schema::Name>| n.map(|n| n.name.clone());
    match (&rt.kind, &wt.kind) {
        (AvroKind::Null, AvroKind::Null)
        | (AvroKind::Boolean, AvroKind::Boolean)
        | (AvroKind::Int, AvroKind::Int)
        | (AvroKind::Long, AvroKind::Int | AvroKind::Long)
        | (AvroKind::Float, AvroKind::Int | AvroKind::Long | AvroKind::Float)
        | (AvroKind::Double, AvroKind::Int | AvroKind::Long | AvroKind::Float | AvroKind::Double)
        | (AvroKind::Bytes | AvroKind::String, AvroKind::Bytes | AvroKind::String) => true,
        (AvroKind::Array(ri), AvroKind::Array(wi)) | (AvroKind::Map(ri), AvroKind::Map(wi)) => {
            compatible(r, *ri, w, *wi, seen)
        }
        (AvroKind::Fixed { size: rs, .. }, AvroKind::Fixed { size: ws, .. }) => {
            rs == ws && unqualified(rt.name()) == unqualified(wt.name())
        }
        (
            AvroKind::Enum {
                symbols: rsym,
                default,
                ..
            },
            AvroKind::Enum { symbols: wsym, .. },
        ) => {
            unqualified(rt.name()) == unqualified(wt.name())
                && (default.is_some() || wsym.iter().all(|s| rsym.contains(s)))
        }
        (AvroKind::Record { fields: rf, .. }, AvroKind::Record { fields: wf, .. }) => {
            unqualified(rt.name()) == unqualified(wt.name())
                && rf.iter().all(|f| {
                    match wf
                        .iter()
                        .find(|g| g.name == f.name || f.aliases.contains(&g.name))
                    {
                        Some(g) => compatible(r, f.schema, w, g.schema, seen),
                        None => f.default.is_some(),
                    }
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> AvroSchema {
        AvroSchema::parse(text).expect("schema")
    }

    #[test]
    fn promotions_and_defaults_resolve() {
        assert!(can_read(&p(r#""long""#), &p(r#""int""#)));
        assert!(!can_read(&p(r#""int""#), &p(r#""long""#)));
        let old = p(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#);
        let new = p(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}]}"#,
        );
        assert!(can_read(&new, &old));
        assert!(can_read(&old, &new));
        let no_default =
            p(r#"{"type":"record","name":"R","fields":[{"name":"b","type":"string"}]}"#);
        assert!(!can_read(&no_default, &old));
    }

    #[test]
    fn enums_read_from_strings_are_incompatible() {
        let e = p(r#"{"type":"enum","name":"E","symbols":["A"]}"#);
        assert!(!can_read(&e, &p(r#""string""#)));
        assert!(can_read(&p(r#"["null","string"]"#), &p(r#""string""#)));
    }
}
