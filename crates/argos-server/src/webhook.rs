//! Alarm webhooks: each new alarm is POSTed as JSON (the `/api/v1/alarms` shape) to every
//! configured URL, from one background thread, so a slow receiver never stalls ingest.
//! The queue is bounded; alarms that do not fit, and failed POSTs, are counted.

use argos_model::Alarm;
use crossbeam_channel::{bounded, Sender, TrySendError};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Alarms waiting for delivery at most.
const QUEUE: usize = 1024;

/// Delivery counters, rendered on `/metrics`.
#[derive(Debug, Default)]
pub struct WebhookMetrics {
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub dropped: AtomicU64,
}

impl WebhookMetrics {
    pub fn render(&self, s: &mut String) {
        use std::fmt::Write as _;
        let _ = writeln!(
            s,
            "# HELP argos_webhook_deliveries_total Alarm webhook POSTs, by result.\n\
             # TYPE argos_webhook_deliveries_total counter\n\
             argos_webhook_deliveries_total{{result=\"sent\"}} {}\n\
             argos_webhook_deliveries_total{{result=\"failed\"}} {}\n\
             argos_webhook_deliveries_total{{result=\"queue_full\"}} {}",
            self.sent.load(Relaxed),
            self.failed.load(Relaxed),
            self.dropped.load(Relaxed)
        );
    }
}

/// The sending side, held by the writer thread.
pub struct Webhooks {
    tx: Sender<Alarm>,
    metrics: Arc<WebhookMetrics>,
}

impl Webhooks {
    /// Starts the delivery thread for `urls` (none: `None`).
    pub fn start(urls: Vec<String>, metrics: Arc<WebhookMetrics>) -> std::io::Result<Option<Self>> {
        if urls.is_empty() {
            return Ok(None);
        }
        let (tx, rx) = bounded::<Alarm>(QUEUE);
        let m = metrics.clone();
        std::thread::Builder::new()
            .name("argos-webhooks".into())
            .spawn(move || {
                let client = match reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "webhook client; alarms will not be sent");
                        return;
                    }
                };
                for alarm in rx {
                    for url in &urls {
                        let ok = client
                            .post(url)
                            .json(&alarm)
                            .send()
                            .is_ok_and(|r| r.status().is_success());
                        if ok {
                            m.sent.fetch_add(1, Relaxed);
                        } else {
                            m.failed.fetch_add(1, Relaxed);
                            tracing::warn!(url, kind = alarm.kind.as_str(), "alarm webhook failed");
                        }
                    }
                }
            })?;
        Ok(Some(Webhooks { tx, metrics }))
    }

    /// Queues an alarm without waiting.
    pub fn send(&self, a: &Alarm) {
        match self.tx.try_send(a.clone()) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.metrics.dropped.fetch_add(1, Relaxed);
            }
        }
    }
}
