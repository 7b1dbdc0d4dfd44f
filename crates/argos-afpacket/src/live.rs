//! `LiveCapture` on Linux: opens the socket and ring in libpcap's order and hands out the
//! frames of each retired block.

use crate::bpf::{adapt_for_cooked, compile_bpf, BpfInsn};
use crate::error::CaptureError;
use crate::link::{assemble, LinkMode};
use crate::ring::{page_size, PacketSocket, Ring, RingGeometry};
use crate::tpacket::BlockCursor;
use crate::{LiveConfig, LiveFrame, LiveStats, ANY_INTERFACE};
use argos_net::LinkType;
use std::time::Duration;

/// Block size for rings of at least four blocks of it.
const BLOCK_BYTES: usize = 1 << 20;
/// Smallest block: room for a 64 KiB frame with its headers.
const MIN_BLOCK_BYTES: usize = 128 << 10;
/// Nominal frame size given to the kernel (TPACKET_V3 packs frames by their real size).
const FRAME_SIZE: u32 = 2048;
/// Snaplen used when the configuration says 0.
const DEFAULT_SNAPLEN: u32 = 65_535;
/// Classic BPF `ret #k`: accept the packet, keeping `k` bytes.
const BPF_RET_K: u16 = 0x06;
/// `PACKET_OUTGOING`: the frame was sent by this host.
const PACKET_OUTGOING: u8 = 4;

/// A live capture on one interface (or all of them), reading a TPACKET_V3 ring.
#[derive(Debug)]
pub struct LiveCapture {
    // Field order is drop order: unmap the ring before closing the socket.
    ring: Ring,
    socket: PacketSocket,
    mode: LinkMode,
    snaplen: usize,
    /// Block to read next; the kernel fills blocks in order.
    next_block: usize,
    /// A block whose frames were being handed out when `on_frame` panicked: released first
    /// on the next call (its remaining frames are lost).
    unreleased: Option<usize>,
    /// `lo`'s index, to drop its outgoing copies on "any" (each packet shows twice there).
    loopback_ifindex: Option<i32>,
    /// Frames rebuilt outside the ring when there was no headroom.
    scratch: Vec<u8>,
    totals: LiveStats,
    /// Frames lost to ring contents we could not walk (never seen in practice).
    malformed: u64,
}

impl LiveCapture {
    /// Opens a capture on `cfg.interface` ("any" for all interfaces).
    ///
    /// Order of operations (as libpcap): the socket is created with protocol 0 so it receives
    /// nothing yet; TPACKET_V3, headroom and the filter are set and the ring is mapped; only
    /// then does `bind` start reception — so no frame that predates the filter is ever
    /// queued. Promiscuous mode and fanout follow (fanout needs a bound socket).
    pub fn open(cfg: &LiveConfig) -> Result<LiveCapture, CaptureError> {
        let any = cfg.interface == ANY_INTERFACE;
        // An ioctl needs a socket; which type does not matter for it.
        let probe = PacketSocket::open(true)?;
        let (ifindex, mode) = if any {
            (0, LinkMode::Cooked)
        } else {
            let ifindex = probe.interface_index(&cfg.interface)?;
            let hatype = probe.hardware_type(&cfg.interface)?;
            (ifindex, LinkMode::for_hardware_type(hatype))
        };
        let loopback_ifindex = probe.interface_index("lo").ok();
        drop(probe);

        let snaplen = match cfg.snaplen {
            0 => DEFAULT_SNAPLEN,
            n => n,
        };
        let filter = match cfg.bpf.as_deref().map(str::trim) {
            Some(expr) if !expr.is_empty() => {
                let mut prog = compile_bpf(expr, mode.link_type(), snaplen)?;
                if mode == LinkMode::Cooked {
                    adapt_for_cooked(&mut prog)?;
                }
                Some(prog)
            }
            // No filter: a one-instruction "keep snaplen bytes" program still stops the
            // kernel from copying whole frames into the ring when the snaplen is short.
            _ if snaplen < DEFAULT_SNAPLEN => Some(vec![BpfInsn {
                code: BPF_RET_K,
                jt: 0,
                jf: 0,
                k: snaplen,
            }]),
            _ => None,
        };

        let socket = PacketSocket::open(mode == LinkMode::Cooked)?;
        socket.use_tpacket_v3()?;
        socket.reserve_headroom(mode.reserve())?;
        if Some(ifindex) == loopback_ifindex {
            // Best effort (Linux 4.20+): without it the outgoing copies are dropped below.
            let _ = socket.ignore_outgoing();
        }
        if let Some(prog) = &filter {
            socket.attach_filter(prog)?;
        }
        let geometry = ring_geometry(cfg.ring_bytes, cfg.block_timeout_ms, page_size());
        socket.create_ring(geometry)?;
        let ring = Ring::map(&socket, geometry)?;
        socket.bind(ifindex)?;
        if cfg.promiscuous && !any {
            socket.add_promiscuous(ifindex)?;
        }
        if let Some(group) = cfg.fanout_group {
            socket.join_fanout(group)?;
        }
        Ok(LiveCapture {
            ring,
            socket,
            mode,
            snaplen: snaplen as usize,
            next_block: 0,
            unreleased: None,
            loopback_ifindex,
            scratch: Vec::new(),
            totals: LiveStats::default(),
            malformed: 0,
        })
    }

