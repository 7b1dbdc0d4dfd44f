//! Message ids unique across collectors writing to one database.
//!
//! An id is 53 bits (exact in a JavaScript number, like the embedded engine's):
//! `prefix << 39 | seq`. Each open of a store claims a 14-bit collector `prefix` in the
//! registry table `argos_collectors` (a random one not claimed before) and numbers its
//! messages `seq = 0, 1, 2...` in insert order; after 2^39 messages it claims another
//! prefix. So ids never repeat across collectors or restarts, and messages of one collector
//! stored in the same microsecond keep their insert order (search orders by `(ts_us, id)`).
//! 16383 opens per database; after that the prefix claimed longest ago is reused (its
//! messages are long gone to retention in any realistic deployment).

use super::http::Node;
use super::sql::lit;
use crate::StoreError;
use rand::Rng;
use std::collections::HashSet;

pub(crate) const SEQ_BITS: u32 = 39;
pub(crate) const PREFIX_BITS: u32 = 14;

/// Id of the `seq`-th message of collector `prefix`.
pub(crate) fn make_id(prefix: u16, seq: u64) -> u64 {
    (u64::from(prefix) << SEQ_BITS) | (seq & ((1 << SEQ_BITS) - 1))
}

/// Claims a prefix in the registry (read through `read`, written to `write`).
pub(crate) fn claim(
    node: &Node,
    db: &str,
    read: &str,
    write: &str,
    insert_settings: &[(&str, &str)],
) -> Result<u16, StoreError> {
    let text = node.query_text(
        "read collector registry",
        &format!("SELECT prefix, opened_us FROM {db}.{read} FORMAT TabSeparated"),
    )?;
    let mut used = HashSet::new();
    let mut oldest: Option<(i64, u16)> = None;
    for line in text.lines().filter(|l| !l.is_empty()) {
        let (p, t) = line.split_once('\t').unwrap_or((line, "0"));
        let (Ok(p), Ok(t)) = (p.parse::<u16>(), t.parse::<i64>()) else {
            return Err(StoreError::ClickHouse {
                op: "read collector registry",
                status: None,
                detail: format!("bad row {line:?}"),
            });
        };
        used.insert(p);
        if oldest.is_none_or(|o| (t, p) < o) {
            oldest = Some((t, p));
        }
    }
    let max = (1u16 << PREFIX_BITS) - 1;
    let free: Vec<u16> = (1..=max).filter(|p| !used.contains(p)).collect();
    let prefix = if free.is_empty() {
        oldest.map_or(1, |(_, p)| p)
    } else {
        free[rand::thread_rng().gen_range(0..free.len())]
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let host = format!(
        "{} pid {}",
        std::env::var("HOSTNAME").unwrap_or_default(),
        std::process::id()
    );
    node.insert(
        "claim collector id prefix",
        &format!("INSERT INTO {db}.{write} (prefix, opened_us, host) VALUES"),
        format!("({prefix}, {now}, {})", lit(&host)).as_bytes(),
        insert_settings,
    )?;
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_fit_javascript_numbers() {
        let top = make_id((1 << PREFIX_BITS) - 1, (1 << SEQ_BITS) - 1);
        assert!(top < 1 << 53);
        assert!(make_id(1, 0) > make_id(0, (1 << SEQ_BITS) - 1));
    }
}
