//! NAT: a Contact or SDP address that is private (RFC 1918, CGNAT RFC 6598, link-local,
//! IPv6 ULA) in a message sent from a public address. The far end will send requests
//! and media to an address it cannot reach unless something rewrites them.

use super::view::Call;
use super::{finding, Finding, Level};
use std::net::IpAddr;

/// Findings at most (one per private address and source).
const MAX_FINDINGS: usize = 3;

pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || v4.is_link_local() || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments()[0];
            (s & 0xfe00) == 0xfc00 || (s & 0xffc0) == 0xfe80
        }
    }
}

/// Routable on the Internet, as far as a SIP path is concerned.
fn is_public(ip: IpAddr) -> bool {
    !is_private(ip) && !ip.is_loopback() && !ip.is_unspecified() && !ip.is_multicast()
}

pub(crate) fn private_addresses(call: &Call<'_>, out: &mut Vec<Finding>) {
    let mut said: Vec<(IpAddr, IpAddr)> = Vec::new();
    for m in &call.msgs {
        let src = m.src.ip();
        // A registrar's 2xx lists the bindings it holds (the device's Contact), not its own.
        if !is_public(src) || m.is_response_to("REGISTER") {
            continue;
        }
        let contact =
            m.f.contact_ip
                .as_deref()
                .and_then(|c| c.parse::<IpAddr>().ok())
                .filter(|ip| is_private(*ip));
        let sdp_ips: Vec<IpAddr> = m
            .sdp
            .iter()
            .flat_map(|s| s.addrs.iter())
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .filter(|ip| is_private(*ip))
            .collect();
        let mut privates: Vec<(IpAddr, bool, bool)> = Vec::new();
        if let Some(c) = contact {
            privates.push((c, true, sdp_ips.contains(&c)));
        }
        for ip in sdp_ips {
            if !privates.iter().any(|p| p.0 == ip) {
                privates.push((ip, false, true));
            }
        }
        for (ip, in_contact, in_sdp) in privates {
            if said.contains(&(ip, src)) || said.len() >= MAX_FINDINGS {
                continue;
            }
            said.push((ip, src));
            let what = match (in_contact, in_sdp) {
                (true, true) => "Contact and SDP carry",
                (true, false) => "Contact carries",
                _ => "SDP carries",
            };
            out.push(finding(
                Level::Warning,
                "nat",
                format!(
                    "{what} a private address {ip} behind public source {src} (NAT): {} from {}",
                    m.what(),
                    m.src
                ),
                vec![m.id],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.1",
            "192.168.1.10",
            "100.64.0.1",
            "100.127.1.1",
            "169.254.1.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private(a.parse().expect("ip")), "{a}");
        }
        for a in [
            "172.32.0.1",
            "100.128.0.1",
            "8.8.8.8",
            "203.0.113.7",
            "2001:db8::1",
            "127.0.0.1",
        ] {
            assert!(!is_private(a.parse().expect("ip")), "{a}");
        }
        assert!(!is_public("127.0.0.1".parse().expect("ip")));
        assert!(is_public("203.0.113.7".parse().expect("ip")));
    }
}
