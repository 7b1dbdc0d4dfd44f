//! Binary encoding of one record (capture metadata, every field, payload) inside a block,
//! plus the small helpers the engine shares: day arithmetic, stable hashes, field access.

use argos_model::{Capture, Field, MessageFields, PayloadKind, Record, Transport};
use bytes::Bytes;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub(crate) const DAY_US: i64 = 86_400_000_000;

/// Day number (days since 1970-01-01 UTC) of a timestamp in microseconds.
pub(crate) fn day_of(ts_us: i64) -> i64 {
    ts_us.div_euclid(DAY_US)
}

/// `YYYY-MM-DD` of a day number (proleptic Gregorian, H. Hinnant's algorithm).
pub(crate) fn day_name(day: i64) -> String {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// Inverse of [`day_name`]; `None` for anything that is not `YYYY-MM-DD`.
pub(crate) fn parse_day_name(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = &s[r];
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let day = era * 146_097 + doe - 719_468;
    (day_name(day) == s).then_some(day)
}

/// Stable 48-bit hash of a key (FNV-1a, then a splitmix64 finaliser). 48 bits keep the
/// SQLite integer at 6 bytes; collisions only cost a wasted decode, every hit is verified.
pub(crate) fn key_hash(s: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 16) as i64
}

/// True when the record satisfies `filter` (see [`argos_model::Filter::matches_record`]).
pub(crate) fn filter_matches(r: &Record, filter: &argos_model::Filter) -> bool {
    filter.matches_record(r)
}

// ---------------------------------------------------------------------------------------
// Entry encoding

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_addr(out: &mut Vec<u8>, a: &SocketAddr) {
    match a.ip() {
        IpAddr::V4(ip) => {
            out.push(4);
            out.extend_from_slice(&ip.octets());
        }
        IpAddr::V6(ip) => {
            out.push(6);
            out.extend_from_slice(&ip.octets());
        }
    }
    out.extend_from_slice(&a.port().to_le_bytes());
}

fn transport_code(t: Transport) -> (u8, u8) {
    match t {
        Transport::Udp => (0, 0),
        Transport::Tcp => (1, 0),
        Transport::Tls => (2, 0),
        Transport::Sctp => (3, 0),
        Transport::Ws => (4, 0),
        Transport::Other(p) => (5, p),
    }
}

/// Appends the encoding of `r` (everything except its timestamp, kept in the index row).
pub(crate) fn encode_record(out: &mut Vec<u8>, r: &Record) {
    let c = &r.capture;
    put_addr(out, &c.src);
    put_addr(out, &c.dst);
    let (t, tp) = transport_code(c.transport);
    out.push(t);
    out.push(tp);
    out.push(c.kind.0);
    put_varint(out, u64::from(c.capture_id));
    let flags = u8::from(c.node.is_some())
        | (u8::from(c.correlation_id.is_some()) << 1)
        | (u8::from(c.vlan.is_some()) << 2);
    out.push(flags);
    if let Some(n) = &c.node {
        put_bytes(out, n.as_bytes());
    }
    if let Some(n) = &c.correlation_id {
        put_bytes(out, n.as_bytes());
    }
    if let Some(v) = c.vlan {
        out.extend_from_slice(&v.to_le_bytes());
    }
    encode_fields(out, &r.fields);
    put_bytes(out, &c.payload);
}

macro_rules! with_fields {
    ($m:ident) => {
        $m!(
            str method,
            int status,
            str reason,
            str ruri,
            str ruri_user,
            str ruri_domain,
            str from_user,
            str from_domain,
            str from_tag,
            str to_user,
            str to_domain,
            str to_tag,
            str pai_user,
            str contact_user,
            str contact_ip,
            int contact_port,
            str auth_user,
            str call_id,
            str a_leg,
            str via_branch,
            int cseq_num,
            str cseq_method,
            str diversion_user,
            str reason_header,
            str content_type,
            str user_agent,
            int expires,
            str sdp_media,
            str call_key
        )
    };
}

