//! `GET /api/v1/calls`, `/calls/{call_id}` and `/calls/{call_id}/pcap`.

use super::json::{CallJson, MessageJson};
use super::params::{parse_time, query_from_params, QueryParams};
use super::search::{self, Extras};
use super::{blocking, ApiError, AppState};
use argos_model::StoredMessage;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::HashMap;
use std::sync::Arc;

/// `GET /api/v1/calls`: the filters of `/messages`, with its extras (`match=any`,
/// `<field>~=REGEX`, `type=`), one row per call.
pub async fn list(
    State(st): State<Arc<AppState>>,
    QueryParams(mut p): QueryParams,
) -> Result<Json<serde_json::Value>, ApiError> {
    let extras = Extras::take(&mut p)?;
    let q = query_from_params(&p)?;
    let store = st.store.clone();
    let (calls, truncated) = if extras.is_empty() {
        (blocking(move || store.calls(&q)).await?, false)
    } else {
        blocking(move || search::calls(store.as_ref(), &q, &extras)).await?
    };
    let rows: Vec<CallJson<'_>> = calls.iter().map(CallJson::new).collect();
    let mut body = serde_json::json!({ "count": rows.len(), "calls": rows });
    if truncated {
        // The extras chose from the first MAX_CANDIDATES matches of the indexed part.
        body["candidates_truncated"] = serde_json::Value::Bool(true);
    }
    Ok(Json(body))
}

/// Loads a call's messages; the time range is the whole store unless given.
/// The messages of a call (`since`/`until` from the query), or 404.
pub(super) async fn load_call(
    st: &AppState,
    call_id: String,
    p: &HashMap<String, String>,
) -> Result<Vec<StoredMessage>, ApiError> {
    let bound = |k: &str, default: i64| match p.get(k) {
        Some(v) => parse_time(v).ok_or_else(|| ApiError::BadRequest(format!("bad {k}: {v}"))),
        None => Ok(default),
    };
    let (since, until) = (bound("since", 0)?, bound("until", i64::MAX)?);
    let store = st.store.clone();
    let msgs = blocking(move || store.call(&call_id, since, until)).await?;
    if msgs.is_empty() {
        return Err(ApiError::NotFound("no message with this Call-ID"));
    }
    Ok(msgs)
}

pub async fn detail(
    State(st): State<Arc<AppState>>,
    Path(call_id): Path<String>,
    QueryParams(p): QueryParams,
) -> Result<Json<serde_json::Value>, ApiError> {
    let msgs = load_call(&st, call_id.clone(), &p).await?;
    let mut call_ids: Vec<&str> = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    // A leg is one Call-ID between one pair of hosts: a proxy keeps the Call-ID, so
    // UAC→proxy and proxy→UAS are two legs; a B2BUA's legs differ by Call-ID too.
    let mut legs: Vec<(&str, [std::net::SocketAddr; 2], usize)> = Vec::new();
    for m in &msgs {
        let c = &m.record.capture;
        let pair = if c.src <= c.dst {
            [c.src, c.dst]
        } else {
            [c.dst, c.src]
        };
        let cid = m.record.fields.call_id.as_deref().unwrap_or("");
        match legs.iter_mut().find(|l| l.0 == cid && l.1 == pair) {
            Some(l) => l.2 += 1,
            None => legs.push((cid, pair, 1)),
        }
        if let Some(cid) = m.record.fields.call_id.as_deref() {
            if !call_ids.contains(&cid) {
                call_ids.push(cid);
            }
        }
        for a in [m.record.capture.src, m.record.capture.dst] {
            let h = a.to_string();
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    let call_key = msgs
        .iter()
        .find_map(|m| m.record.fields.call_key.clone())
        .unwrap_or(call_id);
    // The a-leg first, so the UI can colour legs consistently.
    call_ids.sort_by_key(|c| *c != call_key);
    let record = call_record(&st, &call_key, &msgs).await;
    let diagnosis = argos_track::diagnose::diagnose(record.as_ref(), &msgs);
    let rows: Vec<MessageJson<'_>> = msgs.iter().map(|m| MessageJson::new(m, true)).collect();
    let legs: Vec<serde_json::Value> = legs
        .iter()
        .map(|(cid, pair, n)| {
            serde_json::json!({"call_id": cid, "hosts": [pair[0].to_string(), pair[1].to_string()], "messages": n})
        })
        .collect();
    Ok(Json(serde_json::json!({
        "call_key": call_key, "call_ids": call_ids, "hosts": hosts, "legs": legs,
        "count": rows.len(), "messages": rows, "record": record, "diagnosis": diagnosis,
    })))
}

/// The tracker's record of the call, if the store has one (a store without call records,
/// or a call the tracker never saw, gives `None`: the page still shows the messages).
async fn call_record(
    st: &Arc<AppState>,
    call_key: &str,
    msgs: &[argos_model::StoredMessage],
) -> Option<argos_model::CallRecord> {
    let first = msgs.first()?.record.capture.ts_us;
    let last = msgs.last()?.record.capture.ts_us;
    let q = argos_model::CallQuery {
        // The record starts at the first INVITE, which is among the messages.
        since_us: first.saturating_sub(1_000_000),
        until_us: last.saturating_add(1_000_000),
        call_key: Some(call_key.to_owned()),
        limit: 1,
        ..Default::default()
    };
    let store = st.store.clone();
    blocking(move || store.call_records(&q))
        .await
        .ok()?
        .into_iter()
        .next()
}

pub async fn pcap(
    State(st): State<Arc<AppState>>,
    Path(call_id): Path<String>,
    QueryParams(p): QueryParams,
) -> Result<Response, ApiError> {
    let msgs = load_call(&st, call_id.clone(), &p).await?;
    st.audit.export("pcap", &call_id);
    let bytes = crate::export::pcap_of(&msgs)
        .map_err(|e| ApiError::Internal(format!("pcap export: {e}")))?;
    let name: String = call_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.tcpdump.pcap".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"call-{name}.pcap\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
