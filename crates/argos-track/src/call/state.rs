//! One call's state machine: its legs, the INVITE transaction of each, and the
//! [`CallRecord`] they build. No clock and no scheduling here: the tracker asks
//! [`Call::deadline`] when the call next needs attention and calls [`Call::give_up`] when
//! that time comes.

use super::deadlines::Slot;
use super::media;
use super::CallConfig;
use argos_model::{CallLeg, CallRecord, CallStatus, MediaSide, Party, PayloadKind, Record};
use std::net::SocketAddr;

/// Legs kept per call: forking and B2BUA chains add a few; many more is a loop or an
/// attack, and the messages of further hops are still counted on the call.
const MAX_LEGS: usize = 16;

/// The parts of a record the state machine reads, checked once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Msg<'r> {
    pub ts: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub call_id: &'r str,
    /// Request method, `None` for a response.
    pub method: Option<&'r str>,
    /// Response code, `None` for a request.
    pub status: Option<u16>,
    /// CSeq number (0 when missing).
    pub cseq: u32,
    pub cseq_method: Option<&'r str>,
    pub record: &'r Record,
}

impl<'r> Msg<'r> {
    /// The SIP request or response in `r`; `None` for anything else (RTCP, logs, a
    /// payload that did not parse, a message without Call-ID).
    pub(crate) fn of(r: &'r Record) -> Option<Self> {
        if r.capture.kind != PayloadKind::SIP {
            return None;
        }
        let f = &r.fields;
        if f.method.is_none() && f.status.is_none() {
            return None;
        }
        Some(Msg {
            ts: r.capture.ts_us,
            src: r.capture.src,
            dst: r.capture.dst,
            call_id: f.call_id.as_deref().filter(|c| !c.is_empty())?,
            method: f.method.as_deref(),
            status: f.status,
            cseq: f.cseq_num.unwrap_or(0),
            cseq_method: f.cseq_method.as_deref(),
            record: r,
        })
    }

    /// An INVITE outside a dialog (no To tag): the start of a call, a new hop of it, a
    /// retransmission, or the retry after a challenge or a redirect.
    pub(crate) fn is_initial_invite(&self) -> bool {
        self.method == Some("INVITE") && self.tag_to().is_none()
    }

    fn tag_from(&self) -> Option<&'r str> {
        self.record.fields.from_tag.as_deref()
    }
    fn tag_to(&self) -> Option<&'r str> {
        self.record.fields.to_tag.as_deref()
    }
    /// User-Agent of a request, Server of a response.
    fn user_agent(&self) -> Option<&'r str> {
        self.record.fields.user_agent.as_deref()
    }
    fn has_sdp(&self) -> bool {
        self.record.fields.sdp_media.is_some()
    }
    fn media_side(&self) -> Option<MediaSide> {
        if self.has_sdp() {
            media::media_side(&self.record.capture.payload)
        } else {
            None
        }
    }
}

/// Where a call stands, which decides when it next needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The caller's INVITE waits for a final answer (status Trying or Ringing).
    Setup,
    /// The caller's INVITE got, at `at_us`, a final answer the UAC normally follows
    /// with a new INVITE on the same Call-ID and a higher CSeq ([`retried_after`]): that
    /// retry continues the same call.
    AwaitRetry { at_us: i64 },
    /// Answered; waits for a BYE.
    InCall,
    /// Concluded at `at_us`; lingers to absorb the last ACK, the reply to the BYE and
    /// retransmissions, then is written and forgotten.
    Ended { at_us: i64 },
}

/// One hop of the call: a Call-ID between the two addresses its first INVITE went
/// between. A proxy that keeps the Call-ID still makes two legs (UAC → proxy, proxy →
/// UAS); a B2BUA makes two Call-IDs.
#[derive(Debug)]
struct Leg {
    call_id: Box<str>,
    /// Source and destination of the leg's first INVITE.
    caller_side: SocketAddr,
    callee_side: SocketAddr,
    /// From tag of the leg's INVITE: tells which side sent an in-dialog request.
    caller_tag: Option<Box<str>>,
    /// CSeq of the leg's current initial INVITE transaction (raised by an auth retry).
    invite_cseq: u32,
    /// Final response to that transaction, once seen (later ones are retransmissions or
    /// other forks).
    txn_final: Option<u16>,
    answered: bool,
    cancelled: bool,
    /// Highest CSeq of a counted re-INVITE/UPDATE, per sending side (each side numbers
    /// its own requests), so retransmissions are not counted again.
    reinvite_cseq: [u32; 2],
}

