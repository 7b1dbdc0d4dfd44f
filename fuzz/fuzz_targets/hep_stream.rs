#![no_main]
//! Feed the stream decoder arbitrary bytes in arbitrary splits (split sizes taken from
//! the first bytes); it must never panic and every frame it yields must pass frame_len.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (sizes, mut rest) = data.split_at(data.len().min(8));
    let mut dec = argos_hep::HepStreamDecoder::new();
    for &s in sizes
        .iter()
        .cycle()
        .take(if rest.is_empty() { 0 } else { 4096 })
    {
        let (read, tail) = rest.split_at((usize::from(s) + 1).min(rest.len()));
        rest = tail;
        dec.push(read);
        while let Some(frame) = dec.next_frame() {
            if let Ok(f) = frame {
                assert_eq!(argos_hep::frame_len(&f), Ok(Some(f.len())));
                let _ = argos_hep::decode(&f);
            }
        }
        if rest.is_empty() {
            break;
        }
    }
});
