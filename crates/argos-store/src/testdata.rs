//! Synthetic but realistic SIP traffic for tests and benchmarks: INVITE dialogs (some
//! bridged to a b-leg carrying `X-CID`, some failing), REGISTER with a digest challenge,
//! OPTIONS pings. Payloads are full SIP text (~500-1000 bytes) and the fields agree with them.

use argos_model::{Capture, MessageFields, PayloadKind, Record, Transport};
use bytes::Bytes;
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Deterministic generator of SIP records (xorshift PRNG, no external dependency).
pub struct Generator {
    state: u64,
    /// Start time of the next call, microseconds since the epoch.
    pub now_us: i64,
    /// Mean gap between call starts, microseconds.
    pub gap_us: i64,
    users: u64,
    seq: u64,
}

const DOMAINS: &[&str] = &[
    "example.com",
    "voip.example.net",
    "pbx.acme.io",
    "sip.carrier.org",
];
const AGENTS: &[&str] = &[
    "Yealink SIP-T46S 66.86.0.15",
    "Linphone/5.2.0 (belle-sip/5.2.0)",
    "Zoiper rv2.10.19.2",
    "FreeSWITCH-mod_sofia/1.10.11-release~64bit",
    "Asterisk PBX 20.5.0",
    "Grandstream GXP2170 1.0.11.23",
    "Kamailio (5.7.3 (x86_64/linux))",
    "Cisco-SIPGateway/IOS-15.7.3",
];
const CODECS: &[(&str, &str)] = &[
    ("0", "PCMU/8000"),
    ("8", "PCMA/8000"),
    ("9", "G722/8000"),
    ("111", "opus/48000/2"),
];

#[derive(Clone)]
struct Leg {
    call_id: String,
    a_leg: Option<String>,
    from_user: String,
    from_domain: String,
    from_tag: String,
    to_user: String,
    to_domain: String,
    to_tag: String,
    ua_a: &'static str,
    ua_b: &'static str,
    a: SocketAddr,
    b: SocketAddr,
    cseq: u32,
}

