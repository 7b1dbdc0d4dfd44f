#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(sdp) = argos_sip::sdp::parse(data) {
        let _ = sdp.media_summary();
    }
});
