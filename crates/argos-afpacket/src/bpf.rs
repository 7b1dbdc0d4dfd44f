//! tcpdump-syntax filters as classic BPF, compiled by the `tcpdump` binary at run time.
//!
//! Nothing here links libpcap: `tcpdump -ddd` (which loads libpcap dynamically) prints the
//! program as decimal numbers, and we parse that. Without tcpdump, filters are unavailable
//! and capture without a filter still works.

use crate::error::CaptureError;
use argos_net::LinkType;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Longest program the kernel accepts (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;

/// Where tcpdump is looked for when it is not on `PATH` (Debian puts it in /usr/bin, others
/// in /usr/sbin, which a non-root `PATH` often lacks).
const TCPDUMP_CANDIDATES: [&str; 4] = [
    "tcpdump",
    "/usr/bin/tcpdump",
    "/usr/sbin/tcpdump",
    "/sbin/tcpdump",
];

/// One classic BPF instruction, laid out as the kernel's `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct BpfInsn {
    /// Opcode (class, size, mode/source).
    pub code: u16,
    /// Jump offset when the test is true.
    pub jt: u8,
    /// Jump offset when the test is false.
    pub jf: u8,
    /// Constant operand (offset, immediate or return value).
    pub k: u32,
}

/// True when a `tcpdump` binary runs here, i.e. [`compile_bpf`] can work.
pub fn bpf_available() -> bool {
    tcpdump_path().is_some()
}

/// Compiles a tcpdump-syntax `expr` for frames of `link_type` captured with `snaplen`, by running
/// `tcpdump -ddd -y <DLT> -s <snaplen> -- <expr>`.
///
/// The program addresses the frame as the capture hands it out (e.g. with the 16-byte cooked
/// header for [`LinkType::LINUX_SLL`]); [`crate::LiveCapture::open`] adapts it for the kernel.
pub fn compile_bpf(
    expr: &str,
    link_type: LinkType,
    snaplen: u32,
) -> Result<Vec<BpfInsn>, CaptureError> {
    let dlt = dlt_name(link_type).ok_or_else(|| {
        CaptureError::Bpf(format!(
            "no tcpdump link-type name for link type {}",
            link_type.0
        ))
    })?;
    let tcpdump = tcpdump_path().ok_or_else(|| {
        CaptureError::Bpf(
            "compiling a filter needs tcpdump (libpcap) installed, e.g. `apt-get install tcpdump`"
                .to_string(),
        )
    })?;
    let out = Command::new(tcpdump)
        .args(["-ddd", "-y", dlt, "-s", &snaplen.to_string(), "--", expr])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| CaptureError::Bpf(format!("running {tcpdump}: {e}")))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(CaptureError::Bpf(format!(
            "{expr:?}: {}",
            why.trim().trim_start_matches("tcpdump: ")
        )));
    }
    parse_ddd(&String::from_utf8_lossy(&out.stdout))
}

/// Parses `tcpdump -ddd` output: a count line, then one `code jt jf k` line per instruction.
pub(crate) fn parse_ddd(text: &str) -> Result<Vec<BpfInsn>, CaptureError> {
    let bad = |what: String| CaptureError::Bpf(format!("unreadable tcpdump -ddd output: {what}"));
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let count: usize = lines
        .next()
        .ok_or_else(|| bad("empty".to_string()))?
        .parse()
        .map_err(|_| bad("first line is not a count".to_string()))?;
    if count == 0 || count > MAX_INSNS {
        return Err(bad(format!(
            "{count} instructions (1..={MAX_INSNS} allowed)"
        )));
    }
    let mut prog = Vec::with_capacity(count);
    for line in lines {
        let mut f = line.split_ascii_whitespace();
        let mut field = |name: &str| -> Result<u64, CaptureError> {
            f.next()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| bad(format!("{name} missing in {line:?}")))
        };
        let (code, jt, jf, k) = (field("code")?, field("jt")?, field("jf")?, field("k")?);
        prog.push(BpfInsn {
            code: u16::try_from(code).map_err(|_| bad(format!("code {code}")))?,
            jt: u8::try_from(jt).map_err(|_| bad(format!("jt {jt}")))?,
            jf: u8::try_from(jf).map_err(|_| bad(format!("jf {jf}")))?,
            k: u32::try_from(k).map_err(|_| bad(format!("k {k}")))?,
        });
    }
    if prog.len() != count {
        return Err(bad(format!(
            "announced {count} instructions, got {}",
            prog.len()
        )));
    }
    Ok(prog)
}

/// libpcap's name (`-y`) for a link type.
fn dlt_name(link_type: LinkType) -> Option<&'static str> {
    Some(match link_type {
        LinkType::ETHERNET => "EN10MB",
        LinkType::LINUX_SLL => "LINUX_SLL",
        LinkType::LINUX_SLL2 => "LINUX_SLL2",
        LinkType::RAW => "RAW",
        LinkType::IPV4 => "IPV4",
        LinkType::IPV6 => "IPV6",
        LinkType::NULL => "NULL",
        LinkType::LOOP => "LOOP",
        _ => return None,
    })
}

