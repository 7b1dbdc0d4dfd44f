//! `argos serve`.

use super::{Correlation, DataDir};
use anyhow::Context;
use argos_server::ingest::IngestOptions;
use argos_server::serve::ServeConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    /// HEP over UDP listen address (repeatable).
    #[arg(long = "hep-udp", default_values_t = ["0.0.0.0:9060".parse::<SocketAddr>().expect("literal")])]
    hep_udp: Vec<SocketAddr>,
    /// HEP over TCP listen address (repeatable).
    #[arg(long = "hep-tcp", default_values_t = ["0.0.0.0:9060".parse::<SocketAddr>().expect("literal")])]
    hep_tcp: Vec<SocketAddr>,
    /// HEP over TLS listen address (repeatable); needs --tls-cert and --tls-key.
    #[arg(long = "hep-tls", value_name = "ADDR")]
    hep_tls: Vec<SocketAddr>,
    /// PEM certificate (chain) for --hep-tls.
    #[arg(long, value_name = "CERT.pem")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --hep-tls.
    #[arg(long, value_name = "KEY.pem")]
    tls_key: Option<PathBuf>,
    /// HTTP address of the web UI and API.
    #[arg(long, default_value = "0.0.0.0:9080")]
    http: SocketAddr,
    /// HEP auth key (chunk 0x000e) senders must present; packets without it are dropped
    /// and counted. Unset: not checked.
    #[arg(long, env = "ARGOS_HEP_AUTH_KEY")]
    auth_key: Option<String>,
    /// Days of data to keep (whole days are deleted); 0 keeps everything.
    #[arg(long, default_value_t = 7)]
    retention_days: u32,
    /// Most disk the store may use (e.g. 50G, 500M); the oldest days are deleted first.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_disk: Option<u64>,
    /// Longest wait before a received message is stored and searchable, in ms.
    #[arg(long, default_value_t = 200)]
    flush_ms: u64,
    /// Captures the ingest queue holds before dropping (and counting) new ones.
    #[arg(long, default_value_t = 262_144)]
    queue: usize,
    #[command(flatten)]
    correlation: Correlation,
    /// Password for `admin`, applied at start (else one is generated on first start).
    #[arg(long, env = "ARGOS_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// A long-lived bearer token for scripts.
    #[arg(long, env = "ARGOS_API_TOKEN", hide_env_values = true)]
    api_token: Option<String>,
    /// URL each new alarm is POSTed to as JSON (repeatable; http or https).
    #[arg(long = "alarm-webhook", value_name = "URL")]
    alarm_webhooks: Vec<String>,
    /// Do not track calls, registrations and alarms: only store messages (for the highest
    /// ingest rates on few cores; see docs/PERFORMANCE.md).
    #[arg(long)]
    no_call_tracking: bool,
    /// Relay every accepted HEP packet, unchanged, to another collector: udp:HOST:PORT,
    /// tcp:HOST:PORT or tls:HOST:PORT (repeatable: to all of them).
    #[arg(long = "forward", value_name = "PROTO:HOST:PORT")]
    forward: Vec<String>,
    /// With --forward: send to the first reachable target only (switching on errors).
    #[arg(long, requires = "forward")]
    forward_failover: bool,
    /// With --forward tls:...: trust this CA certificate (PEM) instead of the system store.
    #[arg(long, value_name = "FILE", requires = "forward")]
    forward_tls_ca: Option<std::path::PathBuf>,
    /// With --forward tls:...: do not check the target's certificate.
    #[arg(long, requires = "forward")]
    forward_tls_insecure: bool,
    /// Serve the web UI and API over HTTPS with this PEM certificate (chain); needs
    /// --http-tls-key. Session cookies are then marked Secure.
    #[arg(long, value_name = "CERT.pem", requires = "http_tls_key")]
    http_tls_cert: Option<PathBuf>,
    /// PEM private key for --http-tls-cert.
    #[arg(long, value_name = "KEY.pem", requires = "http_tls_cert")]
    http_tls_key: Option<PathBuf>,
    /// Login rate limit: 5 failed logins (per client IP or per user name) within this many
    /// seconds lock logins out for as long, doubling with each further lockout (max 1 h).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    login_window: u64,
    /// Log in names that are not local users by LDAP simple bind to this server
    /// (ldap://HOST[:PORT] or ldaps://HOST[:PORT]); needs --ldap-user-dn.
    #[arg(long, value_name = "URL", requires = "ldap_user_dn")]
    ldap_url: Option<String>,
    /// Bind DN of a login, {user} standing for the (escaped) login name, e.g.
    /// "uid={user},ou=people,dc=example".
    #[arg(long, value_name = "DN", requires = "ldap_url")]
    ldap_user_dn: Option<String>,
    /// Role of LDAP logins: admin, user or read_only.
    #[arg(long, value_name = "ROLE", default_value = "read_only", value_parser = parse_role)]
    ldap_role: argos_server::auth::Role,
    /// With an ldap:// URL: upgrade the connection with StartTLS before binding.
    #[arg(long, requires = "ldap_url")]
    ldap_starttls: bool,
    /// Calls the tracker follows at most; beyond it the oldest are written as they stand.
    #[arg(long, default_value_t = argos_track::call::CallConfig::default().max_calls)]
    max_tracked_calls: usize,
}

