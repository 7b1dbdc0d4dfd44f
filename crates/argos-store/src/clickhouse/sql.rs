//! Query building. Every value from a query reaches SQL only through [`lit`] (a quoted,
//! escaped string literal) or as a number the code formatted itself; identifiers are
//! validated names ([`super::config::is_ident`]).

use super::day::{day_of, MAX_DAY};
use argos_model::{Field, Filter, PayloadKind, Transport};
use std::fmt::Write;

/// A ClickHouse string literal of `s`: quoted, with `\` `'` and control bytes escaped.
pub(crate) fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A `LIKE` pattern for a `*` pattern: `*` → `%`, literal `%` `_` `\` escaped.
pub(crate) fn like_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '*' => out.push('%'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `(a, b, c)` of string literals.
pub(crate) fn lit_list<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<String> = values.into_iter().map(lit).collect();
    format!("({})", v.join(", "))
}

/// A filter as SQL: the condition, and whether it is exact. Inexact conditions select a
/// superset; the rows are then checked with [`Filter::matches_text`] before any limit.
pub(crate) struct Cond {
    pub sql: String,
    pub exact: bool,
}

fn string_cond(col: &str, f: &Filter) -> String {
    if f.is_pattern() {
        format!("{col} LIKE {}", lit(&like_pattern(&f.value)))
    } else {
        format!("{col} = {}", lit(&f.value))
    }
}

/// Condition on a numeric column compared as its decimal text (as the embedded engine
/// does): exact values become a numeric comparison.
fn number_cond(col: &str, f: &Filter) -> String {
    if f.is_pattern() {
        format!("toString({col}) LIKE {}", lit(&like_pattern(&f.value)))
    } else {
        match f.value.parse::<u64>() {
            Ok(n) if n.to_string() == f.value => format!("{col} = {n}"),
            _ => "0".into(),
        }
    }
}

fn in_codes(col: &str, codes: &[u32]) -> String {
    if codes.is_empty() {
        return "0".into();
    }
    let v: Vec<String> = codes.iter().map(u32::to_string).collect();
    format!("{col} IN ({})", v.join(", "))
}

/// SQL for one filter.
pub(crate) fn filter_cond(f: &Filter) -> Cond {
    let exact = |sql: String| Cond { sql, exact: true };
    match f.field {
        Field::Status => exact(number_cond("status", f)),
        Field::SrcPort => exact(number_cond("src_port", f)),
        Field::DstPort => exact(number_cond("dst_port", f)),
        Field::CaptureId => exact(number_cond("capture_id", f)),
        Field::Transport => {
            let all = [
                Transport::Udp,
                Transport::Tcp,
                Transport::Tls,
                Transport::Sctp,
                Transport::Ws,
                Transport::Other(0),
            ];
            let codes: Vec<u32> = all
                .iter()
                .filter(|t| f.matches(t.name()))
                .map(|t| u32::from(super::tsv::transport_code(*t).0))
                .collect();
            exact(in_codes("transport", &codes))
        }
        Field::Proto => {
            // The kind's number or its name (`sip`), like the embedded engine.
            let codes: Vec<u32> = (0..=255u8)
                .filter(|k| f.matches(&k.to_string()) || f.matches(PayloadKind(*k).name()))
                .map(u32::from)
                .collect();
            exact(in_codes("kind", &codes))
        }
        Field::Text => {
            let needle = &f.value;
            if !f.is_pattern() {
                if needle.is_empty() {
                    return exact("1".into());
                }
                return exact(format!("positionCaseInsensitive(raw, {}) > 0", lit(needle)));
            }
            // Every piece must occur (pushed down); their order is checked on the rows.
            let pieces: Vec<String> = needle
                .split('*')
                .filter(|p| !p.is_empty())
                .map(|p| format!("positionCaseInsensitive(raw, {}) > 0", lit(p)))
                .collect();
            let n = pieces.len();
            Cond {
                sql: if pieces.is_empty() {
                    "1".into()
                } else {
                    pieces.join(" AND ")
                },
                exact: n <= 1,
            }
        }
        // Every other field is a string column named like the field.
        other => exact(string_cond(other.name(), f)),
    }
}

/// `PREWHERE <filters> WHERE <time range>` for `[since, until)` and `filters`, and whether
/// every filter is exact. The filters go to PREWHERE explicitly: left to itself, 18.16
/// moves the (cheap, unselective) time range there and then reads every column of every
/// row in range.
/// `extra` conditions are added to the PREWHERE as they are.
pub(crate) fn where_clause(
    since: i64,
    until: i64,
    filters: &[Filter],
    extra: &[String],
) -> (String, bool) {
    let mut exact = true;
    let mut parts: Vec<String> = extra.iter().map(|e| format!("({e})")).collect();
    for f in filters {
        let c = filter_cond(f);
        exact &= c.exact;
        parts.push(format!("({})", c.sql));
    }
    (prewhere(&parts.join(" AND "), since, until), exact)
}

/// `PREWHERE cond WHERE <time range>` (no PREWHERE when `cond` is empty).
pub(crate) fn prewhere(cond: &str, since: i64, until: i64) -> String {
    if cond.is_empty() {
        format!("WHERE {}", range_cond(since, until))
    } else {
        format!("PREWHERE {cond} WHERE {}", range_cond(since, until))
    }
}

/// Time range condition: on `ts_us`, plus `day` so whole partitions are skipped.
pub(crate) fn range_cond(since: i64, until: i64) -> String {
    let d0 = day_of(since).clamp(0, MAX_DAY);
    let d1 = day_of(until.saturating_sub(1)).clamp(0, MAX_DAY);
    format!("ts_us >= {since} AND ts_us < {until} AND day >= toDate({d0}) AND day <= toDate({d1})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(field: Field, v: &str) -> Filter {
        Filter {
            field,
            value: v.into(),
        }
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(lit("a'b\\c"), "'a\\'b\\\\c'");
        assert_eq!(lit("x\n\t\0\x01"), "'x\\n\\t\\0\\x01'");
        assert_eq!(lit("'; DROP TABLE x; --"), "'\\'; DROP TABLE x; --'");
        assert_eq!(like_pattern("10*_%\\"), "10%\\_\\%\\\\");
    }

    #[test]
    fn conditions() {
        assert_eq!(
            filter_cond(&f(Field::FromUser, "10*")).sql,
            "from_user LIKE '10%'"
        );
        assert_eq!(
            filter_cond(&f(Field::CallId, "a'b")).sql,
            "call_id = 'a\\'b'"
        );
        assert_eq!(filter_cond(&f(Field::Status, "200")).sql, "status = 200");
        assert_eq!(filter_cond(&f(Field::Status, "0200")).sql, "0");
        assert_eq!(filter_cond(&f(Field::Proto, "sip")).sql, "kind IN (1)");
        assert_eq!(
            filter_cond(&f(Field::Transport, "t*")).sql,
            "transport IN (1, 2)"
        );
        let t = filter_cond(&f(Field::Text, "a*b"));
        assert!(!t.exact);
        assert!(filter_cond(&f(Field::Text, "ab")).exact);
        assert_eq!(
            range_cond(0, i64::MAX),
            format!(
                "ts_us >= 0 AND ts_us < {} AND day >= toDate(0) AND day <= toDate({MAX_DAY})",
                i64::MAX
            )
        );
    }
}
