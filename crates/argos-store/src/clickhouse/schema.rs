//! Table layout, server version detection and the DDL for it.
//!
//! One row per message in a MergeTree table `PARTITION BY day ORDER BY (ts_us, id)`:
//! `day Date` is the UTC day (retention drops partitions), `ts_us Int64` the capture time
//! in microseconds (18.16 has no DateTime64), every [`argos_model::MessageFields`] field a
//! column of its own (`Nullable`: absent and empty stay distinct), `raw` the payload.

/// Server features that change the DDL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Features {
    pub version: (u32, u32),
    /// `LowCardinality(...)` columns (stable from 19.3).
    pub low_cardinality: bool,
    /// Per-column compression codecs (`CODEC(ZSTD(n))`, 19.1+; used from 20.3).
    pub codecs: bool,
    /// Data-skipping `bloom_filter` indexes (non-experimental from 20.3).
    pub skip_indexes: bool,
}

impl Features {
    /// Features of a server from `SELECT version()` (`18.16.1`, `23.8.2.7`...).
    pub fn from_version(v: &str) -> Option<Features> {
        let mut it = v.trim().split('.');
        let major: u32 = it.next()?.parse().ok()?;
        let minor: u32 = it.next()?.parse().ok()?;
        let at_least = |a: u32, b: u32| (major, minor) >= (a, b);
        Some(Features {
            version: (major, minor),
            low_cardinality: at_least(19, 3),
            codecs: at_least(20, 3),
            skip_indexes: at_least(20, 3),
        })
    }
}

/// Column kinds, for the DDL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Date,
    Int64,
    UInt64,
    UInt32,
    UInt16,
    UInt8,
    Str,
    /// Nullable(String) with many distinct values.
    NStr,
    /// Nullable(String) with few distinct values (LowCardinality when available).
    NStrLow,
    NUInt32,
    NUInt16,
    /// The payload.
    Raw,
}

/// Every column, in the order of the TSV insert ([`super::tsv::encode_row`]) and of the
/// message SELECT ([`super::decode`]).
pub(crate) const COLUMNS: &[(&str, Ty)] = &[
    ("day", Ty::Date),
    ("ts_us", Ty::Int64),
    ("id", Ty::UInt64),
    ("src_ip", Ty::Str),
    ("src_port", Ty::UInt16),
    ("dst_ip", Ty::Str),
    ("dst_port", Ty::UInt16),
    ("transport", Ty::UInt8),
    ("transport_other", Ty::UInt8),
    ("kind", Ty::UInt8),
    ("capture_id", Ty::UInt32),
    ("node", Ty::NStrLow),
    ("correlation_id", Ty::NStr),
    ("vlan", Ty::NUInt16),
    ("method", Ty::NStrLow),
    ("status", Ty::NUInt16),
    ("reason", Ty::NStrLow),
    ("ruri", Ty::NStr),
    ("ruri_user", Ty::NStr),
    ("ruri_domain", Ty::NStrLow),
    ("from_user", Ty::NStr),
    ("from_domain", Ty::NStrLow),
    ("from_tag", Ty::NStr),
    ("to_user", Ty::NStr),
    ("to_domain", Ty::NStrLow),
    ("to_tag", Ty::NStr),
    ("pai_user", Ty::NStr),
    ("contact_user", Ty::NStr),
    ("contact_ip", Ty::NStr),
    ("contact_port", Ty::NUInt16),
    ("auth_user", Ty::NStr),
    ("call_id", Ty::NStr),
    ("a_leg", Ty::NStr),
    ("via_branch", Ty::NStr),
    ("cseq_num", Ty::NUInt32),
    ("cseq_method", Ty::NStrLow),
    ("diversion_user", Ty::NStr),
    ("reason_header", Ty::NStrLow),
    ("content_type", Ty::NStrLow),
    ("user_agent", Ty::NStrLow),
    ("expires", Ty::NUInt32),
    ("sdp_media", Ty::NStr),
    ("call_key", Ty::NStr),
    ("raw", Ty::Raw),
];

/// Columns with a bloom-filter skip index on servers that have them.
const INDEXED: &[&str] = &[
    "call_id",
    "call_key",
    "a_leg",
    "from_user",
    "to_user",
    "ruri_user",
];

