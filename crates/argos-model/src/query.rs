//! [`Query`]: what a search asks the store for.

use crate::Record;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A searchable field. Its [`Field::name`] is the API query parameter and CLI flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Method,
    Status,
    Reason,
    Ruri,
    RuriUser,
    RuriDomain,
    FromUser,
    FromDomain,
    FromTag,
    ToUser,
    ToDomain,
    ToTag,
    PaiUser,
    ContactUser,
    ContactIp,
    AuthUser,
    CallId,
    ALeg,
    CallKey,
    ViaBranch,
    CseqMethod,
    DiversionUser,
    ContentType,
    UserAgent,
    SrcIp,
    DstIp,
    SrcPort,
    DstPort,
    Transport,
    Proto,
    CaptureId,
    Node,
    CorrelationId,
    /// Full text: the raw message contains the value (ASCII case-insensitive; `*` allowed).
    Text,
}

impl Field {
    /// Every field, in the order the API documents them.
    pub const ALL: &'static [Field] = &[
        Field::Method,
        Field::Status,
        Field::Reason,
        Field::Ruri,
        Field::RuriUser,
        Field::RuriDomain,
        Field::FromUser,
        Field::FromDomain,
        Field::FromTag,
        Field::ToUser,
        Field::ToDomain,
        Field::ToTag,
        Field::PaiUser,
        Field::ContactUser,
        Field::ContactIp,
        Field::AuthUser,
        Field::CallId,
        Field::ALeg,
        Field::CallKey,
        Field::ViaBranch,
        Field::CseqMethod,
        Field::DiversionUser,
        Field::ContentType,
        Field::UserAgent,
        Field::SrcIp,
        Field::DstIp,
        Field::SrcPort,
        Field::DstPort,
        Field::Transport,
        Field::Proto,
        Field::CaptureId,
        Field::Node,
        Field::CorrelationId,
        Field::Text,
    ];

    /// snake_case name: API query parameter, CLI flag (with dashes), store column.
    pub fn name(self) -> &'static str {
        match self {
            Field::Method => "method",
            Field::Status => "status",
            Field::Reason => "reason",
            Field::Ruri => "ruri",
            Field::RuriUser => "ruri_user",
            Field::RuriDomain => "ruri_domain",
            Field::FromUser => "from_user",
            Field::FromDomain => "from_domain",
            Field::FromTag => "from_tag",
            Field::ToUser => "to_user",
            Field::ToDomain => "to_domain",
            Field::ToTag => "to_tag",
            Field::PaiUser => "pai_user",
            Field::ContactUser => "contact_user",
            Field::ContactIp => "contact_ip",
            Field::AuthUser => "auth_user",
            Field::CallId => "call_id",
            Field::ALeg => "a_leg",
            Field::CallKey => "call_key",
            Field::ViaBranch => "via_branch",
            Field::CseqMethod => "cseq_method",
            Field::DiversionUser => "diversion_user",
            Field::ContentType => "content_type",
            Field::UserAgent => "user_agent",
            Field::SrcIp => "src_ip",
            Field::DstIp => "dst_ip",
            Field::SrcPort => "src_port",
            Field::DstPort => "dst_port",
            Field::Transport => "transport",
            Field::Proto => "proto",
            Field::CaptureId => "capture_id",
            Field::Node => "node",
            Field::CorrelationId => "correlation_id",
            Field::Text => "text",
        }
    }

    /// Inverse of [`Field::name`].
    pub fn from_name(s: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.name() == s)
    }
}

/// One condition: `field` equals `value`, or matches it as a pattern when `value`
/// contains `*` (any run of characters) — e.g. `from_user=10*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub field: Field,
    pub value: String,
}

