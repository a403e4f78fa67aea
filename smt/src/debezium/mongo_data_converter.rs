//! `MongoDataConverter` (Debezium 3.6.1): Kafka Connect schemas and values from a BSON document,
//! as the MongoDB transforms (`ExtractNewDocumentState`, `MongoEventRouter`) build them.
//!
//! The schema is inferred from the document itself: strings, object ids, decimals and nulls are
//! optional strings; numbers INT32 / INT64 / FLOAT64; dates and BSON timestamps Kafka
//! `Timestamp`s; sub-documents optional structs named `<parent name>.<field>`; arrays either
//! arrays (`ArrayEncoding::Array`: one element type, or documents merged into one struct) or
//! structs with fields `_0`, `_1`… (`ArrayEncoding::Document`). Cost: one walk of the document
//! for the schema and one for the value.

use weir_formats::error::ConnectError;
use weir_formats::schema::{Field, Schema, SchemaKind, SchemaRef};
use weir_formats::value::{Struct, Value};

use super::extended_json::Bson;

const REGEX_SCHEMA: &str = "io.debezium.mongodb.regex";

/// `array.encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayEncoding {
    /// Arrays stay arrays (one element schema).
    Array,
    /// Arrays become structs with fields `_0`, `_1`…
    Document,
}

/// `MongoDataConverter`: schemas and values from BSON documents.
#[derive(Debug, Clone, Copy)]
pub struct Converter {
    /// How arrays are encoded.
    pub encoding: ArrayEncoding,
    /// `field.name.adjustment.mode=avro`: names sanitized, empty arrays left out.
    pub avro: bool,
}

/// A struct schema being built (`SchemaBuilder`): its name and its fields so far.
pub struct Builder {
    /// The schema name.
    pub name: Option<String>,
    /// The fields so far.
    pub fields: Vec<Field>,
}

impl Builder {
    /// An empty builder of a struct named `name`.
    pub fn new(name: Option<String>) -> Builder {
        Builder {
            name,
            fields: Vec::new(),
        }
    }

    /// `builder.name() + "." + key` (Java prints a missing name as `null`).
    pub fn child_name(&self, key: &str) -> String {
        format!("{}.{key}", self.name.as_deref().unwrap_or("null"))
    }

    /// Whether a field named `key` was added.
    pub fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|f| f.name == key)
    }

    /// Adds field `key` unless one of that name is there already.
    pub fn add(&mut self, key: &str, schema: SchemaRef) {
        if !self.has(key) {
            self.fields.push(Field {
                name: key.to_string(),
                schema,
            });
        }
    }

    /// The optional struct schema built.
    pub fn build(self) -> SchemaRef {
        let mut schema =
            Schema::structure(self.fields.into_iter().map(|f| (f.name, f.schema))).optional();
        schema.name = self.name;
        schema.into_ref()
    }
}

fn optional(kind: SchemaKind) -> SchemaRef {
    Schema::new(kind).optional().into_ref()
}

fn mixed(list: &[Bson]) -> ConnectError {
    ConnectError::data(format!(
        "Array elements with different Bson types are not supported: {list:?}"
    ))
}

impl Converter {
    /// `fieldNamer.fieldNameFor`: the Avro field namer when sanitizing.
    pub fn name(&self, key: &str) -> String {
        if !self.avro {
            return key.to_string();
        }
        key.chars()
            .enumerate()
            .map(|(i, c)| match c {
                'a'..='z' | 'A'..='Z' | '_' => c,
                '0'..='9' if i > 0 => c,
                _ => '_',
            })
            .collect()
    }

    /// `getSchema(type)`: the schema of a scalar element.
    fn scalar_schema(&self, value: &Bson) -> Result<SchemaRef, ConnectError> {
        Ok(match value {
            Bson::Null
            | Bson::String(_)
            | Bson::JavaScript(_)
            | Bson::ObjectId(_)
            | Bson::Decimal128(_) => optional(SchemaKind::String),
            Bson::Double(_) => optional(SchemaKind::Float64),
            Bson::Binary(..) => optional(SchemaKind::Bytes),
            Bson::Int32(_) => optional(SchemaKind::Int32),
            Bson::Int64(_) => optional(SchemaKind::Int64),
            Bson::DateTime(_) | Bson::Timestamp(..) => Schema::timestamp().optional().into_ref(),
            Bson::Boolean(_) => optional(SchemaKind::Boolean),
            Bson::Array(_) if self.encoding == ArrayEncoding::Array => {
                optional(SchemaKind::Array(optional(SchemaKind::String)))
            }
            Bson::Array(_) | Bson::Document(_) => optional(SchemaKind::Struct(Vec::new())),
            other => {
                return Err(ConnectError::data(format!(
                    "The value type {} is not supported for sub schema",
                    bson_type(other)
                )))
            }
        })
    }

