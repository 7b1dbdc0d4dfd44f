//! HEP packet → [`Capture`], and the auth-key check, shared by the UDP and TCP listeners.

use crate::metrics::{DropReason, Metrics};
use argos_model::Capture;
use argos_wire::HepCaptureError;
use bytes::Bytes;
use std::sync::atomic::Ordering::Relaxed;

/// Decodes one HEP packet held in `frame` and builds its capture
/// ([`argos_wire::capture_from_hep`]: the payload is a slice of `frame` unless it arrived
/// compressed). Returns `None` after counting the drop.
pub fn capture_from_frame(
    frame: &Bytes,
    auth_key: Option<&[u8]>,
    metrics: &Metrics,
) -> Option<Capture> {
    match argos_wire::capture_from_hep(frame, auth_key) {
        Ok(c) => {
            metrics.hep_decoded.fetch_add(1, Relaxed);
            Some(c)
        }
        Err(HepCaptureError::AuthKey) => {
            metrics.hep_decoded.fetch_add(1, Relaxed);
            metrics.count_drop(DropReason::AuthKey);
            None
        }
        Err(HepCaptureError::Decode(e)) => {
            metrics.drop_detail(DropReason::HepDecode, "hep", e.reason());
            None
        }
    }
}
