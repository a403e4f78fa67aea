//! Feeds arbitrary bytes to the JsonSchemaConverter as framed payloads of a schema covering every
//! type JsonSchemaData maps, with and without validation: decoding and writing back may fail rows
//! but never panic or lose one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_formats::fuzzing::json_schema_decode;

fuzz_target!(|data: &[u8]| {
    json_schema_decode(data);
});
