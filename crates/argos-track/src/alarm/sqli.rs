//! SQL-injection rule: SQL fragments in the user parts, User-Agent and display names.
//!
//! SIP platforms write From/To users and User-Agents into billing and CDR databases, and
//! attack tools probe that with payloads such as `' or 1=1--`. The patterns below need
//! SQL *syntax* around a keyword (a quote closing a string before `or 1=1`, a comment
//! after a quote, `union select`, `; drop table`, `sleep(5)`, a long `0x` hex literal),
//! never a keyword alone, so names like "O'Brien" or "Select Edition" do not match.
//!
//! Cost: user parts are only looked at when they contain a byte SQL needs (quote,
//! semicolon, space, parenthesis, `%`...), which ordinary users (`1001`, `+4930123`,
//! `alice`) do not; User-Agents are checked once per distinct string (the engine caches
//! the verdict); display names only when the message contains a quote at all.

use argos_model::MessageFields;
use regex::bytes::Regex;

/// Settings of the SQL-injection rule.
#[derive(Debug, Clone)]
pub struct SqlInjectionConfig {
    pub enabled: bool,
}

impl Default for SqlInjectionConfig {
    fn default() -> Self {
        SqlInjectionConfig { enabled: true }
    }
}

/// The SQL patterns (ASCII case-insensitive, on bytes).
const PATTERNS: &[&str] = &[
    // a quote closing a string, then a boolean operator and a comparison or tautology:
    // ' or 1=1 / ' or 'a'='a / ') or true / ' and sleep(5) / ' or x is not null
    r#"'\s*\)*\s*(?:or|and|xor|\|\||&&)\s*(?:\(?\s*(?:['"][^'"]{0,20}['"]|\w+)\s*(?:=|<>|!=|<=|>=|\blike\b)|true\b|false\b|not\b|\d|sleep\s*\(|\w+\s+is\s+(?:not\s+)?null\b|exists\s*\()"#,
    // a quote closing a string, then a comment or the end of the statement
    r"'\s*\)*\s*(?:;|--|#|/\*)",
    // union select (also with inline comments as separators)
    r"\bunion(?:\s+|/\*[^*]*\*/)+(?:all\s+|distinct\s+)?select\b",
    // a second statement
    r";\s*(?:drop\s+(?:table|database)|delete\s+from|insert\s+into|update\s+\w+\s+set|truncate\s+table|alter\s+table|create\s+table|exec(?:ute)?\s+\w|shutdown\b|declare\s+@)",
    // time-based blind injection
    r"\b(?:sleep|benchmark|pg_sleep)\s*\(\s*\d",
    r"\bwaitfor\s+delay\s+'",
    // hex literals long enough to carry a string
    r"\b0x[0-9a-f]{16,}\b",
    // schema probing and well-known statements
    r"\b(?:drop\s+table|insert\s+into\s+\w|delete\s+from\s+\w|information_schema\b|xp_cmdshell\b)",
    r"@@version\b",
    r"\bselect\s+(?:\*|[\w,\s()@]{1,60}?)\s+from\s+\w",
];

/// Bytes at least one pattern needs (`'`, `;`, space, tab, `(`, `%`, `#`, `*`, `@`, `"`,
/// `=`), as a lookup table; a value without any of them (and without `0x`) is skipped.
const SQL_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let bytes = b"'; \t(%#*@\"=";
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
};

fn may_hold_sql(v: &[u8]) -> bool {
    let mut prev = 0u8;
    for &b in v {
        if SQL_BYTES[b as usize] || (prev == b'0' && (b | 0x20) == b'x') {
            return true;
        }
        prev = b;
    }
    false
}

/// Detects SQL fragments; keeps a scratch buffer for percent-decoding.
#[derive(Debug)]
pub(crate) struct SqlDetector {
    re: Regex,
    quote: Regex,
    decoded: Vec<u8>,
}

impl SqlDetector {
    pub(crate) fn new() -> Self {
        let pattern = format!("(?i-u)(?:{})", PATTERNS.join(")|(?:"));
        SqlDetector {
            // The patterns are constants covered by tests; an invalid one is a bug.
            re: Regex::new(&pattern).expect("SQL injection patterns compile"),
            quote: Regex::new("'").expect("quote pattern compiles"),
            decoded: Vec::new(),
        }
    }

