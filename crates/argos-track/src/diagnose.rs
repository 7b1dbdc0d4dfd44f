//! Call diagnosis (STUB — being written).

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

/// Explains a call from its record (when the tracker wrote one) and its messages (all
/// legs, time order, as `Store::call` returns them).
pub fn diagnose(record: Option<&CallRecord>, messages: &[StoredMessage]) -> Vec<Finding> {
    let _ = (record, messages);
    Vec::new()
}
