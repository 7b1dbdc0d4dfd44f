//! A capture file through a [`FrameProcessor`].

use crate::{FrameProcessor, WireCounts, WireOptions};
use argos_model::Capture;
use argos_net::CaptureReader;
use std::io::Read;

/// Reads every frame of one pcap/pcapng file and hands each SIP message to `sink` as a
/// capture. Stops early (returning what it counted) when `sink` returns false. A truncated
/// or corrupt end of file is counted in [`WireCounts::file_errors`]; the frames before it
/// are kept.
pub fn read_captures<R: Read>(
    r: R,
    unwrap_hep: bool,
    sink: impl FnMut(Capture) -> bool,
) -> Result<WireCounts, argos_net::CaptureError> {
    let opts = WireOptions {
        unwrap_hep,
        ..WireOptions::default()
    };
    read_captures_with(r, &opts, sink)
}

/// [`read_captures`] with every option of the packet path (TLS key log, …).
pub fn read_captures_with<R: Read>(
    r: R,
    opts: &WireOptions,
    mut sink: impl FnMut(Capture) -> bool,
) -> Result<WireCounts, argos_net::CaptureError> {
    let mut reader = CaptureReader::new(r)?;
    let mut p = FrameProcessor::new(opts.clone());
    let mut file_errors = 0;
    loop {
        let frame = match reader.next_frame() {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(_)) => {
                file_errors += 1;
                break;
            }
        };
        if !p.push(frame.link_type, frame.ts_us, frame.data, &mut sink) {
            break;
        }
    }
    let mut n = p.finish(&mut sink);
    n.file_errors += file_errors;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Raw IPv4 frames of one UDP datagram fragmented into `size`-byte pieces.
    fn ipv4_fragments(id: u16, udp: &[u8], size: usize) -> Vec<Vec<u8>> {
        let n = udp.len().div_ceil(size);
        udp.chunks(size)
            .enumerate()
            .map(|(i, c)| {
                let frag = ((i * size / 8) as u16) | if i + 1 < n { 0x2000 } else { 0 };
                let mut f = vec![0x45, 0];
                f.extend_from_slice(&((20 + c.len()) as u16).to_be_bytes());
                f.extend_from_slice(&id.to_be_bytes());
                f.extend_from_slice(&frag.to_be_bytes());
                f.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
                f.extend_from_slice(c);
                f
            })
            .collect()
    }

    #[test]
    fn fragmented_udp_sip_is_reassembled() {
        let mut sip = b"INVITE sip:a@b SIP/2.0\r\nCall-ID: frag\r\n".to_vec();
        sip.resize(3000, b'x');
        let mut udp = Vec::new();
        for v in [5060u16, 5060, (sip.len() + 8) as u16, 0] {
            udp.extend_from_slice(&v.to_be_bytes());
        }
        udp.extend_from_slice(&sip);
        let mut w =
            argos_net::PcapWriter::new(Vec::new(), argos_net::LinkType::RAW).expect("writer");
        let mut frags = ipv4_fragments(7, &udp, 1480);
        frags.swap(0, 2);
        for (i, f) in frags.iter().enumerate() {
            w.write_frame(1_000_000 + i as i64, f).expect("write");
        }
        // A datagram whose last fragment never comes, and one far too late.
        let lost = ipv4_fragments(8, &udp, 1480);
        w.write_frame(2_000_000, &lost[0]).expect("write");
        w.write_frame(40_000_000, &lost[1]).expect("write");
        let file = w.into_inner().expect("pcap");
        let mut got = Vec::new();
        let n = read_captures(&file[..], false, |c| {
            got.push(c);
            true
        })
        .expect("read");
        assert_eq!(got.len(), 1);
        assert_eq!(&got[0].payload[..], &sip[..]);
        assert_eq!(got[0].ts_us, 1_000_002);
        assert_eq!(n.sip_udp, 1);
        assert_eq!(n.ip_fragments, 5);
        assert_eq!(n.ip_reassembled, 1);
        assert_eq!(n.ip_frag_expired, 2);
        assert_eq!(n.skipped_fragment, 2);
    }
}