fn type_sql(t: Ty, f: &Features) -> &'static str {
    match t {
        Ty::Date => "Date",
        Ty::Int64 => "Int64",
        Ty::UInt64 => "UInt64",
        Ty::UInt32 => "UInt32",
        Ty::UInt16 => "UInt16",
        Ty::UInt8 => "UInt8",
        Ty::Str => "String",
        Ty::NStr => "Nullable(String)",
        Ty::NStrLow if f.low_cardinality => "LowCardinality(Nullable(String))",
        Ty::NStrLow => "Nullable(String)",
        Ty::NUInt32 => "Nullable(UInt32)",
        Ty::NUInt16 => "Nullable(UInt16)",
        Ty::Raw if f.codecs => "String CODEC(ZSTD(3))",
        Ty::Raw => "String",
    }
}

/// Comma-separated column names (INSERT and SELECT lists).
pub(crate) fn column_list() -> String {
    COLUMNS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `CREATE TABLE` of the MergeTree table `db.table` holding the messages.
pub(crate) fn messages_ddl(db: &str, table: &str, f: &Features) -> String {
    let mut cols: Vec<String> = COLUMNS
        .iter()
        .map(|(n, t)| format!("  {n} {}", type_sql(*t, f)))
        .collect();
    if f.skip_indexes {
        cols.extend(
            INDEXED
                .iter()
                .map(|c| format!("  INDEX ix_{c} {c} TYPE bloom_filter(0.01) GRANULARITY 1")),
        );
    }
    format!(
        "CREATE TABLE IF NOT EXISTS {db}.{table} (\n{}\n) ENGINE = MergeTree\n\
         PARTITION BY day ORDER BY (ts_us, id) SETTINGS index_granularity = 2048",
        cols.join(",\n")
    )
}

/// Key index kinds (`kind` column of the key table).
pub(crate) const K_CALL_ID: u8 = 1;
pub(crate) const K_CALL_KEY: u8 = 2;
pub(crate) const K_A_LEG: u8 = 3;
pub(crate) const K_FROM_USER: u8 = 4;
pub(crate) const K_TO_USER: u8 = 5;
pub(crate) const K_RURI_USER: u8 = 6;

/// The key index: one row per (message, indexed field) — Call-ID, call key, a-leg, from,
/// to and R-URI user — sorted by (kind, key), so a lookup reads a few granules and yields
/// the `ts_us` of the messages; the message query then narrows its primary key range
/// with `ts_us IN (...)`. (18.16 has no skip indexes; the messages are sorted by time.)
pub(crate) fn keys_ddl(db: &str, table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {db}.{table} (day Date, kind UInt8, key String, ts_us Int64)\n\
         ENGINE = MergeTree PARTITION BY day ORDER BY (kind, key, ts_us) \
         SETTINGS index_granularity = 8192"
    )
}

/// The collector registry: one row per id prefix handed out (see `super::ids`).
pub(crate) fn collectors_ddl(db: &str, table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {db}.{table} (prefix UInt16, opened_us Int64, host String)\n\
         ENGINE = MergeTree ORDER BY prefix SETTINGS index_granularity = 8192"
    )
}

/// Distributed table `db.table` over `db.local` on every shard of `cluster`, sharded by
/// `key`.
pub(crate) fn distributed_ddl(
    db: &str,
    table: &str,
    local: &str,
    cluster: &str,
    key: &str,
) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {db}.{table} AS {db}.{local}\n\
         ENGINE = Distributed({cluster}, {db}, {local}, {key})"
    )
}

/// Sharding key of the messages: all legs of a call (same `call_key`) on one shard;
/// messages without one spread by id.
pub(crate) const SHARDING_KEY: &str = "cityHash64(ifNull(call_key, toString(id)))";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_gates() {
        let old = Features::from_version("18.16.1").expect("version");
        assert!(!old.low_cardinality && !old.codecs && !old.skip_indexes);
        let ddl = messages_ddl("db", "messages", &old);
        assert!(
            !ddl.contains("LowCardinality") && !ddl.contains("INDEX") && !ddl.contains("CODEC")
        );
        assert!(ddl.contains("PARTITION BY day ORDER BY (ts_us, id)"));
        let new = Features::from_version("23.8.2.7").expect("version");
        assert!(new.low_cardinality && new.codecs && new.skip_indexes);
        let ddl = messages_ddl("db", "messages", &new);
        assert!(ddl.contains("LowCardinality(Nullable(String))"));
        assert!(ddl.contains("INDEX ix_call_id call_id TYPE bloom_filter"));
        assert!(Features::from_version("x").is_none());
        assert_eq!(COLUMNS.len(), column_list().split(", ").count());
    }
}