    /// Whether `v` (as written, any case) holds a SQL fragment.
    pub(crate) fn matches(&mut self, v: &str) -> bool {
        let b = v.as_bytes();
        if !may_hold_sql(b) {
            return false;
        }
        if self.re.is_match(b) {
            return true;
        }
        // URI user parts may be %-escaped: `%27%20or%201%3D1`.
        if b.contains(&b'%') {
            percent_decode(b, &mut self.decoded);
            return self.re.is_match(&self.decoded);
        }
        false
    }

    /// The first user field holding a SQL fragment: (label, value).
    pub(crate) fn check_users<'f>(
        &mut self,
        f: &'f MessageFields,
    ) -> Option<(&'static str, &'f str)> {
        let fields: [(&'static str, &Option<String>); 7] = [
            ("R-URI user", &f.ruri_user),
            ("From user", &f.from_user),
            ("To user", &f.to_user),
            ("Contact user", &f.contact_user),
            ("auth username", &f.auth_user),
            ("P-Asserted-Identity user", &f.pai_user),
            ("Diversion user", &f.diversion_user),
        ];
        for (label, v) in fields {
            if let Some(v) = v.as_deref() {
                if self.matches(v) {
                    return Some((label, v));
                }
            }
        }
        None
    }

    /// Whether the raw message has a quote anywhere (display names need a closer look).
    pub(crate) fn has_quote(&self, payload: &[u8]) -> bool {
        self.quote.is_match(payload)
    }
}

/// Checks the whole From, To and Contact headers of `payload` (display names included).
/// Returns (header name, value) of the first that holds SQL.
pub(crate) fn check_name_headers(
    det: &mut SqlDetector,
    payload: &[u8],
) -> Option<(&'static str, String)> {
    let msg = argos_sip::parse(payload).ok()?;
    for name in ["From", "To", "Contact"] {
        if let Some(v) = msg.header(name) {
            if det.matches(v) {
                return Some((name, v.to_owned()));
            }
        }
    }
    None
}

fn percent_decode(src: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < src.len() {
        if src[i] == b'%' {
            if let (Some(h), Some(l)) = (
                src.get(i + 1).and_then(|c| hex(*c)),
                src.get(i + 2).and_then(|c| hex(*c)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(src[i]);
        i += 1;
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_strings_match() {
        let mut d = SqlDetector::new();
        for s in [
            "' or 1=1--",
            "1001' OR '1'='1",
            "admin'--",
            "x'; DROP TABLE users; --",
            "1 UNION SELECT password FROM users",
            "1 union/**/select 1,2",
            "%27%20or%201%3D1",
            "1001;delete from cdr",
            "' and sleep(5)#",
            "1 AND SLEEP(5)",
            "0x61646d696e2d70617373776f7264",
            "') or ('a'='a",
            "x' or username is not null or '",
            "select * from subscriber",
            "1; exec xp_cmdshell 'dir'",
            "' waitfor delay '0:0:5'--",
            "1' or exists(select 1)",
            "@@version",
            "' || 1=1",
        ] {
            assert!(d.matches(s), "should match: {s}");
        }
    }

    #[test]
    fn ordinary_sip_values_do_not_match() {
        let mut d = SqlDetector::new();
        for s in [
            "1001",
            "+4930123456",
            "alice",
            "O'Brien",
            "\"Jones' and Co\" <sip:1001@example.com>;tag=abc",
            "Rock 'n' Roll",
            "Linphone/3.6 (belle-sip/1.3)",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
            "Asterisk PBX 18.2.0",
            "MicroSIP/3.20.0; Update 2",
            "FreeSWITCH-mod_sofia/1.10.7-release~64bit",
            "Select Edition phone",
            "Yealink SIP-T46S 66.86.0.15",
            "+1555;npdi;rn=+1666",
            "Cisco-SIPGateway/IOS-15.x",
            "PolycomVVX-VVX_411-UA/6.3.0.14929",
            "0x1f",
            "sip:alice@192.168.1.10:5060;transport=udp;expires=3600",
            "\"Lab Caller\" <sip:alice@127.0.0.1:5073>;tag=1234cancel1",
            "Z 5.5.5 v2.10.17.2",
            "drop",
            "unionselect",
        ] {
            assert!(!d.matches(s), "should not match: {s}");
        }
    }
}