fn tracker_config(max_calls: usize) -> argos_track::TrackerConfig {
    let mut cfg = argos_track::TrackerConfig::default();
    cfg.calls.max_calls = max_calls.max(1);
    cfg
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let cfg = ServeConfig {
        store_url: a.data.store.clone(),
        data_dir: a.data.path,
        hep_udp: a.hep_udp,
        hep_tcp: a.hep_tcp,
        hep_tls: a.hep_tls,
        tls_cert: a.tls_cert,
        tls_key: a.tls_key,
        http: a.http,
        auth_key: a.auth_key,
        retention_days: a.retention_days,
        max_disk_bytes: a.max_disk,
        pipeline: a.correlation.pipeline()?,
        ingest: IngestOptions {
            queue_capacity: a.queue.max(1024),
            flush_interval: Duration::from_millis(a.flush_ms.max(1)),
            ..IngestOptions::default()
        },
        admin_password: a.admin_password,
        api_token: a.api_token,
        tracker: tracker_config(a.max_tracked_calls),
        alarm_webhooks: a.alarm_webhooks,
        call_tracking: !a.no_call_tracking,
        forward: argos_server::forward::ForwardConfig {
            targets: a.forward,
            failover: a.forward_failover,
            tls_ca: a.forward_tls_ca,
            tls_insecure: a.forward_tls_insecure,
        },
        http_tls_cert: a.http_tls_cert,
        http_tls_key: a.http_tls_key,
        login_window: Duration::from_secs(a.login_window.max(1)),
        ldap: match (a.ldap_url, a.ldap_user_dn) {
            (Some(url), Some(user_dn)) => Some(argos_server::auth::ldap::LdapConfig {
                url,
                user_dn,
                default_role: a.ldap_role,
                starttls: a.ldap_starttls,
            }),
            _ => None,
        },
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("argos-rt")
        .build()
        .context("starting tokio runtime")?;
    rt.block_on(argos_server::serve::run(cfg))
}

fn parse_role(s: &str) -> Result<argos_server::auth::Role, String> {
    s.parse()
        .map_err(|e: argos_server::auth::AuthError| e.to_string())
}

/// `123`, `500M`, `50G`, `2T` (powers of 1024) → bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("unknown size unit in {s:?}: use K, M, G or T")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a size: {s:?} (e.g. 500M, 50G)"))?;
    if !(n.is_finite() && n > 0.0) {
        return Err(format!("size must be positive: {s:?}"));
    }
    Ok((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::parse_size("500M"), Ok(500 << 20));
        assert_eq!(super::parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(super::parse_size("1024"), Ok(1024));
        assert!(super::parse_size("12X").is_err());
        assert!(super::parse_size("-1G").is_err());
    }
}
