//! HEP packet → [`Capture`], and the auth-key check, shared by the UDP and TCP listeners.

use crate::metrics::{DropReason, Metrics};
use argos_model::{Capture, PayloadKind, Transport};
use bytes::Bytes;
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;

/// Decodes one HEP packet held in `frame` and builds its capture. The payload is a slice of
/// `frame` (no copy) unless it arrived compressed. Returns `None` after counting the drop.
pub fn capture_from_frame(
    frame: &Bytes,
    auth_key: Option<&[u8]>,
    metrics: &Metrics,
) -> Option<Capture> {
    let pkt = match argos_hep::decode(frame) {
        Ok(p) => p,
        Err(e) => {
            metrics.drop_detail(DropReason::HepDecode, "hep", e.reason());
            return None;
        }
    };
    metrics.hep_decoded.fetch_add(1, Relaxed);
    if let Some(want) = auth_key {
        if pkt.auth_key != Some(want) {
            metrics.count_drop(DropReason::AuthKey);
            return None;
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
    Some(Capture {
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
