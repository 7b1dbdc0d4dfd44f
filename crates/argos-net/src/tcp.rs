//! SIP-over-TCP stream reassembly: TCP segments in, complete SIP messages out.
//! Streams carrying SIP over WebSocket (RFC 7118) are recognised and deframed too, and
//! SIP over TLS is decrypted when a key log is given.

use crate::tls::{self, KeyLog, TlsStats, TlsTracker};
use crate::websocket::{self, Assembled, WsAssembler, OP_BINARY, OP_TEXT};
use memchr::{memchr, memmem};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Bounds on the reassembler's memory and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Flows (one per direction) tracked at once; the least recently used flow is
    /// evicted (its partial data flushed) when a new one arrives at the limit.
    pub max_flows: usize,
    /// Bytes buffered per flow (partial message + segments held after a gap).
    /// A message whose announced length exceeds this is skipped and counted.
    pub max_bytes_per_flow: usize,
    /// [`SipTcpReassembler::flush_idle`] finalizes flows silent for longer than this.
    pub idle_timeout_us: i64,
}

impl Default for ReassemblyLimits {
    /// 10 000 flows, 256 KiB per flow, 120 s idle timeout.
    fn default() -> Self {
        ReassemblyLimits {
            max_flows: 10_000,
            max_bytes_per_flow: 256 * 1024,
            idle_timeout_us: 120_000_000,
        }
    }
}

/// Counters; `flows` is a gauge, the rest only grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Flows currently tracked.
    pub flows: usize,
    /// Non-empty segments pushed.
    pub segments: u64,
    /// Complete messages emitted.
    pub messages: u64,
    /// Messages emitted by a flush with their body cut short (headers complete).
    pub partial_messages: u64,
    /// Segments whose bytes had all been seen already (dropped).
    pub retransmissions: u64,
    /// Segments held because they arrived ahead of a gap.
    pub out_of_order: u64,
    /// Runs of CR/LF keep-alive bytes skipped between messages.
    pub keepalives: u64,
    /// Times buffered data was dropped because it did not start like SIP.
    pub non_sip_drops: u64,
    /// Times data was dropped because a per-flow limit was hit.
    pub overflow_drops: u64,
    /// Gaps given up on (on overflow or flush) so reading resumed after them.
    pub gaps_skipped: u64,
    /// Messages whose Content-Length was unparsable (treated as 0).
    pub bad_content_length: u64,
    /// Flows evicted because `max_flows` was reached.
    pub evicted_flows: u64,
    /// Flows finalized by `flush_idle` / `flush_all`.
    pub flushed_flows: u64,
    /// Flows switched to WebSocket framing (after an HTTP upgrade, or on a frame
    /// carrying SIP).
    pub websocket_flows: u64,
    /// Complete SIP messages taken from WebSocket messages (also in `messages`).
    pub websocket_messages: u64,
    /// WebSocket frames or messages dropped: malformed frames, continuations
    /// without a start, messages over the limit, messages that are not SIP.
    pub websocket_drops: u64,
}

/// One complete SIP message taken from a TCP stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpMessage {
    /// Timestamp of the segment that **completed** the message (like the frame
    /// tshark shows a reassembled SIP PDU in). For a message in a single segment
    /// that is simply the segment's time.
    pub ts_us: i64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// Start line, headers, blank line and `Content-Length` bytes of body; for
    /// WebSocket, the whole (unmasked, reassembled) WebSocket message.
    pub data: Vec<u8>,
    /// The message came in WebSocket frames (SIP over WebSocket, RFC 7118).
    pub websocket: bool,
    /// The message was decrypted from TLS (see [`SipTcpReassembler::with_tls_keylog`]);
    /// with `websocket` also set, it came over secure WebSocket.
    pub tls: bool,
}

