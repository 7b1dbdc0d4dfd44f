#![no_main]
// RTP header decoding, then Wireshark-style stream analysis of the packet.
libfuzzer_sys::fuzz_target!(|data: &[u8]| argos_rtp::fuzzing::rtp(data));
