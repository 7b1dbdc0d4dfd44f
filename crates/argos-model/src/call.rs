//! What the call tracker concludes: [`CallRecord`] (one per call, all legs),
//! [`RegistrationRecord`] (one per AOR + contact), [`Alarm`] and per-minute [`StatRow`]s.
//!
//! They are written by the collector's writer thread and by `argos import`, kept by the
//! store beside the messages (same day partitions, same retention), and read by the API.
//! Times are microseconds since the Unix epoch, like [`crate::Capture::ts_us`].

use serde::{Deserialize, Serialize};

/// How a call ended (or where it stands while it is still going).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// INVITE sent, no final answer yet (only for calls still tracked).
    #[default]
    Trying,
    /// A provisional 18x seen, no final answer yet.
    Ringing,
    /// A 2xx to the INVITE, not yet ended.
    InCall,
    /// Answered (2xx) and ended, by BYE or by the tracker's timeout.
    Answered,
    /// 486 Busy Here, 600 Busy Everywhere.
    Busy,
    /// The caller sent CANCEL (typically answered 487).
    Cancelled,
    /// Rang without answer: 408/480 after ringing, or 487 without a CANCEL seen.
    NoAnswer,
    /// Refused by policy: 401/407 never retried, 403, 603, 604, 606.
    Rejected,
    /// Any other final 3xx-6xx; see [`CallRecord::final_code`].
    Failed,
    /// No final response at all before the tracker gave up.
    Timeout,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Trying => "trying",
            CallStatus::Ringing => "ringing",
            CallStatus::InCall => "in_call",
            CallStatus::Answered => "answered",
            CallStatus::Busy => "busy",
            CallStatus::Cancelled => "cancelled",
            CallStatus::NoAnswer => "no_answer",
            CallStatus::Rejected => "rejected",
            CallStatus::Failed => "failed",
            CallStatus::Timeout => "timeout",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub const ALL: [CallStatus; 10] = [
        CallStatus::Trying,
        CallStatus::Ringing,
        CallStatus::InCall,
        CallStatus::Answered,
        CallStatus::Busy,
        CallStatus::Cancelled,
        CallStatus::NoAnswer,
        CallStatus::Rejected,
        CallStatus::Failed,
        CallStatus::Timeout,
    ];

    /// Still being tracked: a later update may change it.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            CallStatus::Trying | CallStatus::Ringing | CallStatus::InCall
        )
    }
}

/// Which side ended an answered call (who sent the first BYE), or cancelled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Caller,
    Callee,
}

/// One leg of a call: one Call-ID (one dialog, or several forks of it) between two hosts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallLeg {
    pub call_id: String,
    /// Source and destination of the leg's first INVITE, `ip:port`.
    pub src: String,
    pub dst: String,
    pub start_us: i64,
    /// Final response code of this leg's initial INVITE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_code: Option<u16>,
    pub messages: u32,
}

/// Media address and codecs offered or answered in an SDP.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaSide {
    /// `ip:port` of the first audio (else first) m= line.
    pub addr: String,
    /// Codec names in preference order (`PCMU`, `G729`, `telephone-event` left out).
    pub codecs: Vec<String>,
}

