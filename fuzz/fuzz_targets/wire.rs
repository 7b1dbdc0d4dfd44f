#![no_main]
// The whole packet path of `argos import`, `argos agent` and `argos grep` over an arbitrary
// capture file: reader, every link type and tunnel, IP defragmentation, TCP/WebSocket and
// SCTP reassembly, HEP unwrapping.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut n = 0usize;
    let _ = argos_wire::read_captures(data, true, |c| {
        n += c.payload.len();
        true
    });
});
