//! The one error type of live capture.

use std::io;

/// Why opening or reading a live capture failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Live capture is implemented for Linux only.
    #[error("live capture needs Linux (AF_PACKET); this build is for another OS")]
    Unsupported,
    /// The kernel refused a packet socket (EPERM/EACCES).
    #[error("no permission to open a packet socket: live capture needs root or CAP_NET_RAW (e.g. `setcap cap_net_raw,cap_net_admin=eip <binary>`)")]
    Permission,
    /// No interface of that name exists (in this network namespace).
    #[error("no such network interface: {0:?}")]
    NoSuchInterface(String),
    /// The filter expression could not be compiled or attached.
    #[error("capture filter: {0}")]
    Bpf(String),
    /// A system call failed; `what` names the step.
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: io::Error,
    },
}

impl CaptureError {
    /// Stable snake_case label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            CaptureError::Unsupported => "unsupported",
            CaptureError::Permission => "permission",
            CaptureError::NoSuchInterface(_) => "no_such_interface",
            CaptureError::Bpf(_) => "bpf",
            CaptureError::Io { .. } => "io",
        }
    }

    /// Wraps an OS error from step `what`, turning EPERM/EACCES into [`CaptureError::Permission`].
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn os(what: &'static str, source: io::Error) -> CaptureError {
        match source.kind() {
            io::ErrorKind::PermissionDenied => CaptureError::Permission,
            _ => CaptureError::Io { what, source },
        }
    }
}
