//! The TPACKET_V3 block layout (`<linux/if_packet.h>`), read from a byte slice with bounds
//! checks. No unsafe code: the ring hands a retired block over as `&mut [u8]`.
//!
//! A block starts with `struct tpacket_block_desc` (version, offset_to_priv, then
//! `struct tpacket_hdr_v1`: block_status, num_pkts, offset_to_first_pkt, blk_len, ...). Each
//! frame starts with `struct tpacket3_hdr` (48 bytes once aligned), followed by the
//! `struct sockaddr_ll` of the packet, then — at `tp_mac` — the captured bytes. Header fields
//! are in host byte order; `sll_protocol` is in network byte order.

/// Offset of `block_status` in a block.
pub(crate) const BLOCK_STATUS_OFFSET: usize = 8;
const NUM_PKTS_OFFSET: usize = 12;
const FIRST_PKT_OFFSET: usize = 16;

/// `TPACKET_ALIGN(sizeof(struct tpacket3_hdr))`: where the `sockaddr_ll` starts in a frame.
const SOCKADDR_LL_OFFSET: usize = 48;
/// `sizeof(struct sockaddr_ll)`.
const SOCKADDR_LL_LEN: usize = 20;
/// `TPACKET3_HDRLEN`: frame header plus address; the captured bytes never start before this,
/// so the room between it and `tp_mac` is free for a rebuilt link header.
pub(crate) const FRAME_HEADER_LEN: usize = SOCKADDR_LL_OFFSET + SOCKADDR_LL_LEN;

/// `tp_status` bit: `tp_vlan_tci` holds a tag the NIC or kernel stripped from the frame.
pub(crate) const TP_STATUS_VLAN_VALID: u32 = 1 << 4;
/// `tp_status` bit: `tp_vlan_tpid` is set (else the tag was 802.1Q, 0x8100).
pub(crate) const TP_STATUS_VLAN_TPID_VALID: u32 = 1 << 6;

/// The fields of one frame's `tpacket3_hdr` and `sockaddr_ll` that capture uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    /// Capture time, seconds and nanoseconds.
    pub sec: u32,
    pub nsec: u32,
    /// Bytes captured (at `mac`).
    pub snaplen: u32,
    /// Bytes on the wire.
    pub len: u32,
    pub status: u32,
    /// Offset of the captured bytes from the frame start.
    pub mac: u16,
    pub vlan_tci: u32,
    pub vlan_tpid: u16,
    pub addr: LinkAddress,
}

/// `struct sockaddr_ll` of a received frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LinkAddress {
    /// EtherType (host order).
    pub protocol: u16,
    pub ifindex: i32,
    /// ARPHRD_* type of the interface the frame was seen on.
    pub hatype: u16,
    /// PACKET_HOST, PACKET_OUTGOING, ...
    pub pkttype: u8,
    pub halen: u8,
    pub addr: [u8; 8],
}

/// Why a block could not be walked to its end (the kernel wrote something we do not expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// Walks the frames of one block; holds offsets only, so the caller may rewrite the block
/// between frames.
#[derive(Debug)]
pub(crate) struct BlockCursor {
    remaining: u32,
    next: usize,
}

impl BlockCursor {
    /// Reads the block descriptor.
    pub(crate) fn new(block: &[u8]) -> Result<BlockCursor, Malformed> {
        Ok(BlockCursor {
            remaining: read_u32(block, NUM_PKTS_OFFSET)?,
            next: read_u32(block, FIRST_PKT_OFFSET)? as usize,
        })
    }

    /// Number of frames not yet returned.
    pub(crate) fn remaining(&self) -> u32 {
        self.remaining
    }

    /// The next frame's offset in the block and its header, `None` after the last.
    pub(crate) fn next_frame(
        &mut self,
        block: &[u8],
    ) -> Option<Result<(usize, FrameHeader), Malformed>> {
        if self.remaining == 0 {
            return None;
        }
        let at = self.next;
        let parsed = parse_frame(block, at);
        match parsed {
            Ok((next_offset, header)) => {
                self.remaining -= 1;
                // More frames announced but no link to them: the next call reports it.
                self.next = match next_offset {
                    0 => usize::MAX,
                    n => at.saturating_add(n as usize),
                };
                Some(Ok((at, header)))
            }
            Err(e) => {
                self.remaining = 0;
                Some(Err(e))
            }
        }
    }
}

/// Parses the frame at `at`: its `tp_next_offset` and header. The captured bytes are checked
/// to lie inside the block.
fn parse_frame(block: &[u8], at: usize) -> Result<(u32, FrameHeader), Malformed> {
    let frame = block.get(at..).ok_or(Malformed)?;
    let sll = frame
        .get(SOCKADDR_LL_OFFSET..FRAME_HEADER_LEN)
        .ok_or(Malformed)?;
    let mut addr = [0u8; 8];
    addr.copy_from_slice(sll.get(12..20).ok_or(Malformed)?);
    let header = FrameHeader {
        sec: read_u32(frame, 4)?,
        nsec: read_u32(frame, 8)?,
        snaplen: read_u32(frame, 12)?,
        len: read_u32(frame, 16)?,
        status: read_u32(frame, 20)?,
        mac: read_u16(frame, 24)?,
        vlan_tci: read_u32(frame, 32)?,
        vlan_tpid: read_u16(frame, 36)?,
        addr: LinkAddress {
            protocol: u16::from_be_bytes(read_array(sll, 2)?),
            ifindex: i32::from_ne_bytes(read_array(sll, 4)?),
            hatype: read_u16(sll, 8)?,
            pkttype: *sll.get(10).ok_or(Malformed)?,
            halen: *sll.get(11).ok_or(Malformed)?,
            addr,
        },
    };
    let data_start = usize::from(header.mac);
    let data_end = data_start
        .checked_add(header.snaplen as usize)
        .ok_or(Malformed)?;
    if data_start < FRAME_HEADER_LEN || data_end > frame.len() {
        return Err(Malformed);
    }
    Ok((read_u32(frame, 0)?, header))
}