impl Leg {
    fn new(m: &Msg<'_>) -> Leg {
        Leg {
            call_id: m.call_id.into(),
            caller_side: m.src,
            callee_side: m.dst,
            caller_tag: m.tag_from().map(Into::into),
            invite_cseq: m.cseq,
            txn_final: None,
            answered: false,
            cancelled: false,
            reinvite_cseq: [0; 2],
        }
    }

    fn record(m: &Msg<'_>) -> CallLeg {
        CallLeg {
            call_id: m.call_id.to_owned(),
            src: m.src.to_string(),
            dst: m.dst.to_string(),
            start_us: m.ts,
            final_code: None,
            messages: 1,
        }
    }

    fn same_hop(&self, m: &Msg<'_>) -> bool {
        *self.call_id == *m.call_id
            && ((m.src == self.caller_side && m.dst == self.callee_side)
                || (m.src == self.callee_side && m.dst == self.caller_side))
    }

    /// Same hop by IP only: a reply sent from another port, a new TCP connection.
    fn same_hosts(&self, m: &Msg<'_>) -> bool {
        let (a, b) = (self.caller_side.ip(), self.callee_side.ip());
        *self.call_id == *m.call_id
            && ((m.src.ip() == a && m.dst.ip() == b) || (m.src.ip() == b && m.dst.ip() == a))
    }

    /// Which side sent an in-dialog request: by tags (robust to NAT and proxies), else
    /// by address.
    fn sender(&self, m: &Msg<'_>) -> Party {
        if let Some(caller_tag) = self.caller_tag.as_deref() {
            if m.tag_from() == Some(caller_tag) {
                return Party::Caller;
            }
            if m.tag_to() == Some(caller_tag) {
                return Party::Callee;
            }
        }
        if m.src == self.callee_side
            || (m.src.ip() == self.callee_side.ip() && m.src.ip() != self.caller_side.ip())
        {
            Party::Callee
        } else {
            Party::Caller
        }
    }
}

/// One call being tracked.
#[derive(Debug)]
pub(crate) struct Call {
    pub rec: CallRecord,
    /// Same order as `rec.legs`.
    legs: Vec<Leg>,
    /// The leg of the caller's current INVITE, whose answers decide the call: the first
    /// leg, until the caller retries a redirect towards a new target (a new hop).
    caller_leg: usize,
    pub phase: Phase,
    /// Start of the caller leg's current INVITE transaction (Timer B runs from it).
    invite_us: i64,
    pub last_seen_us: i64,
    /// Where the call sits in the tracker's deadline queue.
    pub slot: Slot,
    /// Its live status changed since the tracker last wrote it (see `CallTracker::take_live`).
    pub dirty: bool,
}

fn ms_between(from_us: i64, to_us: i64) -> i64 {
    to_us.saturating_sub(from_us).max(0) / 1000
}

/// Final answers after which a UAC sends a new INVITE with the same Call-ID and a
/// higher CSeq (RFC 3261 §8.1.3.4-5): a redirect, an authentication challenge, a session
/// interval too small (RFC 4028).
fn retried_after(code: u16) -> bool {
    matches!(code, 300..=399 | 401 | 407 | 422)
}

/// Status of a call whose caller's INVITE got final answer `code` (3xx-6xx), per the
/// [`CallStatus`] definitions.
fn failure_status(code: u16, cancelled: bool, rang: bool) -> CallStatus {
    match code {
        _ if cancelled => CallStatus::Cancelled,
        486 | 600 => CallStatus::Busy,
        487 => CallStatus::NoAnswer,
        408 | 480 if rang => CallStatus::NoAnswer,
        401 | 407 | 403 | 603 | 604 | 606 => CallStatus::Rejected,
        _ => CallStatus::Failed,
    }
}

impl Call {
    /// A call started by initial INVITE `m`.
    pub(crate) fn new(call_key: &str, m: &Msg<'_>) -> Call {
        let f = &m.record.fields;
        let rec = CallRecord {
            call_key: call_key.to_owned(),
            legs: vec![Leg::record(m)],
            status: CallStatus::Trying,
            from_user: f.from_user.clone(),
            from_domain: f.from_domain.clone(),
            to_user: f.to_user.clone(),
            to_domain: f.to_domain.clone(),
            ruri_user: f.ruri_user.clone(),
            pai_user: f.pai_user.clone(),
            src_ip: m.src.ip().to_string(),
            dst_ip: m.dst.ip().to_string(),
            caller_ua: f.user_agent.clone(),
            node: m.record.capture.node.as_deref().map(str::to_owned),
            capture_id: m.record.capture.capture_id,
            start_us: m.ts,
            offer: m.media_side(),
            messages: 1,
            ..CallRecord::default()
        };
        Call {
            rec,
            legs: vec![Leg::new(m)],
            caller_leg: 0,
            phase: Phase::Setup,
            invite_us: m.ts,
            last_seen_us: m.ts,
            slot: (0, 0),
            dirty: false,
        }
    }

