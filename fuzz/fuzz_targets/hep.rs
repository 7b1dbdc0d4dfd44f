#![no_main]
//! Decode arbitrary bytes; for every v3 packet that decodes, encode → decode must give
//! the same fields (skipped only when re-encoding would exceed 65535 bytes).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pkt) = argos_hep::decode(data) {
        let mut out = Vec::new();
        if pkt.version == argos_hep::HepVersion::V3
            && argos_hep::try_encode_v3(&pkt, &mut out).is_ok()
        {
            assert_eq!(argos_hep::decode(&out).as_ref(), Ok(&pkt), "v3 round trip");
        }
    }
});
