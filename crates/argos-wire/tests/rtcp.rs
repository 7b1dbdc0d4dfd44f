//! RTCP from the wire, correlated to calls, against tshark: tshark links an RTCP packet to
//! the SIP/SDP frame that set up its conversation (`rtcp.setup-frame`); Argos links it to
//! the Call-ID whose SDP announced its addresses. Per Call-ID, the two must agree.

use argos_model::PayloadKind;
use argos_wire::{read_captures_with, WireOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

fn captures_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/captures");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIP: {} not present", p.display());
        None
    }
}

fn tshark_fields(pcap: &Path, filter: &str, fields: &[&str]) -> Option<Vec<Vec<String>>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(pcap).args(["-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().ok()?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect(),
    )
}

/// tshark's RTCP datagrams per Call-ID of the SDP frame that set their conversation up.
fn tshark_rtcp_per_call(pcap: &Path) -> Option<BTreeMap<String, usize>> {
    let sip = tshark_fields(pcap, "sip", &["frame.number", "sip.Call-ID"])?;
    let call_of: HashMap<String, String> = sip
        .into_iter()
        .filter_map(|r| Some((r.first()?.clone(), r.get(1)?.clone())))
        .collect();
    let mut m = BTreeMap::new();
    // Datagrams with a report in them (SR, RR, SDES, XR): a lone BYE is not sent.
    let reports = "rtcp && (rtcp.pt == 200 || rtcp.pt == 201 || rtcp.pt == 202 || rtcp.pt == 207)";
    for r in tshark_fields(pcap, reports, &["rtcp.setup-frame"])? {
        // One datagram, one count, whatever number of packets it compounds.
        let Some(frame) = r.first().and_then(|f| f.split(',').next()) else {
            continue;
        };
        if let Some(cid) = call_of.get(frame) {
            *m.entry(cid.clone()).or_insert(0) += 1;
        }
    }
    Some(m)
}

#[test]
fn rtcp_is_correlated_to_the_same_calls_as_tshark() {
    let Some(dir) = captures_dir() else { return };
    if Command::new("tshark").arg("-v").output().is_err() {
        eprintln!("SKIP: tshark not installed");
        return;
    }
    let opts = WireOptions {
        rtcp: true,
        ..WireOptions::default()
    };
    let mut checked = 0;
    for name in [
        "acoustic__Voip-trace.pcap",
        "arkime__gtp-iphone.pcap",
        "heplify__rtp_rtcp_sip_ipv4_udp.pcap",
        "heplify__sip_ipv4_tcp.pcap",
        "sngrep__aaa.pcap",
    ] {
        let path = dir.join(name);
        let Some(want) = tshark_rtcp_per_call(&path) else {
            continue;
        };
        let data = std::fs::read(&path).expect("read capture");
        let mut got: BTreeMap<String, usize> = BTreeMap::new();
        let n = read_captures_with(&data[..], &opts, |c| {
            if c.kind == PayloadKind::RTCP_JSON {
                let v: serde_json::Value =
                    serde_json::from_slice(&c.payload).expect("RTCP JSON parses");
                assert!(v.get("type").is_some() || v.get("ssrc").is_some(), "{v}");
                if let Some(cid) = c.correlation_id.as_deref() {
                    *got.entry(cid.to_owned()).or_insert(0) += 1;
                }
            }
            true
        })
        .expect("capture reads");
        assert_eq!(got, want, "{name}: RTCP per Call-ID ({n:?})");
        assert_eq!(n.rtcp_sent as usize, want.values().sum::<usize>(), "{name}");
        checked += 1;
    }
    assert!(checked >= 4);
}

#[test]
fn without_the_option_no_rtcp_is_handed_out() {
    let Some(dir) = captures_dir() else { return };
    let data =
        std::fs::read(dir.join("heplify__rtp_rtcp_sip_ipv4_udp.pcap")).expect("read capture");
    let n = read_captures_with(&data[..], &WireOptions::default(), |c| {
        assert_eq!(c.kind, PayloadKind::SIP);
        true
    })
    .expect("capture reads");
    assert_eq!(n.rtcp, 0);
    assert!(n.sip_udp > 0);
}
