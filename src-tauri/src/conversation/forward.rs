//! Engine events to the web UI without ever blocking the interaction loop.
//!
//! The loop pushes into a bounded queue with `try_send`; a thread named `ui-events` drains it
//! and sends batches through the Tauri channel the UI handed to `start_conversation`. When the
//! UI falls behind, the queue fills and further messages are dropped and counted (never waited
//! for); every batch carries the running drop count so the UI can show it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use serde::Serialize;
use tandem_core::audio::DeviceEvent;
use tandem_core::engine::Event;
use tauri::ipc::Channel;

use crate::error::AppError;

/// Messages the queue holds before the loop starts dropping: ~10 s of a busy conversation.
pub const QUEUE_CAPACITY: usize = 512;
/// Most messages in one IPC send.
pub const MAX_BATCH: usize = 64;

/// One message to the UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UiMessage {
    /// Something the engine did or noticed (the `tandem duplex --events` objects).
    Event { event: Event },
    /// A device was lost or recovered.
    Device { event: DeviceEvent },
    /// The conversation's life cycle.
    Phase { phase: Phase },
    /// The camera was switched (or failed to switch) on or off.
    Camera { camera: CameraState },
    /// The speaker started or stopped sounding the assistant's voice, at `t_ms` of audio time
    /// (the engine's clock): the assistant lane of the timeline. The engine reports when
    /// speech starts and when it is cut, not when it runs out; this does.
    Playback { t_ms: u64, speaking: bool },
}

/// How long the speaker must stay quiet before the voice counts as stopped (the gaps between
/// queued sentences are shorter, and the flag is per 10 ms callback).
pub const PLAYBACK_QUIET_MS: u64 = 150;

/// Turns the player's per-callback "sounding speech" flag into start and stop messages, with
/// [`PLAYBACK_QUIET_MS`] of hysteresis on stopping.
#[derive(Debug, Default)]
pub struct PlaybackTracker {
    speaking: bool,
    /// When the speaker went quiet while `speaking` still holds.
    quiet_since_ms: Option<u64>,
}

impl PlaybackTracker {
    /// The flag at audio time `now_ms`; returns a message when the state changed (a stop
    /// carries the time the speaker went quiet).
    pub fn update(&mut self, now_ms: u64, sounding: bool) -> Option<UiMessage> {
        match (self.speaking, sounding) {
            (false, true) => {
                self.speaking = true;
                self.quiet_since_ms = None;
                Some(UiMessage::Playback {
                    t_ms: now_ms,
                    speaking: true,
                })
            }
            (true, true) => {
                self.quiet_since_ms = None;
                None
            }
            (true, false) => {
                let since = *self.quiet_since_ms.get_or_insert(now_ms);
                if now_ms.saturating_sub(since) < PLAYBACK_QUIET_MS {
                    return None;
                }
                self.speaking = false;
                self.quiet_since_ms = None;
                Some(UiMessage::Playback {
                    t_ms: since,
                    speaking: false,
                })
            }
            (false, false) => None,
        }
    }
}

/// Whether the camera is on, which one, and why it is not when it was asked to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CameraState {
    pub on: bool,
    pub device: Option<String>,
    pub error: Option<AppError>,
}

/// Where a conversation is in its life: starting (with the step it is on), running, stopped.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Loading models or opening devices; `step` says which, for the user.
    Starting { step: String },
    /// Listening on these devices.
    Running {
        input_device: String,
        output_device: String,
        micro_turn_ms: u32,
    },
    /// The conversation ended: asked to (`error` is `None`) or because of `error`, after it
    /// had started. Failures while starting are the `start_conversation` command's error.
    Stopped { error: Option<AppError> },
}

/// What goes through the Tauri channel: messages in order, and how many were dropped so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Batch {
    pub messages: Vec<UiMessage>,
    /// Messages dropped in this conversation so far because the UI fell behind.
    pub dropped_total: u64,
}

