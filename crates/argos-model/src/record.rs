//! [`Record`]: a capture plus the searchable fields of its payload; what the store keeps.

use crate::Capture;
use serde::{Deserialize, Serialize};

/// Searchable fields parsed from a SIP payload. Every field is optional: a non-SIP
/// payload (RTCP report, log line) has none but `call_key`.
///
/// The names are the API's query-parameter names (`from_user`, `ruri_user`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFields {
    /// Request method (`INVITE`), or `None` for a response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Reply code, `None` for a request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruri_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruri_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_tag: Option<String>,
    /// User of P-Asserted-Identity, else Remote-Party-ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pai_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_port: Option<u16>,
    /// `username=` of Authorization / Proxy-Authorization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// The a-leg Call-ID this message's leg belongs to, from X-CID or another configured
    /// header (suffix stripped), when the message carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a_leg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cseq_num: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cseq_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diversion_user: Option<String>,
    /// Value of the Reason header (e.g. `Q.850;cause=16`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// User-Agent of a request or Server of a response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<u32>,
    /// SDP media summary, `ip:port/codec,codec` per media line joined by spaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdp_media: Option<String>,
    /// The key that groups all legs of one call: the a-leg Call-ID from `a_leg`, else the
    /// HEP correlation id (non-SIP payloads), else the message's own Call-ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_key: Option<String>,
}

/// What the ingest pipeline hands to the store: the capture and its parsed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub capture: Capture,
    pub fields: MessageFields,
}

/// A record read back from the store, with the id the store gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Unique within the store; also orders messages stored in the same microsecond.
    pub id: u64,
    pub record: Record,
}

/// One row of the calls list: all messages that share a `call_key`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSummary {
    pub call_key: String,
    /// Distinct Call-IDs in the group (the legs), a-leg first when known.
    pub call_ids: Vec<String>,
    pub first_ts_us: i64,
    pub last_ts_us: i64,
    /// Method of the first request seen (INVITE, REGISTER, OPTIONS...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruri_user: Option<String>,
    /// The last final (>=200) reply to the initial request's method (so "401 then 200"
    /// is 200), else the highest provisional one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub messages: u64,
    pub legs: u32,
}
