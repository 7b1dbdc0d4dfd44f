//! ITU-T Q.850 release causes carried in SIP `Reason: Q.850;cause=N` headers (RFC 3326).

/// The cause number of a Reason header value, when it is a Q.850 one.
pub(crate) fn cause_of(reason_header: &str) -> Option<u16> {
    // A header may list several reasons: `SIP;cause=200, Q.850;cause=16;text="..."`.
    for r in reason_header.split(',') {
        let mut parts = r.split(';').map(str::trim);
        let proto = parts.next()?;
        if !proto.eq_ignore_ascii_case("Q.850") {
            continue;
        }
        for p in parts {
            if let Some((k, v)) = p.split_once('=') {
                if k.trim().eq_ignore_ascii_case("cause") {
                    return v.trim().trim_matches('"').parse().ok();
                }
            }
        }
    }
    None
}

/// What a cause means, in a few words (the common ones).
pub(crate) fn meaning(cause: u16) -> Option<&'static str> {
    Some(match cause {
        1 => "unallocated number",
        3 => "no route to destination",
        16 => "normal call clearing",
        17 => "user busy",
        18 => "no user responding",
        19 => "no answer from user",
        20 => "subscriber absent",
        21 => "call rejected",
        22 => "number changed",
        27 => "destination out of order",
        28 => "invalid number format",
        29 => "facility rejected",
        31 => "normal, unspecified",
        34 => "no circuit/channel available",
        38 => "network out of order",
        41 => "temporary failure",
        42 => "switching equipment congestion",
        44 => "requested circuit/channel not available",
        47 => "resource unavailable",
        50 => "requested facility not subscribed",
        55 => "incoming calls barred",
        57 => "bearer capability not authorized",
        58 => "bearer capability not presently available",
        63 => "service or option not available",
        65 => "bearer capability not implemented",
        79 => "service or option not implemented",
        88 => "incompatible destination",
        95 => "invalid message",
        102 => "recovery on timer expiry",
        111 => "protocol error",
        127 => "interworking, unspecified",
        _ => return None,
    })
}

/// How worrying a cause is: 0 normal/user behaviour, 1 number or subscriber problem,
/// 2 network or equipment failure.
pub(crate) fn gravity(cause: u16) -> u8 {
    match cause {
        16..=21 | 31 => 0,
        1..=15 | 22..=30 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_read_from_reason_headers() {
        assert_eq!(
            cause_of("Q.850;cause=16;text=\"Normal call clearing\""),
            Some(16)
        );
        assert_eq!(cause_of("q.850 ; cause = 34"), Some(34));
        assert_eq!(
            cause_of("SIP;cause=200;text=\"Call completed elsewhere\""),
            None
        );
        assert_eq!(cause_of("SIP;cause=487, Q.850;cause=31"), Some(31));
        assert_eq!(cause_of("Q.850;text=x"), None);
        assert_eq!(meaning(102), Some("recovery on timer expiry"));
        assert_eq!(meaning(250), None);
    }
}