    /// `buildSchema`: the fields of `doc` added to `builder` (a repeated name keeps its first).
    pub fn document_fields(
        &self,
        builder: &mut Builder,
        doc: &[(String, Bson)],
    ) -> Result<(), ConnectError> {
        for (key, value) in doc {
            let key = self.name(key);
            if !builder.has(&key) {
                self.field_schema(builder, &key, value)?;
            }
        }
        Ok(())
    }

    /// `schema(key, entry, builder)`: the field `key` of `value` added to `builder`.
    fn field_schema(
        &self,
        builder: &mut Builder,
        key: &str,
        value: &Bson,
    ) -> Result<(), ConnectError> {
        match value {
            Bson::Undefined | Bson::MinKey | Bson::MaxKey | Bson::Symbol(_) => {}
            Bson::JavaScriptWithScope(..) => {
                return Err(ConnectError::data(format!(
                    "weir: the JavaScript-with-scope field {key} is not supported"
                )))
            }
            Bson::Regex(..) => {
                let mut regex = Builder::new(Some(REGEX_SCHEMA.to_string()));
                regex.add("regex", optional(SchemaKind::String));
                regex.add("options", optional(SchemaKind::String));
                builder.add(key, regex.build());
            }
            Bson::Document(doc) if doc.is_empty() => {
                builder.add(key, optional(SchemaKind::Struct(Vec::new())))
            }
            Bson::Document(doc) => {
                let mut nested = Builder::new(Some(builder.child_name(key)));
                self.document_fields(&mut nested, doc)?;
                builder.add(key, nested.build());
            }
            Bson::Array(items) => self.array_schema(builder, key, items)?,
            scalar => builder.add(key, self.scalar_schema(scalar)?),
        }
        Ok(())
    }

    /// An array field's schema under either encoding.
    fn array_schema(
        &self,
        builder: &mut Builder,
        key: &str,
        items: &[Bson],
    ) -> Result<(), ConnectError> {
        match (self.encoding, items.is_empty()) {
            (ArrayEncoding::Array, true) => {
                builder.add(
                    key,
                    optional(SchemaKind::Array(optional(SchemaKind::String))),
                );
                Ok(())
            }
            (ArrayEncoding::Document, true) => {
                builder.add(key, Builder::new(Some(builder.child_name(key))).build());
                Ok(())
            }
            (ArrayEncoding::Array, false) => {
                let element = self.element_schema(builder.child_name(key), items)?;
                builder.add(key, optional(SchemaKind::Array(element)));
                Ok(())
            }
            (ArrayEncoding::Document, false) => self.indexed_schema(builder, key, items),
        }
    }

