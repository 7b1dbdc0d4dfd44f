//! JSON shapes of the API (see docs/API.md).

use argos_model::{CallSummary, MessageFields, StoredMessage};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// RFC 3339 UTC with microseconds.
pub fn rfc3339(ts_us: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts_us) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[derive(Serialize)]
pub struct MessageJson<'a> {
    pub id: u64,
    pub ts: String,
    pub ts_us: i64,
    pub src_ip: String,
    pub src_port: u16,
    pub dst_ip: String,
    pub dst_port: u16,
    pub transport: &'static str,
    pub proto: u8,
    pub proto_name: &'static str,
    pub capture_id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    #[serde(flatten)]
    pub fields: &'a MessageFields,
    pub size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl<'a> MessageJson<'a> {
    pub fn new(m: &'a StoredMessage, with_raw: bool) -> Self {
        let c = &m.record.capture;
        MessageJson {
            id: m.id,
            ts: rfc3339(c.ts_us),
            ts_us: c.ts_us,
            src_ip: c.src.ip().to_string(),
            src_port: c.src.port(),
            dst_ip: c.dst.ip().to_string(),
            dst_port: c.dst.port(),
            transport: c.transport.name(),
            proto: c.kind.0,
            proto_name: c.kind.name(),
            capture_id: c.capture_id,
            node: c.node.as_deref(),
            correlation_id: c.correlation_id.as_deref(),
            vlan: c.vlan,
            fields: &m.record.fields,
            size: c.payload.len(),
            raw: with_raw.then(|| String::from_utf8_lossy(&c.payload).into_owned()),
        }
    }
}

#[derive(Serialize)]
pub struct CallJson<'a> {
    pub first_ts: String,
    pub last_ts: String,
    #[serde(flatten)]
    pub call: &'a CallSummary,
}

impl<'a> CallJson<'a> {
    pub fn new(call: &'a CallSummary) -> Self {
        CallJson {
            first_ts: rfc3339(call.first_ts_us),
            last_ts: rfc3339(call.last_ts_us),
            call,
        }
    }
}
