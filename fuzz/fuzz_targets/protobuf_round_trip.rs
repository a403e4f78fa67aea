//! Decodes arbitrary bytes with the ProtobufConverter, writes what decoded back (registering the
//! derived schema) and decodes that again: no panic, no lost row, written data always readable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_formats::fuzzing::protobuf_round_trip;

fuzz_target!(|data: &[u8]| {
    protobuf_round_trip(data);
});
