//! A HEP packet → [`Capture`]: shared by the collector's listeners and by captures that
//! carry HEP on the wire.

use argos_hep::HepError;
use argos_model::{Capture, PayloadKind, Transport};
use bytes::Bytes;
use std::borrow::Cow;
use std::net::SocketAddr;

/// Why a HEP packet gave no capture.
#[derive(Debug, thiserror::Error)]
pub enum HepCaptureError {
    #[error("HEP decode: {0}")]
    Decode(#[from] HepError),
    /// The packet decoded but its auth key (chunk 0x000e) is missing or not the one expected.
    #[error("HEP auth key missing or wrong")]
    AuthKey,
}

/// Decodes one HEP packet held in `frame` and builds its capture. The payload is a slice of
/// `frame` (no copy) unless it arrived compressed. With `auth_key`, a packet without exactly
/// that key is refused.
pub fn capture_from_hep(
    frame: &Bytes,
    auth_key: Option<&[u8]>,
) -> Result<Capture, HepCaptureError> {
    let pkt = argos_hep::decode(frame)?;
    if let Some(want) = auth_key {
        if pkt.auth_key != Some(want) {
            return Err(HepCaptureError::AuthKey);
        }
    }
    let payload = match &pkt.payload {
        Cow::Borrowed(b) => frame.slice_ref(b),
        Cow::Owned(v) => Bytes::copy_from_slice(v),
    };
    let ts_us = i64::from(pkt.ts_sec) * 1_000_000 + i64::from(pkt.ts_usec);
    let text = |b: Option<&[u8]>| {
        b.filter(|b| !b.is_empty())
            .map(|b| String::from_utf8_lossy(b).into_owned().into_boxed_str())
    };
    Ok(Capture {
        ts_us,
        src: SocketAddr::new(pkt.src_ip, pkt.src_port),
        dst: SocketAddr::new(pkt.dst_ip, pkt.dst_port),
        transport: Transport::from_ip_proto(pkt.ip_proto),
        kind: PayloadKind(pkt.proto_type.0),
        capture_id: pkt.capture_id,
        node: text(pkt.node_name),
        correlation_id: text(pkt.correlation_id),
        vlan: pkt.vlan_id,
        payload,
    })
}
