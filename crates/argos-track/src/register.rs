//! Registration tracker: REGISTER transactions per binding (AOR + contact), producing
//! [`RegistrationRecord`]s.
//!
//! * A REGISTER opens a transaction keyed by Call-ID + CSeq; a second copy with the same
//!   key (a retransmission, or a proxy forwarding it) is not a new attempt.
//! * The first final response closes it: 401/407 is a challenge (the status does not
//!   change), 2xx registers or unregisters, anything else is a failure; no answer within
//!   [`RegConfig::transaction_timeout_us`] is a failure too. Every closed transaction
//!   writes the binding's record.
//! * [`RegTracker::tick`] marks registered bindings whose expiry passed as expired.
//! * Memory is bounded: at most [`RegConfig::max_bindings`] bindings (the least recently
//!   seen is forgotten) and as many open transactions.

mod contact;

use crate::call::{Deadlines, Slot};
use argos_model::{PayloadKind, Record, RegStatus, RegistrationRecord};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const SECOND_US: i64 = 1_000_000;

#[derive(Debug, Clone)]
pub struct RegConfig {
    /// Bindings tracked at most; the least recently seen is forgotten first.
    pub max_bindings: usize,
    /// A REGISTER with no final answer after this long failed (RFC 3261 Timer F, 32 s).
    pub transaction_timeout_us: i64,
    /// Expiry assumed when neither the request nor the 2xx states one (RFC 3261's
    /// registrar default).
    pub default_expires_s: u32,
}

impl Default for RegConfig {
    fn default() -> Self {
        RegConfig {
            max_bindings: 500_000,
            transaction_timeout_us: 32 * SECOND_US,
            default_expires_s: 3600,
        }
    }
}

/// The code recorded for a REGISTER that got no answer: RFC 3261 §8.1.3.1 has the UA
/// treat a transaction timeout as a 408.
const TIMEOUT_CODE: u16 = 408;

/// One binding's record and where it sits in the recency and expiry orders.
#[derive(Debug)]
struct Binding {
    rec: RegistrationRecord,
    /// Position in `by_recency`.
    touched: u64,
    /// Position in `expiries` while registered.
    expiry: Option<Slot>,
    /// Changed since its record was last written.
    dirty: bool,
}

/// An open REGISTER transaction.
#[derive(Debug)]
struct Pending {
    binding: Arc<str>,
    requested: contact::Requested,
    slot: Slot,
}

/// Call-ID and CSeq number of a REGISTER transaction.
type TxnKey = (Box<str>, u32);

#[derive(Debug)]
pub struct RegTracker {
    cfg: RegConfig,
    /// Keyed by `aor` + '\n' + `contact`.
    bindings: HashMap<Arc<str>, Binding>,
    /// Least recently seen first.
    by_recency: BTreeMap<u64, Arc<str>>,
    next_touch: u64,
    /// Registered bindings by expiry time.
    expiries: Deadlines<Arc<str>>,
    pending: HashMap<TxnKey, Pending>,
    /// Open transactions by timeout.
    timeouts: Deadlines<TxnKey>,
}

fn binding_key(aor: &str, contact: &str) -> String {
    let mut k = String::with_capacity(aor.len() + contact.len() + 1);
    k.push_str(aor);
    k.push('\n');
    k.push_str(contact);
    k
}

/// `user@domain` of the To URI (just the domain when there is no user).
fn aor_of(r: &Record) -> Option<String> {
    let f = &r.fields;
    match (f.to_user.as_deref(), f.to_domain.as_deref()) {
        (Some(u), Some(d)) => Some(format!("{u}@{d}")),
        (None, Some(d)) => Some(d.to_owned()),
        (Some(u), None) => Some(u.to_owned()),
        (None, None) => None,
    }
}