    /// When the call next needs attention if nothing else happens.
    pub(crate) fn deadline(&self, cfg: &CallConfig) -> i64 {
        match self.phase {
            Phase::Setup => match self.rec.ringing_us {
                Some(rang) => rang.saturating_add(cfg.ringing_timeout_us),
                None => self.invite_us.saturating_add(cfg.invite_timeout_us),
            },
            Phase::AwaitRetry { at_us } => at_us.saturating_add(cfg.retry_wait_us),
            Phase::InCall => self
                .rec
                .answer_us
                .unwrap_or(self.invite_us)
                .saturating_add(cfg.max_duration_us),
            Phase::Ended { at_us } => at_us.saturating_add(cfg.linger_us),
        }
    }

    /// Applies one message that carries this call's key.
    pub(crate) fn observe(&mut self, m: &Msg<'_>) {
        self.rec.messages = self.rec.messages.saturating_add(1);
        self.last_seen_us = self.last_seen_us.max(m.ts);
        let Some((i, created)) = self.leg_for(m) else {
            return;
        };
        if created {
            if self.rec.pai_user.is_none() {
                self.rec.pai_user = m.record.fields.pai_user.clone();
            }
            if self.is_caller_retry(m) {
                self.caller_leg = i;
                self.restart_setup(m);
            }
            return;
        }
        if let Some(leg) = self.rec.legs.get_mut(i) {
            leg.messages = leg.messages.saturating_add(1);
        }
        match (m.method, m.status) {
            (Some(method), _) => self.on_request(i, method, m),
            (None, Some(code)) => self.on_response(i, code, m),
            (None, None) => {}
        }
    }

    /// The leg `m` belongs to, and whether it was just created for it.
    fn leg_for(&mut self, m: &Msg<'_>) -> Option<(usize, bool)> {
        if let Some(i) = self.legs.iter().position(|l| l.same_hop(m)) {
            return Some((i, false));
        }
        if m.is_initial_invite() && self.legs.len() < MAX_LEGS {
            self.legs.push(Leg::new(m));
            self.rec.legs.push(Leg::record(m));
            return Some((self.legs.len() - 1, true));
        }
        self.legs
            .iter()
            .position(|l| l.same_hosts(m))
            .or_else(|| self.legs.iter().position(|l| *l.call_id == *m.call_id))
            .map(|i| (i, false))
    }

    fn on_request(&mut self, i: usize, method: &str, m: &Msg<'_>) {
        match method {
            "INVITE" if m.tag_to().is_none() => self.on_invite(i, m),
            "INVITE" | "UPDATE" => self.on_reinvite(i, m),
            // Late offer: the caller's SDP comes in the ACK.
            "ACK" if i == self.caller_leg && self.rec.offer.is_none() && m.has_sdp() => {
                self.rec.offer = m.media_side();
            }
            "CANCEL" => self.on_cancel(i, m),
            "BYE" => self.on_bye(i, m),
            _ => {}
        }
    }

    fn on_invite(&mut self, i: usize, m: &Msg<'_>) {
        let Some(leg) = self.legs.get_mut(i) else {
            return;
        };
        if m.cseq == leg.invite_cseq {
            if i == self.caller_leg && m.src == leg.caller_side {
                self.rec.invite_retransmissions = self.rec.invite_retransmissions.saturating_add(1);
            }
            return;
        }
        if m.cseq < leg.invite_cseq || leg.answered {
            return;
        }
        // A new INVITE transaction on the leg: the retry after a challenge or a redirect
        // (see `retried_after`). Same call; its answer decides the status.
        leg.invite_cseq = m.cseq;
        leg.txn_final = None;
        leg.cancelled = false;
        if let Some(l) = self.rec.legs.get_mut(i) {
            l.final_code = None;
        }
        if i == self.caller_leg && matches!(self.phase, Phase::Setup | Phase::AwaitRetry { .. }) {
            self.restart_setup(m);
        }
    }

