#![no_main]
// decode_packet under every link type, then the SIP TCP reassembler.
libfuzzer_sys::fuzz_target!(|data: &[u8]| argos_net::fuzzing::packet(data));
