//! Quality reports carried in SIP: PUBLISH `application/vq-rtcpxr` (RFC 6035) and the
//! end-of-call headers (`X-RTP-Stat`, `P-RTP-Stat`, `RTP-RxStat`/`RTP-TxStat`) of a
//! BYE or its 200.
//!
//! TODO(qos-sip): the parser, `argos_sip::qos::reports_of(&SipMessage) -> Vec<QosReport>`,
//! is being written in crates/argos-sip/src/qos/; until it lands SIP records yield no
//! observations here. Integration: parse the record's payload with
//! `argos_sip::parse`, map each `QosReport` to an [`Observation`] (kind from
//! `report.kind`, direction from `report.direction`, `local_addr`/`remote_addr` as
//! dst/src for rx and src/dst for tx, the numbers as they are, `raw` kept as text).

use super::media::CallMedia;
use super::observation::Observation;
use super::ReportError;
use argos_model::StoredMessage;

/// The observations of one SIP record: none until the SIP report parser lands.
pub fn observations(
    _msg: &StoredMessage,
    _media: &CallMedia,
) -> Result<Vec<Observation>, ReportError> {
    Ok(Vec::new())
}
