#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(m) = argos_sip::parse(data) {
        let s = m.summary(&argos_sip::FieldConfig::default());
        let _ = s.sdp.map(|sdp| sdp.media_summary());
        for h in m.headers() {
            let _ = m.header_all(h.name).count();
        }
    }
});
