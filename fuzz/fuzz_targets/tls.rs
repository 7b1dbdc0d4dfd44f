#![no_main]
// TLS decryption in the SIP TCP reassembler: both directions of a connection, raw or as
// records sealed with the harness's key log (see argos_net::tls::fuzzing::streams).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = argos_net::tls::fuzzing::streams(data);
});