    /// A new hop opened by the caller itself, on the same Call-ID with a higher CSeq,
    /// after an answer it follows up (the new target of a redirect).
    fn is_caller_retry(&self, m: &Msg<'_>) -> bool {
        let Some(caller) = self.legs.get(self.caller_leg) else {
            return false;
        };
        matches!(self.phase, Phase::AwaitRetry { .. })
            && m.src.ip() == caller.caller_side.ip()
            && *m.call_id == *caller.call_id
            && m.cseq > caller.invite_cseq
    }

    /// The caller's new INVITE transaction: the call is set up again, same start.
    fn restart_setup(&mut self, m: &Msg<'_>) {
        self.phase = Phase::Setup;
        self.invite_us = m.ts;
        self.rec.final_code = None;
        self.rec.final_reason = None;
        self.rec.reason_header = None;
        self.rec.q850_cause = None;
        if let Some(side) = m.media_side() {
            self.rec.offer = Some(side);
        }
    }

    fn on_reinvite(&mut self, i: usize, m: &Msg<'_>) {
        let Some(leg) = self.legs.get_mut(i) else {
            return;
        };
        if !leg.answered {
            return;
        }
        let side = match leg.sender(m) {
            Party::Caller => 0,
            Party::Callee => 1,
        };
        if m.cseq <= leg.reinvite_cseq[side] {
            return;
        }
        leg.reinvite_cseq[side] = m.cseq;
        // Counted on the caller's leg only: a proxied re-INVITE crosses every leg.
        if i == self.caller_leg {
            self.rec.reinvites = self.rec.reinvites.saturating_add(1);
        }
    }

    fn on_cancel(&mut self, i: usize, m: &Msg<'_>) {
        let Some(leg) = self.legs.get_mut(i) else {
            return;
        };
        if leg.answered || leg.txn_final.is_some() {
            return; // too late to cancel: the answer crossed the CANCEL
        }
        leg.cancelled = true;
        if i == self.caller_leg && self.phase == Phase::Setup {
            self.rec.end_us.get_or_insert(m.ts);
            self.rec.hangup_by = Some(Party::Caller);
            self.take_reason(m);
        }
    }

    fn on_bye(&mut self, i: usize, m: &Msg<'_>) {
        // The first BYE on any leg ends the call: a callee's hang-up reaches the b-leg
        // first. Later BYEs (the same one on other legs) change nothing.
        if self.phase != Phase::InCall {
            return;
        }
        let Some(leg) = self.legs.get(i) else {
            return;
        };
        let by = leg.sender(m);
        let answered = self.rec.answer_us.unwrap_or(m.ts);
        self.rec.status = CallStatus::Answered;
        self.rec.end_us = Some(m.ts);
        self.rec.duration_ms = Some(ms_between(answered, m.ts));
        self.rec.hangup_by = Some(by);
        self.take_reason(m);
        self.phase = Phase::Ended { at_us: m.ts };
    }

    fn on_response(&mut self, i: usize, code: u16, m: &Msg<'_>) {
        if m.cseq_method != Some("INVITE") {
            return; // replies to BYE, CANCEL, PRACK... are only counted
        }
        let Some(leg) = self.legs.get_mut(i) else {
            return;
        };
        if m.cseq != leg.invite_cseq || leg.txn_final.is_some() {
            // A re-INVITE's reply, a late reply to a challenged INVITE, a retransmitted
            // final answer or a second fork's answer.
            return;
        }
        if code >= 200 {
            leg.txn_final = Some(code);
            leg.answered = code < 300;
            if let Some(l) = self.rec.legs.get_mut(i) {
                l.final_code = Some(code);
            }
        }
        if i != self.caller_leg {
            return; // other legs describe hops; the caller's leg decides the call
        }
        match code {
            100..=199 => self.on_provisional(code, m),
            200..=299 => self.on_answer(code, m),
            300..=699 => self.on_failure(code, m),
            _ => {}
        }
    }

    fn on_provisional(&mut self, code: u16, m: &Msg<'_>) {
        if self.phase != Phase::Setup {
            return;
        }
        if (180..=189).contains(&code) && self.rec.ringing_us.is_none() {
            self.rec.ringing_us = Some(m.ts);
            self.rec.pdd_ms = Some(ms_between(self.rec.start_us, m.ts));
            self.rec.status = CallStatus::Ringing;
            if self.rec.callee_ua.is_none() {
                self.rec.callee_ua = m.user_agent().map(str::to_owned);
            }
        }
        // Early media: the callee's SDP in a 183; the 2xx's SDP replaces it.
        if self.rec.answer.is_none() {
            if let Some(side) = m.media_side() {
                self.set_answer(side);
            }
        }
    }

