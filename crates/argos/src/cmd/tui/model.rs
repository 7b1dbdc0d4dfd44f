//! The calls the TUI shows: one [`Call`] per Call-ID, in order of first sight, bounded by
//! `--max-calls` (the oldest call is dropped and counted, so a live capture keeps going
//! where sngrep would stop capturing at its limit).

use std::collections::{BTreeMap, HashMap};

/// Messages kept per call; later ones are counted in [`Call::dropped_messages`]. Bounds the
/// memory of a runaway dialog (a REGISTER flood reusing one Call-ID).
pub const MAX_MESSAGES_PER_CALL: usize = 2000;

/// One SIP message as a source hands it over: what the views need, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub ts_us: i64,
    /// `IP:port` of the sender and the receiver.
    pub src: String,
    pub dst: String,
    pub transport: String,
    pub call_id: Option<String>,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub reason: Option<String>,
    pub cseq_method: Option<String>,
    pub from_user: Option<String>,
    pub to_user: Option<String>,
    /// The whole message, as text (invalid UTF-8 replaced).
    pub raw: String,
}

impl Incoming {
    /// Builds one from a parsed record (files, live interfaces, HEP).
    pub fn from_record(rec: &argos_model::Record) -> Self {
        let c = &rec.capture;
        let f = &rec.fields;
        Incoming {
            ts_us: c.ts_us,
            src: c.src.to_string(),
            dst: c.dst.to_string(),
            transport: c.transport.name().to_string(),
            call_id: f.call_id.clone(),
            method: f.method.clone(),
            status: f.status,
            reason: f.reason.clone(),
            cseq_method: f.cseq_method.clone(),
            from_user: f.from_user.clone(),
            to_user: f.to_user.clone(),
            raw: String::from_utf8_lossy(&c.payload).into_owned(),
        }
    }

    /// What the flow's arrow says: the method, or the status and reason.
    pub fn label(&self) -> String {
        match (&self.method, self.status) {
            (Some(m), _) => m.clone(),
            (None, Some(s)) => match &self.reason {
                Some(r) => format!("{s} {r}"),
                None => s.to_string(),
            },
            (None, None) => "?".to_string(),
        }
    }

    /// Whether the message carries a body (SDP, usually), shown as `(SDP)` on the arrow.
    pub fn has_sdp(&self) -> bool {
        self.raw
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("content-type:") && l.contains("sdp"))
    }
}

/// One dialog: every message sharing a Call-ID.
#[derive(Debug, Clone)]
pub struct Call {
    pub call_id: String,
    pub start_us: i64,
    pub from: String,
    pub to: String,
    pub first_method: String,
    pub messages: Vec<Incoming>,
    /// From, to, Call-ID and first method in lower case, for the filter: built once per
    /// change instead of at every keystroke over every call.
    pub search_text: String,
    /// Messages past [`MAX_MESSAGES_PER_CALL`], counted, not kept.
    pub dropped_messages: u64,
    invite_status: Option<u16>,
    last_status: Option<u16>,
    saw_bye: bool,
    saw_cancel: bool,
}

impl Call {
    fn new(call_id: String, m: &Incoming) -> Self {
        Call {
            call_id,
            start_us: m.ts_us,
            from: m.from_user.clone().unwrap_or_default(),
            to: m.to_user.clone().unwrap_or_default(),
            first_method: m
                .method
                .clone()
                .or_else(|| m.cseq_method.clone())
                .unwrap_or_default(),
            messages: Vec::new(),
            search_text: String::new(),
            dropped_messages: 0,
            invite_status: None,
            last_status: None,
            saw_bye: false,
            saw_cancel: false,
        }
    }

    fn add(&mut self, m: Incoming) {
        match (&m.method, m.status) {
            (Some(meth), _) if meth.eq_ignore_ascii_case("BYE") => self.saw_bye = true,
            (Some(meth), _) if meth.eq_ignore_ascii_case("CANCEL") => self.saw_cancel = true,
            (None, Some(s)) => {
                self.last_status = Some(s);
                let to_invite = m
                    .cseq_method
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case("INVITE"));
                // The first final answer decides the call state: a 200 to a re-INVITE
                // must not turn a failed call into an answered one.
                if to_invite && self.invite_status.is_none_or(|old| old < 200) {
                    self.invite_status = Some(s);
                }
            }
            _ => {}
        }
        let mut renamed = self.search_text.is_empty();
        if self.from.is_empty() && m.from_user.is_some() {
            self.from = m.from_user.clone().unwrap_or_default();
            renamed = true;
        }
        if self.to.is_empty() && m.to_user.is_some() {
            self.to = m.to_user.clone().unwrap_or_default();
            renamed = true;
        }
        if renamed {
            self.search_text = [&self.from, &self.to, &self.call_id, &self.first_method]
                .map(|f| f.to_lowercase())
                .join("\n");
        }
        if self.messages.len() < MAX_MESSAGES_PER_CALL {
            // TCP messages come when their stream is reassembled, and a HEP agent's clock
            // may differ: keep the flow in capture time order (usually an append).
            let at = self
                .messages
                .iter()
                .rposition(|old| old.ts_us <= m.ts_us)
                .map_or(0, |i| i + 1);
            self.messages.insert(at, m);
        } else {
            self.dropped_messages += 1;
        }
    }

    /// sngrep's call states for INVITE dialogs; the last status for the others.
    pub fn state(&self) -> String {
        if self.first_method.eq_ignore_ascii_case("INVITE") {
            let s = match self.invite_status {
                Some(200..=299) if self.saw_bye => "COMPLETED",
                Some(200..=299) => "IN CALL",
                Some(487) if self.saw_cancel => "CANCELLED",
                Some(486) | Some(600) => "BUSY",
                Some(300..=699) => "REJECTED",
                _ if self.saw_cancel => "CANCELLED",
                _ => "CALL SETUP",
            };
            return s.to_string();
        }
        self.last_status
            .map_or_else(|| "-".to_string(), |s| s.to_string())
    }

    /// Total messages seen, kept or not.
    pub fn message_count(&self) -> u64 {
        self.messages.len() as u64 + self.dropped_messages
    }
}

