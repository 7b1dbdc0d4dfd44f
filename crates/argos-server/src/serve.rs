//! `argos serve`: open the store, start listeners, ingest, retention and the HTTP server,
//! and print the startup banner.

use crate::api::{self, AppState};
use crate::auth::{AdminSetup, Auth};
use crate::ingest::{self, IngestOptions};
use crate::metrics::Metrics;
use crate::pipeline::PipelineConfig;
use anyhow::Context;
use argos_store::Store;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything `argos serve` is told on its command line.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    /// `clickhouse://HOST:8123/DB[?cluster=NAME]`; `None`: the embedded store in `data_dir`.
    pub store_url: Option<String>,
    pub hep_udp: Vec<SocketAddr>,
    pub hep_tcp: Vec<SocketAddr>,
    /// HEP over TLS listen addresses; need `tls_cert` and `tls_key`.
    pub hep_tls: Vec<SocketAddr>,
    /// PEM certificate chain of the HEP TLS listeners.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the HEP TLS listeners.
    pub tls_key: Option<PathBuf>,
    pub http: SocketAddr,
    /// HEP auth key senders must present; `None` accepts any.
    pub auth_key: Option<String>,
    /// Days of data kept; 0 keeps everything.
    pub retention_days: u32,
    /// Most bytes the store may use on disk; the oldest days go first. `None`: no limit.
    pub max_disk_bytes: Option<u64>,
    pub pipeline: PipelineConfig,
    pub ingest: IngestOptions,
    pub admin_password: Option<String>,
    pub api_token: Option<String>,
    /// Call tracker settings (timeouts, caps, alarm rules).
    pub tracker: argos_track::TrackerConfig,
    /// URLs each new alarm is POSTed to.
    pub alarm_webhooks: Vec<String>,
    /// Track calls, registrations and alarms (on by default).
    pub call_tracking: bool,
    /// Relay every accepted HEP packet to other collectors.
    pub forward: crate::forward::ForwardConfig,
    /// PEM certificate chain: serve the web UI and API over HTTPS (with `http_tls_key`).
    pub http_tls_cert: Option<PathBuf>,
    /// PEM private key of the HTTPS server.
    pub http_tls_key: Option<PathBuf>,
    /// Login rate limit window, also the first lockout (it doubles with each lockout).
    pub login_window: Duration,
    /// Log in names that are not local users by LDAP simple bind.
    pub ldap: Option<crate::auth::ldap::LdapConfig>,
}

