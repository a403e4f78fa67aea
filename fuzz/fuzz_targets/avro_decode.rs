//! Feeds arbitrary bytes to the AvroConverter as payloads of a schema covering every Avro type:
//! decoding may fail rows but never panic or lose one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_formats::fuzzing::avro_decode;

fuzz_target!(|data: &[u8]| {
    avro_decode(data);
});