impl RegTracker {
    pub fn new(cfg: RegConfig) -> Self {
        RegTracker {
            cfg: RegConfig {
                max_bindings: cfg.max_bindings.max(1),
                ..cfg
            },
            bindings: HashMap::new(),
            by_recency: BTreeMap::new(),
            next_touch: 0,
            expiries: Deadlines::default(),
            pending: HashMap::new(),
            timeouts: Deadlines::default(),
        }
    }

    /// Feeds one record; records of bindings whose transaction completed go to `out`.
    pub fn observe(&mut self, r: &Record, out: &mut Vec<RegistrationRecord>) {
        if r.capture.kind != PayloadKind::SIP {
            return;
        }
        let f = &r.fields;
        let (Some(call_id), Some(cseq)) = (f.call_id.as_deref(), f.cseq_num) else {
            return;
        };
        match (f.method.as_deref(), f.status) {
            (Some("REGISTER"), _) => self.on_request(r, call_id, cseq),
            (None, Some(code)) if code >= 200 && f.cseq_method.as_deref() == Some("REGISTER") => {
                self.on_final(r, call_id, cseq, code, out)
            }
            _ => {}
        }
    }

    fn on_request(&mut self, r: &Record, call_id: &str, cseq: u32) {
        let txn: TxnKey = (call_id.into(), cseq);
        if self.pending.contains_key(&txn) {
            return; // retransmission, or the same REGISTER forwarded by a proxy
        }
        let (Some(aor), Some(requested)) = (aor_of(r), contact::requested(&r.capture.payload))
        else {
            return;
        };
        let ts = r.capture.ts_us;
        let key = binding_key(&aor, &requested.contact);
        let key = match self.bindings.get_key_value(key.as_str()) {
            Some((k, _)) => k.clone(),
            None => {
                self.make_room();
                let k: Arc<str> = key.into();
                let rec = RegistrationRecord {
                    aor,
                    contact: requested.contact.clone(),
                    first_us: ts,
                    ..RegistrationRecord::default()
                };
                let b = Binding {
                    rec,
                    touched: 0,
                    expiry: None,
                    dirty: true,
                };
                self.bindings.insert(k.clone(), b);
                k
            }
        };
        self.touch(&key);
        if let Some(b) = self.bindings.get_mut(&key) {
            let rec = &mut b.rec;
            rec.src = r.capture.src.to_string();
            rec.user_agent = r.fields.user_agent.clone();
            rec.node = r.capture.node.as_deref().map(str::to_owned);
            rec.last_us = rec.last_us.max(ts);
            rec.attempts = rec.attempts.saturating_add(1);
            rec.call_id = call_id.to_owned();
            b.dirty = true;
        }
        while self.pending.len() >= self.cfg.max_bindings {
            let Some((_, old)) = self.timeouts.pop_first() else {
                break;
            };
            self.pending.remove(&old);
        }
        let slot = self.timeouts.schedule(
            ts.saturating_add(self.cfg.transaction_timeout_us),
            txn.clone(),
        );
        self.pending.insert(
            txn,
            Pending {
                binding: key,
                requested,
                slot,
            },
        );
    }

