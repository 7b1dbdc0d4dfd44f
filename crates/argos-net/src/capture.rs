//! Capture files: a streaming reader for classic pcap and pcapng, and a classic pcap writer.

use crate::error::CaptureError;
use std::io::{self, BufReader, Read, Write};

/// Largest captured packet the reader hands out (tcpdump's default snaplen).
pub const MAX_FRAME: usize = 262_144;
/// Largest pcapng block read into memory (a packet block with its options).
pub const MAX_BLOCK: usize = 1 << 20;
/// Largest unknown pcapng block skipped (without allocating) before giving up.
const MAX_SKIP: u64 = 64 << 20;
/// Interfaces per pcapng section.
const MAX_INTERFACES: usize = 4096;

/// A data-link type as written in pcap/pcapng headers (`LINKTYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (with optional 802.1Q / 802.1ad tags).
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP, version taken from the first nibble.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture v1 (`any` device).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// Which container the reader detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaptureFormat {
    /// Classic libpcap format (µs or ns timestamps, either byte order).
    Pcap,
    /// pcapng.
    PcapNg,
}

/// One captured frame, borrowed from the reader's internal buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Capture time, microseconds since the Unix epoch (sub-µs precision truncated).
    pub ts_us: i64,
    /// Link type of the interface the frame was captured on.
    pub link_type: LinkType,
    /// The captured bytes (at most [`MAX_FRAME`]).
    pub data: &'a [u8],
    /// Length of the packet on the wire (may exceed `data.len()` when the snaplen cut it).
    pub orig_len: u32,
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: LinkType,
    /// Timestamp resolution: `Dec(n)` = 10^-n s, `Bin(n)` = 2^-n s.
    res: TsRes,
    /// `if_tsoffset`, seconds added to every timestamp.
    offset_s: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TsRes {
    Dec(u8),
    Bin(u8),
}