fn encode_fields(out: &mut Vec<u8>, f: &MessageFields) {
    macro_rules! enc {
        ($($kind:ident $name:ident),*) => {{
            let mut bits: u32 = 0;
            let mut i = 0u32;
            $( if f.$name.is_some() { bits |= 1 << i; } i += 1; )*
            let _ = i;
            out.extend_from_slice(&bits.to_le_bytes());
            $( enc!(@one $kind $name); )*
        }};
        (@one str $name:ident) => { if let Some(v) = &f.$name { put_bytes(out, v.as_bytes()); } };
        (@one int $name:ident) => { if let Some(v) = f.$name { put_varint(out, u64::from(v)); } };
    }
    with_fields!(enc);
}

/// Reads an encoded record back. `None` when the bytes are malformed.
pub(crate) fn decode_record(mut b: &[u8], ts_us: i64) -> Option<Record> {
    let src = get_addr(&mut b)?;
    let dst = get_addr(&mut b)?;
    let t = get_u8(&mut b)?;
    let tp = get_u8(&mut b)?;
    let transport = match t {
        0 => Transport::Udp,
        1 => Transport::Tcp,
        2 => Transport::Tls,
        3 => Transport::Sctp,
        4 => Transport::Ws,
        _ => Transport::Other(tp),
    };
    let kind = PayloadKind(get_u8(&mut b)?);
    let capture_id = u32::try_from(get_varint(&mut b)?).ok()?;
    let flags = get_u8(&mut b)?;
    let node = if flags & 1 != 0 {
        Some(get_str(&mut b)?.into_boxed_str())
    } else {
        None
    };
    let correlation_id = if flags & 2 != 0 {
        Some(get_str(&mut b)?.into_boxed_str())
    } else {
        None
    };
    let vlan = if flags & 4 != 0 {
        let v = b.get(..2)?;
        let v = u16::from_le_bytes([v[0], v[1]]);
        b = &b[2..];
        Some(v)
    } else {
        None
    };
    let fields = decode_fields(&mut b)?;
    let payload = Bytes::copy_from_slice(get_bytes(&mut b)?);
    let capture = Capture {
        ts_us,
        src,
        dst,
        transport,
        kind,
        capture_id,
        node,
        correlation_id,
        vlan,
        payload,
    };
    Some(Record { capture, fields })
}

fn decode_fields(b: &mut &[u8]) -> Option<MessageFields> {
    let bits = b.get(..4)?;
    let bits = u32::from_le_bytes([bits[0], bits[1], bits[2], bits[3]]);
    *b = &b[4..];
    let mut f = MessageFields::default();
    macro_rules! dec {
        ($($kind:ident $name:ident),*) => {{
            let mut i = 0u32;
            $( if bits & (1 << i) != 0 { dec!(@one $kind $name); } i += 1; )*
            let _ = i;
        }};
        (@one str $name:ident) => { f.$name = Some(get_str(b)?); };
        (@one int $name:ident) => { f.$name = Some(get_varint(b)?.try_into().ok()?); };
    }
    with_fields!(dec);
    Some(f)
}

fn get_u8(b: &mut &[u8]) -> Option<u8> {
    let (&v, rest) = b.split_first()?;
    *b = rest;
    Some(v)
}

fn get_varint(b: &mut &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = get_u8(b)?;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn get_bytes<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = usize::try_from(get_varint(b)?).ok()?;
    let v = b.get(..n)?;
    *b = &b[n..];
    Some(v)
}

fn get_str(b: &mut &[u8]) -> Option<String> {
    String::from_utf8(get_bytes(b)?.to_vec()).ok()
}

