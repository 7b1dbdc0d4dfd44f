//! Call diagnosis: what went wrong with a call (or what it did), in plain language, each
//! finding with the messages that show it.
//!
//! [`diagnose`] reads the call's SIP messages on all legs in time order (non-SIP payloads
//! are ignored) and, when the tracker wrote one, its [`CallRecord`]. The rules, one
//! module per concern:
//!
//! * `outcome` — `answered` (a one-line account), `final_response` (code, reason, who
//!   first sent it and when; the other leg's code when a B2BUA mapped it), `cancelled`
//!   (after how much ringing), `long_pdd` (> 5 s), `short_call` (< 2 s after answer),
//!   `q850_cause` (Reason headers, causes translated);
//! * `transactions` — `no_response` / `no_final_response` / `invite_retransmitted`
//!   (INVITE retransmissions per hop), `bye_no_response`, `no_ack` (2xx never
//!   acknowledged), `auth_loop` (≥ 3 challenges), `reinvite_failed`;
//! * `media` — `codec_mismatch` (488/415/606 with the offered and supported codecs, or
//!   an answer without a common codec), `one_way_audio` (c=0.0.0.0, sendonly/recvonly/
//!   inactive during setup), `media_refused` (answer with port 0), `hold`;
//! * `nat` — private Contact/SDP addresses sent from a public source.
//!
//! Findings come most serious first, in rule order within a level.

mod media;
mod nat;
mod outcome;
mod q850;
mod transactions;
mod view;

use argos_model::{CallRecord, StoredMessage};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warning,
    Problem,
}

/// One finding about a call, in plain language, with the messages that show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub level: Level,
    /// Stable identifier of the rule (`no_response`, `codec_mismatch`, `nat`...).
    pub code: &'static str,
    pub text: String,
    pub message_ids: Vec<u64>,
}

fn finding(level: Level, code: &'static str, text: String, message_ids: Vec<u64>) -> Finding {
    Finding {
        level,
        code,
        text,
        message_ids,
    }
}

/// Explains a call from its record (when the tracker wrote one) and its messages (all
/// legs, time order, as `Store::call` returns them).
pub fn diagnose(record: Option<&CallRecord>, messages: &[StoredMessage]) -> Vec<Finding> {
    let call = view::Call::new(record, messages);
    let mut out = Vec::new();
    let rules: [fn(&view::Call<'_>, &mut Vec<Finding>); 14] = [
        outcome::answered,
        outcome::final_failure,
        outcome::cancel,
        transactions::invite_responses,
        transactions::missing_ack,
        transactions::challenge_loop,
        media::codec_mismatch,
        media::one_way_audio,
        nat::private_addresses,
        outcome::long_pdd,
        outcome::short_call,
        outcome::release_causes,
        transactions::reinvite_failures,
        transactions::bye_responses,
    ];
    for rule in rules {
        rule(&call, &mut out);
    }
    // Most serious first; the sort is stable, so rule order stays within a level.
    out.sort_by_key(|f| std::cmp::Reverse(f.level));
    out
}