/// Every call seen, oldest first, at most `max_calls` of them.
#[derive(Debug)]
pub struct CallStore {
    max_calls: usize,
    calls: BTreeMap<u64, Call>,
    by_call_id: HashMap<String, u64>,
    next_seq: u64,
    /// Calls dropped to stay within `max_calls`.
    pub evicted: u64,
    /// Messages taken in (including those of evicted calls).
    pub messages: u64,
    /// Messages without a Call-ID (not SIP, or not parseable), not shown.
    pub without_call_id: u64,
    /// Bumped on every change, so views rebuild only when something moved.
    pub generation: u64,
}

impl CallStore {
    pub fn new(max_calls: usize) -> Self {
        CallStore {
            max_calls: max_calls.max(1),
            calls: BTreeMap::new(),
            by_call_id: HashMap::new(),
            next_seq: 0,
            evicted: 0,
            messages: 0,
            without_call_id: 0,
            generation: 0,
        }
    }

    /// Files a message under its call, opening (and maybe evicting) as needed.
    pub fn add(&mut self, m: Incoming) {
        self.messages += 1;
        self.generation += 1;
        let Some(cid) = m.call_id.clone() else {
            self.without_call_id += 1;
            return;
        };
        if let Some(seq) = self.by_call_id.get(&cid) {
            if let Some(call) = self.calls.get_mut(seq) {
                call.add(m);
            }
            return;
        }
        while self.calls.len() >= self.max_calls {
            let Some((_, old)) = self.calls.pop_first() else {
                break;
            };
            self.by_call_id.remove(&old.call_id);
            self.evicted += 1;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut call = Call::new(cid.clone(), &m);
        call.add(m);
        self.calls.insert(seq, call);
        self.by_call_id.insert(cid, seq);
    }

    /// The call kept under `seq`, if it is still kept.
    pub fn get(&self, seq: u64) -> Option<&Call> {
        self.calls.get(&seq)
    }

    /// `(seq, call)` oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Call)> {
        self.calls.iter().map(|(s, c)| (*s, c))
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn msg(cid: &str, method: Option<&str>, status: Option<u16>, ts: i64) -> Incoming {
        Incoming {
            ts_us: ts,
            src: "10.0.0.1:5060".into(),
            dst: "10.0.0.2:5060".into(),
            transport: "udp".into(),
            call_id: Some(cid.into()),
            method: method.map(str::to_string),
            status,
            reason: status.map(|_| "OK".to_string()),
            cseq_method: Some("INVITE".into()),
            from_user: Some("alice".into()),
            to_user: Some("bob".into()),
            raw: format!(
                "{} sip:bob@b SIP/2.0\r\nCall-ID: {cid}\r\n\r\n",
                method.unwrap_or("SIP/2.0")
            ),
        }
    }

    #[test]
    fn oldest_call_is_dropped_and_counted() {
        let mut s = CallStore::new(2);
        for (i, c) in ["a", "b", "a", "c"].iter().enumerate() {
            s.add(msg(c, Some("INVITE"), None, i as i64));
        }
        assert_eq!(s.len(), 2);
        assert_eq!(s.evicted, 1);
        let ids: Vec<_> = s.iter().map(|(_, c)| c.call_id.clone()).collect();
        assert_eq!(ids, ["b", "c"]);
    }

    #[test]
    fn invite_states() {
        let mut s = CallStore::new(10);
        s.add(msg("x", Some("INVITE"), None, 0));
        s.add(msg("x", None, Some(180), 1));
        assert_eq!(
            s.iter().next().map(|(_, c)| c.state()).as_deref(),
            Some("CALL SETUP")
        );
        s.add(msg("x", None, Some(200), 2));
        assert_eq!(
            s.iter().next().map(|(_, c)| c.state()).as_deref(),
            Some("IN CALL")
        );
        s.add(msg("x", Some("BYE"), None, 3));
        assert_eq!(
            s.iter().next().map(|(_, c)| c.state()).as_deref(),
            Some("COMPLETED")
        );
    }
}