/// The first tcpdump candidate that runs, looked up once per process.
fn tcpdump_path() -> Option<&'static str> {
    static FOUND: OnceLock<Option<&'static str>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        TCPDUMP_CANDIDATES.into_iter().find(|path| {
            Command::new(path)
                .arg("--version")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
    })
}

/// Length of the Linux cooked (v1) header the program was compiled against.
const SLL_HDR_LEN: u32 = 16;
/// Kernel ancillary-data offsets (`SKF_AD_OFF` + n), as the unsigned `k` they appear as.
const SKF_AD_OFF: u32 = 0xFFFF_F000;
const SKF_AD_PROTOCOL: u32 = 0;
const SKF_AD_PKTTYPE: u32 = 4;
/// Negative offsets (`SKF_LL_OFF` = -0x200000 and above) are special to the kernel: leave them.
const SKF_SPECIAL_MIN: u32 = 0xFFE0_0000;

/// Rewrites a program compiled for [`LinkType::LINUX_SLL`] so the kernel can run it on a
/// `SOCK_DGRAM` socket, where the data starts at the network header and there is no cooked
/// header (as libpcap's `fix_program` does): loads past the 16-byte header move back by 16,
/// loads of the packet type (offset 0) and protocol (offset 14) become ancillary loads, and
/// any other load inside the header is refused.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn adapt_for_cooked(prog: &mut [BpfInsn]) -> Result<(), CaptureError> {
    const CLASS_LD: u16 = 0x00;
    const CLASS_LDX: u16 = 0x01;
    const MODE_ABS: u16 = 0x20;
    const MODE_IND: u16 = 0x40;
    const MODE_MSH: u16 = 0xa0;
    for insn in prog.iter_mut() {
        let class = insn.code & 0x07;
        let mode = insn.code & 0xe0;
        let loads_packet =
            matches!(class, CLASS_LD | CLASS_LDX) && matches!(mode, MODE_ABS | MODE_IND | MODE_MSH);
        if !loads_packet || insn.k >= SKF_SPECIAL_MIN {
            continue;
        }
        insn.k = match insn.k {
            k if k >= SLL_HDR_LEN => k - SLL_HDR_LEN,
            0 => SKF_AD_OFF + SKF_AD_PKTTYPE,
            14 => SKF_AD_OFF + SKF_AD_PROTOCOL,
            k => {
                return Err(CaptureError::Bpf(format!(
                    "the filter reads byte {k} of the cooked header, which the kernel cannot see; \
                     only the packet type and protocol can be filtered on \"any\""
                )))
            }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ddd_output() {
        let prog = parse_ddd("2\n40 0 0 12\n6 0 0 4294967295\n").expect("valid");
        assert_eq!(
            prog,
            vec![
                BpfInsn {
                    code: 40,
                    jt: 0,
                    jf: 0,
                    k: 12
                },
                BpfInsn {
                    code: 6,
                    jt: 0,
                    jf: 0,
                    k: u32::MAX
                },
            ]
        );
    }

    #[test]
    fn rejects_bad_ddd_output() {
        for text in [
            "",
            "x",
            "0\n",
            "2\n40 0 0 12\n",
            "1\n40 0 0\n",
            "1\n40 256 0 1\n",
            "1\n70000 0 0 1\n",
            "1\n6 0 0 4294967296\n",
        ] {
            assert!(
                matches!(parse_ddd(text), Err(CaptureError::Bpf(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn adapts_cooked_offsets() {
        let ld = |code: u16, k: u32| BpfInsn {
            code,
            jt: 0,
            jf: 0,
            k,
        };
        // ldh [14] (protocol), ldb [0] (packet type), ldb [25] (IPv4 protocol), ldxb 4*([16]&0xf),
        // ld ancillary, ret #65535.
        let mut prog = vec![
            ld(0x28, 14),
            ld(0x30, 0),
            ld(0x30, 25),
            ld(0xb1, 16),
            ld(0x20, SKF_AD_OFF + 4),
            ld(0x06, 65535),
        ];
        adapt_for_cooked(&mut prog).expect("adaptable");
        let ks: Vec<u32> = prog.iter().map(|i| i.k).collect();
        assert_eq!(
            ks,
            vec![
                SKF_AD_OFF + SKF_AD_PROTOCOL,
                SKF_AD_OFF + SKF_AD_PKTTYPE,
                9,
                0,
                SKF_AD_OFF + 4,
                65535
            ]
        );
        let mut reads_address = vec![ld(0x20, 6)];
        assert!(adapt_for_cooked(&mut reads_address).is_err());
    }

    #[test]
    fn compiles_with_tcpdump_when_installed() {
        if !bpf_available() {
            eprintln!("skipping: tcpdump is not installed");
            return;
        }
        let prog = compile_bpf("udp port 5060", LinkType::ETHERNET, 65535).expect("compiles");
        assert!(prog.len() > 2);
        assert_eq!(prog.last().map(|i| i.code), Some(6), "ends in ret");
        match compile_bpf("udp port", LinkType::ETHERNET, 65535) {
            Err(CaptureError::Bpf(msg)) => assert!(msg.contains("udp port"), "{msg}"),
            other => panic!("expected a Bpf error, got {other:?}"),
        }
        // An expression that looks like an option stays an expression.
        assert!(compile_bpf("-x", LinkType::ETHERNET, 65535).is_err());
    }
}