impl Generator {
    /// A generator starting at 2025-11-25T10:00:00Z with ~100 call starts per second.
    pub fn new(seed: u64) -> Self {
        Generator {
            state: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            now_us: 1_764_064_800_000_000,
            gap_us: 10_000,
            users: 100_000,
            seq: 0,
        }
    }

    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(n);
        s
    }

    /// The user number for index `i` (the same `i` always gives the same user).
    pub fn user(i: u64) -> String {
        if i.is_multiple_of(3) {
            format!("{}", 1000 + i % 9000)
        } else {
            format!("+1555{:07}", i)
        }
    }

    fn pick_user(&mut self) -> String {
        // Skewed: a tenth of the users make half of the calls.
        let i = if self.below(2) == 0 {
            self.below(self.users / 10)
        } else {
            self.below(self.users)
        };
        Self::user(i)
    }

    fn ip(&mut self, net: u8) -> SocketAddr {
        let ip = Ipv4Addr::new(10, net, (self.below(8)) as u8, 1 + self.below(250) as u8);
        SocketAddr::new(IpAddr::V4(ip), if self.below(4) == 0 { 5080 } else { 5060 })
    }

    fn new_leg(&mut self) -> Leg {
        let from_user = self.pick_user();
        let to_user = self.pick_user();
        Leg {
            call_id: format!("{}@{}", self.hex(32), DOMAINS[self.below(4) as usize]),
            a_leg: None,
            from_user,
            from_domain: DOMAINS[self.below(4) as usize].to_string(),
            from_tag: self.hex(10),
            to_user,
            to_domain: DOMAINS[self.below(4) as usize].to_string(),
            to_tag: self.hex(8),
            ua_a: AGENTS[self.below(AGENTS.len() as u64) as usize],
            ua_b: AGENTS[self.below(AGENTS.len() as u64) as usize],
            a: self.ip(1),
            b: self.ip(2),
            cseq: 1 + self.below(100) as u32,
        }
    }

    /// Records of `n` calls (dialogs, registrations, pings), sorted by time.
    pub fn calls(&mut self, n: usize) -> Vec<Record> {
        let mut out = Vec::with_capacity(n * 7);
        for _ in 0..n {
            self.one_call(&mut out);
            self.now_us += 1 + self.below(2 * self.gap_us as u64) as i64;
        }
        out.sort_by_key(|r| r.capture.ts_us);
        out
    }

    /// At least `n` records, time-sorted.
    pub fn messages(&mut self, n: usize) -> Vec<Record> {
        let mut out = Vec::with_capacity(n + 16);
        while out.len() < n {
            self.one_call(&mut out);
            self.now_us += 1 + self.below(2 * self.gap_us as u64) as i64;
        }
        out.sort_by_key(|r| r.capture.ts_us);
        out
    }

    fn one_call(&mut self, out: &mut Vec<Record>) {
        self.seq += 1;
        let t0 = self.now_us;
        match self.below(100) {
            0..=59 => self.invite_dialog(out, t0),
            60..=84 => self.register(out, t0),
            _ => {
                let leg = self.new_leg();
                let br = self.hex(16);
                out.push(self.req(&leg, "OPTIONS", &br, t0, false, false));
                out.push(self.resp(&leg, "OPTIONS", 200, "OK", &br, t0 + 900, false));
            }
        }
    }

    fn invite_dialog(&mut self, out: &mut Vec<Record>, t0: i64) {
        let a = self.new_leg();
        let bridged = self.below(10) < 3;
        let outcome = self.below(10); // 0..7 answered, 8 busy, 9 cancelled
        let mut legs = vec![a.clone()];
        if bridged {
            let mut b = a.clone();
            b.call_id = format!("{}-b2b-1@{}", self.hex(24), DOMAINS[self.below(4) as usize]);
            b.a_leg = Some(a.call_id.clone());
            b.from_tag = self.hex(10);
            b.to_tag = self.hex(8);
            b.a = a.b;
            b.b = self.ip(3);
            legs.push(b);
        }
        let talk = 5_000_000 + self.below(120_000_000) as i64;
        for (i, leg) in legs.iter().enumerate() {
            let t = t0 + i as i64 * 2_000;
            let br = self.hex(16);
            out.push(self.req(leg, "INVITE", &br, t, true, false));
            out.push(self.resp(leg, "INVITE", 100, "Trying", &br, t + 500, false));
            out.push(self.resp(leg, "INVITE", 180, "Ringing", &br, t + 80_000, false));
            match outcome {
                8 => {
                    out.push(self.resp(leg, "INVITE", 486, "Busy Here", &br, t + 900_000, false));
                    out.push(self.req(leg, "ACK", &br, t + 901_000, false, false));
                }
                9 => {
                    out.push(self.req(leg, "CANCEL", &br, t + 3_000_000, false, false));
                    out.push(self.resp(leg, "CANCEL", 200, "OK", &br, t + 3_001_000, false));
                    out.push(self.resp(
                        leg,
                        "INVITE",
                        487,
                        "Request Terminated",
                        &br,
                        t + 3_002_000,
                        false,
                    ));
                    out.push(self.req(leg, "ACK", &br, t + 3_003_000, false, false));
                }
                _ => {
                    out.push(self.resp(leg, "INVITE", 200, "OK", &br, t + 2_000_000, true));
                    let br2 = self.hex(16);
                    out.push(self.req(leg, "ACK", &br2, t + 2_001_000, false, true));
                    let br3 = self.hex(16);
                    let mut l2 = leg.clone();
                    l2.cseq += 1;
                    out.push(self.req(&l2, "BYE", &br3, t + 2_000_000 + talk, false, true));
                    out.push(self.resp(&l2, "BYE", 200, "OK", &br3, t + 2_001_000 + talk, true));
                }
            }
        }
    }

    fn register(&mut self, out: &mut Vec<Record>, t0: i64) {
        let mut leg = self.new_leg();
        leg.to_user = leg.from_user.clone();
        leg.to_domain = leg.from_domain.clone();
        let br = self.hex(16);
        out.push(self.req(&leg, "REGISTER", &br, t0, false, false));
        out.push(self.resp(&leg, "REGISTER", 401, "Unauthorized", &br, t0 + 700, false));
        leg.cseq += 1;
        let br = self.hex(16);
        out.push(self.req(&leg, "REGISTER", &br, t0 + 20_000, false, true));
        out.push(self.resp(&leg, "REGISTER", 200, "OK", &br, t0 + 21_000, false));
    }

    fn sdp(&mut self, ip: IpAddr) -> (String, String) {
        let port = 10_000 + 2 * self.below(10_000);
        let n = 1 + self.below(3) as usize;
        let codecs: Vec<_> = CODECS.iter().take(n).collect();
        let pts: Vec<&str> = codecs.iter().map(|c| c.0).collect();
        let mut s = String::with_capacity(300);
        let sess = self.below(1 << 31);
        let _ = write!(
            s,
            "v=0\r\no=- {sess} {sess} IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {} 101\r\n",
            pts.join(" ")
        );
        for c in &codecs {
            let _ = write!(s, "a=rtpmap:{} {}\r\n", c.0, c.1);
        }
        s.push_str(
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
        );
        let names: Vec<&str> = codecs
            .iter()
            .map(|c| c.1.split('/').next().unwrap_or(""))
            .collect();
        (s, format!("{ip}:{port}/{}", names.join(",")))
    }

    fn req(
        &mut self,
        leg: &Leg,
        method: &str,
        branch: &str,
        ts: i64,
        with_sdp: bool,
        in_dialog: bool,
    ) -> Record {
        let (src, dst) = (leg.a, leg.b);
        let ruri = format!(
            "sip:{}@{}",
            leg.to_user,
            if in_dialog {
                dst.ip().to_string()
            } else {
                leg.to_domain.clone()
            }
        );
        let cseq = leg.cseq;
        let to_tag = in_dialog.then(|| leg.to_tag.clone());
        let auth = method == "REGISTER" && in_dialog;
        let mut p = String::with_capacity(1000);
        let _ = write!(p, "{method} {ruri} SIP/2.0\r\n");
        let _ = write!(p, "Via: SIP/2.0/UDP {src};branch=z9hG4bK{branch};rport\r\n");
        p.push_str("Max-Forwards: 70\r\n");
        let _ = write!(
            p,
            "From: <sip:{}@{}>;tag={}\r\n",
            leg.from_user, leg.from_domain, leg.from_tag
        );
        match &to_tag {
            Some(t) => {
                let _ = write!(p, "To: <sip:{}@{}>;tag={t}\r\n", leg.to_user, leg.to_domain);
            }
            None => {
                let _ = write!(p, "To: <sip:{}@{}>\r\n", leg.to_user, leg.to_domain);
            }
        }
        let _ = write!(p, "Call-ID: {}\r\nCSeq: {cseq} {method}\r\n", leg.call_id);
        let _ = write!(
            p,
            "Contact: <sip:{}@{};transport=udp>\r\n",
            leg.from_user, src
        );
        if let Some(a) = &leg.a_leg {
            let _ = write!(p, "X-CID: {a}\r\n");
        }
        let _ = write!(p, "User-Agent: {}\r\n", leg.ua_a);
        p.push_str("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n");
        p.push_str("Supported: replaces, timer, path\r\n");
        if method == "INVITE" {
            let _ = write!(
                p,
                "P-Asserted-Identity: <sip:{}@{}>\r\n",
                leg.from_user, leg.from_domain
            );
            p.push_str("Session-Expires: 1800;refresher=uac\r\nMin-SE: 90\r\n");
        }
        if method == "REGISTER" {
            p.push_str("Expires: 3600\r\n");
        }
        if auth {
            let nonce = self.hex(32);
            let resp = self.hex(32);
            let _ = write!(
                p,
                "Authorization: Digest username=\"{}\", realm=\"{}\", nonce=\"{nonce}\", uri=\"{ruri}\", response=\"{resp}\", algorithm=MD5\r\n",
                leg.from_user, leg.from_domain
            );
        }
        let (body, media) = if with_sdp {
            let (b, m) = self.sdp(src.ip());
            (Some(b), Some(m))
        } else {
            (None, None)
        };
        if let Some(b) = &body {
            let _ = write!(
                p,
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            );
        } else {
            p.push_str("Content-Length: 0\r\n\r\n");
        }
        let fields = MessageFields {
            method: Some(method.to_string()),
            ruri: Some(ruri),
            ruri_user: Some(leg.to_user.clone()),
            ruri_domain: Some(if in_dialog {
                dst.ip().to_string()
            } else {
                leg.to_domain.clone()
            }),
            from_user: Some(leg.from_user.clone()),
            from_domain: Some(leg.from_domain.clone()),
            from_tag: Some(leg.from_tag.clone()),
            to_user: Some(leg.to_user.clone()),
            to_domain: Some(leg.to_domain.clone()),
            to_tag,
            pai_user: (method == "INVITE").then(|| leg.from_user.clone()),
            contact_user: Some(leg.from_user.clone()),
            contact_ip: Some(src.ip().to_string()),
            contact_port: Some(src.port()),
            auth_user: auth.then(|| leg.from_user.clone()),
            call_id: Some(leg.call_id.clone()),
            a_leg: leg.a_leg.clone(),
            via_branch: Some(format!("z9hG4bK{branch}")),
            cseq_num: Some(cseq),
            cseq_method: Some(method.to_string()),
            content_type: body.as_ref().map(|_| "application/sdp".to_string()),
            user_agent: Some(leg.ua_a.to_string()),
            expires: (method == "REGISTER").then_some(3600),
            sdp_media: media,
            call_key: Some(leg.a_leg.clone().unwrap_or_else(|| leg.call_id.clone())),
            ..Default::default()
        };
        self.record(ts, src, dst, p, fields)
    }

    #[allow(clippy::too_many_arguments)]
    fn resp(
        &mut self,
        leg: &Leg,
        method: &str,
        code: u16,
        reason: &str,
        branch: &str,
        ts: i64,
        with_sdp: bool,
    ) -> Record {
        let (src, dst) = (leg.b, leg.a);
        let to_tag = (code > 100).then(|| leg.to_tag.clone());
        let mut p = String::with_capacity(1000);
        let _ = write!(p, "SIP/2.0 {code} {reason}\r\n");
        let _ = write!(
            p,
            "Via: SIP/2.0/UDP {dst};branch=z9hG4bK{branch};rport={};received={}\r\n",
            dst.port(),
            dst.ip()
        );
        let _ = write!(
            p,
            "From: <sip:{}@{}>;tag={}\r\n",
            leg.from_user, leg.from_domain, leg.from_tag
        );
        match &to_tag {
            Some(t) => {
                let _ = write!(p, "To: <sip:{}@{}>;tag={t}\r\n", leg.to_user, leg.to_domain);
            }
            None => {
                let _ = write!(p, "To: <sip:{}@{}>\r\n", leg.to_user, leg.to_domain);
            }
        }
        let _ = write!(
            p,
            "Call-ID: {}\r\nCSeq: {} {method}\r\n",
            leg.call_id, leg.cseq
        );
        if (180..300).contains(&code) {
            let _ = write!(p, "Contact: <sip:{}@{}>\r\n", leg.to_user, src);
        }
        if let Some(a) = &leg.a_leg {
            if self.below(2) == 0 {
                let _ = write!(p, "X-CID: {a}\r\n");
            }
        }
        let _ = write!(p, "Server: {}\r\n", leg.ua_b);
        p.push_str("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r\nSupported: replaces, timer\r\n");
        if code == 401 {
            let nonce = self.hex(32);
            let _ = write!(
                p,
                "WWW-Authenticate: Digest realm=\"{}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"\r\n",
                leg.from_domain
            );
        }
        if method == "REGISTER" && code == 200 {
            let _ = write!(
                p,
                "Contact: <sip:{}@{}>;expires=3600\r\nDate: Tue, 25 Nov 2025 10:00:00 GMT\r\n",
                leg.from_user, dst
            );
        }
        if code >= 400 {
            p.push_str("Reason: Q.850;cause=17;text=\"User busy\"\r\n");
        }
        let (body, media) = if with_sdp && method == "INVITE" {
            let (b, m) = self.sdp(src.ip());
            (Some(b), Some(m))
        } else {
            (None, None)
        };
        if let Some(b) = &body {
            let _ = write!(
                p,
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            );
        } else {
            p.push_str("Content-Length: 0\r\n\r\n");
        }
        // A b-leg response only says which a-leg it belongs to when it echoes X-CID.
        let a_leg = if p.contains("X-CID:") {
            leg.a_leg.clone()
        } else {
            None
        };
        let fields = MessageFields {
            status: Some(code),
            reason: Some(reason.to_string()),
            from_user: Some(leg.from_user.clone()),
            from_domain: Some(leg.from_domain.clone()),
            from_tag: Some(leg.from_tag.clone()),
            to_user: Some(leg.to_user.clone()),
            to_domain: Some(leg.to_domain.clone()),
            to_tag,
            contact_user: ((180..300).contains(&code)).then(|| leg.to_user.clone()),
            contact_ip: ((180..300).contains(&code)).then(|| src.ip().to_string()),
            call_id: Some(leg.call_id.clone()),
            call_key: Some(a_leg.clone().unwrap_or_else(|| leg.call_id.clone())),
            a_leg,
            via_branch: Some(format!("z9hG4bK{branch}")),
            cseq_num: Some(leg.cseq),
            cseq_method: Some(method.to_string()),
            reason_header: (code >= 400).then(|| "Q.850;cause=17;text=\"User busy\"".to_string()),
            content_type: body.as_ref().map(|_| "application/sdp".to_string()),
            user_agent: Some(leg.ua_b.to_string()),
            sdp_media: media,
            ..Default::default()
        };
        self.record(ts, src, dst, p, fields)
    }

    fn record(
        &mut self,
        ts: i64,
        src: SocketAddr,
        dst: SocketAddr,
        payload: String,
        fields: MessageFields,
    ) -> Record {
        let mut c = Capture::new(
            ts,
            src,
            dst,
            Transport::Udp,
            PayloadKind::SIP,
            Bytes::from(payload),
        );
        c.capture_id = 2001 + (self.seq % 3) as u32;
        c.node = Some(format!("kam{}", 1 + self.seq % 3).into_boxed_str());
        Record { capture: c, fields }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_sizes_and_consistent_keys() {
        let recs = Generator::new(1).messages(10_000);
        let total: usize = recs.iter().map(|r| r.capture.payload.len()).sum();
        let avg = total / recs.len();
        assert!((350..1100).contains(&avg), "avg payload {avg}");
        for r in &recs {
            let f = &r.fields;
            assert_eq!(f.call_key.as_ref(), f.a_leg.as_ref().or(f.call_id.as_ref()));
            let p = std::str::from_utf8(&r.capture.payload).expect("utf8");
            assert!(p.contains(f.call_id.as_deref().expect("call id")));
        }
    }
}