    /// `array.encoding=array`: the one element schema of `items` (documents merged into one
    /// struct named `name`, the last document deciding a field's schema).
    fn element_schema(&self, name: String, items: &[Bson]) -> Result<SchemaRef, ConnectError> {
        let docs: Vec<&[(String, Bson)]> = items
            .iter()
            .filter_map(|i| match i {
                Bson::Document(d) => Some(d.as_slice()),
                _ => None,
            })
            .collect();
        if docs.len() == items.len() {
            let mut merged: Vec<(String, &Bson)> = Vec::new();
            // `mergeSchemas`: every schema a field had so far; two of them fail a non-document.
            let mut seen: Vec<(String, Vec<SchemaRef>)> = Vec::new();
            for doc in &docs {
                for (k, v) in doc.iter() {
                    let s = self.scalar_schema(v)?;
                    let at = match seen.iter().position(|(name, _)| name == k) {
                        Some(at) => at,
                        None => {
                            seen.push((k.clone(), Vec::new()));
                            seen.len() - 1
                        }
                    };
                    if !seen[at].1.contains(&s) {
                        seen[at].1.push(s);
                    }
                    if seen[at].1.len() > 1 && !is_document(v) {
                        return Err(mixed(items));
                    }
                    match merged.iter_mut().find(|(name, _)| name == k) {
                        Some(slot) => slot.1 = v,
                        None => merged.push((k.clone(), v)),
                    }
                }
            }
            let mut element = Builder::new(Some(name));
            for (k, v) in merged {
                let k = self.name(&k);
                if !element.has(&k) {
                    self.field_schema(&mut element, &k, v)?;
                }
            }
            if element.fields.is_empty() {
                return Ok(optional(SchemaKind::String));
            }
            return Ok(element.build());
        }
        if items.iter().all(|i| matches!(i, Bson::Array(_))) {
            let inner: Vec<Bson> = items
                .iter()
                .flat_map(|i| match i {
                    Bson::Array(inner) => inner.clone(),
                    _ => Vec::new(),
                })
                .collect();
            if inner
                .iter()
                .any(|i| matches!(i, Bson::Array(_) | Bson::Document(_)))
            {
                return Err(ConnectError::data(
                    "weir: arrays of arrays of documents or arrays are not supported",
                ));
            }
            return Ok(optional(SchemaKind::Array(self.single_type(&inner)?)));
        }
        if items
            .iter()
            .any(|i| matches!(i, Bson::Array(_) | Bson::Document(_)))
        {
            return Err(mixed(items));
        }
        self.single_type(items)
    }

    /// `validateSingleTypeArray`: the element schema of scalars, all of one schema.
    fn single_type(&self, items: &[Bson]) -> Result<SchemaRef, ConnectError> {
        let mut schema: Option<SchemaRef> = None;
        for item in items {
            let s = self.scalar_schema(item)?;
            match &schema {
                Some(first) if *first != s => return Err(mixed(items)),
                Some(_) => {}
                None => schema = Some(s),
            }
        }
        schema.ok_or_else(|| mixed(items))
    }

    /// `array.encoding=document`: a struct with one field `_<i>` per element.
    fn indexed_schema(
        &self,
        builder: &mut Builder,
        key: &str,
        items: &[Bson],
    ) -> Result<(), ConnectError> {
        let name = match &builder.name {
            Some(n) if n.ends_with(key) => n.clone(),
            _ => builder.child_name(key),
        };
        let mut doc = Builder::new(Some(name.clone()));
        for (i, item) in items.iter().enumerate() {
            let field = format!("_{i}");
            match item {
                Bson::Array(_) => return Err(ConnectError::data(
                    "weir: arrays nested in arrays are not supported with array.encoding=document",
                )),
                Bson::Document(entries) => {
                    let mut element = Builder::new(Some(format!("{name}.{field}")));
                    for (k, v) in entries {
                        let k = self.name(k);
                        match v {
                            Bson::Document(d) if d.is_empty() => {
                                let n = element.child_name(&k);
                                element.add(&k, Builder::new(Some(n)).build())
                            }
                            Bson::Document(_) | Bson::Array(_) => {
                                self.field_schema(&mut element, &k, v)?
                            }
                            other => {
                                let s = self.scalar_schema(other)?;
                                element.add(&k, s)
                            }
                        }
                    }
                    if !element.fields.is_empty() {
                        doc.add(&field, element.build());
                    }
                }
                scalar => doc.add(&field, self.scalar_schema(scalar)?),
            }
        }
        if Some(&name) == builder.name.as_ref() {
            for f in doc.fields {
                builder.add(&f.name, f.schema);
            }
        } else {
            builder.add(key, doc.build());
        }
        Ok(())
    }

    /// `buildStruct` for every entry of `doc` into a struct of `schema`.
    pub fn document_value(
        &self,
        schema: &SchemaRef,
        doc: &[(String, Bson)],
    ) -> Result<Value, ConnectError> {
        let mut values = vec![Value::Null; schema.fields().len()];
        for (key, value) in doc {
            self.put(schema, &mut values, &self.name(key), value)?;
        }
        Ok(Value::Struct(Struct {
            schema: schema.clone(),
            values,
        }))
    }