/// One call: everything the tracker learnt from its INVITE dialogs on all legs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The call's key (a-leg Call-ID), same as [`crate::MessageFields::call_key`].
    pub call_key: String,
    /// Legs in order of first appearance; the first is the caller's.
    pub legs: Vec<CallLeg>,
    pub status: CallStatus,
    /// Final response code of the caller's leg (200, 486, 487, 503...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruri_user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pai_user: Option<String>,
    /// Source and destination IP of the caller's first INVITE (KPI dimensions).
    pub src_ip: String,
    pub dst_ip: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_ua: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callee_ua: Option<String>,
    /// HEP node name / capture id of the first INVITE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub capture_id: u32,
    /// First INVITE.
    pub start_us: i64,
    /// First 18x on the caller's leg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ringing_us: Option<i64>,
    /// 2xx to the INVITE on the caller's leg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_us: Option<i64>,
    /// Final failure response, CANCEL, first BYE, or the timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_us: Option<i64>,
    /// Post-dial delay: INVITE → first 18x (or → final response when none rang), ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdd_ms: Option<i64>,
    /// Setup time: INVITE → 2xx, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_ms: Option<i64>,
    /// Talk time: 2xx → first BYE, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hangup_by: Option<Party>,
    /// Reason header of the BYE/CANCEL/final response (`Q.850;cause=16;text="..."`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_header: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q850_cause: Option<u16>,
    /// SDP offer (caller) and answer (callee) of the caller's leg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<MediaSide>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<MediaSide>,
    /// Codec agreed: the answer's first codec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Lowest MOS reported for the call (QoS reports), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mos: Option<f32>,
    /// INVITEs seen on the caller's leg beyond the first with the same CSeq
    /// (retransmissions), and re-INVITEs/UPDATEs after the answer.
    pub invite_retransmissions: u32,
    pub reinvites: u32,
    /// SIP messages of the call on all legs.
    pub messages: u32,
}

/// State of one registration binding (AOR + contact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RegStatus {
    /// REGISTER sent, no final answer yet, or only a challenge (401/407).
    #[default]
    Pending,
    /// 2xx with a non-zero expiry that has not passed.
    Registered,
    /// De-registered (Expires: 0 answered 2xx).
    Unregistered,
    /// The last success's expiry has passed with no refresh.
    Expired,
    /// The last attempt failed (final 3xx-6xx other than a challenge, or timeout).
    Failed,
}

impl RegStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RegStatus::Pending => "pending",
            RegStatus::Registered => "registered",
            RegStatus::Unregistered => "unregistered",
            RegStatus::Expired => "expired",
            RegStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            RegStatus::Pending,
            RegStatus::Registered,
            RegStatus::Unregistered,
            RegStatus::Expired,
            RegStatus::Failed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One device's registration: updated by every REGISTER transaction for the binding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRecord {
    /// Address of record, `user@domain` (the To URI of the REGISTER).
    pub aor: String,
    /// Contact URI registered (empty for a query or `*`).
    pub contact: String,
    /// Source `ip:port` of the last REGISTER.
    pub src: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub status: RegStatus,
    /// First and last REGISTER seen for this binding.
    pub first_us: i64,
    pub last_us: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success_us: Option<i64>,
    /// Expiry granted by the last success, seconds, and when it runs out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_s: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at_us: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure_us: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure_code: Option<u16>,
    /// Counts over the record's life: REGISTER transactions, 401/407 challenges,
    /// successes and failures (a challenge is not a failure).
    pub attempts: u32,
    pub challenges: u32,
    pub successes: u32,
    pub failures: u32,
    /// Call-ID of the last REGISTER.
    pub call_id: String,
}

/// What an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// A known scanner User-Agent, or one source probing many users.
    Scanner,
    /// SQL-injection strings in SIP headers.
    SqlInjection,
    /// Max-Forwards exhausted, 482 Loop Detected, 483 Too Many Hops.
    Loop,
    /// One source sending above the configured rate.
    Flood,
    /// 5xx/408 responses well above their baseline.
    ErrorSpike,
    /// Many failed registrations in a short time.
    RegistrationFailures,
}

impl AlarmKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmKind::Scanner => "scanner",
            AlarmKind::SqlInjection => "sql_injection",
            AlarmKind::Loop => "loop",
            AlarmKind::Flood => "flood",
            AlarmKind::ErrorSpike => "error_spike",
            AlarmKind::RegistrationFailures => "registration_failures",
        }
    }
    pub const ALL: [AlarmKind; 6] = [
        AlarmKind::Scanner,
        AlarmKind::SqlInjection,
        AlarmKind::Loop,
        AlarmKind::Flood,
        AlarmKind::ErrorSpike,
        AlarmKind::RegistrationFailures,
    ];
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// A message that shows why an alarm was raised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub ts_us: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// `ip:port` → `ip:port`.
    pub src: String,
    pub dst: String,
    /// Start line (`INVITE sip:100@x SIP/2.0`) and the header that matched, when one did.
    pub line: String,
}

