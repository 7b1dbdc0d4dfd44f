//! The only module with unsafe code: the packet socket's system calls (socket options,
//! interface ioctls, bind, poll) and the memory-mapped TPACKET_V3 receive ring. Each unsafe
//! block is one call with its arguments checked just above it; everything outside sees a
//! safe API (`PacketSocket`, `Ring`).

use crate::bpf::BpfInsn;
use crate::error::CaptureError;
use crate::tpacket::BLOCK_STATUS_OFFSET;
use std::ffi::c_int;
use std::io;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// `TP_STATUS_USER` in a block's status: the kernel retired the block and hands it to us.
const TP_STATUS_USER: u32 = 1;
/// `TP_STATUS_KERNEL`: the block belongs to the kernel again.
const TP_STATUS_KERNEL: u32 = 0;

/// An `AF_PACKET` socket. Created with protocol 0, so it receives nothing until [`bind`].
///
/// [`bind`]: PacketSocket::bind
#[derive(Debug)]
pub(crate) struct PacketSocket {
    fd: OwnedFd,
}

/// Shape of the receive ring (`struct tpacket_req3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RingGeometry {
    pub block_size: u32,
    pub block_count: u32,
    /// Nominal frame size; TPACKET_V3 packs frames of any size, the kernel only checks it.
    pub frame_size: u32,
    pub retire_timeout_ms: u32,
}

/// Kernel counters read (and reset) by `PACKET_STATISTICS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KernelStats {
    /// Frames that passed the filter (the kernel adds the drops into this count).
    pub packets: u32,
    pub drops: u32,
    pub freezes: u32,
}

/// The system page size (blocks must be a multiple of it).
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf only reads a configuration value; no memory is passed.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|&s| s > 0)
        .unwrap_or(4096)
}

fn last_error() -> io::Error {
    io::Error::last_os_error()
}

