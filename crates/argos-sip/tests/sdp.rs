//! SDP parser.

use argos_sip::sdp::{self, static_payload_name, SdpError};

#[test]
fn video_and_audio_with_channels_and_directions() {
    let body = b"v=0\r\n\
o=alice 2890844526 2890844527 IN IP4 198.51.100.1\r\n\
s= \r\n\
c=IN IP4 224.2.17.12/127\r\n\
t=0 0\r\n\
a=recvonly\r\n\
m=audio 49170/2 RTP/AVP 111 0 9 13 126\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtpmap:126 telephone-event/8000\r\n\
a=rtpmap:bad\r\n\
a=sendonly\r\n\
m=video 51372 RTP/SAVPF 99\r\n\
c=IN IP6 2001:db8::7\r\n\
a=rtpmap:99 H264/90000\r\n\
a=inactive\r\n\
m=image 0 udptl t38\r\n";
    let s = sdp::parse(body).expect("sdp");
    assert_eq!(s.version, Some("0"));
    assert_eq!(s.connection, Some("224.2.17.12"));
    assert_eq!(s.direction, Some("recvonly"));
    assert_eq!(s.origin_address(), Some("198.51.100.1"));
    assert_eq!(s.media.len(), 3);
    let a = &s.media[0];
    assert_eq!((a.port, a.port_count), (49170, Some(2)));
    assert_eq!(a.rtpmap.len(), 2);
    assert_eq!(a.rtpmap[0].channels, Some(2));
    assert_eq!(a.rtpmap[0].clock_rate, 48000);
    assert_eq!(a.direction, Some("sendonly"));
    assert_eq!(a.connection, None);
    let v = &s.media[1];
    assert_eq!(v.proto, "RTP/SAVPF");
    assert_eq!(v.connection, Some("2001:db8::7"));
    assert_eq!(v.direction, Some("inactive"));
    assert_eq!(
        s.media_summary(),
        "224.2.17.12:49170/opus,PCMU,G722,CN,telephone-event \
         [2001:db8::7]:51372/H264 224.2.17.12:0/t38"
    );
}

#[test]
fn lf_only_and_missing_connection() {
    let s =
        sdp::parse(b"\r\nv=0\no=- 1 1 IN IP4 x\ns=-\nm=audio 4000 RTP/AVP 18 4\n").expect("sdp");
    assert_eq!(s.media_summary(), "?:4000/G729,G723");
}

#[test]
fn errors() {
    assert_eq!(sdp::parse(b""), Err(SdpError::Empty));
    assert_eq!(sdp::parse(b" \r\n"), Err(SdpError::Empty));
    assert_eq!(sdp::parse(b"o=x\r\nv=0\r\n"), Err(SdpError::NotSdp));
    assert_eq!(sdp::parse(b"hello"), Err(SdpError::NotSdp));
    assert_eq!(
        sdp::parse(b"v=0\r\nm=audio\r\n"),
        Err(SdpError::BadMedia { line: 2 })
    );
    assert_eq!(
        sdp::parse(b"v=0\r\ns=-\r\nm=audio 70000 RTP/AVP 0\r\n"),
        Err(SdpError::BadMedia { line: 3 })
    );
    let e = sdp::parse(b"v=0\r\ns=\xff\r\n").expect_err("utf8");
    assert_eq!(e, SdpError::NotUtf8 { offset: 7 });
    assert_eq!(e.reason(), "sdp_not_utf8");
}

#[test]
fn static_table() {
    assert_eq!(static_payload_name(0), Some("PCMU"));
    assert_eq!(static_payload_name(8), Some("PCMA"));
    assert_eq!(static_payload_name(18), Some("G729"));
    assert_eq!(static_payload_name(9), Some("G722"));
    assert_eq!(static_payload_name(3), Some("GSM"));
    assert_eq!(static_payload_name(4), Some("G723"));
    assert_eq!(static_payload_name(13), Some("CN"));
    assert_eq!(static_payload_name(96), None);
}
