//! Blocking client of ClickHouse's HTTP interface: statements in the POST body (or, for
//! INSERT, in the URL with the rows in the body), settings as URL parameters.

use crate::StoreError;
use std::io::Read;
use std::time::Duration;

/// Settings sent with every request: large literals (IN lists, 64 KiB full-text values)
/// must parse.
const COMMON: &[(&str, &str)] = &[("max_query_size", "16777216")];

/// Bytes of an error reply kept in [`StoreError::ClickHouse::detail`].
const MAX_DETAIL: usize = 2000;

/// Standard base64 with padding (for the Basic auth header).
fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One ClickHouse node.
#[derive(Clone)]
pub(crate) struct Node {
    agent: ureq::Agent,
    pub base: String,
    user: Option<String>,
    password: Option<String>,
}

fn err(op: &'static str, status: Option<u16>, detail: impl Into<String>) -> StoreError {
    StoreError::ClickHouse {
        op,
        status,
        detail: detail.into(),
    }
}

impl Node {
    pub fn new(
        base: &str,
        user: Option<String>,
        password: Option<String>,
        timeout: Duration,
    ) -> Node {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout.min(Duration::from_secs(10)))
            .timeout_read(timeout)
            .timeout_write(timeout)
            .build();
        Node {
            agent,
            base: base.to_string(),
            user,
            password,
        }
    }

    fn request(&self, settings: &[(&str, &str)]) -> ureq::Request {
        let mut r = self.agent.post(&format!("{}/", self.base));
        // HTTP Basic auth: credentials never appear in URLs (or in error messages).
        if self.user.is_some() || self.password.is_some() {
            let creds = format!(
                "{}:{}",
                self.user.as_deref().unwrap_or("default"),
                self.password.as_deref().unwrap_or("")
            );
            r = r.set(
                "Authorization",
                &format!("Basic {}", base64(creds.as_bytes())),
            );
        }
        for (k, v) in COMMON.iter().chain(settings) {
            r = r.query(k, v);
        }
        r
    }

    fn send(
        &self,
        op: &'static str,
        req: ureq::Request,
        body: &[u8],
    ) -> Result<ureq::Response, StoreError> {
        match req.send_bytes(body) {
            Ok(resp) => Ok(resp),
            Err(ureq::Error::Status(code, resp)) => {
                let mut text = Vec::new();
                let _ = resp
                    .into_reader()
                    .take(MAX_DETAIL as u64)
                    .read_to_end(&mut text);
                let text = String::from_utf8_lossy(&text);
                Err(err(op, Some(code), text.trim_end()))
            }
            Err(ureq::Error::Transport(t)) => Err(err(
                op,
                None,
                format!(
                    "{}: {}{}",
                    self.base,
                    t.kind(),
                    t.message().map(|m| format!(": {m}")).unwrap_or_default()
                ),
            )),
        }
    }

    /// Runs `sql` and returns a reader of its reply (streamed).
    pub fn query_reader(
        &self,
        op: &'static str,
        sql: &str,
        settings: &[(&str, &str)],
    ) -> Result<Box<dyn Read + Send + Sync>, StoreError> {
        let resp = self.send(op, self.request(settings), sql.as_bytes())?;
        Ok(resp.into_reader())
    }

    /// Runs `sql` and returns its whole reply. The server buffers the result first
    /// (`wait_end_of_query`), so an error is an HTTP error, never a truncated body.
    pub fn query(
        &self,
        op: &'static str,
        sql: &str,
        settings: &[(&str, &str)],
    ) -> Result<Vec<u8>, StoreError> {
        let mut s: Vec<(&str, &str)> = vec![("wait_end_of_query", "1")];
        s.extend_from_slice(settings);
        let mut out = Vec::new();
        self.query_reader(op, sql, &s)?
            .read_to_end(&mut out)
            .map_err(|e| err(op, None, format!("reading reply: {e}")))?;
        Ok(out)
    }

    /// Runs a statement that returns nothing of interest.
    pub fn exec(&self, op: &'static str, sql: &str) -> Result<(), StoreError> {
        self.query(op, sql, &[]).map(|_| ())
    }

    /// `SELECT` returning one TSV line; the trimmed text.
    pub fn query_text(&self, op: &'static str, sql: &str) -> Result<String, StoreError> {
        let b = self.query(op, sql, &[])?;
        String::from_utf8(b)
            .map(|s| s.trim_end_matches('\n').to_string())
            .map_err(|_| err(op, None, "reply is not UTF-8"))
    }

    /// `INSERT` (`statement` = `INSERT INTO t (cols) FORMAT ...`) with `rows` as the body.
    pub fn insert(
        &self,
        op: &'static str,
        statement: &str,
        rows: &[u8],
        settings: &[(&str, &str)],
    ) -> Result<(), StoreError> {
        let req = self.request(settings).query("query", statement);
        let mut sink = Vec::new();
        self.send(op, req, rows)?
            .into_reader()
            .take(MAX_DETAIL as u64)
            .read_to_end(&mut sink)
            .map_err(|e| err(op, None, format!("reading reply: {e}")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64() {
        assert_eq!(super::base64(b"default:"), "ZGVmYXVsdDo=");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"abc"), "YWJj");
        assert_eq!(super::base64(b""), "");
    }
}
