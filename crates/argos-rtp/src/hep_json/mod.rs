//! RTCP as HEP proto-5 JSON (the payload HOMER consumers read), and a tolerant reader
//! of what any producer sends.
//!
//! [`to_json`] writes one object per compound packet with heplify's field names
//! (hep.md §6.1): `sender_information{ntp_timestamp_sec, ntp_timestamp_usec (the raw
//! NTP fraction, despite the name), rtp_timestamp, packets, octets}` (zeros when there
//! is no SR, as heplify does), `ssrc`, `type`, `report_count`, `report_blocks[…]`,
//! `report_blocks_xr{…}` (zeros without XR), `sdes_ssrc`, and — when an XR VoIP Metrics
//! block is present — the newer heplify `voip_metrics` object. `packets_lost` is written
//! signed (sign-extended 24 bits, as captagent does; heplify writes it unsigned — the
//! reader accepts both).
//!
//! [`read_report`] accepts numbers or numeric strings, signed or unsigned values,
//! missing keys and `null`s (captagent, rtpengine, heplify, Asterisk, FreeSWITCH,
//! hepgen variants) and returns an [`RtcpReport`].

mod read;
mod write;

pub use read::{read_report, BlockSummary, RtcpReport, SenderSummary, XrSummary};
pub use write::{to_json, to_value};

use crate::rtcp::{self, RtcpError};

/// What the agent sends for one RTCP datagram: HEP proto 5 with this JSON payload,
/// chunk 0x0020 = `mos_x100` when known, correlated by the Call-ID the media map gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HepRtcp {
    /// The proto-5 JSON payload.
    pub json: String,
    /// MOS × 100 for the HEP MOS chunk (XR MOS-CQ, else the RR estimate).
    pub mos_x100: Option<u16>,
    /// SSRC of the first SR/RR sender (else the XR/SDES one).
    pub ssrc: Option<u32>,
    /// A decoding error after the packets used (trailing garbage, a bad last packet).
    pub trailing_error: Option<RtcpError>,
}

/// Decodes one RTCP datagram and builds its HEP payload; `clock_rate` (Hz, 0 if
/// unknown) converts RR jitter for the MOS estimate. Errors when no packet decoded, or
/// none of them is worth reporting.
pub fn rtcp_to_hep(datagram: &[u8], clock_rate: u32) -> Result<HepRtcp, HepJsonError> {
    let c = rtcp::decode(datagram);
    if c.packets.is_empty() {
        if let Some(e) = c.error {
            return Err(HepJsonError::Rtcp(e));
        }
    }
    let json = to_json(&c.packets)?;
    let ssrc = c
        .first_report()
        .or_else(|| c.packets.first())
        .and_then(|p| p.sender_ssrc());
    Ok(HepRtcp {
        json,
        mos_x100: crate::mos::hep_mos(&c.packets, clock_rate),
        ssrc,
        trailing_error: c.error,
    })
}

/// Why RTCP could not be written as, or read from, HEP JSON.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HepJsonError {
    /// The packets hold no SR, RR, SDES or XR: nothing HOMER would store.
    #[error("no SR, RR, SDES or XR packet to report")]
    NothingToReport,
    /// The input is not JSON.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is valid but not an object.
    #[error("RTCP JSON is not an object")]
    NotAnObject,
    /// The datagram is not RTCP.
    #[error("not RTCP: {0}")]
    Rtcp(#[from] RtcpError),
}

impl HepJsonError {
    /// Stable snake_case label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            HepJsonError::NothingToReport => "nothing_to_report",
            HepJsonError::Json(_) => "invalid_json",
            HepJsonError::NotAnObject => "not_an_object",
            HepJsonError::Rtcp(e) => e.reason(),
        }
    }
}