/// Segments held after a gap, per flow.
const MAX_HELD_SEGMENTS: usize = 256;
/// A start line longer than this without a line feed is not SIP.
const MAX_START_LINE: usize = 8 * 1024;
/// A WebSocket frame announcing more than this is taken as lost framing, not skipped.
const MAX_WS_SKIP: u64 = 64 * 1024 * 1024;
/// An HTTP header block (WebSocket handshake) longer than this is not waited for.
const MAX_HTTP_HEADER: usize = 16 * 1024;

#[derive(Debug)]
struct Flow {
    next_seq: u32,
    buf: Vec<u8>,
    /// Total length of the message at the head of `buf` once its headers are parsed.
    msg_len: Option<usize>,
    /// Where to resume searching for the end of the headers.
    scan_from: usize,
    /// Body bytes still to discard of a message too large to buffer.
    skip: usize,
    held: Vec<(u32, Vec<u8>)>,
    held_bytes: usize,
    last_ts: i64,
    /// WebSocket framing, once the flow is known to carry it.
    ws: Option<WsAssembler>,
    /// The flow carries TLS: its bytes go to the decryptor, and `buf` holds plaintext.
    tls: bool,
}

impl Flow {
    fn new(seq: u32, ts: i64) -> Self {
        Flow {
            next_seq: seq,
            buf: Vec::new(),
            msg_len: None,
            scan_from: 0,
            skip: 0,
            held: Vec::new(),
            held_bytes: 0,
            last_ts: ts,
            ws: None,
            tls: false,
        }
    }

    /// Drops the buffered message; WebSocket framing is lost with it (the flow
    /// resynchronises on a segment that starts a SIP message or a SIP-carrying frame).
    fn reset_message(&mut self) {
        self.buf.clear();
        self.msg_len = None;
        self.scan_from = 0;
        self.skip = 0;
        self.ws = None;
    }
}

/// Per-call context shared by the flow routines.
struct Ctx<'a> {
    src: SocketAddr,
    dst: SocketAddr,
    ts: i64,
    limits: &'a ReassemblyLimits,
    stats: &'a mut ReassemblyStats,
    out: &'a mut Vec<TcpMessage>,
    /// Recognise SIP over WebSocket.
    websocket: bool,
    /// TLS connections, when decryption is on.
    tls: Option<&'a mut TlsTracker>,
}

/// Reassembles SIP messages from TCP segments, one flow per direction
/// `(src ip:port, dst ip:port)`.
///
/// * several messages in one segment and one message across segments are framed by
///   the blank line after the headers plus `Content-Length` (or compact `l:`;
///   missing = 0, as RFC 3261 requires it on streams);
/// * segments whose bytes were all seen (retransmissions) are dropped, partial
///   overlaps trimmed; segments after a gap are held (bounded by
///   [`ReassemblyLimits::max_bytes_per_flow`] and 256 segments) until it fills;
///   when a limit is hit the gap is given up on and reading resumes at the segment;
/// * CR/LF keep-alives between messages are skipped;
/// * data that does not start with a SIP request or status line is dropped (and
///   counted); the flow resynchronises on the next segment that starts one.
///
/// The first data segment seen on a flow sets its sequence origin (no SYN needed;
/// segments without payload are ignored).
#[derive(Debug)]
pub struct SipTcpReassembler {
    limits: ReassemblyLimits,
    flows: HashMap<(SocketAddr, SocketAddr), Flow>,
    stats: ReassemblyStats,
    websocket: bool,
    tls: Option<TlsTracker>,
}

impl SipTcpReassembler {
    pub fn new(limits: ReassemblyLimits) -> Self {
        SipTcpReassembler {
            limits,
            flows: HashMap::new(),
            stats: ReassemblyStats::default(),
            websocket: false,
            tls: None,
        }
    }

