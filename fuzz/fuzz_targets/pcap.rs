#![no_main]
// CaptureReader over arbitrary bytes: iterate every frame and decode it.
libfuzzer_sys::fuzz_target!(|data: &[u8]| argos_net::fuzzing::capture(data));