/// One raised alarm. Rules raise one alarm per (kind, key) per window, with a count of
/// how many times the condition was seen and up to a few pieces of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub kind: AlarmKind,
    pub severity: Severity,
    /// What the alarm is about: a source IP, a destination, a node.
    pub key: String,
    /// When the condition was first and last seen in this alarm's window.
    pub first_us: i64,
    pub last_us: i64,
    /// Matching messages (or calls) seen in the window.
    pub count: u64,
    /// One line for people: "friendly-scanner from 10.0.0.9 probed 12 users (OPTIONS)".
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// Per-minute message counter: `name` is `req:INVITE`, `rsp:486`, ...; written by the
/// tracker, summed by the stats API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatRow {
    /// Start of the minute, µs.
    pub minute_us: i64,
    pub name: String,
    pub count: u64,
}

/// Which call records to list: time range on `start_us`, exact-match filters (all must
/// hold; `*` in a user/IP value is a wildcard), newest first, at most `limit`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallQuery {
    pub since_us: i64,
    pub until_us: i64,
    /// Any of these statuses (empty: all).
    pub status: Vec<CallStatus>,
    pub call_key: Option<String>,
    pub from_user: Option<String>,
    pub to_user: Option<String>,
    pub ruri_user: Option<String>,
    pub src_ip: Option<String>,
    pub dst_ip: Option<String>,
    pub node: Option<String>,
    pub limit: usize,
}

/// Which registrations to list: bindings whose `last_us` is in the range, newest first;
/// one row per (aor, contact), its latest state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegQuery {
    pub since_us: i64,
    pub until_us: i64,
    /// `user@domain`, or a pattern with `*`.
    pub aor: Option<String>,
    pub status: Option<RegStatus>,
    pub limit: usize,
}

/// Which alarms to list: `last_us` in range, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlarmQuery {
    pub since_us: i64,
    pub until_us: i64,
    pub kind: Option<AlarmKind>,
    pub limit: usize,
}

/// Dimension a KPI is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiDim {
    /// One series over all calls.
    #[default]
    All,
    Node,
    SrcIp,
    DstIp,
    CallerUa,
    /// The first `prefix_len` characters of the R-URI user (destination prefix).
    DstPrefix,
}

impl KpiDim {
    /// Every dimension.
    pub const ALL: [KpiDim; 6] = [
        KpiDim::All,
        KpiDim::Node,
        KpiDim::SrcIp,
        KpiDim::DstIp,
        KpiDim::CallerUa,
        KpiDim::DstPrefix,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KpiDim::All => "all",
            KpiDim::Node => "node",
            KpiDim::SrcIp => "src_ip",
            KpiDim::DstIp => "dst_ip",
            KpiDim::CallerUa => "caller_ua",
            KpiDim::DstPrefix => "dst_prefix",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        KpiDim::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Call records grouped for KPIs: by time bucket (on `start_us`), dimension value,
/// status and final code. The store only groups and sums; argos-track turns rows into
/// ASR, NER, ACD, PDD.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiQuery {
    pub since_us: i64,
    pub until_us: i64,
    /// Bucket width in seconds (>= 1); buckets start at multiples of it since the epoch.
    pub bucket_s: u32,
    pub by: KpiDim,
    /// For [`KpiDim::DstPrefix`]: characters of the R-URI user (else of To user).
    pub prefix_len: usize,
}

/// One group of call records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallAggRow {
    pub bucket_us: i64,
    /// Dimension value ("" for [`KpiDim::All`] or when the record has none).
    pub key: String,
    pub status: CallStatus,
    /// 0 when there was no final code.
    pub final_code: u16,
    pub calls: u64,
    /// Sums over the group's records that have the value, and how many had it.
    pub duration_ms_sum: i64,
    pub duration_n: u64,
    pub pdd_ms_sum: i64,
    pub pdd_n: u64,
    pub setup_ms_sum: i64,
    pub setup_n: u64,
}
