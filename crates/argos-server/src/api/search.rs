//! What `/api/v1/messages` and `/api/v1/calls` add to the store's AND-of-fields search:
//! `match=any` (the field filters are alternatives), regular expressions on fields
//! (`<field>~=REGEX`) and the transaction type (`type=call|registration|other`). The store
//! answers the indexed part; these are applied to its candidates, read with a larger
//! internal limit, so a result is exact as long as the candidates fit in
//! [`MAX_CANDIDATES`] (the response says when they did not).

use super::ApiError;
use argos_model::{field_value, CallSummary, Field, Filter, Query, Record, StoredMessage};
use argos_store::Store;
use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Candidates read from the store at most per store query.
pub const MAX_CANDIDATES: usize = 100_000;
/// A regex may not compile to more than this (bytes of compiled program): hostile
/// patterns are refused instead of eating memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Transaction types by CSeq method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxType {
    /// INVITE dialogs: INVITE, ACK, BYE, CANCEL, PRACK, UPDATE, INFO, REFER.
    Call,
    Registration,
    /// Everything else (OPTIONS, SUBSCRIBE, NOTIFY, MESSAGE, PUBLISH, non-SIP…).
    Other,
}

impl TxType {
    fn of(r: &Record) -> TxType {
        match r.fields.cseq_method.as_deref() {
            Some("INVITE" | "ACK" | "BYE" | "CANCEL" | "PRACK" | "UPDATE" | "INFO" | "REFER") => {
                TxType::Call
            }
            Some("REGISTER") => TxType::Registration,
            _ => TxType::Other,
        }
    }
}

/// The extras of one request.
#[derive(Debug, Default)]
pub struct Extras {
    /// `match=any`: a message matches when any field filter does.
    pub any: bool,
    pub regexes: Vec<(Field, Regex)>,
    pub tx_type: Option<TxType>,
}

impl Extras {
    pub fn is_empty(&self) -> bool {
        !self.any && self.regexes.is_empty() && self.tx_type.is_none()
    }

    /// Takes the extra parameters out of `p` (what is left is the store query's).
    pub fn take(p: &mut HashMap<String, String>) -> Result<Extras, ApiError> {
        let mut x = Extras::default();
        if let Some(m) = p.remove("match") {
            x.any = match m.as_str() {
                "any" => true,
                "all" | "" => false,
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "match must be all or any: {m}"
                    )))
                }
            };
        }
        if let Some(t) = p.remove("type").filter(|t| !t.is_empty()) {
            x.tx_type = Some(match t.as_str() {
                "call" => TxType::Call,
                "registration" => TxType::Registration,
                "other" => TxType::Other,
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "type must be call, registration or other: {t}"
                    )))
                }
            });
        }
        let keys: Vec<String> = p.keys().filter(|k| k.ends_with('~')).cloned().collect();
        for k in keys {
            let Some(re) = p.remove(&k).filter(|v| !v.is_empty()) else {
                continue;
            };
            let name = k.trim_end_matches('~');
            let field = Field::from_name(name)
                .filter(|f| *f != Field::Text)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown regex filter: {k}")))?;
            let re = regex::RegexBuilder::new(&re)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| ApiError::BadRequest(format!("{k}: {e}")))?;
            x.regexes.push((field, re));
        }
        Ok(x)
    }

    fn keeps(&self, r: &Record) -> bool {
        self.tx_type.is_none_or(|t| TxType::of(r) == t)
            && self
                .regexes
                .iter()
                .all(|(f, re)| field_value(r, *f).is_some_and(|v| re.is_match(&v)))
    }
}

/// Runs `q` with the extras: the messages in time order, cut at `q.limit`, and whether
/// the candidates were cut at [`MAX_CANDIDATES`] (then more may exist).
pub fn search(
    store: &dyn Store,
    q: &Query,
    x: &Extras,
) -> Result<(Vec<StoredMessage>, bool), argos_store::StoreError> {
    // With any extra the store reads more than asked, for the extras to choose from.
    let wide = |filters: Vec<Filter>| Query {
        filters,
        limit: MAX_CANDIDATES,
        ..q.clone()
    };
    let queries: Vec<Query> = if x.any && q.filters.len() > 1 {
        q.filters.iter().map(|f| wide(vec![f.clone()])).collect()
    } else {
        vec![wide(q.filters.clone())]
    };
    let mut truncated = false;
    let mut by_id: BTreeMap<(i64, u64), StoredMessage> = BTreeMap::new();
    for sub in &queries {
        let found = store.search(sub)?;
        truncated |= found.len() >= MAX_CANDIDATES;
        for m in found {
            if x.keeps(&m.record) {
                by_id.insert((m.record.capture.ts_us, m.id), m);
            }
        }
    }
    let out: Vec<StoredMessage> = by_id.into_values().take(q.limit).collect();
    Ok((out, truncated))
}

/// Runs `q` with the extras, one row per call as [`Store::calls`] gives them: the first
/// `q.limit` calls (by `call_key`) that have a matching message, in time order of their
/// first matching message, each summarised over all of its messages in the range; and
/// whether the candidates were cut at [`MAX_CANDIDATES`].
pub fn calls(
    store: &dyn Store,
    q: &Query,
    x: &Extras,
) -> Result<(Vec<CallSummary>, bool), argos_store::StoreError> {
    let all_matches = Query {
        limit: MAX_CANDIDATES,
        ..q.clone()
    };
    let (msgs, truncated) = search(store, &all_matches, x)?;
    let mut seen: HashSet<&str> = HashSet::new();
    let keys: Vec<&str> = msgs
        .iter()
        .filter_map(|m| m.record.fields.call_key.as_deref())
        .filter(|k| seen.insert(k))
        .take(q.limit)
        .collect();
    // The store summarises a call over all its messages: ask it per call, by its key
    // (an indexed field), so a row here equals the row plain /calls gives for the call.
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let one = Query {
            filters: vec![Filter {
                field: Field::CallKey,
                value: key.to_owned(),
            }],
            limit: 1,
            ..q.clone()
        };
        out.extend(store.calls(&one)?);
    }
    out.sort_by(|a, b| (a.first_ts_us, &a.call_key).cmp(&(b.first_ts_us, &b.call_key)));
    Ok((out, truncated))
}