impl TsRes {
    /// Converts a raw timestamp in this resolution to microseconds, saturating.
    fn to_us(self, raw: u64, offset_s: i64) -> i64 {
        let raw = raw as i128;
        let us: i128 = match self {
            TsRes::Dec(6) => raw,
            TsRes::Dec(n) if n < 6 => raw.saturating_mul(10i128.pow(u32::from(6 - n))),
            TsRes::Dec(n) => {
                // n in 7..=255: anything beyond 10^-38 rounds to zero.
                let d = u32::from(n - 6);
                if d > 38 {
                    0
                } else {
                    raw / 10i128.pow(d)
                }
            }
            TsRes::Bin(n) => {
                if n > 100 {
                    0
                } else {
                    raw.saturating_mul(1_000_000) >> n
                }
            }
        };
        let total = us.saturating_add(i128::from(offset_s).saturating_mul(1_000_000));
        total.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

#[derive(Debug)]
enum State {
    Pcap {
        big_endian: bool,
        nanos: bool,
        link_type: LinkType,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Streaming reader for pcap and pcapng files.
///
/// The reader buffers its input internally (no need to wrap a `File` in a
/// `BufReader`) and reuses one buffer for all frames. Errors that leave the
/// stream position unknown (I/O errors, truncation, impossible or oversized
/// lengths, a bad pcapng block) are returned once and end the iteration
/// (`None` afterwards). Errors confined to one well-framed pcapng block
/// (unknown interface id, a packet larger than [`MAX_FRAME`]) are returned and
/// reading continues with the next block.
///
/// pcapng Simple Packet Blocks carry no timestamp: they get the timestamp of the
/// previous packet (0 if none) and interface 0.
pub struct CaptureReader<R: Read> {
    r: BufReader<R>,
    format: CaptureFormat,
    state: State,
    buf: Vec<u8>,
    offset: u64,
    done: bool,
    last_ts: i64,
}

impl<R: Read> std::fmt::Debug for CaptureReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("format", &self.format)
            .field("offset", &self.offset)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

fn u16_at(b: &[u8], at: usize, be: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if be {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    })
}

fn u32_at(b: &[u8], at: usize, be: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if be {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    })
}

fn u64_at(b: &[u8], at: usize, be: bool) -> Option<u64> {
    let s: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(if be {
        u64::from_be_bytes(s)
    } else {
        u64::from_le_bytes(s)
    })
}

/// Reads until `buf` is full or EOF; returns the number of bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_BOM: u32 = 0x1A2B_3C4D;
const PCAP_US: u32 = 0xA1B2_C3D4;
const PCAP_NS: u32 = 0xA1B2_3C4D;

/// Outcome of reading one pcapng block.
enum Block {
    /// A packet is in `buf[start..end]`.
    Packet {
        start: usize,
        end: usize,
        ts_us: i64,
        link_type: LinkType,
        orig_len: u32,
    },
    /// Nothing to report (IDB, SHB, unknown block); read the next one.
    Skip,
}

impl<R: Read> CaptureReader<R> {
    /// Opens a capture, detecting the format from its first bytes.
    pub fn new(r: R) -> Result<Self, CaptureError> {
        let mut r = BufReader::with_capacity(64 * 1024, r);
        let mut magic = [0u8; 4];
        let n = read_full(&mut r, &mut magic)?;
        if n < 4 {
            return Err(CaptureError::Truncated { offset: 0, need: 4 });
        }
        let be_magic = u32::from_be_bytes(magic);
        let mut me = CaptureReader {
            r,
            format: CaptureFormat::Pcap,
            state: State::PcapNg {
                big_endian: false,
                interfaces: Vec::new(),
            },
            buf: Vec::new(),
            offset: 4,
            done: false,
            last_ts: 0,
        };
        if be_magic == PCAPNG_SHB {
            me.format = CaptureFormat::PcapNg;
            // Read the rest of the SHB header to learn the byte order, then the body.
            me.read_shb_after_type()?;
            Ok(me)
        } else {
            let le_magic = u32::from_le_bytes(magic);
            let (big_endian, nanos) = match (be_magic, le_magic) {
                (PCAP_US, _) => (true, false),
                (PCAP_NS, _) => (true, true),
                (_, PCAP_US) => (false, false),
                (_, PCAP_NS) => (false, true),
                _ => return Err(CaptureError::BadMagic { found: be_magic }),
            };
            let mut hdr = [0u8; 20];
            let n = read_full(&mut me.r, &mut hdr)?;
            if n < 20 {
                return Err(CaptureError::Truncated {
                    offset: 4,
                    need: 20,
                });
            }
            me.offset = 24;
            // version(2+2) thiszone(4) sigfigs(4) snaplen(4) network(4)
            let network = u32_at(&hdr, 16, big_endian).unwrap_or(0);
            me.state = State::Pcap {
                big_endian,
                nanos,
                // Bits 16..31 carry FCS information; the link type is the low 16 bits.
                link_type: LinkType((network & 0xFFFF) as u16),
            };
            Ok(me)
        }
    }

    /// The detected container format.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// Bytes consumed from the input so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Link type of a classic pcap file, or of the first interface seen in a pcapng one.
    pub fn link_type(&self) -> Option<LinkType> {
        match &self.state {
            State::Pcap { link_type, .. } => Some(*link_type),
            State::PcapNg { interfaces, .. } => interfaces.first().map(|i| i.link_type),
        }
    }

    /// Reads an SHB whose 4-byte type was already consumed.
    fn read_shb_after_type(&mut self) -> Result<(), CaptureError> {
        let start = self.offset - 4;
        let mut hdr = [0u8; 8];
        let n = read_full(&mut self.r, &mut hdr)?;
        if n < 8 {
            return Err(CaptureError::Truncated {
                offset: self.offset,
                need: 8,
            });
        }
        self.offset += 8;
        let big_endian = match (
            u32_at(&hdr, 4, true).unwrap_or(0),
            u32_at(&hdr, 4, false).unwrap_or(0),
        ) {
            (PCAPNG_BOM, _) => true,
            (_, PCAPNG_BOM) => false,
            _ => {
                return Err(CaptureError::BadBlock {
                    offset: start,
                    what: "section header byte-order magic",
                })
            }
        };
        let total = u32_at(&hdr, 0, big_endian).unwrap_or(0) as usize;
        if total < 28 || total & 3 != 0 {
            return Err(CaptureError::BadBlock {
                offset: start,
                what: "section header length",
            });
        }
        if total > MAX_BLOCK {
            return Err(CaptureError::BlockTooLarge {
                offset: start,
                len: total as u64,
                max: MAX_BLOCK as u64,
            });
        }
        // Remaining: total - 12 already-read bytes (type, length, BOM).
        let rest = total - 12;
        self.fill_buf(rest)?;
        self.state = State::PcapNg {
            big_endian,
            interfaces: Vec::new(),
        };
        Ok(())
    }

    /// Reads exactly `n` bytes into `self.buf` (replacing its contents).
    fn fill_buf(&mut self, n: usize) -> Result<(), CaptureError> {
        self.buf.clear();
        self.buf.resize(n, 0);
        let got = read_full(&mut self.r, &mut self.buf)?;
        if got < n {
            let at = self.offset;
            self.offset += got as u64;
            return Err(CaptureError::Truncated {
                offset: at,
                need: n,
            });
        }
        self.offset += n as u64;
        Ok(())
    }

    /// Returns the next frame, `None` at the end of the file or after a fatal error.
    #[allow(clippy::should_implement_trait)]
    pub fn next_frame(&mut self) -> Option<Result<Frame<'_>, CaptureError>> {
        if self.done {
            return None;
        }
        let res = match self.format {
            CaptureFormat::Pcap => self.next_pcap(),
            CaptureFormat::PcapNg => self.next_pcapng(),
        };
        match res {
            Ok(None) => {
                self.done = true;
                None
            }
            Ok(Some((start, end, ts_us, link_type, orig_len))) => {
                self.last_ts = ts_us;
                let data = self.buf.get(start..end).unwrap_or(&[]);
                Some(Ok(Frame {
                    ts_us,
                    link_type,
                    data,
                    orig_len,
                }))
            }
            Err((e, fatal)) => {
                if fatal {
                    self.done = true;
                }
                Some(Err(e))
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn next_pcap(
        &mut self,
    ) -> Result<Option<(usize, usize, i64, LinkType, u32)>, (CaptureError, bool)> {
        let State::Pcap {
            big_endian,
            nanos,
            link_type,
        } = self.state
        else {
            return Ok(None);
        };
        let mut hdr = [0u8; 16];
        let n = read_full(&mut self.r, &mut hdr).map_err(|e| (e.into(), true))?;
        if n == 0 {
            return Ok(None);
        }
        if n < 16 {
            return Err((
                CaptureError::Truncated {
                    offset: self.offset,
                    need: 16,
                },
                true,
            ));
        }
        let rec_off = self.offset;
        self.offset += 16;
        let sec = u32_at(&hdr, 0, big_endian).unwrap_or(0);
        let frac = u32_at(&hdr, 4, big_endian).unwrap_or(0);
        let incl = u32_at(&hdr, 8, big_endian).unwrap_or(0);
        let orig = u32_at(&hdr, 12, big_endian).unwrap_or(0);
        if incl as usize > MAX_FRAME {
            return Err((
                CaptureError::BlockTooLarge {
                    offset: rec_off,
                    len: u64::from(incl),
                    max: MAX_FRAME as u64,
                },
                true,
            ));
        }
        self.fill_buf(incl as usize).map_err(|e| (e, true))?;
        let frac_us = if nanos { frac / 1000 } else { frac };
        let ts = i64::from(sec) * 1_000_000 + i64::from(frac_us);
        Ok(Some((0, incl as usize, ts, link_type, orig)))
    }

    #[allow(clippy::type_complexity)]
    fn next_pcapng(
        &mut self,
    ) -> Result<Option<(usize, usize, i64, LinkType, u32)>, (CaptureError, bool)> {
        loop {
            match self.read_block()? {
                None => return Ok(None),
                Some(Block::Skip) => continue,
                Some(Block::Packet {
                    start,
                    end,
                    ts_us,
                    link_type,
                    orig_len,
                }) => return Ok(Some((start, end, ts_us, link_type, orig_len))),
            }
        }
    }

    /// Reads one pcapng block. Error flag: true = fatal.
    fn read_block(&mut self) -> Result<Option<Block>, (CaptureError, bool)> {
        let block_off = self.offset;
        let mut hdr = [0u8; 8];
        let n = read_full(&mut self.r, &mut hdr).map_err(|e| (e.into(), true))?;
        if n == 0 {
            return Ok(None);
        }
        if n < 8 {
            return Err((
                CaptureError::Truncated {
                    offset: block_off,
                    need: 8,
                },
                true,
            ));
        }
        // A new section may switch byte order: SHB type is a palindrome.
        if u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) == PCAPNG_SHB {
            // Re-read: we consumed type + length; read_shb_after_type expects only the
            // type consumed, so handle here directly.
            self.offset += 8;
            let mut bom = [0u8; 4];
            let got = read_full(&mut self.r, &mut bom).map_err(|e| (e.into(), true))?;
            if got < 4 {
                return Err((
                    CaptureError::Truncated {
                        offset: self.offset,
                        need: 4,
                    },
                    true,
                ));
            }
            self.offset += 4;
            let big_endian = match (u32::from_be_bytes(bom), u32::from_le_bytes(bom)) {
                (PCAPNG_BOM, _) => true,
                (_, PCAPNG_BOM) => false,
                _ => {
                    return Err((
                        CaptureError::BadBlock {
                            offset: block_off,
                            what: "section header byte-order magic",
                        },
                        true,
                    ))
                }
            };
            let total = u32_at(&hdr, 4, big_endian).unwrap_or(0) as usize;
            if total < 28 || total & 3 != 0 {
                return Err((
                    CaptureError::BadBlock {
                        offset: block_off,
                        what: "section header length",
                    },
                    true,
                ));
            }
            if total > MAX_BLOCK {
                return Err((
                    CaptureError::BlockTooLarge {
                        offset: block_off,
                        len: total as u64,
                        max: MAX_BLOCK as u64,
                    },
                    true,
                ));
            }
            self.fill_buf(total - 12).map_err(|e| (e, true))?;
            self.state = State::PcapNg {
                big_endian,
                interfaces: Vec::new(),
            };
            return Ok(Some(Block::Skip));
        }
        let State::PcapNg { big_endian, .. } = self.state else {
            return Ok(None);
        };
        let btype = u32_at(&hdr, 0, big_endian).unwrap_or(0);
        let total = u32_at(&hdr, 4, big_endian).unwrap_or(0);
        self.offset += 8;
        if total < 12 {
            return Err((
                CaptureError::BadBlock {
                    offset: block_off,
                    what: "block length below 12",
                },
                true,
            ));
        }
        let body_len = u64::from(total) - 12;
        let is_packet = matches!(btype, 1..=3 | 6);
        if !is_packet {
            // Unknown / uninteresting block: skip body and trailer without buffering.
            if u64::from(total) > MAX_SKIP {
                return Err((
                    CaptureError::BlockTooLarge {
                        offset: block_off,
                        len: u64::from(total),
                        max: MAX_SKIP,
                    },
                    true,
                ));
            }
            let want = body_len + 4;
            let copied = io::copy(&mut (&mut self.r).take(want), &mut io::sink())
                .map_err(|e| (e.into(), true))?;
            self.offset += copied;
            if copied < want {
                return Err((
                    CaptureError::Truncated {
                        offset: block_off + 8,
                        need: want as usize,
                    },
                    true,
                ));
            }
            return Ok(Some(Block::Skip));
        }
        if total as usize > MAX_BLOCK {
            return Err((
                CaptureError::BlockTooLarge {
                    offset: block_off,
                    len: u64::from(total),
                    max: MAX_BLOCK as u64,
                },
                true,
            ));
        }
        // Body plus trailing length.
        self.fill_buf(body_len as usize + 4)
            .map_err(|e| (e, true))?;
        let body_len = body_len as usize;
        let trailer = u32_at(&self.buf, body_len, big_endian).unwrap_or(0);
        if trailer != total {
            return Err((
                CaptureError::BadBlock {
                    offset: block_off,
                    what: "trailing block length mismatch",
                },
                true,
            ));
        }
        let be = big_endian;
        let body = self.buf.get(..body_len).unwrap_or(&[]);
        let short = |what| {
            (
                CaptureError::BadBlock {
                    offset: block_off,
                    what,
                },
                false,
            )
        };
        match btype {
            1 => {
                // Interface Description Block.
                let lt = u16_at(body, 0, be).ok_or_else(|| short("interface block too short"))?;
                let mut iface = Interface {
                    link_type: LinkType(lt),
                    res: TsRes::Dec(6),
                    offset_s: 0,
                };
                for (code, val) in Options::new(body.get(8..).unwrap_or(&[]), be) {
                    match (code, val) {
                        (9, [v, ..]) => {
                            iface.res = if v & 0x80 != 0 {
                                TsRes::Bin(v & 0x7F)
                            } else {
                                TsRes::Dec(*v)
                            }
                        }
                        (14, v) if v.len() >= 8 => {
                            iface.offset_s = u64_at(v, 0, be).unwrap_or(0) as i64;
                        }
                        _ => {}
                    }
                }
                if let State::PcapNg { interfaces, .. } = &mut self.state {
                    if interfaces.len() >= MAX_INTERFACES {
                        return Err(short("too many interfaces"));
                    }
                    interfaces.push(iface);
                }
                Ok(Some(Block::Skip))
            }
            6 | 2 => {
                // Enhanced Packet Block / obsolete Packet Block.
                let (iface_id, ts_hi, ts_lo, cap, orig) = if btype == 6 {
                    (
                        u32_at(body, 0, be),
                        u32_at(body, 4, be),
                        u32_at(body, 8, be),
                        u32_at(body, 12, be),
                        u32_at(body, 16, be),
                    )
                } else {
                    (
                        u16_at(body, 0, be).map(u32::from),
                        u32_at(body, 4, be),
                        u32_at(body, 8, be),
                        u32_at(body, 12, be),
                        u32_at(body, 16, be),
                    )
                };
                let (Some(id), Some(hi), Some(lo), Some(cap), Some(orig)) =
                    (iface_id, ts_hi, ts_lo, cap, orig)
                else {
                    return Err(short("packet block too short"));
                };
                let cap = cap as usize;
                if cap > MAX_FRAME {
                    return Err((
                        CaptureError::BlockTooLarge {
                            offset: block_off,
                            len: cap as u64,
                            max: MAX_FRAME as u64,
                        },
                        false,
                    ));
                }
                if cap > body_len.saturating_sub(20) {
                    return Err(short("captured length exceeds block"));
                }
                let iface = self.interface(id).ok_or((
                    CaptureError::UnknownInterface {
                        offset: block_off,
                        id,
                    },
                    false,
                ))?;
                let raw = (u64::from(hi) << 32) | u64::from(lo);
                let ts_us = iface.res.to_us(raw, iface.offset_s);
                Ok(Some(Block::Packet {
                    start: 20,
                    end: 20 + cap,
                    ts_us,
                    link_type: iface.link_type,
                    orig_len: orig,
                }))
            }
            3 => {
                // Simple Packet Block: original length, then data up to the block end.
                let orig = u32_at(body, 0, be).ok_or_else(|| short("simple packet too short"))?;
                let avail = body_len - 4;
                let cap = (orig as usize).min(avail);
                if cap > MAX_FRAME {
                    return Err((
                        CaptureError::BlockTooLarge {
                            offset: block_off,
                            len: cap as u64,
                            max: MAX_FRAME as u64,
                        },
                        false,
                    ));
                }
                let iface = self.interface(0).ok_or((
                    CaptureError::UnknownInterface {
                        offset: block_off,
                        id: 0,
                    },
                    false,
                ))?;
                Ok(Some(Block::Packet {
                    start: 4,
                    end: 4 + cap,
                    ts_us: self.last_ts,
                    link_type: iface.link_type,
                    orig_len: orig,
                }))
            }
            _ => Ok(Some(Block::Skip)),
        }
    }

    fn interface(&self, id: u32) -> Option<Interface> {
        match &self.state {
            State::PcapNg { interfaces, .. } => interfaces.get(id as usize).copied(),
            State::Pcap { .. } => None,
        }
    }
}

/// Iterator over pcapng options (`code`, `value`), stopping at `opt_endofopt` or
/// at the first option that does not fit.
struct Options<'a> {
    b: &'a [u8],
    be: bool,
}

impl<'a> Options<'a> {
    fn new(b: &'a [u8], be: bool) -> Self {
        Options { b, be }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let code = u16_at(self.b, 0, self.be)?;
        let len = u16_at(self.b, 2, self.be)? as usize;
        if code == 0 {
            return None;
        }
        let val = self.b.get(4..4 + len)?;
        let padded = 4 + len.div_ceil(4) * 4;
        self.b = self.b.get(padded..).unwrap_or(&[]);
        Some((code, val))
    }
}

/// Writes a classic pcap file: little-endian, microsecond timestamps, snaplen 262144.
///
/// Timestamps outside what pcap can store (before 1970 or after 2106) are clamped;
/// frames longer than the snaplen are truncated (with `orig_len` kept). The writer
/// does no buffering: wrap a `File` in a `BufWriter`.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the 24-byte global header.
    pub fn new(mut w: W, link_type: LinkType) -> io::Result<Self> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&PCAP_US.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone, sigfigs = 0
        h[16..20].copy_from_slice(&(MAX_FRAME as u32).to_le_bytes());
        h[20..24].copy_from_slice(&u32::from(link_type.0).to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter { w })
    }

    /// Appends one record.
    pub fn write_frame(&mut self, ts_us: i64, data: &[u8]) -> io::Result<()> {
        let (sec, usec) = if ts_us < 0 {
            (0u32, 0u32)
        } else {
            let sec = ts_us / 1_000_000;
            if sec > i64::from(u32::MAX) {
                (u32::MAX, 999_999)
            } else {
                (sec as u32, (ts_us % 1_000_000) as u32)
            }
        };
        let incl = data.len().min(MAX_FRAME);
        let orig = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&sec.to_le_bytes());
        h[4..8].copy_from_slice(&usec.to_le_bytes());
        h[8..12].copy_from_slice(&(incl as u32).to_le_bytes());
        h[12..16].copy_from_slice(&orig.to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(&data[..incl])
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}
