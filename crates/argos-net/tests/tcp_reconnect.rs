//! A new TCP connection on the same addresses and ports (a phone reconnecting from
//! 5060 to 5060) starts its own sequence numbers: after `connection_start` its
//! messages are read, not taken for a gap of the old connection.

use argos_net::{ReassemblyLimits, SipTcpReassembler};
use std::net::SocketAddr;

const MSG: &[u8] = b"REGISTER sip:ims SIP/2.0\r\nVia: SIP/2.0/TCP [fd00::1]:5060;branch=z9hG4bK1\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\nContent-Length: 4\r\n\r\nbody";

fn send(re: &mut SipTcpReassembler, isn: u32, out: &mut Vec<argos_net::TcpMessage>) {
    let a: SocketAddr = "[fd00::1]:5060".parse().expect("addr");
    let b: SocketAddr = "[fd01::1]:5060".parse().expect("addr");
    re.connection_start(a, b, out);
    let (first, second) = MSG.split_at(40);
    re.push(1, a, b, isn.wrapping_add(1), first, out);
    re.push(2, a, b, isn.wrapping_add(1 + 40), second, out);
}

#[test]
fn second_connection_on_the_same_ports_is_read() {
    let mut re = SipTcpReassembler::new(ReassemblyLimits::default());
    let mut out = Vec::new();
    send(&mut re, 1_375_424_496, &mut out);
    send(&mut re, 3_627_185_437, &mut out);
    send(&mut re, 17, &mut out);
    assert_eq!(out.len(), 3, "one REGISTER per connection");
    assert!(out.iter().all(|m| m.data == MSG));
}
