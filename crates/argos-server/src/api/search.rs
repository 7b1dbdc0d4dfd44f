//! What `/api/v1/messages` and `/api/v1/calls` add to the store's AND-of-fields search:
//! `match=any` (the field filters are alternatives), regular expressions on fields
//! (`<field>~=REGEX`) and the transaction type (`type=call|registration|other`). The store
//! answers the indexed part; these are applied to its candidates, read with a larger
//! internal limit, so a result is exact as long as the candidates fit in
//! [`MAX_CANDIDATES`] (the response says when they did not).

use super::ApiError;
use argos_model::{field_value, CallSummary, Field, Query, Record, StoredMessage};
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

    /// Takes the extra parameters out of `p`, a [`super::params::QueryParams`] map (no
    /// empty values); what is left is the store query's.
    pub fn take(p: &mut HashMap<String, String>) -> Result<Extras, ApiError> {
        let mut x = Extras::default();
        if let Some(m) = p.remove("match") {
            x.any = match m.as_str() {
                "any" => true,
                "all" => false,
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "match must be all or any: {m}"
                    )))
                }
            };
        }
        if let Some(t) = p.remove("type") {
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
            let Some(re) = p.remove(&k) else {
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

/// One store query read page by page in (time, id) order: the next page starts at the last
/// timestamp read (its messages come again and are dropped by id), and pages double from the
/// first, so a common match costs one small read and a rare one few large ones.
struct Pages {
    query: Query,
    /// Messages read so far that pass the extras, not yet handed out.
    kept: Vec<StoredMessage>,
    /// Timestamp of the last message read; every later message comes in a later page.
    last_ts: i64,
    /// Ids read at `last_ts` (the next page repeats them).
    at_last: HashSet<u64>,
    page: usize,
    read: usize,
    done: bool,
}

/// Messages asked of the store by the first page of each query, at least.
const FIRST_PAGE: usize = 256;
/// Messages per call the first page of a call search assumes (a call has a few to a few
/// dozen messages; each page re-plans the indexed query, so one page beats five).
const MESSAGES_PER_CALL: usize = 32;

impl Pages {
    fn new(query: Query, first_page: usize) -> Pages {
        Pages {
            last_ts: query.since_us,
            query,
            kept: Vec::new(),
            at_last: HashSet::new(),
            page: first_page.clamp(FIRST_PAGE, MAX_CANDIDATES),
            read: 0,
            done: false,
        }
    }

    /// Reads the next page, keeping what passes `x`.
    fn read_page(&mut self, store: &dyn Store, x: &Extras) -> Result<(), argos_store::StoreError> {
        let want = self.page.min(MAX_CANDIDATES.saturating_sub(self.read));
        let q = Query {
            since_us: self.last_ts,
            limit: want + self.at_last.len(),
            ..self.query.clone()
        };
        let found = store.search(&q)?;
        let full = found.len() >= q.limit;
        let mut new = 0usize;
        for m in found {
            let ts = m.record.capture.ts_us;
            if ts == self.last_ts && !self.at_last.insert(m.id) {
                continue; // read by the previous page
            }
            if ts > self.last_ts {
                self.last_ts = ts;
                self.at_last.clear();
                self.at_last.insert(m.id);
            }
            new += 1;
            if x.keeps(&m.record) {
                self.kept.push(m);
            }
        }
        self.read += new;
        // No new message in a full page: more than a page shares one timestamp; read wider.
        self.done = !full || self.read >= MAX_CANDIDATES || (new == 0 && q.limit >= MAX_CANDIDATES);
        self.page = self.page.saturating_mul(2).min(MAX_CANDIDATES);
        Ok(())
    }
}

/// Visits the messages matching `q` with the extras in (time, id) order, each once, until
/// `visit` returns false or they run out. The store answers the indexed part (one query, or
/// one per field filter for `match=any`) in pages merged by time, so the work follows what
/// is visited, not what matches. Returns whether a query was cut at [`MAX_CANDIDATES`]
/// messages read (more may exist).
fn walk(
    store: &dyn Store,
    q: &Query,
    x: &Extras,
    first_page: usize,
    visit: &mut dyn FnMut(StoredMessage) -> bool,
) -> Result<bool, argos_store::StoreError> {
    let mut streams: Vec<Pages> = if x.any && q.filters.len() > 1 {
        q.filters
            .iter()
            .map(|f| {
                let one = Query {
                    filters: vec![f.clone()],
                    ..q.clone()
                };
                Pages::new(one, first_page)
            })
            .collect()
    } else {
        vec![Pages::new(q.clone(), first_page)]
    };
    let mut visited: HashSet<u64> = HashSet::new();
    loop {
        // A message is final once every stream still reading has read past its time.
        let horizon = streams.iter().filter(|s| !s.done).map(|s| s.last_ts).min();
        let mut ready: BTreeMap<(i64, u64), StoredMessage> = BTreeMap::new();
        for s in &mut streams {
            let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut s.kept)
                .into_iter()
                .partition(|m| horizon.is_none_or(|h| m.record.capture.ts_us < h));
            s.kept = later;
            for m in now {
                ready.insert((m.record.capture.ts_us, m.id), m);
            }
        }
        for m in ready.into_values() {
            if visited.insert(m.id) && !visit(m) {
                return Ok(false);
            }
        }
        // Read on in the stream that is furthest behind.
        let Some(next) = streams
            .iter_mut()
            .filter(|s| !s.done)
            .min_by_key(|s| s.last_ts)
        else {
            break;
        };
        next.read_page(store, x)?;
    }
    Ok(streams.iter().any(|s| s.read >= MAX_CANDIDATES))
}

/// Runs `q` with the extras: the messages in time order, cut at `q.limit`, and whether
/// the store reads were cut at [`MAX_CANDIDATES`] (then more may exist).
pub fn search(
    store: &dyn Store,
    q: &Query,
    x: &Extras,
) -> Result<(Vec<StoredMessage>, bool), argos_store::StoreError> {
    let mut out = Vec::new();
    if q.limit == 0 {
        return Ok((out, false));
    }
    let truncated = walk(store, q, x, q.limit.saturating_mul(2), &mut |m| {
        out.push(m);
        out.len() < q.limit
    })?;
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
    let mut keys: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let truncated = if q.limit == 0 {
        false
    } else {
        walk(
            store,
            q,
            x,
            q.limit.saturating_mul(MESSAGES_PER_CALL),
            &mut |m| {
                if let Some(k) = m.record.fields.call_key {
                    if !seen.contains(&k) {
                        seen.insert(k.clone());
                        keys.push(k);
                    }
                }
                keys.len() < q.limit
            },
        )?
    };
    // The store summarises a call over all its messages, so a row here equals the row
    // plain /calls gives for the call.
    let out = store.calls_by_keys(&keys, q.since_us, q.until_us)?;
    Ok((out, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argos_model::Filter;
    use argos_store::testdata::Generator;
    use argos_store::{EmbeddedOptions, EmbeddedStore};

    /// A store of generated traffic where 600 messages share one timestamp (more than a
    /// first page), and every message it holds in (time, id) order.
    fn store() -> (tempfile::TempDir, EmbeddedStore, Vec<StoredMessage>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).expect("open");
        let mut recs = Generator::new(42).messages(20_000);
        let same = recs[5_000].capture.ts_us;
        for r in &mut recs[5_000..5_600] {
            r.capture.ts_us = same;
        }
        recs.sort_by_key(|r| r.capture.ts_us);
        store.insert(&recs).expect("insert");
        store.flush().expect("flush");
        let mut all = Vec::new();
        store
            .scan(0, i64::MAX, &mut |m| {
                all.push(m);
                true
            })
            .expect("scan");
        (dir, store, all)
    }

    fn reference(all: &[StoredMessage], q: &Query, x: &Extras) -> Vec<(i64, u64)> {
        all.iter()
            .filter(|m| {
                let hit = |f: &Filter| f.matches_record(&m.record);
                let fields = if x.any {
                    q.filters.is_empty() || q.filters.iter().any(hit)
                } else {
                    q.filters.iter().all(hit)
                };
                fields && x.keeps(&m.record)
            })
            .take(q.limit)
            .map(|m| (m.record.capture.ts_us, m.id))
            .collect()
    }

    #[test]
    fn paged_merge_equals_a_full_scan() {
        let (_dir, store, all) = store();
        let user = |i: usize| all[i].record.fields.from_user.clone().expect("from user");
        let filter = |field, value: String| Filter { field, value };
        let regex = |field, re: &str| (field, Regex::new(re).expect("regex"));
        let cases: Vec<(Vec<Filter>, Extras)> = vec![
            (
                vec![
                    filter(Field::FromUser, user(10)),
                    filter(Field::ToUser, user(3000)),
                ],
                Extras {
                    any: true,
                    ..Extras::default()
                },
            ),
            (
                vec![
                    filter(Field::Method, "INVITE".into()),
                    filter(Field::Method, "BYE".into()),
                ],
                Extras {
                    any: true,
                    ..Extras::default()
                },
            ),
            (
                Vec::new(),
                Extras {
                    regexes: vec![regex(Field::FromUser, "^1[0-4]")],
                    ..Extras::default()
                },
            ),
            (
                Vec::new(),
                Extras {
                    tx_type: Some(TxType::Registration),
                    ..Extras::default()
                },
            ),
            (
                vec![filter(Field::Method, "INVITE".into())],
                Extras {
                    regexes: vec![regex(Field::UserAgent, "Yealink|Zoiper")],
                    ..Extras::default()
                },
            ),
            // Rare: one user's messages found by a regex over everything.
            (
                Vec::new(),
                Extras {
                    regexes: vec![regex(
                        Field::CallId,
                        &regex::escape(all[15_000].record.fields.call_id.as_deref().unwrap_or("")),
                    )],
                    ..Extras::default()
                },
            ),
        ];
        for (i, (filters, x)) in cases.iter().enumerate() {
            for limit in [1, 7, 100, 700, 5_000] {
                let q = Query {
                    filters: filters.clone(),
                    limit,
                    since_us: 0,
                    until_us: i64::MAX,
                };
                let (got, truncated) = search(&store, &q, x).expect("search");
                let got: Vec<(i64, u64)> =
                    got.iter().map(|m| (m.record.capture.ts_us, m.id)).collect();
                assert_eq!(got, reference(&all, &q, x), "case {i}, limit {limit}");
                assert!(!truncated, "case {i}");
            }
        }
    }

    #[test]
    fn ties_longer_than_a_page_are_read_once_each() {
        let (_dir, store, all) = store();
        let same = all
            .windows(600)
            .find(|w| w[0].record.capture.ts_us == w[599].record.capture.ts_us)
            .map(|w| w[0].record.capture.ts_us)
            .expect("600 messages at one instant");
        let q = Query {
            filters: Vec::new(),
            limit: 650,
            since_us: same,
            until_us: i64::MAX,
        };
        let x = Extras {
            tx_type: None,
            regexes: vec![(Field::Method, Regex::new("").expect("regex"))],
            any: false,
        };
        let (got, _) = search(&store, &q, &x).expect("search");
        let ids: HashSet<u64> = got.iter().map(|m| m.id).collect();
        assert_eq!(ids.len(), got.len(), "no message twice");
        assert_eq!(got.len(), reference(&all, &q, &x).len());
    }
}