    /// Also recognises SIP over WebSocket (RFC 7118; off by default): a flow that
    /// starts with an HTTP upgrade to WebSocket (subprotocol `sip`, or none named), or
    /// with a text/binary frame whose payload starts with a SIP start line, is deframed
    /// (7/16/64-bit lengths, client masks, fragmented messages joined, control frames
    /// skipped) and each WebSocket message carrying SIP is emitted with
    /// [`TcpMessage::websocket`] set. A frame or message larger than
    /// [`ReassemblyLimits::max_bytes_per_flow`] is skipped; a malformed frame header
    /// drops the buffered data and the flow resynchronises like a plain one.
    pub fn with_websocket(mut self, on: bool) -> Self {
        self.websocket = on;
        self
    }

    /// Decrypts SIP over TLS (off by default) with the secrets of `keylog`: a flow whose
    /// first data is a TLS record (`0x16 0x03 0x0X`, a handshake) is followed as TLS
    /// (TLS 1.2 AEAD suites, TLS 1.3), its decrypted application data is framed as SIP
    /// (or WebSocket, when that is on too) and each message is emitted with
    /// [`TcpMessage::tls`] set. A TLS flow that cannot be decrypted (no key for its
    /// client random, unsupported suite, a gap, a record failing authentication) yields
    /// nothing from then on and is counted in [`SipTcpReassembler::tls_stats`]; its
    /// bytes are never parsed as SIP. Memory per connection: two record buffers (a record
    /// is at most 18 KiB) and the hellos (at most 64 KiB each).
    pub fn with_tls_keylog(mut self, keylog: Arc<KeyLog>) -> Self {
        self.tls = Some(TlsTracker::new(keylog));
        self
    }

    /// TLS decryption counters (all zero when [`Self::with_tls_keylog`] is off).
    pub fn tls_stats(&self) -> TlsStats {
        self.tls.as_ref().map(TlsTracker::stats).unwrap_or_default()
    }