/// The value of `field` in a record, as the text a filter compares against.
pub fn field_value(r: &Record, field: Field) -> Option<Cow<'_, str>> {
    let f = &r.fields;
    let c = &r.capture;
    fn s(o: &Option<String>) -> Option<Cow<'_, str>> {
        o.as_deref().map(Cow::Borrowed)
    }
    match field {
        Field::Method => s(&f.method),
        Field::Status => f.status.map(|v| Cow::Owned(v.to_string())),
        Field::Reason => s(&f.reason),
        Field::Ruri => s(&f.ruri),
        Field::RuriUser => s(&f.ruri_user),
        Field::RuriDomain => s(&f.ruri_domain),
        Field::FromUser => s(&f.from_user),
        Field::FromDomain => s(&f.from_domain),
        Field::FromTag => s(&f.from_tag),
        Field::ToUser => s(&f.to_user),
        Field::ToDomain => s(&f.to_domain),
        Field::ToTag => s(&f.to_tag),
        Field::PaiUser => s(&f.pai_user),
        Field::ContactUser => s(&f.contact_user),
        Field::ContactIp => s(&f.contact_ip),
        Field::AuthUser => s(&f.auth_user),
        Field::CallId => s(&f.call_id),
        Field::ALeg => s(&f.a_leg),
        Field::CallKey => s(&f.call_key),
        Field::ViaBranch => s(&f.via_branch),
        Field::CseqMethod => s(&f.cseq_method),
        Field::DiversionUser => s(&f.diversion_user),
        Field::ContentType => s(&f.content_type),
        Field::UserAgent => s(&f.user_agent),
        Field::SrcIp => Some(Cow::Owned(c.src.ip().to_string())),
        Field::DstIp => Some(Cow::Owned(c.dst.ip().to_string())),
        Field::SrcPort => Some(Cow::Owned(c.src.port().to_string())),
        Field::DstPort => Some(Cow::Owned(c.dst.port().to_string())),
        Field::Transport => Some(Cow::Borrowed(c.transport.name())),
        Field::Proto => Some(Cow::Owned(c.kind.0.to_string())),
        Field::CaptureId => Some(Cow::Owned(c.capture_id.to_string())),
        Field::Node => c.node.as_deref().map(Cow::Borrowed),
        Field::CorrelationId => c.correlation_id.as_deref().map(Cow::Borrowed),
        // Full text is matched on the raw bytes by `Filter::matches_record`, not as a value.
        Field::Text => None,
    }
}

impl Filter {
    /// True when the record satisfies the filter: its field's value matches (exactly or
    /// as a `*` pattern), or for `text` the raw message contains the value. `proto` also
    /// accepts the kind's name (`sip`).
    pub fn matches_record(&self, r: &Record) -> bool {
        if self.field == Field::Text {
            return self.matches_text(&r.capture.payload);
        }
        match field_value(r, self.field) {
            Some(v) => {
                self.matches(&v)
                    || (self.field == Field::Proto && self.matches(r.capture.kind.name()))
            }
            None => false,
        }
    }

    /// True when `value` uses the `*` wildcard.
    pub fn is_pattern(&self) -> bool {
        self.value.contains('*')
    }

    /// Case-sensitive match of a candidate against this filter's value or pattern.
    /// For [`Field::Text`] use [`Filter::matches_text`] on the raw payload instead.
    pub fn matches(&self, candidate: &str) -> bool {
        if !self.is_pattern() {
            return candidate == self.value;
        }
        wildcard_match(&self.value, candidate)
    }

    /// Full-text match for [`Field::Text`]: the payload contains the value, ASCII
    /// case-insensitively; `*` in the value matches any run of bytes.
    pub fn matches_text(&self, payload: &[u8]) -> bool {
        let needle = self.value.to_ascii_lowercase();
        let pieces: Vec<&[u8]> = needle
            .split('*')
            .map(str::as_bytes)
            .filter(|p| !p.is_empty())
            .collect();
        let mut rest = payload;
        for piece in pieces {
            match find_ci(rest, piece) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

/// First position of `needle` (already lower-case) in `hay`, ASCII case-insensitively.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| {
        hay[i..i + needle.len()]
            .iter()
            .zip(needle)
            .all(|(h, n)| h.to_ascii_lowercase() == *n)
    })
}

/// `*`-only glob match, iterative with backtracking to the last star.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A search: a time range, conditions that must all hold, and a row limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Inclusive lower bound, microseconds since the epoch.
    pub since_us: i64,
    /// Exclusive upper bound, microseconds since the epoch.
    pub until_us: i64,
    pub filters: Vec<Filter>,
    /// Maximum rows returned (messages, or calls for a calls query).
    pub limit: usize,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            since_us: 0,
            until_us: i64::MAX,
            filters: Vec::new(),
            limit: 100,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard() {
        let f = |v: &str| Filter {
            field: Field::FromUser,
            value: v.into(),
        };
        assert!(f("10*").matches("1001"));
        assert!(f("*01").matches("1001"));
        assert!(f("1*0*1").matches("1001"));
        assert!(!f("2*").matches("1001"));
        assert!(f("1001").matches("1001"));
        assert!(!f("100").matches("1001"));
    }

    #[test]
    fn full_text() {
        let f = |v: &str| Filter {
            field: Field::Text,
            value: v.into(),
        };
        let raw = b"INVITE sip:a@b SIP/2.0\r\nUser-Agent: FriendlyScanner 1.0\r\n\r\n";
        assert!(f("friendlyscanner").matches_text(raw));
        assert!(f("user-agent: friendly*1.0").matches_text(raw));
        assert!(!f("sipvicious").matches_text(raw));
    }

    #[test]
    fn names_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(*f));
        }
    }
}
