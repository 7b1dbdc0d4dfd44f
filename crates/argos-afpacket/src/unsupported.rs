//! `LiveCapture` on operating systems without `AF_PACKET`: same API, every call fails with
//! [`CaptureError::Unsupported`].

use crate::error::CaptureError;
use crate::{LiveConfig, LiveFrame, LiveStats};
use argos_net::LinkType;
use std::time::Duration;

/// A live capture; never opens on this operating system.
#[derive(Debug)]
pub struct LiveCapture {
    _private: (),
}

impl LiveCapture {
    /// Always [`CaptureError::Unsupported`]: live capture needs Linux.
    pub fn open(_cfg: &LiveConfig) -> Result<LiveCapture, CaptureError> {
        Err(CaptureError::Unsupported)
    }

    /// Ethernet (never reached: no capture opens here).
    pub fn link_type(&self) -> LinkType {
        LinkType::ETHERNET
    }

    /// Always [`CaptureError::Unsupported`].
    pub fn next_batch(
        &mut self,
        _timeout: Duration,
        _on_frame: &mut dyn FnMut(LiveFrame<'_>),
    ) -> Result<usize, CaptureError> {
        Err(CaptureError::Unsupported)
    }

    /// Always [`CaptureError::Unsupported`].
    pub fn stats(&mut self) -> Result<LiveStats, CaptureError> {
        Err(CaptureError::Unsupported)
    }
}
