//! The Argos collector: HEP listeners, the ingest pipeline, the HTTP API and the web UI.
//!
//! Data flows one way: HEP bytes ([`listen`]) → [`argos_model::Capture`] ([`hep_input`]) →
//! bounded queue and writer thread ([`ingest`]) → [`pipeline::Pipeline`] (SIP parse, leg
//! linking) → [`argos_store::Store`] → queries ([`api`]). [`serve::run`] wires it all up.
//!
//! ```
//! use argos_server::metrics::{Metrics, DropReason};
//! let m = Metrics::default();
//! m.count_drop(DropReason::QueueFull);
//! assert!(m.render().contains("reason=\"queue_full\"} 1"));
//! ```

pub mod api;
pub mod archive;
pub mod auth;
pub mod export;
mod files;
pub mod forward;
pub mod hep_input;
pub mod ingest;
pub mod listen;
pub mod metrics;
pub mod pcap_input;
pub mod pipeline;
pub mod qos;
pub mod saved;
pub mod serve;
pub mod store_open;
pub mod tracking;
pub mod webhook;
