#![no_main]
// Compound RTCP decoding, HEP JSON written and read back, and the JSON reader on raw bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| argos_rtp::fuzzing::rtcp(data));