    /// Feeds one TCP segment; complete messages are appended to `out`.
    pub fn push(
        &mut self,
        ts_us: i64,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        payload: &[u8],
        out: &mut Vec<TcpMessage>,
    ) {
        if payload.is_empty() {
            if let Some(f) = self.flows.get_mut(&(src, dst)) {
                f.last_ts = f.last_ts.max(ts_us);
            }
            return;
        }
        self.stats.segments += 1;
        let key = (src, dst);
        if !self.flows.contains_key(&key) {
            if self.flows.len() >= self.limits.max_flows.max(1) {
                self.evict_oldest(out);
            }
            let mut flow = Flow::new(seq, ts_us);
            if let Some(t) = self.tls.as_mut() {
                if t.knows(src, dst) || tls::starts_like_tls(payload) {
                    flow.tls = true;
                    t.open(src, dst, payload);
                }
            }
            self.flows.insert(key, flow);
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        flow.last_ts = flow.last_ts.max(ts_us);
        let mut cx = Ctx {
            src,
            dst,
            ts: ts_us,
            limits: &self.limits,
            stats: &mut self.stats,
            out,
            websocket: self.websocket,
            tls: self.tls.as_mut(),
        };
        ingest(flow, &mut cx, seq, payload);
        self.stats.flows = self.flows.len();
    }

    /// A SYN from `src` to `dst`: a new connection reuses the addresses and ports, so
    /// the old flow (if any) is finalized and forgotten, and the next segment starts a
    /// fresh one at its own sequence number instead of looking like a huge gap.
    pub fn connection_start(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        out: &mut Vec<TcpMessage>,
    ) {
        if let Some(f) = self.flows.remove(&(src, dst)) {
            self.stats.flushed_flows += 1;
            let ts = f.last_ts;
            self.finalize((src, dst), f, ts, out);
            self.stats.flows = self.flows.len();
        }
        // The TLS state of the old connection (both directions) goes with it.
        if let Some(t) = self.tls.as_mut() {
            t.close(src, dst);
        }
    }

    /// Finalizes flows idle for longer than the timeout at `now_us`: a buffered
    /// message whose headers are complete is emitted with what body it has
    /// (counted in `partial_messages`), held segments after a gap are processed
    /// as if the gap were empty, then the flow is forgotten.
    pub fn flush_idle(&mut self, now_us: i64, out: &mut Vec<TcpMessage>) {
        let timeout = self.limits.idle_timeout_us;
        let idle: Vec<_> = self
            .flows
            .iter()
            .filter(|(_, f)| now_us.saturating_sub(f.last_ts) > timeout)
            .map(|(k, _)| *k)
            .collect();
        for k in idle {
            if let Some(f) = self.flows.remove(&k) {
                self.stats.flushed_flows += 1;
                self.finalize(k, f, now_us, out);
            }
        }
        self.stats.flows = self.flows.len();
    }

    /// Finalizes every flow (end of capture).
    pub fn flush_all(&mut self, out: &mut Vec<TcpMessage>) {
        let keys: Vec<_> = self.flows.keys().copied().collect();
        for k in keys {
            if let Some(f) = self.flows.remove(&k) {
                self.stats.flushed_flows += 1;
                let ts = f.last_ts;
                self.finalize(k, f, ts, out);
            }
        }
        self.stats.flows = 0;
    }

    /// Counters so far.
    pub fn stats(&self) -> ReassemblyStats {
        ReassemblyStats {
            flows: self.flows.len(),
            ..self.stats
        }
    }

    /// Makes room at `max_flows`: evicts the least recently active eighth of the flows in
    /// one O(n) pass, so a flood of new connections costs O(1) per flow amortized instead
    /// of a scan for each one.
    fn evict_oldest(&mut self, out: &mut Vec<TcpMessage>) {
        let n = (self.flows.len() / 8).max(1);
        let mut ages: Vec<(i64, (SocketAddr, SocketAddr))> =
            self.flows.iter().map(|(k, f)| (f.last_ts, *k)).collect();
        if n < ages.len() {
            ages.select_nth_unstable(n - 1);
            ages.truncate(n);
        }
        ages.sort_unstable();
        for (_, k) in ages {
            if let Some(f) = self.flows.remove(&k) {
                self.stats.evicted_flows += 1;
                let ts = f.last_ts;
                self.finalize(k, f, ts, out);
            }
        }
    }

    fn finalize(
        &mut self,
        key: (SocketAddr, SocketAddr),
        mut flow: Flow,
        ts: i64,
        out: &mut Vec<TcpMessage>,
    ) {
        let mut cx = Ctx {
            src: key.0,
            dst: key.1,
            ts: flow.last_ts.min(ts),
            limits: &self.limits,
            stats: &mut self.stats,
            out,
            websocket: self.websocket,
            tls: self.tls.as_mut(),
        };
        loop {
            emit_partial(&mut flow, &mut cx);
            let Some(i) = closest_held(&flow) else {
                break;
            };
            let (seq, data) = flow.held.swap_remove(i);
            flow.held_bytes -= data.len();
            cx.stats.gaps_skipped += 1;
            flow.reset_message();
            flow.next_seq = seq;
            tls_gap(&flow, &mut cx);
            ingest(&mut flow, &mut cx, seq, &data);
        }
        // A TLS connection is forgotten once neither direction is tracked.
        if flow.tls && !self.flows.contains_key(&(key.1, key.0)) {
            if let Some(t) = self.tls.as_mut() {
                t.close(key.0, key.1);
            }
        }
    }
}

/// Index of the held segment nearest after `next_seq`.
fn closest_held(flow: &Flow) -> Option<usize> {
    flow.held
        .iter()
        .enumerate()
        .min_by_key(|(_, (s, _))| s.wrapping_sub(flow.next_seq))
        .map(|(i, _)| i)
}

/// A TLS flow's stream lost bytes: its record framing is gone, so is decryption.
fn tls_gap(flow: &Flow, cx: &mut Ctx<'_>) {
    if flow.tls {
        if let Some(t) = cx.tls.as_deref_mut() {
            t.gap(cx.src, cx.dst);
        }
    }
}

fn emit_partial(flow: &mut Flow, cx: &mut Ctx<'_>) {
    if flow.msg_len.is_some() && !flow.buf.is_empty() {
        cx.stats.partial_messages += 1;
        cx.out.push(TcpMessage {
            ts_us: cx.ts,
            src: cx.src,
            dst: cx.dst,
            data: std::mem::take(&mut flow.buf),
            websocket: false,
            tls: flow.tls,
        });
    }
    flow.reset_message();
}

/// Sequence-checks one segment, holds it, or appends it and any held segments it connects.
fn ingest(flow: &mut Flow, cx: &mut Ctx<'_>, seq: u32, payload: &[u8]) {
    let diff = seq.wrapping_sub(flow.next_seq) as i32;
    if diff > 0 {
        if flow
            .held
            .iter()
            .any(|(s, d)| *s == seq && d.len() >= payload.len())
        {
            cx.stats.retransmissions += 1;
            return;
        }
        let held_total = flow.held_bytes + flow.buf.len() + payload.len();
        if flow.held.len() < MAX_HELD_SEGMENTS && held_total <= cx.limits.max_bytes_per_flow {
            cx.stats.out_of_order += 1;
            flow.held_bytes += payload.len();
            flow.held.push((seq, payload.to_vec()));
            return;
        }
        // Give up on the gap: drop everything buffered and restart at this segment.
        cx.stats.overflow_drops += 1;
        cx.stats.gaps_skipped += 1;
        flow.reset_message();
        flow.held.clear();
        flow.held_bytes = 0;
        flow.next_seq = seq;
        tls_gap(flow, cx);
        append(flow, cx, payload);
        return;
    }
    let overlap = diff.unsigned_abs() as usize;
    let Some(fresh) = payload.get(overlap..).filter(|d| !d.is_empty()) else {
        cx.stats.retransmissions += 1;
        return;
    };
    append(flow, cx, fresh);
    // Drain held segments that now connect.
    while !flow.held.is_empty() {
        let next = flow.next_seq;
        let Some(i) = flow
            .held
            .iter()
            .position(|(s, _)| s.wrapping_sub(next) as i32 <= 0)
        else {
            break;
        };
        let (s, data) = flow.held.swap_remove(i);
        flow.held_bytes -= data.len();
        let overlap = next.wrapping_sub(s) as usize;
        if let Some(fresh) = data.get(overlap..).filter(|d| !d.is_empty()) {
            append(flow, cx, fresh);
        }
    }
}

/// Appends in-sequence bytes and extracts complete messages; a TLS flow's bytes are
/// decrypted first.
fn append(flow: &mut Flow, cx: &mut Ctx<'_>, data: &[u8]) {
    flow.next_seq = flow.next_seq.wrapping_add(data.len() as u32);
    if !flow.tls {
        append_plain(flow, cx, data);
        return;
    }
    let Some(t) = cx.tls.as_deref_mut() else {
        return;
    };
    let mut plain = Vec::new();
    t.feed(cx.src, cx.dst, data, &mut plain);
    if !plain.is_empty() {
        append_plain(flow, cx, &plain);
    }
}

/// Appends stream plaintext and extracts complete messages.
fn append_plain(flow: &mut Flow, cx: &mut Ctx<'_>, data: &[u8]) {
    let mut data = data;
    if flow.skip > 0 {
        let k = flow.skip.min(data.len());
        flow.skip -= k;
        data = &data[k..];
        if data.is_empty() {
            return;
        }
    }
    if flow.buf.len() + data.len() > cx.limits.max_bytes_per_flow {
        cx.stats.overflow_drops += 1;
        flow.reset_message();
        if data.len() > cx.limits.max_bytes_per_flow {
            return;
        }
    }
    flow.buf.extend_from_slice(data);
    extract(flow, cx);
}

fn extract(flow: &mut Flow, cx: &mut Ctx<'_>) {
    loop {
        if flow.ws.is_some() {
            extract_ws(flow, cx);
            return;
        }
        let need = match flow.msg_len {
            Some(n) => n,
            None => {
                let ws = flow
                    .buf
                    .iter()
                    .position(|b| *b != b'\r' && *b != b'\n')
                    .unwrap_or(flow.buf.len());
                if ws > 0 {
                    cx.stats.keepalives += 1;
                    flow.buf.drain(..ws);
                    flow.scan_from = 0;
                }
                if flow.buf.is_empty() {
                    return;
                }
                match sip_start(&flow.buf) {
                    Start::No if !cx.websocket => {
                        cx.stats.non_sip_drops += 1;
                        flow.reset_message();
                        return;
                    }
                    Start::No => match ws_start(&flow.buf) {
                        WsStart::Yes(skip) => {
                            flow.buf.drain(..skip);
                            flow.scan_from = 0;
                            flow.ws = Some(WsAssembler::new());
                            cx.stats.websocket_flows += 1;
                            continue;
                        }
                        WsStart::NeedMore => return,
                        WsStart::No => {
                            cx.stats.non_sip_drops += 1;
                            flow.reset_message();
                            return;
                        }
                    },
                    Start::NeedMore => return,
                    Start::Yes => {}
                }
                let Some(hend) = header_end(&flow.buf, flow.scan_from) else {
                    flow.scan_from = flow.buf.len().saturating_sub(3);
                    return;
                };
                let cl = match content_length(&flow.buf[..hend]) {
                    Ok(n) => n,
                    Err(()) => {
                        cx.stats.bad_content_length += 1;
                        0
                    }
                };
                let n = hend.saturating_add(cl);
                flow.msg_len = Some(n);
                n
            }
        };
        if need > cx.limits.max_bytes_per_flow && flow.buf.len() < need {
            cx.stats.overflow_drops += 1;
            let skip = need - flow.buf.len();
            flow.reset_message();
            flow.skip = skip;
            return;
        }
        if flow.buf.len() < need {
            return;
        }
        let rest = flow.buf.split_off(need);
        let data = std::mem::replace(&mut flow.buf, rest);
        flow.msg_len = None;
        flow.scan_from = 0;
        cx.stats.messages += 1;
        cx.out.push(TcpMessage {
            ts_us: cx.ts,
            src: cx.src,
            dst: cx.dst,
            data,
            websocket: false,
            tls: flow.tls,
        });
    }
}

#[derive(Debug, PartialEq, Eq)]
enum WsStart {
    /// WebSocket: skip this many bytes (the HTTP handshake; 0 for a frame).
    Yes(usize),
    No,
    NeedMore,
}

/// Does `buf` (not a SIP start line) begin a WebSocket stream carrying SIP: an HTTP
/// upgrade to WebSocket (`sip` subprotocol), or a text/binary frame whose payload
/// starts with a SIP start line?
fn ws_start(buf: &[u8]) -> WsStart {
    if websocket::looks_like_http(buf) {
        return match websocket::is_sip_upgrade(buf) {
            Some(n) => WsStart::Yes(n),
            None if websocket::http_header_end(buf).is_none() && buf.len() <= MAX_HTTP_HEADER => {
                WsStart::NeedMore
            }
            None => WsStart::No,
        };
    }
    let h = match websocket::parse_frame_header(buf) {
        Ok(Some(h)) => h,
        Ok(None) => return WsStart::NeedMore,
        Err(_) => return WsStart::No,
    };
    if !matches!(h.opcode, OP_TEXT | OP_BINARY) {
        return WsStart::No;
    }
    let total = usize::try_from(h.payload_len).unwrap_or(usize::MAX);
    let avail = buf.len() - h.header_len;
    let n = total.min(avail).min(MAX_START_LINE + 1);
    let mut head = buf[h.header_len..h.header_len + n].to_vec();
    if let Some(m) = h.mask {
        websocket::unmask(&mut head, m, 0);
    }
    match sip_start(&head) {
        Start::Yes => WsStart::Yes(0),
        Start::NeedMore if n < total && n <= MAX_START_LINE => WsStart::NeedMore,
        _ => WsStart::No,
    }
}

/// Takes complete WebSocket frames off the head of `flow.buf`.
fn extract_ws(flow: &mut Flow, cx: &mut Ctx<'_>) {
    let max = cx.limits.max_bytes_per_flow;
    loop {
        let Some(asm) = flow.ws.as_mut() else {
            return;
        };
        let h = match websocket::parse_frame_header(&flow.buf) {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(_) => {
                // Framing lost: drop everything and resynchronise.
                cx.stats.websocket_drops += 1;
                cx.stats.non_sip_drops += 1;
                flow.reset_message();
                return;
            }
        };
        let total = h.frame_len();
        if total > MAX_WS_SKIP {
            // No SIP message is that large: treat it as lost framing rather than
            // skipping (possibly) the rest of the stream.
            cx.stats.websocket_drops += 1;
            cx.stats.non_sip_drops += 1;
            flow.reset_message();
            return;
        }
        if total > max as u64 {
            // Too large to buffer: skip the frame's bytes, keep the framing.
            cx.stats.overflow_drops += 1;
            cx.stats.websocket_drops += 1;
            asm.reset();
            let skip = total.saturating_sub(flow.buf.len() as u64);
            flow.buf.clear();
            flow.skip = usize::try_from(skip).unwrap_or(usize::MAX);
            return;
        }
        let total = total as usize;
        if flow.buf.len() < total {
            return;
        }
        let rest = flow.buf.split_off(total);
        let mut frame = std::mem::replace(&mut flow.buf, rest);
        let payload = &mut frame[h.header_len..];
        if h.is_control() {
            continue;
        }
        if let Some(m) = h.mask {
            websocket::unmask(payload, m, 0);
        }
        match asm.push(h.fin, h.opcode, payload, max) {
            Assembled::Pending => {}
            Assembled::Dropped => cx.stats.websocket_drops += 1,
            Assembled::Message(data) => {
                let body = data
                    .iter()
                    .position(|b| *b != b'\r' && *b != b'\n')
                    .unwrap_or(data.len());
                if body == data.len() {
                    cx.stats.keepalives += 1;
                    continue;
                }
                if sip_start(&data[body..]) != Start::Yes {
                    cx.stats.websocket_drops += 1;
                    cx.stats.non_sip_drops += 1;
                    continue;
                }
                let data = if body > 0 {
                    data[body..].to_vec()
                } else {
                    data
                };
                cx.stats.messages += 1;
                cx.stats.websocket_messages += 1;
                cx.out.push(TcpMessage {
                    ts_us: cx.ts,
                    src: cx.src,
                    dst: cx.dst,
                    data,
                    websocket: true,
                    tls: flow.tls,
                });
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Start {
    Yes,
    No,
    NeedMore,
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Does `buf` begin with a SIP request line or status line?
fn sip_start(buf: &[u8]) -> Start {
    const SIP: &[u8] = b"SIP/2.0 ";
    let Some(lf) = memchr(b'\n', buf) else {
        if buf.len() > MAX_START_LINE {
            return Start::No;
        }
        let n = buf.len().min(SIP.len());
        if buf[..n].eq_ignore_ascii_case(&SIP[..n]) {
            return Start::NeedMore;
        }
        let tok = buf.iter().position(|b| !is_token(*b)).unwrap_or(buf.len());
        return match buf.get(tok) {
            None => Start::NeedMore,
            Some(b' ') if tok > 0 => Start::NeedMore,
            _ => Start::No,
        };
    };
    let line = &buf[..lf];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() >= 11
        && line[..8].eq_ignore_ascii_case(SIP)
        && line[8..11].iter().all(u8::is_ascii_digit)
    {
        return Start::Yes;
    }
    let tok = line.iter().position(|b| !is_token(*b)).unwrap_or(0);
    if tok > 0
        && line.get(tok) == Some(&b' ')
        && line.len() >= tok + 10
        && line[line.len() - 8..].eq_ignore_ascii_case(b" SIP/2.0")
    {
        Start::Yes
    } else {
        Start::No
    }
}

/// Offset just past the blank line ending the headers (CRLFCRLF, or LFLF).
fn header_end(buf: &[u8], from: usize) -> Option<usize> {
    let hay = buf.get(from..)?;
    let crlf = memmem::find(hay, b"\r\n\r\n").map(|i| i + 4);
    let lf = memmem::find(hay, b"\n\n").map(|i| i + 2);
    let end = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    Some(from + end)
}

/// `Content-Length` (or `l`) of a header block: `Ok(0)` if absent, `Err` if unparsable.
fn content_length(headers: &[u8]) -> Result<usize, ()> {
    for line in headers.split(|b| *b == b'\n').skip(1) {
        let Some(colon) = memchr(b':', line) else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            let v = line[colon + 1..].trim_ascii();
            if v.is_empty() || v.len() > 9 || !v.iter().all(u8::is_ascii_digit) {
                return Err(());
            }
            return v
                .iter()
                .try_fold(0usize, |acc, d| Some(acc * 10 + usize::from(d - b'0')))
                .ok_or(());
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_lines() {
        assert_eq!(sip_start(b"INVITE sip:a@b SIP/2.0\r\n"), Start::Yes);
        assert_eq!(sip_start(b"SIP/2.0 200 OK\r\n"), Start::Yes);
        assert_eq!(sip_start(b"SIP/2.0 180 Ringing\n"), Start::Yes);
        assert_eq!(sip_start(b"INV"), Start::NeedMore);
        assert_eq!(sip_start(b"SIP/"), Start::NeedMore);
        assert_eq!(sip_start(b"INVITE sip:a@b"), Start::NeedMore);
        assert_eq!(sip_start(b"GET / HTTP/1.1\r\n"), Start::No);
        assert_eq!(sip_start(b"\x16\x03\x01"), Start::No);
        assert_eq!(sip_start(b" INVITE"), Start::No);
        assert_eq!(sip_start(&[b'A'; MAX_START_LINE + 1]), Start::No);
    }

    #[test]
    fn content_lengths() {
        assert_eq!(
            content_length(b"X a SIP/2.0\r\nContent-Length: 12\r\n\r\n"),
            Ok(12)
        );
        assert_eq!(content_length(b"X a SIP/2.0\r\nl:3\r\n\r\n"), Ok(3));
        assert_eq!(
            content_length(b"X a SIP/2.0\r\nCONTENT-LENGTH :  7 \r\n"),
            Ok(7)
        );
        assert_eq!(content_length(b"X a SIP/2.0\r\nVia: x\r\n\r\n"), Ok(0));
        assert_eq!(
            content_length(b"X a SIP/2.0\r\nContent-Length: bad\r\n"),
            Err(())
        );
        assert_eq!(
            content_length(b"X a SIP/2.0\r\nContent-Length: 99999999999\r\n"),
            Err(())
        );
    }

    #[test]
    fn header_ends() {
        assert_eq!(header_end(b"A\r\nB\r\n\r\nbody", 0), Some(8));
        assert_eq!(header_end(b"A\nB\n\nbody", 0), Some(5));
        assert_eq!(header_end(b"A\r\nB\r\n", 0), None);
        assert_eq!(header_end(b"A", 5), None);
    }
}
