//! Capture → Record: parse a captured payload and fill its searchable fields.
//!
//! Shared by the collector and `argos import` so both store exactly the same thing.
//! Two steps: [`parse`] is stateless and runs on whichever thread received the capture
//! (listener threads, the import reader), so SIP parsing spreads over cores; [`Linker`]
//! holds the one piece of state — which Call-IDs belong to which a-leg, so b-leg
//! responses (which carry no X-CID) still join their call — and runs on the writer thread.

use crate::metrics::Metrics;
use argos_model::{Capture, MessageFields, PayloadKind, Record};
use std::collections::{HashMap, VecDeque};

/// How the pipeline parses and correlates.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Which headers name the a-leg (X-CID by default), with optional suffix-strip regexes.
    pub fields: argos_sip::FieldConfig,
    /// Call-ID → a-leg links remembered; the oldest are forgotten first (bounded memory).
    pub leg_links: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            fields: argos_sip::FieldConfig::default(),
            leg_links: 200_000,
        }
    }
}

/// Bounded map from a b-leg Call-ID to the a-leg Call-ID it was linked to.
#[derive(Debug)]
pub struct LegLinker {
    links: HashMap<Box<str>, Box<str>>,
    order: VecDeque<Box<str>>,
    capacity: usize,
}

impl LegLinker {
    pub fn new(capacity: usize) -> Self {
        LegLinker {
            links: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records that `call_id` is a leg of `a_leg`.
    pub fn link(&mut self, call_id: &str, a_leg: &str) {
        if call_id == a_leg || self.links.get(call_id).is_some_and(|a| &**a == a_leg) {
            return;
        }
        if self.links.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.links.remove(&old);
            }
        }
        let key: Box<str> = call_id.into();
        if self.links.insert(key.clone(), a_leg.into()).is_none() {
            self.order.push_back(key);
        }
    }

    /// The a-leg a Call-ID was linked to, if any.
    pub fn a_leg_of(&self, call_id: &str) -> Option<&str> {
        self.links.get(call_id).map(|s| &**s)
    }

    pub fn len(&self) -> usize {
        self.links.len()
    }

    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }
}

/// Parses the capture's payload (SIP) and returns its record, `call_key` not yet set.
/// A payload that does not parse is still stored — raw, without fields — and counted.
pub fn parse(capture: Capture, cfg: &PipelineConfig, metrics: &Metrics) -> Record {
    let mut fields = MessageFields::default();
    if capture.kind == PayloadKind::SIP {
        match argos_sip::parse(&capture.payload) {
            Ok(msg) => {
                metrics
                    .messages_parsed
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                fields = argos_sip::fields::message_fields(&msg.summary(&cfg.fields));
            }
            Err(e) => metrics.count_error("sip", e.reason()),
        }
    }
    Record { capture, fields }
}

/// Sets each record's `call_key`, in arrival order. One per writer thread.
#[derive(Debug)]
pub struct Linker {
    legs: LegLinker,
}

impl Linker {
    pub fn new(cfg: &PipelineConfig) -> Self {
        Linker {
            legs: LegLinker::new(cfg.leg_links),
        }
    }

    /// Fills `record.fields.call_key`; see [`MessageFields::call_key`].
    pub fn link(&mut self, record: &mut Record) {
        record.fields.call_key = self.call_key(&record.capture, &record.fields);
    }

    fn call_key(&mut self, capture: &Capture, f: &MessageFields) -> Option<String> {
        let hep_cid = capture.correlation_id.as_deref().filter(|s| !s.is_empty());
        match f.call_id.as_deref() {
            Some(call_id) => {
                // X-CID (or a configured header) wins; a HEP correlation id that differs
                // from the Call-ID is the sender's own leg link (e.g. a B2BUA's agent).
                let named = f.a_leg.as_deref().or(hep_cid.filter(|c| *c != call_id));
                if let Some(a) = named {
                    // The a-leg may itself be a linked leg: follow one hop.
                    let root = self.legs.a_leg_of(a).unwrap_or(a).to_owned();
                    self.legs.link(call_id, &root);
                    return Some(root);
                }
                Some(self.legs.a_leg_of(call_id).unwrap_or(call_id).to_owned())
            }
            None => hep_cid.map(|c| self.legs.a_leg_of(c).unwrap_or(c).to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argos_model::Transport;
    use bytes::Bytes;

    fn cap(payload: &'static str) -> Capture {
        Capture::new(
            1,
            "10.0.0.1:5060".parse().expect("addr"),
            "10.0.0.2:5060".parse().expect("addr"),
            Transport::Udp,
            PayloadKind::SIP,
            Bytes::from_static(payload.as_bytes()),
        )
    }

    #[test]
    fn b_leg_response_joins_a_leg_through_x_cid_of_request() {
        let m = Metrics::default();
        let cfg = PipelineConfig::default();
        let mut linker = Linker::new(&cfg);
        let mut p = |c: Capture| {
            let mut r = parse(c, &cfg, &m);
            linker.link(&mut r);
            r
        };
        let inv = p(
            cap("INVITE sip:1002@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:1001@a>;tag=1\r\nTo: <sip:1002@b>\r\nCall-ID: bleg\r\nCSeq: 1 INVITE\r\nX-CID: aleg\r\nContent-Length: 0\r\n\r\n"),
        );
        assert_eq!(inv.fields.call_key.as_deref(), Some("aleg"));
        let ok = p(
            cap("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:1001@a>;tag=1\r\nTo: <sip:1002@b>;tag=2\r\nCall-ID: bleg\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"),
        );
        assert_eq!(ok.fields.call_key.as_deref(), Some("aleg"));
        assert_eq!(ok.fields.status, Some(200));
    }

    #[test]
    fn unparsable_sip_is_kept_raw_and_counted() {
        let m = Metrics::default();
        let r = parse(cap("\u{1}\u{2}garbage"), &PipelineConfig::default(), &m);
        assert_eq!(r.fields, MessageFields::default());
        assert!(m.render().contains("layer=\"sip\""));
    }

    #[test]
    fn leg_links_are_bounded() {
        let mut l = LegLinker::new(3);
        for i in 0..10 {
            l.link(&format!("b{i}"), "a");
        }
        assert_eq!(l.len(), 3);
        assert_eq!(l.a_leg_of("b9"), Some("a"));
        assert_eq!(l.a_leg_of("b0"), None);
    }
}