fn read_array<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], Malformed> {
    bytes
        .get(at..at.checked_add(N).ok_or(Malformed)?)
        .and_then(|s| s.try_into().ok())
        .ok_or(Malformed)
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, Malformed> {
    read_array(bytes, at).map(u32::from_ne_bytes)
}

fn read_u16(bytes: &[u8], at: usize) -> Result<u16, Malformed> {
    read_array(bytes, at).map(u16::from_ne_bytes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a frame header at `at` in `block` (host byte order, as the kernel does).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn put_frame(
        block: &mut [u8],
        at: usize,
        next: u32,
        mac: u16,
        data: &[u8],
        status: u32,
        vlan_tci: u32,
        addr: LinkAddress,
    ) {
        let f = &mut block[at..];
        f[0..4].copy_from_slice(&next.to_ne_bytes());
        f[4..8].copy_from_slice(&7u32.to_ne_bytes());
        f[8..12].copy_from_slice(&9_000u32.to_ne_bytes());
        f[12..16].copy_from_slice(&(data.len() as u32).to_ne_bytes());
        f[16..20].copy_from_slice(&(data.len() as u32 + 10).to_ne_bytes());
        f[20..24].copy_from_slice(&status.to_ne_bytes());
        f[24..26].copy_from_slice(&mac.to_ne_bytes());
        f[32..36].copy_from_slice(&vlan_tci.to_ne_bytes());
        let s = &mut f[SOCKADDR_LL_OFFSET..];
        s[0..2].copy_from_slice(&17u16.to_ne_bytes());
        s[2..4].copy_from_slice(&addr.protocol.to_be_bytes());
        s[4..8].copy_from_slice(&addr.ifindex.to_ne_bytes());
        s[8..10].copy_from_slice(&addr.hatype.to_ne_bytes());
        s[10] = addr.pkttype;
        s[11] = addr.halen;
        s[12..20].copy_from_slice(&addr.addr);
        let m = usize::from(mac);
        f[m..m + data.len()].copy_from_slice(data);
    }

    pub(crate) fn put_block_header(block: &mut [u8], num_pkts: u32, first: u32) {
        block[NUM_PKTS_OFFSET..NUM_PKTS_OFFSET + 4].copy_from_slice(&num_pkts.to_ne_bytes());
        block[FIRST_PKT_OFFSET..FIRST_PKT_OFFSET + 4].copy_from_slice(&first.to_ne_bytes());
    }

    pub(crate) const ADDR: LinkAddress = LinkAddress {
        protocol: 0x0800,
        ifindex: 3,
        hatype: 1,
        pkttype: 0,
        halen: 6,
        addr: [1, 2, 3, 4, 5, 6, 0, 0],
    };

    #[test]
    fn walks_frames() {
        let mut block = vec![0u8; 4096];
        put_block_header(&mut block, 2, 48);
        put_frame(&mut block, 48, 256, 90, b"first", 1, 0, ADDR);
        put_frame(&mut block, 304, 0, 90, b"second!", 1, 0, ADDR);
        let mut cur = BlockCursor::new(&block).expect("descriptor");
        let (at, h) = cur.next_frame(&block).expect("one").expect("ok");
        assert_eq!((at, h.snaplen, h.len, h.sec, h.nsec), (48, 5, 15, 7, 9_000));
        assert_eq!(h.addr, ADDR);
        let (at, h) = cur.next_frame(&block).expect("two").expect("ok");
        assert_eq!((at, h.snaplen), (304, 7));
        assert!(cur.next_frame(&block).is_none());
    }

    #[test]
    fn stops_on_frames_outside_the_block() {
        // Data running past the end, a missing link, a first offset past the end.
        let mut block = vec![0u8; 512];
        put_block_header(&mut block, 1, 48);
        put_frame(&mut block, 48, 0, 90, b"x", 1, 0, ADDR);
        block[48 + 12..48 + 16].copy_from_slice(&10_000u32.to_ne_bytes());
        let mut cur = BlockCursor::new(&block).expect("descriptor");
        assert_eq!(cur.next_frame(&block), Some(Err(Malformed)));
        assert!(cur.next_frame(&block).is_none());

        let mut block = vec![0u8; 512];
        put_block_header(&mut block, 3, 48);
        put_frame(&mut block, 48, 0, 90, b"x", 1, 0, ADDR);
        let mut cur = BlockCursor::new(&block).expect("descriptor");
        assert!(matches!(cur.next_frame(&block), Some(Ok((48, _)))));
        assert_eq!(cur.next_frame(&block), Some(Err(Malformed)));
        assert!(cur.next_frame(&block).is_none());

        let mut block = vec![0u8; 512];
        put_block_header(&mut block, 1, u32::MAX);
        let mut cur = BlockCursor::new(&block).expect("descriptor");
        assert_eq!(cur.next_frame(&block), Some(Err(Malformed)));
        assert!(BlockCursor::new(&[0u8; 10]).is_err());
    }
}