fn get_addr(b: &mut &[u8]) -> Option<SocketAddr> {
    let ip = match get_u8(b)? {
        4 => {
            let o = b.get(..4)?;
            let ip = IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], o[3]));
            *b = &b[4..];
            ip
        }
        6 => {
            let o: [u8; 16] = b.get(..16)?.try_into().ok()?;
            *b = &b[16..];
            IpAddr::V6(Ipv6Addr::from(o))
        }
        _ => return None,
    };
    let p = b.get(..2)?;
    let port = u16::from_le_bytes([p[0], p[1]]);
    *b = &b[2..];
    Some(SocketAddr::new(ip, port))
}

/// Appends the header of a block entry: its timestamp and message id as zigzag deltas from
/// the block's base (kept in the block's index row).
pub(crate) fn put_entry_header(out: &mut Vec<u8>, ts: i64, id: i64, base_ts: i64, base_id: i64) {
    put_varint(out, zigzag(ts.wrapping_sub(base_ts)));
    put_varint(out, zigzag(id.wrapping_sub(base_id)));
}

/// Splits an entry into (timestamp, id, record bytes).
pub(crate) fn entry_header(mut b: &[u8], base_ts: i64, base_id: i64) -> Option<(i64, i64, &[u8])> {
    let ts = base_ts.wrapping_add(unzigzag(get_varint(&mut b)?));
    let id = base_id.wrapping_add(unzigzag(get_varint(&mut b)?));
    Some((ts, id, b))
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

// ---------------------------------------------------------------------------------------
// Full-text block filter: a 1-hash bloom filter of the ASCII-lower-cased 4-byte grams of
// every payload in a block. A `text=` value can only be in the block when every 4-gram of
// each of its `*`-separated pieces has its bit set.

/// Bits in a block's text filter (4 KiB).
pub(crate) const TEXT_BITS: usize = 1 << TEXT_BITS_LOG;
const TEXT_BITS_LOG: u32 = 15;

fn gram_bit(g: u32) -> usize {
    (g.wrapping_mul(0x9E37_79B1) >> (32 - TEXT_BITS_LOG)) as usize
}

/// Adds the 4-grams of `payload` to `bits` (`TEXT_BITS / 64` words).
pub(crate) fn text_grams_add(bits: &mut [u64], payload: &[u8]) {
    let mut g: u32 = 0;
    for (i, &b) in payload.iter().enumerate() {
        g = (g << 8) | u32::from(b.to_ascii_lowercase());
        if i >= 3 {
            let bit = gram_bit(g);
            bits[bit >> 6] |= 1 << (bit & 63);
        }
    }
}

/// The filter as stored (little-endian words).
pub(crate) fn text_bits_bytes(bits: &[u64]) -> Vec<u8> {
    bits.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Bit positions a block's filter must all have for `value` (a `text=` filter) to match;
/// empty when no piece is 4 bytes long (the filter cannot tell).
pub(crate) fn text_probe(value: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for piece in value.split('*') {
        let mut g: u32 = 0;
        for (i, &b) in piece.as_bytes().iter().enumerate() {
            g = (g << 8) | u32::from(b.to_ascii_lowercase());
            if i >= 3 {
                out.push(gram_bit(g));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// True when a stored filter (`TEXT_BITS / 8` bytes) has every bit of `probe`. A filter of
/// another size says nothing (true).
pub(crate) fn text_may_contain(stored: &[u8], probe: &[usize]) -> bool {
    if stored.len() != TEXT_BITS / 8 {
        return true;
    }
    probe.iter().all(|&b| stored[b >> 3] & (1 << (b & 7)) != 0)
}

/// True when an exact filter on `field` can only match records whose encoding contains the
/// value verbatim (string fields are stored as their bytes).
pub(crate) fn stored_verbatim(field: Field) -> bool {
    !matches!(
        field,
        Field::Status
            | Field::SrcIp
            | Field::DstIp
            | Field::SrcPort
            | Field::DstPort
            | Field::Transport
            | Field::Proto
            | Field::CaptureId
            // Full text matches case-insensitively: the verbatim pre-check would miss.
            | Field::Text
    )
}

/// Substring test used to skip decoding records that cannot match.
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        match hay[i..=last_start].iter().position(|&c| c == first) {
            None => return false,
            Some(p) => {
                let at = i + p;
                if &hay[at + 1..at + needle.len()] == rest {
                    return true;
                }
                i = at + 1;
            }
        }
    }
    false
}

// ---------------------------------------------------------------------------------------
// Blocks: `u32 count`, `count + 1` u32 offsets into the entry area, then the entries.

/// Builds the uncompressed image of a block from encoded entries.
pub(crate) fn build_block(entries: &[Vec<u8>]) -> Vec<u8> {
    let total: usize = entries.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(4 + 4 * (entries.len() + 1) + total);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    let mut off = 0u32;
    out.extend_from_slice(&off.to_le_bytes());
    for e in entries {
        off += e.len() as u32;
        out.extend_from_slice(&off.to_le_bytes());
    }
    for e in entries {
        out.extend_from_slice(e);
    }
    out
}

/// The bytes of entry `slot` inside an uncompressed block.
pub(crate) fn block_entry(block: &[u8], slot: usize) -> Option<&[u8]> {
    let rd = |i: usize| -> Option<usize> {
        let v = block.get(i..i + 4)?;
        Some(u32::from_le_bytes([v[0], v[1], v[2], v[3]]) as usize)
    };
    let n = rd(0)?;
    if slot >= n {
        return None;
    }
    let base = 4 + 4 * (n + 1);
    let (a, z) = (rd(4 + 4 * slot)?, rd(8 + 4 * slot)?);
    block.get(base + a..base + z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        assert_eq!(day_name(0), "1970-01-01");
        assert_eq!(day_name(20_000), "2024-10-04");
        for d in [-700_000, -1, 0, 1, 59, 60, 10_957, 20_000, 2_932_896] {
            assert_eq!(parse_day_name(&day_name(d)), Some(d), "{d}");
        }
        assert_eq!(parse_day_name("2024-02-30"), None);
        assert_eq!(parse_day_name("x024-02-01"), None);
        assert_eq!(day_of(-1), -1);
    }

    #[test]
    fn text_filter_has_no_false_negatives() {
        let payloads: [&[u8]; 3] = [
            b"INVITE sip:+4930123@x SIP/2.0\r\nUser-Agent: FriendlyScanner\r\n",
            b"OPTIONS sip:a@b SIP/2.0\r\n",
            b"abc",
        ];
        let mut bits = vec![0u64; TEXT_BITS / 64];
        for p in payloads {
            text_grams_add(&mut bits, p);
        }
        let stored = text_bits_bytes(&bits);
        for v in [
            "friendlyscanner",
            "USER-AGENT: friendly*r\r\n",
            "+4930123@",
            "abc",
            "ab",
            "a*b",
        ] {
            assert!(text_may_contain(&stored, &text_probe(v)), "{v}");
        }
        assert!(text_probe("abc*de").is_empty());
        assert!(!text_may_contain(
            &stored,
            &text_probe("sipvicious-scanner-xyz")
        ));
        assert!(text_may_contain(&[], &text_probe("sipvicious")));
    }

    #[test]
    fn record_round_trip() {
        let mut recs = crate::testdata::Generator::new(7).calls(3);
        recs[0].capture.node = Some("n\0\"'".into());
        recs[0].capture.vlan = Some(42);
        recs[1].capture.src = "[2001:db8::1]:5061".parse().expect("addr");
        recs[1].capture.transport = Transport::Other(99);
        for r in &recs {
            let mut buf = Vec::new();
            encode_record(&mut buf, r);
            let back = decode_record(&buf, r.capture.ts_us).expect("decodes");
            assert_eq!(&back, r);
        }
        let block = build_block(&[vec![1, 2], vec![], vec![3]]);
        assert_eq!(block_entry(&block, 0), Some(&[1u8, 2][..]));
        assert_eq!(block_entry(&block, 1), Some(&[][..]));
        assert_eq!(block_entry(&block, 2), Some(&[3u8][..]));
        assert_eq!(block_entry(&block, 3), None);
    }
}
