//! A bounds-checked big-endian reader over a byte slice.

use crate::error::PacketError;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    pub(crate) fn take(&mut self, n: usize, layer: &'static str) -> Result<&'a [u8], PacketError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end.and_then(|e| self.data.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(PacketError::TooShort {
                layer,
                need: n,
                have: self.remaining(),
            }),
        }
    }

    pub(crate) fn u8(&mut self, layer: &'static str) -> Result<u8, PacketError> {
        Ok(self.take(1, layer)?[0])
    }

    pub(crate) fn be16(&mut self, layer: &'static str) -> Result<u16, PacketError> {
        let s = self.take(2, layer)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    pub(crate) fn be32(&mut self, layer: &'static str) -> Result<u32, PacketError> {
        let s = self.take(4, layer)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    pub(crate) fn le32(&mut self, layer: &'static str) -> Result<u32, PacketError> {
        let s = self.take(4, layer)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        let mut c = Cursor::new(&[1, 2, 3]);
        assert_eq!(c.be16("t"), Ok(0x0102));
        assert_eq!(
            c.be16("t"),
            Err(PacketError::TooShort {
                layer: "t",
                need: 2,
                have: 1
            })
        );
        assert_eq!(c.u8("t"), Ok(3));
        assert!(c.take(usize::MAX, "t").is_err());
        assert_eq!(c.rest(), &[] as &[u8]);
    }
}
