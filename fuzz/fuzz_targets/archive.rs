#![no_main]
// ArchiveReader over arbitrary bytes: decode every record, re-encode, decode again.
libfuzzer_sys::fuzz_target!(|data: &[u8]| argos_server::archive::fuzzing::archive(data));