/// Runs the collector until Ctrl-C / SIGTERM, then stores what is queued and returns.
pub async fn run(cfg: ServeConfig) -> anyhow::Result<()> {
    // Checked before anything is opened or bound: a bad TLS setup fails fast and clearly.
    let tls = if cfg.hep_tls.is_empty() {
        None
    } else {
        match (&cfg.tls_cert, &cfg.tls_key) {
            (Some(cert), Some(key)) => Some(crate::listen::tls::load_config(cert, key)?),
            _ => anyhow::bail!(
                "--hep-tls needs a certificate and its private key: \
                 add --tls-cert CERT.pem and --tls-key KEY.pem (PEM files)"
            ),
        }
    };
    let http_tls = match (&cfg.http_tls_cert, &cfg.http_tls_key) {
        (Some(cert), Some(key)) => Some(crate::listen::tls::load_config(cert, key)?),
        (None, None) => None,
        _ => anyhow::bail!(
            "HTTPS needs both --http-tls-cert CERT.pem and --http-tls-key KEY.pem (PEM files)"
        ),
    };
    if let Some(l) = &cfg.ldap {
        l.validate().map_err(|e| anyhow::anyhow!(e))?;
    }
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating data directory {}", cfg.data_dir.display()))?;
    let opened = crate::store_open::open(cfg.store_url.as_deref(), &cfg.data_dir)?;
    let store = opened.store;
    let (auth, admin) = Auth::open(
        &cfg.data_dir,
        cfg.admin_password.as_deref(),
        cfg.api_token.clone(),
    )
    .context("opening users file")?;
    let metrics = Arc::new(Metrics::default());
    let webhooks =
        crate::webhook::Webhooks::start(cfg.alarm_webhooks.clone(), metrics.webhooks.clone())
            .context("starting webhook thread")?;
    let (handle, writer) = ingest::spawn_with(
        store.clone(),
        cfg.pipeline.clone(),
        metrics.clone(),
        cfg.ingest.clone(),
        if cfg.call_tracking {
            crate::tracking::TrackStage::new(cfg.tracker.clone(), webhooks)
        } else {
            crate::tracking::TrackStage::disabled()
        },
    )
    .context("starting ingest thread")?;
    let forwarder = crate::forward::Forwarder::start(&cfg.forward, metrics.forward.clone())
        .map_err(|e| anyhow::anyhow!(e))?;
    let handle = handle.with_forwarder(forwarder);
    let key: Option<Arc<[u8]>> = cfg
        .auth_key
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| Arc::from(k.as_bytes()));

    let mut listeners = Vec::new();
    for addr in &cfg.hep_udp {
        let (local, _t) = crate::listen::udp::spawn(*addr, handle.clone(), key.clone())
            .with_context(|| format!("binding HEP UDP {addr}"))?;
        listeners.push(format!("hep+udp://{local}"));
    }
    for addr in &cfg.hep_tcp {
        let local = crate::listen::tcp::spawn(*addr, handle.clone(), key.clone())
            .await
            .with_context(|| format!("binding HEP TCP {addr}"))?;
        listeners.push(format!("hep+tcp://{local}"));
    }
    if let Some(tls) = &tls {
        for addr in &cfg.hep_tls {
            let local = crate::listen::tls::spawn(*addr, tls.clone(), handle.clone(), key.clone())
                .await
                .with_context(|| format!("binding HEP TLS {addr}"))?;
            listeners.push(format!("hep+tls://{local}"));
        }
    }
    let http = tokio::net::TcpListener::bind(cfg.http)
        .await
        .with_context(|| format!("binding HTTP {}", cfg.http))?;
    let http_addr = http.local_addr()?;

    if cfg.retention_days > 0 || cfg.max_disk_bytes.is_some() {
        tokio::spawn(retention_loop(
            store.clone(),
            cfg.retention_days,
            cfg.max_disk_bytes,
        ));
    }

    let audit = crate::auth::audit::AuditLog::open(&cfg.data_dir)
        .with_context(|| format!("opening audit log in {}", cfg.data_dir.display()))?;
    print_banner(
        &cfg,
        &listeners,
        http_addr,
        http_tls.is_some(),
        &admin,
        &opened.describe,
    );
    let state = Arc::new(AppState {
        store: store.clone(),
        metrics,
        auth,
        started: Instant::now(),
        listeners,
        audit,
        login_limiter: crate::auth::limit::LoginLimiter::new(cfg.login_window),
        login_metrics: api::LoginMetrics::default(),
        https: http_tls.is_some(),
        short_tokens: std::env::var("ARGOS_TEST_SHORT_TOKENS").is_ok_and(|v| v == "1"),
        ldap: cfg.ldap.clone(),
        saved_searches: crate::saved::SavedSearchStore::open(&cfg.data_dir)
            .with_context(|| format!("opening saved searches in {}", cfg.data_dir.display()))?,
    });
    // Connect info gives handlers the client IP (login limiter, audit log).
    let app = api::router(state).into_make_service_with_connect_info::<SocketAddr>();
    match http_tls {
        Some(tls) => {
            use axum::serve::ListenerExt as _;
            let https = https::HttpsListener::start(http, tls)?;
            axum::serve(https.tap_io(|_| {}), app)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .context("HTTPS server")?;
        }
        None => axum::serve(http, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("HTTP server")?,
    }
    eprintln!("argos: shutting down, storing queued messages");
    drop(handle);
    // UDP threads still hold senders: flush directly so nothing already batched is lost.
    let _ = tokio::task::spawn_blocking(move || {
        let _ = writer; // the writer ends once every sender is gone; do not wait for it
        store.flush()
    })
    .await;
    Ok(())
}

