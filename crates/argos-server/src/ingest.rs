//! The ingest queue and its writer thread: captures in, batches of records out to the store.
//!
//! Listeners parse each capture on their own thread ([`pipeline::parse`]) and push the
//! record into one bounded queue without blocking: when the queue is full the record is
//! dropped and counted (`queue_full`). One writer thread drains the queue, links legs
//! ([`Linker`]) and inserts a batch when it holds `batch_size` records or
//! `flush_interval` has passed, so a quiet collector still makes new messages searchable
//! within that interval.

use crate::metrics::{DropReason, Metrics};
use crate::pipeline::{self, Linker, PipelineConfig};
use crate::tracking::TrackStage;
use argos_model::{Capture, Record};
use argos_store::Store;
use argos_track::TrackerConfig;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Queue and batching knobs.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Captures the queue holds before it drops (bounded memory under overload).
    pub queue_capacity: usize,
    /// Records per store insert at most.
    pub batch_size: usize,
    /// Longest time a received message waits before it is stored and searchable.
    pub flush_interval: Duration,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            queue_capacity: 262_144,
            batch_size: 8192,
            flush_interval: Duration::from_millis(200),
        }
    }
}

/// The sending side, cloned into every listener.
#[derive(Clone)]
pub struct IngestHandle {
    tx: Sender<Record>,
    metrics: Arc<Metrics>,
    pipeline: Arc<PipelineConfig>,
    forward: Option<crate::forward::Forwarder>,
}

impl IngestHandle {
    /// Parses a capture on the calling thread and queues its record without blocking; a
    /// full queue drops it and counts the drop.
    pub fn submit(&self, c: Capture) -> bool {
        let r = pipeline::parse(c, &self.pipeline, &self.metrics);
        match self.tx.try_send(r) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.metrics.count_drop(DropReason::QueueFull);
                false
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }

    /// Queues a capture, waiting for room: for offline import, where nothing may be lost.
    pub fn submit_blocking(&self, c: Capture) -> bool {
        let r = pipeline::parse(c, &self.pipeline, &self.metrics);
        self.tx.send(r).is_ok()
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Relays every accepted HEP packet to other collectors (`--forward`).
    pub fn with_forwarder(mut self, f: Option<crate::forward::Forwarder>) -> Self {
        self.forward = f;
        self
    }

    /// Hands an accepted HEP packet (decoded, auth key checked) to the relay, if any.
    pub fn forward(&self, frame: &bytes::Bytes) {
        if let Some(f) = &self.forward {
            f.offer(frame);
        }
    }
}

/// Starts the writer thread. Dropping every [`IngestHandle`] makes it store what is left,
/// flush, and end; join the returned handle to wait for that.
pub fn spawn(
    store: Arc<dyn Store>,
    pipeline: PipelineConfig,
    metrics: Arc<Metrics>,
    opts: IngestOptions,
) -> std::io::Result<(IngestHandle, JoinHandle<()>)> {
    let track = TrackStage::new(TrackerConfig::default(), None);
    spawn_with(store, pipeline, metrics, opts, track)
}

/// [`spawn`] with a configured call tracker (alarm rules, webhooks).
pub fn spawn_with(
    store: Arc<dyn Store>,
    pipeline: PipelineConfig,
    metrics: Arc<Metrics>,
    opts: IngestOptions,
    track: TrackStage,
) -> std::io::Result<(IngestHandle, JoinHandle<()>)> {
    let (tx, rx) = bounded(opts.queue_capacity);
    let linker = Linker::new(&pipeline);
    let handle = IngestHandle {
        tx,
        metrics: metrics.clone(),
        pipeline: Arc::new(pipeline),
        forward: None,
    };
    let join = std::thread::Builder::new()
        .name("argos-ingest".into())
        .spawn(move || writer_loop(rx, store, linker, track, metrics, opts))?;
    Ok((handle, join))
}

fn writer_loop(
    rx: Receiver<Record>,
    store: Arc<dyn Store>,
    mut linker: Linker,
    mut track: TrackStage,
    metrics: Arc<Metrics>,
    opts: IngestOptions,
) {
    let mut batch: Vec<Record> = Vec::with_capacity(opts.batch_size);
    let mut last_flush = Instant::now();
    let mut dirty = false;
    loop {
        let deadline = last_flush + opts.flush_interval;
        let first = match rx.recv_deadline(deadline) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if let Some(mut r) = first {
            track.set_backlog(rx.len(), &metrics);
            linker.link(&mut r);
            track.observe(&r, &metrics);
            batch.push(r);
            // Drain whatever is already queued, without waiting, up to a batch.
            while batch.len() < opts.batch_size {
                match rx.try_recv() {
                    Ok(mut r) => {
                        linker.link(&mut r);
                        track.observe(&r, &metrics);
                        batch.push(r);
                    }
                    Err(_) => break,
                }
            }
        }
        metrics.queue_depth.store(rx.len() as u64, Relaxed);
        let due = last_flush.elapsed() >= opts.flush_interval;
        if batch.len() >= opts.batch_size || (due && !batch.is_empty()) {
            write_batch(&*store, &mut batch, &metrics);
            dirty = true;
        }
        if due {
            // Expired dialogs are output too, with or without new messages.
            if track.write(&*store, &metrics) {
                dirty = true;
            }
            if dirty {
                flush(&*store, &metrics);
                dirty = false;
            }
            last_flush = Instant::now();
        }
    }
    write_batch(&*store, &mut batch, &metrics);
    track.finish(&*store, &metrics);
    flush(&*store, &metrics);
}

/// Flushes the store; on success everything stored so far is durable (survives a crash).
fn flush(store: &dyn Store, metrics: &Metrics) {
    // Only this thread adds to messages_stored, so the value read before the flush is
    // exactly what the flush makes durable.
    let stored = metrics.messages_stored.load(Relaxed);
    match store.flush() {
        Ok(()) => metrics.messages_durable.store(stored, Relaxed),
        Err(e) => tracing::error!(error = %e, "store flush failed"),
    }
}

fn write_batch(store: &dyn Store, batch: &mut Vec<Record>, metrics: &Metrics) {
    if batch.is_empty() {
        return;
    }
    match store.insert(batch) {
        Ok(report) => {
            metrics.messages_stored.fetch_add(report.stored, Relaxed);
            metrics.bytes_stored.fetch_add(report.bytes, Relaxed);
            metrics.batches_stored.fetch_add(1, Relaxed);
        }
        Err(e) => {
            tracing::error!(error = %e, records = batch.len(), "store insert failed; batch dropped");
            for _ in 0..batch.len() {
                metrics.count_drop(DropReason::StoreError);
            }
        }
    }
    batch.clear();
}
