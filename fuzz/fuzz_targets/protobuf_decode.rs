//! Feeds arbitrary bytes to the ProtobufConverter as frames of a schema covering every
//! ProtobufData mapping: decoding may fail rows but never panic or lose one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_formats::fuzzing::protobuf_decode;

fuzz_target!(|data: &[u8]| {
    protobuf_decode(data);
});