/// Applies retention by age and by disk size once a minute, beside ingest.
async fn retention_loop(store: Arc<dyn Store>, days: u32, max_bytes: Option<u64>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let store = store.clone();
        let res = tokio::task::spawn_blocking(move || {
            let mut deleted = Vec::new();
            if days > 0 {
                deleted.extend(store.apply_retention(now_us(), days)?.deleted);
            }
            if let Some(max) = max_bytes {
                deleted.extend(store.apply_size_limit(max)?.deleted);
            }
            Ok::<_, argos_store::StoreError>(deleted)
        })
        .await;
        match res {
            Ok(Ok(deleted)) if !deleted.is_empty() => {
                eprintln!("argos: retention deleted {}", deleted.join(", "))
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "retention failed"),
            Err(e) => tracing::error!(error = %e, "retention task failed"),
        }
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn print_banner(
    cfg: &ServeConfig,
    listeners: &[String],
    http: SocketAddr,
    https: bool,
    admin: &AdminSetup,
    store: &str,
) {
    let scheme = if https { "https" } else { "http" };
    let shown = if http.ip().is_unspecified() {
        SocketAddr::new([127, 0, 0, 1].into(), http.port())
    } else {
        http
    };
    println!(
        "Argos {} — SIP capture and troubleshooting",
        env!("CARGO_PKG_VERSION")
    );
    println!("  web UI & API   {scheme}://{shown}/");
    println!("  metrics        {scheme}://{shown}/metrics");
    for l in listeners {
        println!("  HEP listener   {l}");
    }
    for t in &cfg.forward.targets {
        println!("  HEP relay to   {t}");
    }
    if let Some(l) = &cfg.ldap {
        println!(
            "  LDAP logins    {} as {} (role {})",
            l.url,
            l.user_dn,
            l.default_role.as_str()
        );
    }
    println!("  store          {store}");
    println!("  data           {}", cfg.data_dir.display());
    println!(
        "  HEP auth key   {}",
        if cfg.auth_key.as_deref().is_some_and(|k| !k.is_empty()) {
            "required"
        } else {
            "not checked (set --auth-key to require one)"
        }
    );
    match admin {
        AdminSetup::Created { password } => {
            println!("  login          admin / {password}   (shown once; set another with ARGOS_ADMIN_PASSWORD)")
        }
        AdminSetup::FromEnv => println!("  login          admin / (from ARGOS_ADMIN_PASSWORD)"),
        AdminSetup::Existing => {
            println!("  login          admin / (unchanged; reset with ARGOS_ADMIN_PASSWORD)")
        }
    }
    println!("ready");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
}

/// HTTPS for the web UI and API: TLS handshakes run in their own tasks (with a deadline),
/// and finished streams are handed to axum, so a stalled client never holds the accept loop.
mod https {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::mpsc;
    use tokio_rustls::server::TlsStream;
    use tokio_rustls::TlsAcceptor;

    /// Longest a client may take to finish the TLS handshake.
    const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
    /// Handshaken connections waiting for axum to take them.
    const BACKLOG: usize = 256;

    /// A TLS listener axum can serve.
    pub struct HttpsListener {
        rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
        local: SocketAddr,
    }

    impl HttpsListener {
        /// Starts accepting and handshaking on `tcp`.
        pub fn start(
            tcp: TcpListener,
            tls: Arc<rustls::ServerConfig>,
        ) -> std::io::Result<HttpsListener> {
            let local = tcp.local_addr()?;
            let (tx, rx) = mpsc::channel(BACKLOG);
            let acceptor = TlsAcceptor::from(tls);
            tokio::spawn(async move {
                loop {
                    let (stream, peer) = match tcp.accept().await {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::warn!(error = %e, "HTTPS accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    if tx.is_closed() {
                        break;
                    }
                    let (acceptor, tx) = (acceptor.clone(), tx.clone());
                    tokio::spawn(async move {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                        {
                            Ok(Ok(tls)) => {
                                let _ = tx.send((tls, peer)).await;
                            }
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "HTTPS handshake failed")
                            }
                            Err(_) => tracing::debug!(%peer, "HTTPS handshake timed out"),
                        }
                    });
                }
            });
            Ok(HttpsListener { rx, local })
        }
    }

    impl axum::serve::Listener for HttpsListener {
        type Io = TlsStream<TcpStream>;
        type Addr = SocketAddr;

        async fn accept(&mut self) -> (Self::Io, Self::Addr) {
            match self.rx.recv().await {
                Some(c) => c,
                // The accept task ended: no more connections will come.
                None => std::future::pending().await,
            }
        }

        fn local_addr(&self) -> std::io::Result<SocketAddr> {
            Ok(self.local)
        }
    }
}
