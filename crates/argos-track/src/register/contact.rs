//! What a REGISTER asks for and what its 2xx grants, read from the payload: the
//! searchable fields keep only the Contact's user/host/port and one expiry, while a
//! binding is identified by the whole Contact URI and a registrar grants an expiry per
//! contact.

use argos_sip::uri::parse_name_addr;

/// The binding a REGISTER request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requested {
    /// Contact URI; empty for a query (no Contact) or a wildcard (`Contact: *`).
    pub contact: String,
    /// `Contact: *` (remove every binding of the AOR; always with Expires: 0).
    pub wildcard: bool,
    /// Expiry asked for: the contact's `expires` parameter, else the Expires header.
    pub expires: Option<u32>,
}

fn parse_secs(v: &str) -> Option<u32> {
    let v = v.trim();
    // RFC 3261: values above 2^32-1 are taken as 2^32-1.
    v.parse::<u64>()
        .ok()
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// The first Contact of a REGISTER request, with the expiry it asks for.
pub(crate) fn requested(payload: &[u8]) -> Option<Requested> {
    let msg = argos_sip::parse(payload).ok()?;
    let header_expires = msg.header("Expires").and_then(parse_secs);
    let first = msg.header_all("Contact").next();
    Some(match first {
        None => Requested {
            contact: String::new(),
            wildcard: false,
            expires: header_expires,
        },
        Some(c) if c.trim() == "*" => Requested {
            contact: String::new(),
            wildcard: true,
            expires: header_expires,
        },
        Some(c) => {
            let na = parse_name_addr(c)?;
            Requested {
                contact: na.uri.to_owned(),
                wildcard: false,
                expires: na.param("expires").and_then(parse_secs).or(header_expires),
            }
        }
    })
}

/// What a 2xx to a REGISTER says about one binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Granted {
    /// The `expires` parameter of the Contact that matches the binding (or of the only
    /// Contact), else the Expires header.
    pub expires: Option<u32>,
    /// Contacts listed (the AOR's current bindings, RFC 3261 §10.3 step 8).
    pub contacts: usize,
}

/// The expiry a 2xx grants to `contact` (empty for a query: the smallest one listed).
pub(crate) fn granted(payload: &[u8], contact: &str) -> Granted {
    let Ok(msg) = argos_sip::parse(payload) else {
        return Granted::default();
    };
    let header_expires = msg.header("Expires").and_then(parse_secs);
    let mut contacts = 0;
    let mut only: Option<u32> = None;
    let mut matched: Option<u32> = None;
    let mut smallest: Option<u32> = None;
    for c in msg.header_all("Contact") {
        let Some(na) = parse_name_addr(c) else {
            continue;
        };
        contacts += 1;
        let e = na.param("expires").and_then(parse_secs);
        only = e;
        if let Some(e) = e {
            smallest = Some(smallest.map_or(e, |s: u32| s.min(e)));
        }
        if !contact.is_empty() && na.uri.eq_ignore_ascii_case(contact) && matched.is_none() {
            matched = e;
        }
    }
    let per_contact = if contact.is_empty() {
        smallest
    } else if matched.is_some() {
        matched
    } else if contacts == 1 {
        only // a registrar that rewrote the contact (received, ob...)
    } else {
        None
    };
    Granted {
        expires: per_contact.or(header_expires),
        contacts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_contact_and_expiry() {
        let r = requested(
            b"REGISTER sip:x SIP/2.0\r\nContact: \"A\" <sip:a@10.0.0.1:5060;ob>;expires=600\r\n\
              Expires: 3600\r\n\r\n",
        );
        assert_eq!(
            r,
            Some(Requested {
                contact: "sip:a@10.0.0.1:5060;ob".into(),
                wildcard: false,
                expires: Some(600)
            })
        );
        let q = requested(b"REGISTER sip:x SIP/2.0\r\n\r\n").expect("query");
        assert_eq!(
            (q.contact.as_str(), q.wildcard, q.expires),
            ("", false, None)
        );
        let w = requested(b"REGISTER sip:x SIP/2.0\r\nContact: *\r\nExpires: 0\r\n\r\n")
            .expect("wildcard");
        assert_eq!(
            (w.contact.as_str(), w.wildcard, w.expires),
            ("", true, Some(0))
        );
    }

    #[test]
    fn granted_expiry_prefers_the_matching_contact() {
        let ok = b"SIP/2.0 200 OK\r\nContact: <sip:b@10.0.0.2>;expires=100, \
            <sip:a@10.0.0.1:5060>;expires=300\r\nExpires: 900\r\n\r\n";
        assert_eq!(granted(ok, "sip:a@10.0.0.1:5060").expires, Some(300));
        assert_eq!(granted(ok, "sip:c@x").expires, Some(900));
        assert_eq!(granted(ok, "").expires, Some(100));
        assert_eq!(granted(ok, "").contacts, 2);
        let one = b"SIP/2.0 200 OK\r\nContact: <sip:a@1.2.3.4:5060;received=x>;expires=60\r\n\r\n";
        assert_eq!(granted(one, "sip:a@10.0.0.1:5060").expires, Some(60));
        assert_eq!(
            granted(b"SIP/2.0 200 OK\r\n\r\n", "sip:a@x"),
            Granted::default()
        );
    }
}
