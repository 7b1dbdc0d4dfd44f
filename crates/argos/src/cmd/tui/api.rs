//! A running Argos server as a source: the calls list (`GET /api/v1/calls`), then every
//! call's messages with their raw text (`GET /api/v1/calls/{id}`), newest calls last.

use super::model::Incoming;
use super::sources::SourceEvent;
use anyhow::Context;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

/// Where and how to ask.
#[derive(Debug, Clone)]
pub struct ApiSource {
    /// `http://HOST:PORT`, without a trailing slash.
    pub base: String,
    pub token: Option<String>,
    /// `since` as the API takes it (RFC 3339 or epoch seconds); the API's default otherwise.
    pub since: Option<String>,
    /// Calls to ask for (the API's limit is 1..=10000).
    pub limit: usize,
}

impl ApiSource {
    fn get(&self, client: &reqwest::blocking::Client, url: reqwest::Url) -> anyhow::Result<Value> {
        let mut req = client.get(url.clone());
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().with_context(|| format!("GET {url}"))?;
        let status = resp.status();
        if !status.is_success() {
            anyhow::bail!("GET {url}: {status} (is --token / ARGOS_API_TOKEN set?)");
        }
        resp.json().with_context(|| format!("GET {url}: not JSON"))
    }

    /// Fetches the calls and their messages, sending each message to the UI.
    pub fn fetch(&self, stop: &AtomicBool, tx: &SyncSender<SourceEvent>) -> anyhow::Result<String> {
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/calls", self.base))
            .with_context(|| format!("--api {}: not a URL", self.base))?;
        url.query_pairs_mut()
            .append_pair("limit", &self.limit.clamp(1, 10_000).to_string());
        if let Some(s) = &self.since {
            url.query_pairs_mut().append_pair("since", s);
        }
        let list = self.get(&client, url)?;
        let keys: Vec<String> = list
            .get("calls")
            .and_then(Value::as_array)
            .map(|calls| {
                calls
                    .iter()
                    .filter_map(|c| c.get("call_key").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let _ = tx.send(SourceEvent::Status(format!(
            "{} calls listed, fetching their messages",
            keys.len()
        )));
        let mut messages = 0u64;
        for key in &keys {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let mut url = reqwest::Url::parse(&format!("{}/api/v1/calls/", self.base))?;
            url.path_segments_mut()
                .map_err(|()| anyhow::anyhow!("--api {}: cannot hold a path", self.base))?
                .pop_if_empty()
                .push(key);
            let call = match self.get(&client, url) {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(SourceEvent::Status(format!("{e:#}")));
                    continue;
                }
            };
            for m in call
                .get("messages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if m.get("proto_name")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p != "sip")
                {
                    continue;
                }
                messages += 1;
                if tx
                    .send(SourceEvent::Message(Box::new(incoming(m))))
                    .is_err()
                {
                    return Ok(String::new());
                }
            }
        }
        Ok(format!(
            "{} calls, {messages} messages from the API",
            keys.len()
        ))
    }
}

/// One API `Message` object as an [`Incoming`].
fn incoming(m: &Value) -> Incoming {
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let n = |k: &str| m.get(k).and_then(Value::as_u64);
    let addr = |ip: &str, port: &str| {
        let ip = s(ip).unwrap_or_default();
        let port = n(port).unwrap_or(0);
        if ip.contains(':') {
            format!("[{ip}]:{port}")
        } else {
            format!("{ip}:{port}")
        }
    };
    Incoming {
        ts_us: m.get("ts_us").and_then(Value::as_i64).unwrap_or(0),
        src: addr("src_ip", "src_port"),
        dst: addr("dst_ip", "dst_port"),
        transport: s("transport").unwrap_or_default(),
        call_id: s("call_id"),
        method: s("method"),
        status: n("status").and_then(|v| u16::try_from(v).ok()),
        reason: s("reason"),
        cseq_method: s("cseq_method"),
        from_user: s("from_user"),
        to_user: s("to_user"),
        raw: s("raw").unwrap_or_default(),
    }
}
