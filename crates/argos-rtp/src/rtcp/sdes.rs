//! SDES chunks and items (RFC 3550 §6.5).

use crate::bytes::{be32, byte};
use crate::error::RtcpError;

/// SDES item type (CNAME = 1 ... PRIV = 8); unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SdesItemType(pub u8);

impl SdesItemType {
    /// Canonical end-point identifier.
    pub const CNAME: SdesItemType = SdesItemType(1);
    /// User name.
    pub const NAME: SdesItemType = SdesItemType(2);
    /// E-mail address.
    pub const EMAIL: SdesItemType = SdesItemType(3);
    /// Phone number.
    pub const PHONE: SdesItemType = SdesItemType(4);
    /// Geographic location.
    pub const LOC: SdesItemType = SdesItemType(5);
    /// Application or tool name.
    pub const TOOL: SdesItemType = SdesItemType(6);
    /// Notice/status.
    pub const NOTE: SdesItemType = SdesItemType(7);
    /// Private extension (value = prefix length, prefix, value).
    pub const PRIV: SdesItemType = SdesItemType(8);

    /// Upper-case name (`CNAME`), or `None` for an unknown type.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "CNAME",
            2 => "NAME",
            3 => "EMAIL",
            4 => "PHONE",
            5 => "LOC",
            6 => "TOOL",
            7 => "NOTE",
            8 => "PRIV",
            _ => return None,
        })
    }
}

/// One SDES item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItem<'a> {
    /// Item type.
    pub kind: SdesItemType,
    /// Item text (raw bytes, normally UTF-8).
    pub value: &'a [u8],
}

/// One SDES chunk: an SSRC/CSRC and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source described.
    pub ssrc: u32,
    items: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// The items, in order.
    pub fn items(&self) -> SdesItems<'a> {
        SdesItems { rest: self.items }
    }

    /// The CNAME item's value, if present.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items()
            .find(|i| i.kind == SdesItemType::CNAME)
            .map(|i| i.value)
    }
}

/// Iterator over the items of a chunk.
#[derive(Debug, Clone)]
pub struct SdesItems<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SdesItems<'a> {
    type Item = SdesItem<'a>;

    fn next(&mut self) -> Option<SdesItem<'a>> {
        let kind = *self.rest.first()?;
        if kind == 0 {
            return None;
        }
        let len = usize::from(byte(self.rest, 1));
        let value = self.rest.get(2..2 + len)?;
        self.rest = self.rest.get(2 + len..).unwrap_or_default();
        Some(SdesItem {
            kind: SdesItemType(kind),
            value,
        })
    }
}

/// Iterator over the chunks of an SDES packet.
#[derive(Debug, Clone)]
pub struct SdesChunks<'a> {
    rest: &'a [u8],
    left: u8,
}

impl<'a> SdesChunks<'a> {
    pub(crate) fn new(raw: &'a [u8], count: u8) -> Self {
        SdesChunks {
            rest: raw,
            left: count,
        }
    }
}

impl<'a> Iterator for SdesChunks<'a> {
    type Item = SdesChunk<'a>;

    fn next(&mut self) -> Option<SdesChunk<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let (chunk, len) = chunk_at(self.rest).ok()?;
        self.rest = self.rest.get(len..).unwrap_or_default();
        Some(chunk)
    }
}

/// The chunk at the start of `b` and its padded length; `Err(())` when truncated.
fn chunk_at(b: &[u8]) -> Result<(SdesChunk<'_>, usize), ()> {
    if b.len() < 4 {
        return Err(());
    }
    let mut at = 4;
    loop {
        match b.get(at) {
            // The end of the packet ends the last chunk even without an END octet.
            None => break,
            Some(0) => {
                at += 1;
                break;
            }
            Some(_) => {
                let len = usize::from(*b.get(at + 1).ok_or(())?);
                if at + 2 + len > b.len() {
                    return Err(());
                }
                at += 2 + len;
            }
        }
    }
    let items = b.get(4..at).unwrap_or_default();
    // Chunks are padded with null octets to a 32-bit boundary.
    let padded = at.div_ceil(4) * 4;
    Ok((
        SdesChunk {
            ssrc: be32(b, 0),
            items,
        },
        padded.min(b.len()),
    ))
}

/// Checks that `count` chunks fit in `body`.
pub(crate) fn validate(body: &[u8], count: u8, offset: usize) -> Result<(), RtcpError> {
    let mut rest = body;
    for chunk in 0..count {
        let (_, len) = chunk_at(rest).map_err(|()| RtcpError::SdesTruncated { offset, chunk })?;
        rest = rest.get(len..).unwrap_or_default();
    }
    Ok(())
}