    fn on_final(
        &mut self,
        r: &Record,
        call_id: &str,
        cseq: u32,
        code: u16,
        out: &mut Vec<RegistrationRecord>,
    ) {
        // The first final answer closes the transaction; copies of it (the proxy's relay,
        // retransmissions) find nothing open.
        let Some(p) = self.pending.remove(&(call_id.into(), cseq)) else {
            return;
        };
        self.timeouts.cancel(p.slot);
        let ts = r.capture.ts_us;
        self.touch(&p.binding);
        let Some(b) = self.bindings.get_mut(&p.binding) else {
            return;
        };
        b.rec.last_us = b.rec.last_us.max(ts);
        match code {
            401 | 407 => b.rec.challenges = b.rec.challenges.saturating_add(1),
            200..=299 => {
                let expires = if p.requested.wildcard {
                    0
                } else {
                    let g = contact::granted(&r.capture.payload, &p.requested.contact);
                    let asked = p.requested.expires;
                    match g.expires.or(asked) {
                        Some(e) => e,
                        // A query answered without contacts: nothing is registered.
                        None if p.requested.contact.is_empty() && g.contacts == 0 => 0,
                        None => self.cfg.default_expires_s,
                    }
                };
                let rec = &mut b.rec;
                rec.successes = rec.successes.saturating_add(1);
                rec.last_success_us = Some(ts);
                if let Some(slot) = b.expiry.take() {
                    self.expiries.cancel(slot);
                }
                if expires > 0 {
                    let at = ts.saturating_add(i64::from(expires) * SECOND_US);
                    rec.status = RegStatus::Registered;
                    rec.expires_s = Some(expires);
                    rec.expires_at_us = Some(at);
                    b.expiry = Some(self.expiries.schedule(at, p.binding.clone()));
                } else {
                    rec.status = RegStatus::Unregistered;
                    rec.expires_s = Some(0);
                    rec.expires_at_us = None;
                }
            }
            _ => Self::fail(b, ts, code),
        }
        b.dirty = false;
        out.push(b.rec.clone());
    }

    fn fail(b: &mut Binding, at_us: i64, code: u16) {
        let rec = &mut b.rec;
        rec.status = RegStatus::Failed;
        rec.failures = rec.failures.saturating_add(1);
        rec.last_failure_us = Some(at_us);
        rec.last_failure_code = Some(code);
    }

    /// Moves `key` to the most recently seen end.
    fn touch(&mut self, key: &Arc<str>) {
        let Some(b) = self.bindings.get_mut(key) else {
            return;
        };
        self.by_recency.remove(&b.touched);
        b.touched = self.next_touch;
        self.next_touch += 1;
        self.by_recency.insert(b.touched, key.clone());
    }

    /// Forgets least recently seen bindings until one more fits.
    fn make_room(&mut self) {
        while self.bindings.len() >= self.cfg.max_bindings {
            let Some((_, key)) = self.by_recency.pop_first() else {
                break;
            };
            if let Some(b) = self.bindings.remove(&key) {
                if let Some(slot) = b.expiry {
                    self.expiries.cancel(slot);
                }
            }
        }
    }

    /// Fails transactions unanswered by `now_us` and expires registrations that ran out.
    pub fn tick(&mut self, now_us: i64, out: &mut Vec<RegistrationRecord>) {
        while let Some(((due, _), txn)) = self.timeouts.pop_due(now_us) {
            let Some(p) = self.pending.remove(&txn) else {
                continue;
            };
            if let Some(b) = self.bindings.get_mut(&p.binding) {
                Self::fail(b, due, TIMEOUT_CODE);
                b.dirty = false;
                out.push(b.rec.clone());
            }
        }
        while let Some((_, key)) = self.expiries.pop_due(now_us) {
            let Some(b) = self.bindings.get_mut(&key) else {
                continue;
            };
            b.expiry = None;
            if b.rec.status == RegStatus::Registered {
                b.rec.status = RegStatus::Expired;
                b.dirty = false;
                out.push(b.rec.clone());
            }
        }
    }

    /// Writes the bindings changed since their last record (a REGISTER still waiting for
    /// its answer), as they stand, and forgets everything.
    pub fn finish(&mut self, out: &mut Vec<RegistrationRecord>) {
        for (_, key) in std::mem::take(&mut self.by_recency) {
            if let Some(b) = self.bindings.remove(&key) {
                if b.dirty {
                    out.push(b.rec);
                }
            }
        }
        self.bindings.clear();
        self.pending.clear();
        self.expiries = Deadlines::default();
        self.timeouts = Deadlines::default();
    }

    /// Bindings tracked now.
    pub fn len(&self) -> usize {
        self.bindings.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// REGISTER transactions waiting for their final answer.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests;