/// Delivery counts of one conversation.
#[derive(Debug, Default)]
pub struct Counters {
    /// Messages handed to the channel.
    pub sent: AtomicU64,
    /// Messages dropped: the queue was full, or the window was gone.
    pub dropped: AtomicU64,
}

impl Counters {
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The loop's end of the queue. Never blocks.
#[derive(Debug)]
pub struct EventSender {
    tx: SyncSender<UiMessage>,
    counters: Arc<Counters>,
}

impl EventSender {
    /// Queues a message; when the queue is full (or the forwarder gone) drops it, counts it,
    /// and returns false.
    pub fn push(&self, message: UiMessage) -> bool {
        match self.tx.try_send(message) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }
}

/// The `ui-events` thread.
#[derive(Debug)]
pub struct Forwarder {
    join: JoinHandle<()>,
}

impl Forwarder {
    /// Starts the thread that drains a queue of `capacity` messages into `channel`.
    pub fn spawn(
        channel: Channel<Batch>,
        capacity: usize,
        counters: Arc<Counters>,
    ) -> std::io::Result<(EventSender, Forwarder)> {
        let (tx, rx) = sync_channel(capacity);
        let thread_counters = counters.clone();
        let join = std::thread::Builder::new()
            .name("ui-events".into())
            .spawn(move || forward(&rx, &channel, &thread_counters))?;
        Ok((EventSender { tx, counters }, Forwarder { join }))
    }

    /// Waits until every message queued before the sender was dropped has been sent.
    pub fn finish(self) {
        if self.join.join().is_err() {
            tracing::error!("the ui-events thread panicked");
        }
    }
}

fn forward(rx: &Receiver<UiMessage>, channel: &Channel<Batch>, counters: &Counters) {
    while let Ok(first) = rx.recv() {
        let mut messages = vec![first];
        while messages.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(m) => messages.push(m),
                Err(_) => break,
            }
        }
        let n = messages.len() as u64;
        let batch = Batch {
            messages,
            dropped_total: counters.dropped(),
        };
        match channel.send(batch) {
            Ok(()) => {
                counters.sent.fetch_add(n, Ordering::Relaxed);
            }
            Err(err) => {
                // The window is gone or the webview refused the message; the loop goes on.
                tracing::debug!(%err, "dropping a batch of UI events");
                counters.dropped.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, mpsc};
    use std::time::Duration;

    use tandem_core::engine::{Event, EventKind};
    use tauri::ipc::{Channel, InvokeResponseBody};

    use super::*;

    /// A channel that records every batch as JSON, like the webview would receive it.
    fn recording_channel() -> (Channel<Batch>, Arc<Mutex<Vec<serde_json::Value>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let channel = Channel::new(move |body: InvokeResponseBody| {
            let InvokeResponseBody::Json(json) = body else {
                panic!("batches are JSON");
            };
            sink.lock()
                .unwrap()
                .push(serde_json::from_str(&json).unwrap());
            Ok(())
        });
        (channel, seen)
    }

    fn event(t_ms: u64, text: &str) -> UiMessage {
        UiMessage::Event {
            event: Event {
                t_ms,
                kind: EventKind::Final {
                    text: text.into(),
                    words: Vec::new(),
                    judged: None,
                    avg_logprob: -0.1,
                    compute_ms: 1.0,
                },
            },
        }
    }

    #[test]
    fn messages_arrive_in_order_with_the_event_contract() {
        let (channel, seen) = recording_channel();
        let counters = Arc::new(Counters::default());
        let (tx, fwd) = Forwarder::spawn(channel, 16, counters.clone()).unwrap();
        for i in 0..10 {
            assert!(tx.push(event(i * 100, &format!("line {i}"))));
        }
        drop(tx);
        fwd.finish();

        let batches = seen.lock().unwrap();
        let messages: Vec<&serde_json::Value> = batches
            .iter()
            .flat_map(|b| b["messages"].as_array().unwrap())
            .collect();
        assert_eq!(messages.len(), 10);
        for (i, m) in messages.iter().enumerate() {
            assert_eq!(m["type"], "event");
            assert_eq!(m["event"]["t_ms"], i as u64 * 100);
            assert_eq!(m["event"]["kind"], "final");
            assert_eq!(m["event"]["text"], format!("line {i}"));
        }
        assert_eq!(counters.sent(), 10);
        assert_eq!(counters.dropped(), 0);
        assert!(batches.iter().all(|b| b["dropped_total"] == 0));
    }

    #[test]
    fn a_stalled_ui_drops_and_counts_instead_of_blocking() {
        // The first send blocks until released: the UI is stuck.
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Mutex::new(release_rx);
        let seen = Arc::new(Mutex::new(Vec::<serde_json::Value>::new()));
        let sink = seen.clone();
        let channel = Channel::new(move |body: InvokeResponseBody| {
            let _ = release_rx
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(10));
            if let InvokeResponseBody::Json(json) = body {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_str(&json).unwrap());
            }
            Ok(())
        });
        let counters = Arc::new(Counters::default());
        let (tx, fwd) = Forwarder::spawn(channel, 4, counters.clone()).unwrap();