    /// `buildStruct(entry, schema, struct)`: `value` put into field `key` of `values`.
    pub fn put(
        &self,
        schema: &SchemaRef,
        values: &mut [Value],
        key: &str,
        value: &Bson,
    ) -> Result<(), ConnectError> {
        if matches!(value, Bson::Undefined) {
            return Ok(());
        }
        let found = schema.field(key);
        let converted = match (value, found) {
            (Bson::Array(items), _) if items.is_empty() && self.avro => return Ok(()),
            (Bson::Document(_) | Bson::Array(_) | Bson::Regex(..), None) => {
                return Err(ConnectError::data(format!(
                    "Can't find field: {key} in schema {}",
                    schema.name.as_deref().unwrap_or("null")
                )))
            }
            (Bson::Regex(pattern, options), Some((_, f))) => Value::Struct(Struct {
                schema: f.schema.clone(),
                values: vec![
                    Value::String(pattern.clone()),
                    Value::String(options.clone()),
                ],
            }),
            (Bson::Document(doc), Some((_, f))) => self.document_value(&f.schema, doc)?,
            (Bson::Array(items), Some((_, f))) => match self.encoding {
                ArrayEncoding::Array => {
                    let element = match &f.schema.kind {
                        SchemaKind::Array(element) => element.clone(),
                        _ => f.schema.clone(),
                    };
                    Value::Array(self.array_values(&element, items)?)
                }
                ArrayEncoding::Document => {
                    let indexed: Vec<(String, Bson)> = items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("_{i}"), v.clone()))
                        .collect();
                    self.document_value(&f.schema, &indexed)?
                }
            },
            (Bson::JavaScriptWithScope(..), _) => {
                return Err(ConnectError::data(format!(
                    "weir: the JavaScript-with-scope field {key} is not supported"
                )))
            }
            (scalar, _) => scalar_value(scalar),
        };
        match schema.field(key) {
            Some((i, _)) => {
                values[i] = converted;
                Ok(())
            }
            None => Err(ConnectError::data(format!(
                "{key} is not a valid field name"
            ))),
        }
    }

    /// `buildArray`: the elements of `items` under element schema `element` (empty nested
    /// arrays left out, as Debezium does).
    fn array_values(
        &self,
        element: &SchemaRef,
        items: &[Bson],
    ) -> Result<Vec<Value>, ConnectError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Bson::Array(inner) => {
                    let inner_schema = match &element.kind {
                        SchemaKind::Array(e) => e.clone(),
                        _ => element.clone(),
                    };
                    let values = self.array_values(&inner_schema, inner)?;
                    if !values.is_empty() {
                        out.push(Value::Array(values));
                    }
                }
                Bson::Document(doc) => out.push(self.document_value(element, doc)?),
                scalar => out.push(scalar_value(scalar)),
            }
        }
        Ok(out)
    }
}

fn is_document(value: &Bson) -> bool {
    matches!(value, Bson::Document(d) if !d.is_empty())
}

/// `getObject`: a scalar's Connect value (null for the types it does not convert).
fn scalar_value(value: &Bson) -> Value {
    match value {
        Bson::String(s) | Bson::ObjectId(s) | Bson::Decimal128(s) | Bson::JavaScript(s) => {
            Value::String(s.clone())
        }
        Bson::Double(d) => Value::Float64(*d),
        Bson::Binary(b, _) => Value::Bytes(b.clone()),
        Bson::Int32(i) => Value::Int32(*i),
        Bson::Int64(i) => Value::Int64(*i),
        Bson::Boolean(b) => Value::Boolean(*b),
        Bson::DateTime(ms) => Value::Date(*ms),
        Bson::Timestamp(t, _) => Value::Date(1000 * i64::from(*t)),
        _ => Value::Null,
    }
}

/// BSON's type name, for messages.
fn bson_type(value: &Bson) -> &'static str {
    match value {
        Bson::Undefined => "UNDEFINED",
        Bson::MinKey => "MIN_KEY",
        Bson::MaxKey => "MAX_KEY",
        Bson::Symbol(_) => "SYMBOL",
        Bson::Regex(..) => "REGULAR_EXPRESSION",
        Bson::JavaScriptWithScope(..) => "JAVASCRIPT_WITH_SCOPE",
        _ => "OTHER",
    }
}
