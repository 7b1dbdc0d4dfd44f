//! HEP listeners: one module per transport.

pub mod tcp;
pub mod tls;
pub mod udp;