    fn on_answer(&mut self, code: u16, m: &Msg<'_>) {
        if self.phase != Phase::Setup {
            return;
        }
        let setup = ms_between(self.rec.start_us, m.ts);
        self.rec.status = CallStatus::InCall;
        self.rec.answer_us = Some(m.ts);
        self.rec.setup_ms = Some(setup);
        self.rec.pdd_ms.get_or_insert(setup);
        self.rec.final_code = Some(code);
        self.rec.final_reason = m.record.fields.reason.clone();
        if let Some(ua) = m.user_agent() {
            self.rec.callee_ua = Some(ua.to_owned());
        }
        // A CANCEL that crossed the answer did not end the call.
        self.rec.end_us = None;
        self.rec.hangup_by = None;
        self.rec.reason_header = None;
        self.rec.q850_cause = None;
        if let Some(side) = m.media_side() {
            self.set_answer(side);
        }
        self.phase = Phase::InCall;
    }

    fn on_failure(&mut self, code: u16, m: &Msg<'_>) {
        if self.phase != Phase::Setup {
            return;
        }
        let cancelled = self.legs.get(self.caller_leg).is_some_and(|l| l.cancelled);
        self.rec.final_code = Some(code);
        self.rec.final_reason = m.record.fields.reason.clone();
        self.take_reason(m);
        if retried_after(code) && !cancelled {
            // Not final yet: the UAC normally retries at once (credentials, new target).
            self.phase = Phase::AwaitRetry { at_us: m.ts };
            return;
        }
        self.conclude_failure(code, cancelled, m.ts);
        self.phase = Phase::Ended { at_us: m.ts };
    }

    fn conclude_failure(&mut self, code: u16, cancelled: bool, at_us: i64) {
        self.rec.status = failure_status(code, cancelled, self.rec.ringing_us.is_some());
        self.rec.end_us.get_or_insert(at_us);
        self.rec
            .pdd_ms
            .get_or_insert(ms_between(self.rec.start_us, at_us));
    }

    fn set_answer(&mut self, side: MediaSide) {
        self.rec.codec = side.codecs.first().cloned();
        self.rec.answer = Some(side);
    }

    /// Keeps the first Reason header of the BYE / CANCEL / final answer, with its cause.
    fn take_reason(&mut self, m: &Msg<'_>) {
        if self.rec.reason_header.is_some() {
            return;
        }
        if let Some(first) = m.record.fields.reason_header.as_deref() {
            let (value, cause) = media::reason_of(first, &m.record.capture.payload);
            self.rec.reason_header = Some(value);
            self.rec.q850_cause = cause;
        }
    }

    /// Concludes a call the tracker stops waiting for at `at_us` (its deadline, or the
    /// last message seen when it is dropped early): no final answer → Timeout, a
    /// challenge or redirect never retried → the status of that answer, answered without
    /// BYE → Answered, ended at the last message seen. Returns false when the call had
    /// already ended.
    pub(crate) fn give_up(&mut self, at_us: i64) -> bool {
        match self.phase {
            Phase::Setup => {
                self.rec.status = CallStatus::Timeout;
                self.rec.end_us = Some(at_us);
            }
            Phase::AwaitRetry { at_us: answered } => {
                let code = self.rec.final_code.unwrap_or(0);
                self.conclude_failure(code, false, answered);
            }
            Phase::InCall => {
                let last = self.last_seen_us;
                self.rec.status = CallStatus::Answered;
                self.rec.end_us = Some(last);
                self.rec.duration_ms = Some(ms_between(self.rec.answer_us.unwrap_or(last), last));
            }
            Phase::Ended { .. } => return false,
        }
        self.phase = Phase::Ended { at_us };
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_codes_map_to_statuses() {
        use CallStatus::*;
        assert_eq!(failure_status(486, false, true), Busy);
        assert_eq!(failure_status(600, false, false), Busy);
        assert_eq!(failure_status(487, true, true), Cancelled);
        assert_eq!(failure_status(486, true, true), Cancelled);
        assert_eq!(failure_status(487, false, true), NoAnswer);
        assert_eq!(failure_status(480, false, true), NoAnswer);
        assert_eq!(failure_status(480, false, false), Failed);
        assert_eq!(failure_status(408, false, false), Failed);
        assert_eq!(failure_status(403, false, false), Rejected);
        assert_eq!(failure_status(603, false, true), Rejected);
        assert_eq!(failure_status(503, false, false), Failed);
        assert_eq!(failure_status(302, false, false), Failed);
    }
}