impl PacketSocket {
    /// Opens a packet socket: `SOCK_DGRAM` (cooked, no link header) when `cooked`, else
    /// `SOCK_RAW`.
    pub(crate) fn open(cooked: bool) -> Result<PacketSocket, CaptureError> {
        let kind = if cooked {
            libc::SOCK_DGRAM
        } else {
            libc::SOCK_RAW
        };
        // SAFETY: plain system call with constant arguments; a non-negative result is a new
        // descriptor that nothing else owns.
        let fd = unsafe { libc::socket(libc::AF_PACKET, kind | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(CaptureError::os("socket(AF_PACKET)", last_error()));
        }
        // SAFETY: `fd` was just returned by socket() and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(PacketSocket { fd })
    }

    fn raw(&self) -> c_int {
        self.fd.as_raw_fd()
    }

    /// `setsockopt` with a plain-old-data value.
    fn set_option<T: Copy>(
        &self,
        level: c_int,
        name: c_int,
        value: &T,
        what: &'static str,
    ) -> Result<(), CaptureError> {
        let len = libc::socklen_t::try_from(mem::size_of::<T>()).map_err(|_| CaptureError::Io {
            what,
            source: io::Error::from(io::ErrorKind::InvalidInput),
        })?;
        // SAFETY: `value` points to `len` readable bytes for the duration of the call; the
        // kernel copies them and keeps no pointer.
        let rc = unsafe {
            libc::setsockopt(
                self.raw(),
                level,
                name,
                (value as *const T).cast::<libc::c_void>(),
                len,
            )
        };
        if rc != 0 {
            return Err(CaptureError::os(what, last_error()));
        }
        Ok(())
    }

    /// Selects TPACKET_V3 frames (must precede the ring setup).
    pub(crate) fn use_tpacket_v3(&self) -> Result<(), CaptureError> {
        let version: c_int = libc::tpacket_versions::TPACKET_V3 as c_int;
        self.set_option(
            libc::SOL_PACKET,
            libc::PACKET_VERSION,
            &version,
            "PACKET_VERSION (TPACKET_V3)",
        )
    }

    /// Asks for `bytes` of free room before every frame's data (`PACKET_RESERVE`).
    pub(crate) fn reserve_headroom(&self, bytes: u32) -> Result<(), CaptureError> {
        let bytes: libc::c_uint = bytes;
        self.set_option(
            libc::SOL_PACKET,
            libc::PACKET_RESERVE,
            &bytes,
            "PACKET_RESERVE",
        )
    }

    /// Attaches a classic BPF program (`SO_ATTACH_FILTER`).
    pub(crate) fn attach_filter(&self, prog: &[BpfInsn]) -> Result<(), CaptureError> {
        let len = u16::try_from(prog.len())
            .map_err(|_| CaptureError::Bpf(format!("{} instructions is too long", prog.len())))?;
        let fprog = libc::sock_fprog {
            len,
            // BpfInsn is #[repr(C)] with the field order and sizes of struct sock_filter; the
            // kernel only reads through this pointer.
            filter: prog.as_ptr().cast::<libc::sock_filter>().cast_mut(),
        };
        self.set_option(
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            &fprog,
            "SO_ATTACH_FILTER",
        )
        .map_err(|e| match e {
            CaptureError::Io { source, .. } => {
                CaptureError::Bpf(format!("the kernel refused the program: {source}"))
            }
            other => other,
        })
    }

    /// Creates the receive ring (`PACKET_RX_RING` with `struct tpacket_req3`).
    pub(crate) fn create_ring(&self, g: RingGeometry) -> Result<(), CaptureError> {
        let frames_per_block = g.block_size / g.frame_size.max(1);
        let req = libc::tpacket_req3 {
            tp_block_size: g.block_size,
            tp_block_nr: g.block_count,
            tp_frame_size: g.frame_size,
            tp_frame_nr: frames_per_block.saturating_mul(g.block_count),
            tp_retire_blk_tov: g.retire_timeout_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        self.set_option(
            libc::SOL_PACKET,
            libc::PACKET_RX_RING,
            &req,
            "PACKET_RX_RING",
        )
    }

    /// Starts receiving every protocol on `ifindex` (0: all interfaces).
    pub(crate) fn bind(&self, ifindex: c_int) -> Result<(), CaptureError> {
        // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = ifindex;
        let len = mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `addr` is a valid sockaddr_ll of `len` bytes, read by the kernel only.
        let rc = unsafe {
            libc::bind(
                self.raw(),
                (&addr as *const libc::sockaddr_ll).cast::<libc::sockaddr>(),
                len,
            )
        };
        if rc != 0 {
            return Err(CaptureError::os("bind", last_error()));
        }
        Ok(())
    }

    /// Puts `ifindex` in promiscuous mode for as long as this socket lives.
    pub(crate) fn add_promiscuous(&self, ifindex: c_int) -> Result<(), CaptureError> {
        // SAFETY: packet_mreq is plain old data; all-zero is a valid value.
        let mut mreq: libc::packet_mreq = unsafe { mem::zeroed() };
        mreq.mr_ifindex = ifindex;
        mreq.mr_type = libc::PACKET_MR_PROMISC as u16;
        self.set_option(
            libc::SOL_PACKET,
            libc::PACKET_ADD_MEMBERSHIP,
            &mreq,
            "PACKET_ADD_MEMBERSHIP (promiscuous)",
        )
    }

    /// Joins fanout group `group` with flow hashing; fragments are reassembled first so all
    /// pieces of a datagram reach the same socket.
    pub(crate) fn join_fanout(&self, group: u16) -> Result<(), CaptureError> {
        let mode = libc::PACKET_FANOUT_HASH | libc::PACKET_FANOUT_FLAG_DEFRAG;
        let arg: c_int = c_int::from(group) | (mode as c_int) << 16;
        self.set_option(libc::SOL_PACKET, libc::PACKET_FANOUT, &arg, "PACKET_FANOUT")
    }

    /// Stops the kernel from queueing frames this host sends (`PACKET_IGNORE_OUTGOING`,
    /// Linux 4.20+). Used on `lo`, where every packet is seen once leaving and once arriving.
    pub(crate) fn ignore_outgoing(&self) -> Result<(), CaptureError> {
        let on: c_int = 1;
        self.set_option(
            libc::SOL_PACKET,
            libc::PACKET_IGNORE_OUTGOING,
            &on,
            "PACKET_IGNORE_OUTGOING",
        )
    }

    /// Reads and resets the kernel's counters (`PACKET_STATISTICS`, `tpacket_stats_v3`).
    pub(crate) fn take_statistics(&self) -> Result<KernelStats, CaptureError> {
        // SAFETY: tpacket_stats_v3 is plain old data; all-zero is a valid value.
        let mut st: libc::tpacket_stats_v3 = unsafe { mem::zeroed() };
        let mut len = mem::size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: `st` is writable for `len` bytes and `len` is a valid in/out length.
        let rc = unsafe {
            libc::getsockopt(
                self.raw(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast::<libc::c_void>(),
                &mut len,
            )
        };
        if rc != 0 {
            return Err(CaptureError::os("PACKET_STATISTICS", last_error()));
        }
        Ok(KernelStats {
            packets: st.tp_packets,
            drops: st.tp_drops,
            freezes: st.tp_freeze_q_cnt,
        })
    }

    /// Index of interface `name` (`SIOCGIFINDEX`).
    pub(crate) fn interface_index(&self, name: &str) -> Result<c_int, CaptureError> {
        let mut req = interface_request(name)?;
        self.interface_ioctl(name, libc::SIOCGIFINDEX, &mut req, "SIOCGIFINDEX")?;
        // SAFETY: SIOCGIFINDEX filled the ifru_ifindex member of the union.
        Ok(unsafe { req.ifr_ifru.ifru_ifindex })
    }

    /// Hardware type (`ARPHRD_*`) of interface `name` (`SIOCGIFHWADDR`).
    pub(crate) fn hardware_type(&self, name: &str) -> Result<u16, CaptureError> {
        let mut req = interface_request(name)?;
        self.interface_ioctl(name, libc::SIOCGIFHWADDR, &mut req, "SIOCGIFHWADDR")?;
        // SAFETY: SIOCGIFHWADDR filled the ifru_hwaddr member of the union.
        Ok(unsafe { req.ifr_ifru.ifru_hwaddr.sa_family })
    }

    fn interface_ioctl(
        &self,
        name: &str,
        request: libc::c_ulong,
        req: &mut libc::ifreq,
        what: &'static str,
    ) -> Result<(), CaptureError> {
        // SAFETY: `req` is a valid, writable ifreq with a NUL-terminated name; both requests
        // read the name and write one member of the union.
        let rc = unsafe { libc::ioctl(self.raw(), request as _, req as *mut libc::ifreq) };
        if rc != 0 {
            let err = last_error();
            return Err(match err.raw_os_error() {
                Some(libc::ENODEV) | Some(libc::ENXIO) => {
                    CaptureError::NoSuchInterface(name.to_string())
                }
                _ => CaptureError::os(what, err),
            });
        }
        Ok(())
    }

    /// Waits until the socket is readable or errored, at most `timeout`. False on timeout
    /// or when a signal interrupted the wait.
    pub(crate) fn wait_readable(&self, timeout: Duration) -> Result<bool, CaptureError> {
        let mut pfd = libc::pollfd {
            fd: self.raw(),
            events: libc::POLLIN | libc::POLLERR,
            revents: 0,
        };
        // Round up so a sub-millisecond timeout still waits instead of spinning.
        let millis = timeout.as_micros().div_ceil(1000);
        let millis = c_int::try_from(millis).unwrap_or(c_int::MAX);
        // SAFETY: one valid pollfd, count 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, millis) };
        if rc < 0 {
            let err = last_error();
            if err.kind() == io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(CaptureError::os("poll", err));
        }
        if rc > 0 && pfd.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
            return Err(CaptureError::os("capture socket", self.pending_error()));
        }
        Ok(rc > 0)
    }

    /// The socket's pending error (`SO_ERROR`), e.g. ENETDOWN when the interface went down.
    fn pending_error(&self) -> io::Error {
        let mut code: c_int = 0;
        let mut len = mem::size_of::<c_int>() as libc::socklen_t;
        // SAFETY: `code` is writable for `len` bytes and `len` is a valid in/out length.
        let rc = unsafe {
            libc::getsockopt(
                self.raw(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&mut code as *mut c_int).cast::<libc::c_void>(),
                &mut len,
            )
        };
        match (rc, code) {
            (0, 0) => io::Error::other("the socket reported an error condition"),
            (0, code) => io::Error::from_raw_os_error(code),
            _ => last_error(),
        }
    }
}

/// An `ifreq` naming `name`, which must fit `IFNAMSIZ` with its NUL and contain no NUL.
fn interface_request(name: &str) -> Result<libc::ifreq, CaptureError> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(CaptureError::NoSuchInterface(name.to_string()));
    }
    // SAFETY: ifreq is plain old data (a name array and a union of integers/arrays); all-zero
    // is a valid value.
    let mut req: libc::ifreq = unsafe { mem::zeroed() };
    for (dst, &src) in req.ifr_name.iter_mut().zip(bytes) {
        *dst = src as libc::c_char;
    }
    Ok(req)
}

