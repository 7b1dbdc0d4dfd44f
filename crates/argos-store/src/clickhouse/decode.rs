//! Result decoding: replies are `FORMAT RowBinary` (little-endian numbers, strings as
//! LEB128 length + bytes, `Nullable` as a 0/1 byte before the value), so any byte in a
//! payload comes back as it went in. Nothing from the server is trusted: every read is
//! checked and a short or malformed reply is a [`StoreError::ClickHouse`].

use super::tsv::transport_of;
use crate::StoreError;
use argos_model::{Capture, MessageFields, PayloadKind, Record, StoredMessage};
use bytes::Bytes;
use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, SocketAddr};

/// Longest string accepted from the server (a payload is at most a few MiB).
const MAX_STRING: u64 = 256 << 20;

pub(crate) struct Rows<R: Read> {
    r: BufReader<R>,
    op: &'static str,
}

fn bad(op: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::ClickHouse {
        op,
        status: None,
        detail: detail.into(),
    }
}

impl<R: Read> Rows<R> {
    pub fn new(r: R, op: &'static str) -> Self {
        Rows {
            r: BufReader::with_capacity(256 << 10, r),
            op,
        }
    }

    /// True when the reply has no more rows.
    pub fn at_end(&mut self) -> Result<bool, StoreError> {
        let buf = self
            .r
            .fill_buf()
            .map_err(|e| bad(self.op, format!("reading reply: {e}")))?;
        Ok(buf.is_empty())
    }

    fn fill(&mut self, out: &mut [u8]) -> Result<(), StoreError> {
        self.r
            .read_exact(out)
            .map_err(|e| bad(self.op, format!("reply ends early or fails: {e}")))
    }

    pub fn u8(&mut self) -> Result<u8, StoreError> {
        let mut b = [0u8; 1];
        self.fill(&mut b)?;
        Ok(b[0])
    }
    pub fn u16(&mut self) -> Result<u16, StoreError> {
        let mut b = [0u8; 2];
        self.fill(&mut b)?;
        Ok(u16::from_le_bytes(b))
    }
    pub fn u32(&mut self) -> Result<u32, StoreError> {
        let mut b = [0u8; 4];
        self.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    pub fn u64(&mut self) -> Result<u64, StoreError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    pub fn i64(&mut self) -> Result<i64, StoreError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(i64::from_le_bytes(b))
    }

    pub fn bytes(&mut self) -> Result<Vec<u8>, StoreError> {
        let mut len = 0u64;
        let mut shift = 0;
        loop {
            let b = self.u8()?;
            len |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return Err(bad(self.op, "string length does not decode"));
            }
        }
        if len > MAX_STRING {
            return Err(bad(self.op, format!("string of {len} bytes")));
        }
        let mut v = vec![0u8; len as usize];
        self.fill(&mut v)?;
        Ok(v)
    }

    pub fn string(&mut self) -> Result<String, StoreError> {
        String::from_utf8(self.bytes()?).map_err(|_| bad(self.op, "string field is not UTF-8"))
    }

    /// A `Nullable`: the null flag, then `f` when not null.
    pub fn nullable<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        match self.u8()? {
            0 => f(self).map(Some),
            1 => Ok(None),
            b => Err(bad(self.op, format!("null flag {b}"))),
        }
    }

    pub fn opt_string(&mut self) -> Result<Option<String>, StoreError> {
        self.nullable(Self::string)
    }

    fn addr(&mut self, ip: String, port: u16) -> Result<SocketAddr, StoreError> {
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| bad(self.op, format!("bad address {ip:?}")))?;
        Ok(SocketAddr::new(ip, port))
    }

    /// One message row: the columns of [`super::schema::COLUMNS`] in order.
    pub fn message(&mut self) -> Result<StoredMessage, StoreError> {
        let _day = self.u16()?;
        let ts_us = self.i64()?;
        let id = self.u64()?;
        let src_ip = self.string()?;
        let src_port = self.u16()?;
        let src = self.addr(src_ip, src_port)?;
        let dst_ip = self.string()?;
        let dst_port = self.u16()?;
        let dst = self.addr(dst_ip, dst_port)?;
        let (t, tp) = (self.u8()?, self.u8()?);
        let transport =
            transport_of(t, tp).ok_or_else(|| bad(self.op, format!("transport code {t}")))?;
        let kind = PayloadKind(self.u8()?);
        let capture_id = self.u32()?;
        let node = self.opt_string()?.map(String::into_boxed_str);
        let correlation_id = self.opt_string()?.map(String::into_boxed_str);
        let vlan = self.nullable(Self::u16)?;
        let method = self.opt_string()?;
        let status = self.nullable(Self::u16)?;
        let mut s13: [Option<String>; 13] = Default::default();
        for s in &mut s13 {
            *s = self.opt_string()?;
        }
        let [reason, ruri, ruri_user, ruri_domain, from_user, from_domain, from_tag, to_user, to_domain, to_tag, pai_user, contact_user, contact_ip] =
            s13;
        let contact_port = self.nullable(Self::u16)?;
        let auth_user = self.opt_string()?;
        let call_id = self.opt_string()?;
        let a_leg = self.opt_string()?;
        let via_branch = self.opt_string()?;
        let cseq_num = self.nullable(Self::u32)?;
        let cseq_method = self.opt_string()?;
        let diversion_user = self.opt_string()?;
        let reason_header = self.opt_string()?;
        let content_type = self.opt_string()?;
        let user_agent = self.opt_string()?;
        let expires = self.nullable(Self::u32)?;
        let sdp_media = self.opt_string()?;
        let call_key = self.opt_string()?;
        let payload = Bytes::from(self.bytes()?);
        Ok(StoredMessage {
            id,
            record: Record {
                capture: Capture {
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
                },
                fields: MessageFields {
                    method,
                    status,
                    reason,
                    ruri,
                    ruri_user,
                    ruri_domain,
                    from_user,
                    from_domain,
                    from_tag,
                    to_user,
                    to_domain,
                    to_tag,
                    pai_user,
                    contact_user,
                    contact_ip,
                    contact_port,
                    auth_user,
                    call_id,
                    a_leg,
                    via_branch,
                    cseq_num,
                    cseq_method,
                    diversion_user,
                    reason_header,
                    content_type,
                    user_agent,
                    expires,
                    sdp_media,
                    call_key,
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_bad_replies_are_errors() {
        let mut r = Rows::new(&[0x05u8, b'a'][..], "t");
        assert!(matches!(r.bytes(), Err(StoreError::ClickHouse { .. })));
        let mut r = Rows::new(&[0xffu8; 12][..], "t");
        assert!(r.bytes().is_err());
        let mut r = Rows::new(&[2u8][..], "t");
        assert!(r.opt_string().is_err());
        let mut r = Rows::new(&[1u8, 0, 2, b'h', b'i'][..], "t");
        assert_eq!(r.opt_string().expect("null"), None);
        assert_eq!(r.opt_string().expect("value").as_deref(), Some("hi"));
        assert!(r.at_end().expect("end"));
        let mut r = Rows::new(&b"Code: 241, e.displayText() = DB::Exception"[..], "t");
        assert!(r.message().is_err());
    }
}
