//! One module per subcommand.

pub mod agent;
pub mod archive;
pub mod gen;
pub mod grep;
pub mod import;
pub mod passwd;
pub mod search;
pub mod serve;

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