/// The memory-mapped receive ring: `block_count` blocks of `block_size` bytes shared with the
/// kernel. A block is ours between seeing `TP_STATUS_USER` in its status word and
/// [`Ring::release`]; the kernel does not touch it in between.
#[derive(Debug)]
pub(crate) struct Ring {
    base: NonNull<u8>,
    len: usize,
    block_size: usize,
    block_count: usize,
}

// SAFETY: the mapping belongs to this value alone (no other Rust handle to it exists), so
// moving it to another thread moves the only access path.
unsafe impl Send for Ring {}

impl Ring {
    /// Maps the ring created on `socket` with geometry `g`.
    pub(crate) fn map(socket: &PacketSocket, g: RingGeometry) -> Result<Ring, CaptureError> {
        let block_size = g.block_size as usize;
        let block_count = g.block_count as usize;
        let len = block_size
            .checked_mul(block_count)
            .filter(|&l| l > 0)
            .ok_or_else(|| CaptureError::Io {
                what: "ring size",
                source: io::Error::from(io::ErrorKind::InvalidInput),
            })?;
        // SAFETY: a fresh shared mapping of the socket's ring; the kernel checks `len`
        // against the ring it created. No existing memory is affected.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                socket.raw(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(CaptureError::os("mmap of the packet ring", last_error()));
        }
        let base = NonNull::new(ptr.cast::<u8>()).ok_or_else(|| CaptureError::Io {
            what: "mmap of the packet ring",
            source: io::Error::from(io::ErrorKind::Other),
        })?;
        Ok(Ring {
            base,
            len,
            block_size,
            block_count,
        })
    }

    /// Number of blocks.
    pub(crate) fn block_count(&self) -> usize {
        self.block_count
    }

    /// The status word of block `index` (`index < block_count`).
    fn status_word(&self, index: usize) -> &AtomicU32 {
        debug_assert!(index < self.block_count);
        let offset = index % self.block_count * self.block_size + BLOCK_STATUS_OFFSET;
        // SAFETY: `offset + 4 <= len` (blocks are at least a page) and it is 4-aligned (the
        // mapping is page-aligned, blocks are page multiples, the offset is 8). The kernel
        // writes this word concurrently, which is why it is only accessed atomically.
        unsafe { AtomicU32::from_ptr(self.base.as_ptr().add(offset).cast::<u32>()) }
    }

    /// Block `index` if the kernel has handed it to us, for reading and rewriting in place.
    pub(crate) fn ready_block(&mut self, index: usize) -> Option<&mut [u8]> {
        if index >= self.block_count {
            return None;
        }
        // Acquire: the frames the kernel wrote before setting the status are visible.
        if self.status_word(index).load(Ordering::Acquire) & TP_STATUS_USER == 0 {
            return None;
        }
        // SAFETY: the block lies inside the mapping; while its status says USER the kernel
        // does not access it, and `&mut self` makes this the only Rust reference until it
        // ends (release takes `&mut self` too).
        Some(unsafe {
            std::slice::from_raw_parts_mut(
                self.base.as_ptr().add(index * self.block_size),
                self.block_size,
            )
        })
    }

    /// Gives block `index` back to the kernel.
    pub(crate) fn release(&mut self, index: usize) {
        if index < self.block_count {
            // Release: our reads and rewrites of the block happen before the kernel reuses it.
            self.status_word(index)
                .store(TP_STATUS_KERNEL, Ordering::Release);
        }
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are exactly the mapping made in `map`, unmapped once here; no
        // reference into it outlives `self`.
        unsafe {
            libc::munmap(self.base.as_ptr().cast::<libc::c_void>(), self.len);
        }
    }
}
