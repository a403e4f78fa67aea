//! Decodes arbitrary bytes with the AvroConverter, writes back what decoded and decodes it again:
//! no step may panic, no row may be lost, and the data must survive the round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_formats::fuzzing::avro_round_trip;

fuzz_target!(|data: &[u8]| {
    avro_round_trip(data);
});
