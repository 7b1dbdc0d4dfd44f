//! One module per subcommand.

pub mod agent;
pub mod archive;
pub mod gen;
pub mod grep;
pub mod hep_listen;
pub mod import;
pub mod passwd;
pub mod search;
pub mod serve;
pub mod tui;

use std::path::PathBuf;

/// `--data` and `--store`, shared by every subcommand that opens the store.
#[derive(clap::Args, Debug, Clone)]
pub struct DataDir {
    /// Data directory: the embedded store, and the users file.
    #[arg(long = "data", env = "ARGOS_DATA", default_value = "./argos-data")]
    pub path: PathBuf,
    /// Use a ClickHouse server or cluster instead of the embedded store:
    /// clickhouse://[USER:PASS@]HOST:8123/DB[?cluster=NAME].
    #[arg(long = "store", env = "ARGOS_STORE", value_name = "URL")]
    pub store: Option<String>,
}

impl DataDir {
    pub fn open_store(&self) -> anyhow::Result<std::sync::Arc<dyn argos_store::Store>> {
        Ok(argos_server::store_open::open(self.store.as_deref(), &self.path)?.store)
    }
}

/// How capture files are read, shared by import, grep and agent.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct WireArgs {
    /// Read the contents of HEP packets found in the capture instead of skipping them.
    #[arg(long)]
    pub unwrap_hep: bool,
    /// Decrypt SIP over TLS with the secrets in this key log (NSS SSLKEYLOGFILE format, as
    /// written by curl, rustls, OpenSSL's -keylogfile, or a PBX with SSLKEYLOGFILE set): TLS
    /// 1.3, and TLS 1.2 with AES-GCM or ChaCha20-Poly1305 suites (CBC suites are counted as
    /// unsupported).
    #[arg(long, value_name = "FILE")]
    pub tls_keylog: Option<std::path::PathBuf>,
    /// Also take RTCP, as reports (HEP proto-5 JSON) linked to the call whose SDP announced
    /// its addresses.
    #[arg(long)]
    pub rtcp: bool,
    /// Also analyse the RTP of media announced in SDP (Wireshark's per-stream statistics)
    /// and keep a report per stream every 10 s and at its end, linked to the call.
    #[arg(long)]
    pub rtp: bool,
}

impl WireArgs {
    pub fn options(&self) -> anyhow::Result<argos_wire::WireOptions> {
        use anyhow::Context;
        let tls_keylog = match &self.tls_keylog {
            None => None,
            Some(p) => {
                let k = argos_net::KeyLog::from_file(p)
                    .with_context(|| format!("--tls-keylog {}", p.display()))?;
                Some(std::sync::Arc::new(k))
            }
        };
        Ok(argos_wire::WireOptions {
            unwrap_hep: self.unwrap_hep,
            tls_keylog,
            rtcp: self.rtcp,
            rtcp_uncorrelated: false,
            rtp: self.rtp,
        })
    }
}

/// One line on what TLS decryption did, when it was asked for.
pub fn describe_tls(t: &argos_net::TlsStats) -> Option<String> {
    (t.connections > 0).then(|| {
        format!(
            "TLS: {} connections, {} decrypted, {} without a key, {} unsupported, {} failed",
            t.connections,
            t.decrypted,
            t.no_key,
            t.unsupported,
            t.malformed + t.gaps + t.decrypt_failures + t.incomplete
        )
    })
}

/// `--a-leg-header NAME[=REGEX]`, shared by serve and import.
#[derive(clap::Args, Debug, Clone)]
pub struct Correlation {
    /// Header naming the a-leg Call-ID (repeatable). `NAME=REGEX` strips a B2BUA suffix:
    /// the regex's first capture group is kept (or the match removed when it has none).
    #[arg(long = "a-leg-header", value_name = "NAME[=REGEX]", default_values_t = ["X-CID".to_string()])]
    pub a_leg_headers: Vec<String>,
}

impl Correlation {
    pub fn pipeline(&self) -> anyhow::Result<argos_server::pipeline::PipelineConfig> {
        use anyhow::Context;
        let mut headers = Vec::new();
        for h in &self.a_leg_headers {
            let (name, re) = match h.split_once('=') {
                Some((n, r)) => (
                    n.trim(),
                    Some(regex::Regex::new(r).with_context(|| format!("--a-leg-header {h}"))?),
                ),
                None => (h.trim(), None),
            };
            headers.push(argos_sip::ALegHeader {
                name: name.to_owned(),
                strip: re,
            });
        }
        let mut cfg = argos_server::pipeline::PipelineConfig::default();
        cfg.fields.a_leg_headers = headers;
        Ok(cfg)
    }
}

/// The ingest pipeline run offline (`argos import`, `argos archive import`): the reader
/// waits for the writer, so a short queue loses nothing and keeps memory small (the
/// collector's default holds 262k records for bursts).
pub struct OfflineIngest {
    pub handle: argos_server::ingest::IngestHandle,
    pub metrics: std::sync::Arc<argos_server::metrics::Metrics>,
    writer: std::thread::JoinHandle<()>,
}

impl OfflineIngest {
    pub fn start(data: &DataDir, correlation: &Correlation) -> anyhow::Result<Self> {
        let metrics = std::sync::Arc::new(argos_server::metrics::Metrics::default());
        let (handle, writer) = argos_server::ingest::spawn(
            data.open_store()?,
            correlation.pipeline()?,
            metrics.clone(),
            argos_server::ingest::IngestOptions {
                queue_capacity: 16_384,
                ..argos_server::ingest::IngestOptions::default()
            },
        )?;
        Ok(OfflineIngest {
            handle,
            metrics,
            writer,
        })
    }

    /// Stores what is queued, flushes, and returns the metrics of the whole run.
    pub fn finish(self) -> anyhow::Result<std::sync::Arc<argos_server::metrics::Metrics>> {
        drop(self.handle);
        self.writer
            .join()
            .map_err(|_| anyhow::anyhow!("ingest thread panicked"))?;
        Ok(self.metrics)
    }
}
