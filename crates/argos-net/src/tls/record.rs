//! The TLS record layer (RFC 5246 §6.2, RFC 8446 §5.1): cuts one direction's in-order
//! byte stream into records, whatever the TCP segmentation.

/// Content types.
pub(crate) const CHANGE_CIPHER_SPEC: u8 = 20;
pub(crate) const ALERT: u8 = 21;
pub(crate) const HANDSHAKE: u8 = 22;
pub(crate) const APPLICATION_DATA: u8 = 23;
pub(crate) const HEARTBEAT: u8 = 24;

/// Record header length.
pub(crate) const HEADER_LEN: usize = 5;
/// Largest record fragment accepted: 2^14 plus the TLS 1.2 ciphertext expansion
/// allowance (RFC 5246 §6.2.3); TLS 1.3 allows less (2^14 + 256).
pub(crate) const MAX_FRAGMENT: usize = (1 << 14) + 2048;

/// Why bytes are not a TLS record stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RecordError {
    #[error("unknown record content type {0}")]
    ContentType(u8),
    #[error("record version {0:#06x} is not TLS")]
    Version(u16),
    #[error("record of {0} bytes exceeds the TLS limit")]
    TooLong(usize),
}

/// One record as it is on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) content_type: u8,
    pub(crate) version: u16,
    pub(crate) fragment: Vec<u8>,
}

/// Does `buf` start like a TLS record (type 20-23, version 3.0-3.4)? Used to recognise
/// a TLS flow on its first bytes: a handshake for a connection seen from its start,
/// another type for one picked up in the middle.
pub(crate) fn looks_like_record(buf: &[u8]) -> bool {
    matches!(buf, [CHANGE_CIPHER_SPEC..=APPLICATION_DATA, 3, 0..=4, ..])
}

/// Buffers one direction's bytes and hands out complete records.
#[derive(Debug, Default)]
pub(crate) struct RecordReader {
    buf: Vec<u8>,
}

impl RecordReader {
    /// Appends stream bytes.
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Forgets buffered bytes (the connection is given up on).
    pub(crate) fn clear(&mut self) {
        self.buf = Vec::new();
    }

    /// The next complete record, `Ok(None)` until one is buffered.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record>, RecordError> {
        let Some(header) = self.buf.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let content_type = header[0];
        let version = u16::from_be_bytes([header[1], header[2]]);
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if !(CHANGE_CIPHER_SPEC..=HEARTBEAT).contains(&content_type) {
            return Err(RecordError::ContentType(content_type));
        }
        if version >> 8 != 3 {
            return Err(RecordError::Version(version));
        }
        if len > MAX_FRAGMENT {
            return Err(RecordError::TooLong(len));
        }
        if self.buf.len() < HEADER_LEN + len {
            return Ok(None);
        }
        let fragment = self.buf[HEADER_LEN..HEADER_LEN + len].to_vec();
        self.buf.drain(..HEADER_LEN + len);
        Ok(Some(Record {
            content_type,
            version,
            fragment,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_across_and_within_pushes() {
        let mut r = RecordReader::default();
        let stream = [
            &[22u8, 3, 1, 0, 2, 0xaa, 0xbb][..],
            &[23, 3, 3, 0, 1, 0xcc],
            &[20, 3, 3, 0, 1, 1],
        ]
        .concat();
        r.push(&stream[..3]);
        assert_eq!(r.next_record(), Ok(None));
        r.push(&stream[3..9]);
        let first = r.next_record();
        assert_eq!(
            first,
            Ok(Some(Record {
                content_type: 22,
                version: 0x0301,
                fragment: vec![0xaa, 0xbb]
            }))
        );
        assert_eq!(r.next_record(), Ok(None));
        r.push(&stream[9..]);
        assert!(matches!(
            r.next_record(),
            Ok(Some(Record {
                content_type: 23,
                ..
            }))
        ));
        assert!(matches!(
            r.next_record(),
            Ok(Some(Record {
                content_type: 20,
                ..
            }))
        ));
        assert_eq!(r.next_record(), Ok(None));
    }

    #[test]
    fn rejects_non_tls() {
        let mut r = RecordReader::default();
        r.push(b"INVITE sip:x SIP/2.0\r\n");
        assert_eq!(r.next_record(), Err(RecordError::ContentType(b'I')));
        let mut r = RecordReader::default();
        r.push(&[23, 2, 0, 0, 0]);
        assert_eq!(r.next_record(), Err(RecordError::Version(0x0200)));
        let mut r = RecordReader::default();
        r.push(&[23, 3, 3, 0xff, 0xff]);
        assert_eq!(r.next_record(), Err(RecordError::TooLong(0xffff)));
        assert!(looks_like_record(&[22, 3, 1, 0, 5]));
        assert!(looks_like_record(&[23, 3, 3]));
        assert!(!looks_like_record(&[22, 3]));
        assert!(!looks_like_record(b"SIP/2.0 200 OK"));
    }
}
