//! Capture files → captures now live in `argos-wire` (shared with the agent and `argos grep`
//! without depending on the server); these names stay for callers of the old path.

pub use argos_wire::{looks_like_sip, read_captures, ImportCounts, SctpReassembler};
