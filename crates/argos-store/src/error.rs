//! [`StoreError`]: every way a store operation can fail, with the file or partition involved.

use std::path::PathBuf;

/// An error from a [`crate::Store`] operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A filesystem operation on the store directory or a partition file failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed on a partition.
    #[error("partition {partition} ({}): {op}: {source}", path.display())]
    Sqlite {
        partition: String,
        path: PathBuf,
        op: &'static str,
        #[source]
        source: Box<rusqlite::Error>,
    },
    /// Compressing or decompressing a block of payloads failed.
    #[error("partition {partition}: block {block}: {op}: {source}")]
    Compression {
        partition: String,
        block: i64,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// Stored data does not decode: the file is damaged or from an incompatible version.
    #[error("partition {partition}: corrupt data: {detail}")]
    Corrupt { partition: String, detail: String },
    /// A record cannot be stored (e.g. a timestamp outside the supported range).
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    /// This engine does not implement the operation (yet).
    #[error("not supported by this store engine: {0}")]
    Unsupported(&'static str),
    /// A ClickHouse server refused or failed an operation, could not be reached, or sent
    /// a reply that does not decode. `status` is the HTTP status when there was a reply.
    #[error("clickhouse: {op}: {}{detail}", status.map(|s| format!("HTTP {s}: ")).unwrap_or_default())]
    ClickHouse {
        op: &'static str,
        status: Option<u16>,
        detail: String,
    },
    /// A store URL or option is invalid (e.g. a malformed `clickhouse://` URL).
    #[error("invalid store configuration: {0}")]
    Config(String),
}
