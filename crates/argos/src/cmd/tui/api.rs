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
    /// Keep asking for new messages (the interactive UI); `--dump` reads once.
    pub follow: bool,
}

/// How often a followed API is asked for new messages.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

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

    /// Fetches the calls and their messages, sending each message to the UI; with
    /// `follow`, asks again every [`FOLLOW_EVERY`] for calls with newer messages.
    pub fn fetch(&self, stop: &AtomicBool, tx: &SyncSender<SourceEvent>) -> anyhow::Result<String> {
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let mut seen = Seen::default();
        let (calls, mut messages) = self.pass(&client, self.since.clone(), &mut seen, stop, tx)?;
        if !self.follow {
            return Ok(format!("{calls} calls, {messages} messages from the API"));
        }
        let _ = tx.send(SourceEvent::Status(format!(
            "{calls} calls, {messages} messages; following the API"
        )));
        while !stop.load(Ordering::Relaxed) {
            let next = std::time::Instant::now() + FOLLOW_EVERY;
            while std::time::Instant::now() < next && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            // Calls with a message from a second before the newest one seen: the API
            // lists a call when any of its messages falls in the range.
            let since = seen
                .newest_us
                .map(|t| format!("{:.6}", (t - 1_000_000) as f64 / 1e6));
            match self.pass(
                &client,
                since.or_else(|| self.since.clone()),
                &mut seen,
                stop,
                tx,
            ) {
                Ok((_, n)) => messages += n,
                Err(e) => {
                    let _ = tx.send(SourceEvent::Status(format!("{e:#}")));
                }
            }
        }
        Ok(format!("{messages} messages from the API"))
    }

    /// One listing, then each listed call's messages not sent before: `(calls, messages)`.
    fn pass(
        &self,
        client: &reqwest::blocking::Client,
        since: Option<String>,
        seen: &mut Seen,
        stop: &AtomicBool,
        tx: &SyncSender<SourceEvent>,
    ) -> anyhow::Result<(usize, u64)> {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/calls", self.base))
            .with_context(|| format!("--api {}: not a URL", self.base))?;
        url.query_pairs_mut()
            .append_pair("limit", &self.limit.clamp(1, 10_000).to_string());
        if let Some(s) = &since {
            url.query_pairs_mut().append_pair("since", s);
        }
        let list = self.get(client, url)?;
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
            let call = match self.get(client, url) {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(SourceEvent::Status(format!("{e:#}")));
                    continue;
                }
            };
            let all = call.get("messages").and_then(Value::as_array);
            let already = seen.sent.get(key).copied().unwrap_or(0);
            let mut count = 0usize;
            for m in all.into_iter().flatten() {
                if m.get("proto_name")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p != "sip")
                {
                    continue;
                }
                count += 1;
                // Messages come in time order; those already sent are the first ones.
                if count <= already {
                    continue;
                }
                let msg = incoming(m);
                seen.newest_us = Some(seen.newest_us.map_or(msg.ts_us, |t| t.max(msg.ts_us)));
                messages += 1;
                if tx.send(SourceEvent::Message(Box::new(msg))).is_err() {
                    return Ok((keys.len(), messages));
                }
            }
            seen.note(key, count, self.limit);
        }
        Ok((keys.len(), messages))
    }
}

/// What has been sent to the UI: per call key, how many of its messages; bounded by
/// forgetting everything past a few times `--max-calls` (a forgotten call that talks again
/// is sent whole once more).
#[derive(Default)]
struct Seen {
    sent: std::collections::HashMap<String, usize>,
    newest_us: Option<i64>,
}

impl Seen {
    fn note(&mut self, key: &str, count: usize, limit: usize) {
        if self.sent.len() > limit.saturating_mul(4).max(1000) {
            self.sent.clear();
        }
        self.sent.insert(key.to_string(), count);
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