    /// Link type of the frames handed out: Ethernet for Ethernet and loopback devices,
    /// [`LinkType::LINUX_SLL`] for "any" and devices without a decodable link header, raw IP
    /// for tun/tunnel devices. Frames decode with [`argos_net::decode_packet`].
    pub fn link_type(&self) -> LinkType {
        self.mode.link_type()
    }

    /// Waits up to `timeout` for a retired block, hands every frame in it to `on_frame`,
    /// returns the block to the kernel, and returns how many frames were handed out (0 on
    /// timeout). One call is one ring block; a block retires when full or after
    /// `block_timeout_ms`.
    pub fn next_batch(
        &mut self,
        timeout: Duration,
        on_frame: &mut dyn FnMut(LiveFrame<'_>),
    ) -> Result<usize, CaptureError> {
        if let Some(index) = self.unreleased.take() {
            self.ring.release(index);
            self.next_block = (index + 1) % self.ring.block_count();
        }
        let index = self.next_block;
        if self.ring.ready_block(index).is_none() {
            if !self.socket.wait_readable(timeout)? {
                return Ok(0);
            }
            if self.ring.ready_block(index).is_none() {
                return Ok(0);
            }
        }
        self.unreleased = Some(index);
        let seen = self.hand_out_block(index, on_frame);
        self.unreleased = None;
        self.ring.release(index);
        self.next_block = (index + 1) % self.ring.block_count();
        Ok(seen)
    }

    /// Hands every frame of ready block `index` to `on_frame`.
    fn hand_out_block(&mut self, index: usize, on_frame: &mut dyn FnMut(LiveFrame<'_>)) -> usize {
        let Some(block) = self.ring.ready_block(index) else {
            return 0;
        };
        let Ok(mut cursor) = BlockCursor::new(block) else {
            self.malformed += 1;
            return 0;
        };
        let mut seen = 0;
        while let Some(next) = cursor.next_frame(block) {
            let Ok((at, header)) = next else {
                self.malformed += 1 + u64::from(cursor.remaining());
                break;
            };
            if header.addr.pkttype == PACKET_OUTGOING
                && Some(header.addr.ifindex) == self.loopback_ifindex
            {
                continue;
            }
            let Ok(frame) = assemble(self.mode, block, at, &header, &mut self.scratch) else {
                self.malformed += 1;
                continue;
            };
            let caplen = frame.data.len().min(self.snaplen);
            let orig_len = (header.len as usize).saturating_add(frame.added);
            on_frame(LiveFrame {
                ts_us: i64::from(header.sec) * 1_000_000 + i64::from(header.nsec / 1_000),
                orig_len: u32::try_from(orig_len).unwrap_or(u32::MAX),
                data: frame.data.get(..caplen).unwrap_or(frame.data),
            });
            seen += 1;
        }
        seen
    }

    /// Kernel counters since open, accumulated (the kernel resets them on each read):
    /// `packets` counts every frame that passed the filter including the dropped ones,
    /// `drops` the frames lost because the ring was full (plus any frame the ring held in a
    /// shape we could not read), `freezes` how often the ring filled up.
    pub fn stats(&mut self) -> Result<LiveStats, CaptureError> {
        let k = self.socket.take_statistics()?;
        self.totals.packets += u64::from(k.packets);
        self.totals.drops += u64::from(k.drops);
        self.totals.freezes += u64::from(k.freezes);
        Ok(LiveStats {
            drops: self.totals.drops + self.malformed,
            ..self.totals
        })
    }
}

/// Splits `ring_bytes` into blocks: 1 MiB blocks for rings of 4 MiB or more, else four
/// page-aligned blocks of at least 128 KiB.
fn ring_geometry(ring_bytes: usize, retire_timeout_ms: u32, page: usize) -> RingGeometry {
    let page = page.max(FRAME_SIZE as usize);
    let block = if ring_bytes >= 4 * BLOCK_BYTES {
        BLOCK_BYTES
    } else {
        (ring_bytes / 4).clamp(MIN_BLOCK_BYTES, BLOCK_BYTES)
    };
    let block = block.div_ceil(page) * page;
    let count = (ring_bytes / block).clamp(2, u32::MAX as usize);
    RingGeometry {
        block_size: u32::try_from(block).unwrap_or(BLOCK_BYTES as u32),
        block_count: u32::try_from(count).unwrap_or(u32::MAX),
        frame_size: FRAME_SIZE,
        retire_timeout_ms: retire_timeout_ms.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_geometry_uses_megabyte_blocks_for_big_rings() {
        let g = ring_geometry(32 << 20, 50, 4096);
        assert_eq!((g.block_size, g.block_count), (1 << 20, 32));
        let g = ring_geometry(2 << 20, 0, 4096);
        assert_eq!(
            (g.block_size, g.block_count, g.retire_timeout_ms),
            (512 << 10, 4, 1)
        );
        let g = ring_geometry(0, 50, 4096);
        assert_eq!((g.block_size, g.block_count), (128 << 10, 2));
        let g = ring_geometry(1 << 20, 50, 65536);
        assert_eq!((g.block_size, g.block_count), (256 << 10, 4));
    }
}
