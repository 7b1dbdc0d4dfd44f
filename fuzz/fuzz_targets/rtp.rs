#![no_main]
// RTP header decoding, Wireshark-style stream analysis of the packet, the RFC 4733
// telephone-event tracker on the same packet, and the E-model of the stream's summary.
libfuzzer_sys::fuzz_target!(|data: &[u8]| argos_rtp::fuzzing::rtp(data));