        assert!(tx.push(event(0, "first")));
        // Let the forwarder take the first message and get stuck sending it.
        std::thread::sleep(Duration::from_millis(200));
        for i in 0..4 {
            assert!(tx.push(event(1 + i, "queued")), "the queue has room for 4");
        }
        // The queue is full now: pushes return at once, dropped and counted.
        let t1 = std::time::Instant::now();
        for i in 0..100 {
            assert!(!tx.push(event(10 + i, "overflow")));
        }
        assert!(t1.elapsed() < Duration::from_secs(1), "push blocked");
        assert_eq!(counters.dropped(), 100);

        for _ in 0..20 {
            let _ = release_tx.send(());
        }
        drop(tx);
        fwd.finish();
        let batches = seen.lock().unwrap();
        let delivered: usize = batches
            .iter()
            .map(|b| b["messages"].as_array().unwrap().len())
            .sum();
        assert_eq!(delivered, 5);
        assert_eq!(counters.sent(), 5);
        // The batch after the drops reports them.
        assert_eq!(batches.last().unwrap()["dropped_total"], 100);
    }

    fn playback(t_ms: u64, speaking: bool) -> Option<UiMessage> {
        Some(UiMessage::Playback { t_ms, speaking })
    }

    #[test]
    fn playback_reports_starts_at_once_and_stops_after_a_quiet_spell() {
        let mut p = PlaybackTracker::default();
        assert_eq!(p.update(0, false), None);
        assert_eq!(p.update(100, true), playback(100, true));
        assert_eq!(p.update(110, true), None);
        // A gap between sentences shorter than the hysteresis is not a stop.
        assert_eq!(p.update(200, false), None);
        assert_eq!(p.update(200 + PLAYBACK_QUIET_MS - 10, false), None);
        assert_eq!(p.update(400, true), None);
        // Quiet for long enough: stopped, as of when it went quiet.
        assert_eq!(p.update(500, false), None);
        assert_eq!(p.update(600, false), None);
        assert_eq!(
            p.update(500 + PLAYBACK_QUIET_MS, false),
            playback(500, false)
        );
        assert_eq!(p.update(900, false), None);
        assert_eq!(p.update(1000, true), playback(1000, true));
    }

    #[test]
    fn playback_messages_serialize_for_the_timeline() {
        let json = serde_json::to_value(UiMessage::Playback {
            t_ms: 1200,
            speaking: false,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "playback", "t_ms": 1200, "speaking": false})
        );
    }

    #[test]
    fn a_failing_channel_counts_its_messages_as_dropped() {
        let channel = Channel::new(|_body: InvokeResponseBody| Err(tauri::Error::WebviewNotFound));
        let counters = Arc::new(Counters::default());
        let (tx, fwd) = Forwarder::spawn(channel, 8, counters.clone()).unwrap();
        tx.push(event(0, "a"));
        tx.push(event(1, "b"));
        drop(tx);
        fwd.finish();
        assert_eq!(counters.sent(), 0);
        assert_eq!(counters.dropped(), 2);
    }
}
