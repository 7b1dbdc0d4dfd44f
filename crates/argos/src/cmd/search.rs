//! `argos search` and `argos calls`: the store from the command line, for people and scripts.

use super::DataDir;
use anyhow::Context;
use argos_model::{Field, Filter, Query, StoredMessage};
use std::io::Write;

/// Filters shared by `search` and `calls`.
#[derive(clap::Args, Debug)]
pub struct FilterArgs {
    #[command(flatten)]
    data: DataDir,
    /// Start of the time range: RFC 3339 or Unix seconds (default: everything).
    #[arg(long)]
    since: Option<String>,
    /// End of the time range (exclusive).
    #[arg(long)]
    until: Option<String>,
    #[arg(long)]
    from_user: Option<String>,
    #[arg(long)]
    to_user: Option<String>,
    #[arg(long)]
    ruri_user: Option<String>,
    #[arg(long)]
    call_id: Option<String>,
    #[arg(long)]
    method: Option<String>,
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    src_ip: Option<String>,
    #[arg(long)]
    dst_ip: Option<String>,
    #[arg(long)]
    user_agent: Option<String>,
    /// Any field as FIELD=VALUE (repeatable); `*` is a wildcard. Fields: see docs/API.md.
    #[arg(long = "filter", short = 'f', value_name = "FIELD=VALUE")]
    filters: Vec<String>,
    /// Maximum rows.
    #[arg(long, default_value_t = 1000)]
    limit: usize,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

impl FilterArgs {
    fn query(&self) -> anyhow::Result<Query> {
        let t = |s: &Option<String>, d: i64| -> anyhow::Result<i64> {
            match s {
                Some(v) => argos_server::api::parse_time(v)
                    .with_context(|| format!("bad time {v:?}: use RFC 3339 or Unix seconds")),
                None => Ok(d),
            }
        };
        let mut filters = Vec::new();
        let named = [
            (Field::FromUser, &self.from_user),
            (Field::ToUser, &self.to_user),
            (Field::RuriUser, &self.ruri_user),
            (Field::CallId, &self.call_id),
            (Field::Method, &self.method),
            (Field::Status, &self.status),
            (Field::SrcIp, &self.src_ip),
            (Field::DstIp, &self.dst_ip),
            (Field::UserAgent, &self.user_agent),
        ];
        for (field, v) in named {
            if let Some(v) = v {
                filters.push(Filter {
                    field,
                    value: v.clone(),
                });
            }
        }
        for f in &self.filters {
            let (k, v) = f
                .split_once('=')
                .with_context(|| format!("--filter {f}: expected FIELD=VALUE"))?;
            let field = Field::from_name(k.trim())
                .with_context(|| format!("--filter {f}: unknown field {k:?}"))?;
            filters.push(Filter {
                field,
                value: v.to_owned(),
            });
        }
        Ok(Query {
            since_us: t(&self.since, 0)?,
            until_us: t(&self.until, i64::MAX)?,
            filters,
            limit: self.limit.max(1),
        })
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    filter: FilterArgs,
    /// Print the raw message under each row (text output).
    #[arg(long)]
    raw: bool,
}

#[derive(clap::Args, Debug)]
pub struct CallsArgs {
    #[command(flatten)]
    filter: FilterArgs,
}

fn message_json(m: &StoredMessage) -> serde_json::Value {
    let c = &m.record.capture;
    let mut v = serde_json::to_value(&m.record.fields).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), m.id.into());
        o.insert("ts_us".into(), c.ts_us.into());
        o.insert("src".into(), c.src.to_string().into());
        o.insert("dst".into(), c.dst.to_string().into());
        o.insert("transport".into(), c.transport.name().into());
        o.insert("proto".into(), c.kind.0.into());
        o.insert("capture_id".into(), c.capture_id.into());
        o.insert(
            "raw".into(),
            String::from_utf8_lossy(&c.payload).into_owned().into(),
        );
    }
    v
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let q = a.filter.query()?;
    let store = a.filter.data.open_store()?;
    let msgs = store.search(&q).context("searching")?;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    for m in &msgs {
        if a.filter.json {
            serde_json::to_writer(&mut out, &message_json(m))?;
            writeln!(out)?;
            continue;
        }
        let f = &m.record.fields;
        let c = &m.record.capture;
        let what = match (&f.method, f.status) {
            (Some(m), _) => m.clone(),
            (None, Some(s)) => format!("{s} {}", f.reason.as_deref().unwrap_or("")),
            _ => c.kind.name().to_owned(),
        };
        writeln!(
            out,
            "{} {} -> {} {:<24} from={} to={} call-id={}",
            argos_server::api::rfc3339(c.ts_us),
            c.src,
            c.dst,
            what.trim(),
            f.from_user.as_deref().unwrap_or("-"),
            f.to_user.as_deref().unwrap_or("-"),
            f.call_id.as_deref().unwrap_or("-"),
        )?;
        if a.raw {
            writeln!(out, "{}", String::from_utf8_lossy(&c.payload))?;
        }
    }
    out.flush()?;
    if !a.filter.json {
        eprintln!("{} message(s)", msgs.len());
    }
    Ok(())
}

pub fn run_calls(a: CallsArgs) -> anyhow::Result<()> {
    let q = a.filter.query()?;
    let store = a.filter.data.open_store()?;
    let calls = store.calls(&q).context("listing calls")?;
    // What the call tracker concluded, when the store has it (outcome, duration, PDD).
    let records: std::collections::HashMap<String, argos_model::CallRecord> = store
        .call_records(&argos_model::CallQuery {
            since_us: q.since_us,
            until_us: q.until_us,
            limit: calls.len().saturating_mul(4).max(100),
            ..Default::default()
        })
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.call_key.clone(), r))
        .collect();
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    for c in &calls {
        let rec = records.get(&c.call_key);
        if a.filter.json {
            let mut v = serde_json::to_value(c)?;
            if let (Some(o), Some(r)) = (v.as_object_mut(), rec) {
                o.insert("record".into(), serde_json::to_value(r)?);
            }
            serde_json::to_writer(&mut out, &v)?;
            writeln!(out)?;
        } else {
            let outcome = match rec {
                Some(r) => format!(
                    " {} dur={} pdd={}",
                    r.status.as_str(),
                    r.duration_ms
                        .map(|ms| format!("{:.1}s", ms as f64 / 1000.0))
                        .unwrap_or_else(|| "-".into()),
                    r.pdd_ms
                        .map(|ms| format!("{ms}ms"))
                        .unwrap_or_else(|| "-".into())
                ),
                None => String::new(),
            };
            writeln!(
                out,
                "{} {:<9} {:>4}{outcome} from={} to={} legs={} msgs={} call={}",
                argos_server::api::rfc3339(c.first_ts_us),
                c.method.as_deref().unwrap_or("-"),
                c.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                c.from_user.as_deref().unwrap_or("-"),
                c.to_user.as_deref().unwrap_or("-"),
                c.legs,
                c.messages,
                c.call_key
            )?;
        }
    }
    out.flush()?;
    if !a.filter.json {
        eprintln!("{} call(s)", calls.len());
    }
    Ok(())
}
