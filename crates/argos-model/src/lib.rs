//! The data model every Argos crate agrees on.
//!
//! * [`Capture`] — one captured message as it arrived, whatever carried it: a HEP packet
//!   at the collector, a frame in a pcap file, a packet seen by the agent. Its payload is a
//!   [`bytes::Bytes`] slice of the receive buffer, so building one copies nothing.
//! * [`MessageFields`] — the searchable fields parsed out of a SIP payload.
//! * [`Record`] — a capture plus its fields: what the ingest pipeline hands to the store.
//! * [`Query`] / [`Field`] — what a search asks the store for.
//! * [`CallRecord`], [`RegistrationRecord`], [`Alarm`], [`StatRow`] — what the call
//!   tracker concludes from the messages, stored beside them.
//!
//! ```
//! use argos_model::{Capture, Transport, PayloadKind};
//! let c = Capture::new(1_700_000_000_000_000, "10.0.0.1:5060".parse().unwrap(),
//!     "10.0.0.2:5060".parse().unwrap(), Transport::Udp, PayloadKind::SIP,
//!     bytes::Bytes::from_static(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n"));
//! assert_eq!(c.payload.len(), 27);
//! ```

mod call;
mod capture;
mod query;
mod record;

pub use call::{
    Alarm, AlarmKind, AlarmQuery, CallAggRow, CallLeg, CallQuery, CallRecord, CallStatus, Evidence,
    KpiDim, KpiQuery, MediaSide, Party, RegQuery, RegStatus, RegistrationRecord, Severity, StatRow,
};
pub use capture::{Capture, PayloadKind, Transport};
pub use query::{field_value, Field, Filter, Query};
pub use record::{CallSummary, MessageFields, Record, StoredMessage};
