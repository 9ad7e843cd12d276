//! The live conversation as Tauri managed state: at most one at a time, started and stopped by
//! commands, running on a thread named `interaction`.
//!
//! [`Conversation::start`] spawns the thread with a session function (the real one is
//! [`session::run_engine`]; tests pass fakes) and returns a receiver that says when the session
//! is listening, or why it could not start. Events flow to the UI through [`forward`]; the
//! session's status is readable at any time with [`Conversation::status`].
//! [`Conversation::stop`] asks the thread to end and joins it.

pub mod forward;
pub mod session;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;
use tandem_core::audio::DeviceEvent;
use tandem_core::engine::{Event, EventKind, MicGate};
use tandem_core::interaction::Floor;
use tauri::ipc::Channel;

use crate::error::AppError;
use forward::{
    Batch, CameraState, Counters, EventSender, Forwarder, Phase, QUEUE_CAPACITY, UiMessage,
};

/// How long the camera switch waits for the session (opening a camera can take a while).
const CAMERA_SWITCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The camera switch, from the `set_camera` command to the interaction thread.
#[derive(Debug)]
pub struct CameraRequest {
    pub on: bool,
    pub reply: SyncSender<Result<CameraState, AppError>>,
}

/// Whether a conversation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Idle,
    /// Loading models and opening devices.
    Starting,
    Running,
    /// Asked to stop; the thread is finishing.
    Stopping,
}

/// What `conversation_status` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConversationStatus {
    pub state: RunState,
    /// While starting: what it is doing, for the user.
    pub step: Option<String>,
    pub input_device: Option<String>,
    pub output_device: Option<String>,
    pub micro_turn_ms: Option<u32>,
    /// The floor as of the last floor event.
    pub floor: Option<Floor>,
    /// Whether the engine hears the microphone (false: muted, or push-to-talk not held).
    pub mic_live: bool,
    /// Messages delivered to and dropped on the way to the UI in this conversation.
    pub events_sent: u64,
    pub events_dropped: u64,
    /// Why the last conversation ended or failed to start, if it was an error.
    pub last_error: Option<AppError>,
}

impl ConversationStatus {
    fn idle() -> Self {
        Self {
            state: RunState::Idle,
            step: None,
            input_device: None,
            output_device: None,
            micro_turn_ms: None,
            floor: None,
            mic_live: true,
            events_sent: 0,
            events_dropped: 0,
            last_error: None,
        }
    }
}

/// The devices a session opened, reported once it listens.
#[derive(Debug, Clone)]
pub struct Ready {
    pub input_device: String,
    pub output_device: String,
    pub micro_turn_ms: u32,
}

#[derive(Debug)]
struct Shared {
    status: Mutex<ConversationStatus>,
    counters: Arc<Counters>,
    /// The microphone gate: kept across conversations, so a mute set before Start holds from
    /// the first frame.
    mic: MicGate,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, ConversationStatus> {
        // A panic elsewhere cannot leave the status half-written in a harmful way.
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A session's handle on the outside world, passed to the session function.
#[derive(Debug)]
pub struct Session {
    stop: Arc<AtomicBool>,
    events: EventSender,
    shared: Arc<Shared>,
    ready: Option<SyncSender<Result<(), AppError>>>,
    camera: Receiver<CameraRequest>,
}

impl Session {
    /// Whether `stop_conversation` asked this session to end.
    pub fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The microphone gate the engine must read (see [`tandem_core::engine::live::open_gated`]).
    pub fn mic_gate(&self) -> MicGate {
        self.shared.mic.clone()
    }

    /// Forwards a UI message that is not an engine event (never blocks).
    pub fn notify(&self, message: UiMessage) {
        self.events.push(message);
    }

    /// Reports a start-up step ("Loading the models").
    pub fn step(&self, step: &str) {
        tracing::info!(step, "conversation starting");
        self.shared.lock().step = Some(step.to_owned());
        self.events.push(UiMessage::Phase {
            phase: Phase::Starting {
                step: step.to_owned(),
            },
        });
    }

    /// Reports that the session listens; `start_conversation` returns now.
    pub fn ready(&mut self, ready: Ready) {
        {
            let mut s = self.shared.lock();
            s.state = RunState::Running;
            s.step = None;
            s.input_device = Some(ready.input_device.clone());
            s.output_device = Some(ready.output_device.clone());
            s.micro_turn_ms = Some(ready.micro_turn_ms);
        }
        self.events.push(UiMessage::Phase {
            phase: Phase::Running {
                input_device: ready.input_device,
                output_device: ready.output_device,
                micro_turn_ms: ready.micro_turn_ms,
            },
        });
        if let Some(tx) = self.ready.take() {
            let _ = tx.send(Ok(()));
        }
    }

    /// Forwards an engine event (never blocks).
    pub fn emit(&self, event: Event) {
        if let EventKind::Floor { floor } = event.kind {
            self.shared.lock().floor = Some(floor);
        }
        self.events.push(UiMessage::Event { event });
    }

    /// Forwards a device event (never blocks).
    pub fn device(&self, event: DeviceEvent) {
        tracing::warn!(?event, "audio device");
        self.events.push(UiMessage::Device { event });
    }

    /// The next camera switch asked for, if any (never blocks).
    pub fn camera_request(&self) -> Option<CameraRequest> {
        self.camera.try_recv().ok()
    }

    /// Tells the UI the camera's state (never blocks).
    pub fn camera(&self, camera: CameraState) {
        self.events.push(UiMessage::Camera { camera });
    }
}

#[derive(Debug)]
struct Running {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
    camera: Sender<CameraRequest>,
}

/// The conversation, as Tauri managed state. Cheap to clone (commands move a clone into a
/// blocking task).
#[derive(Debug, Clone)]
pub struct Conversation {
    running: Arc<Mutex<Option<Running>>>,
    shared: Arc<Shared>,
}

impl Default for Conversation {
    fn default() -> Self {
        Self {
            running: Arc::new(Mutex::new(None)),
            shared: Arc::new(Shared {
                status: Mutex::new(ConversationStatus::idle()),
                counters: Arc::new(Counters::default()),
                mic: MicGate::default(),
            }),
        }
    }
}

impl Conversation {
    /// Starts a session running `run` on a new `interaction` thread, with events going to
    /// `channel`. The receiver yields `Ok` once the session listens (or ended before that
    /// because it was stopped), or the error that kept it from starting.
    ///
    /// # Errors
    /// [`AppError::AlreadyRunning`] while another session starts or runs; `Internal` if a
    /// thread cannot be spawned.
    pub fn start<F>(
        &self,
        channel: Channel<Batch>,
        run: F,
    ) -> Result<Receiver<Result<(), AppError>>, AppError>
    where
        F: FnOnce(&mut Session) -> Result<(), AppError> + Send + 'static,
    {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = running.take() {
            // An idle status means the thread is past its session and only reporting how it
            // ended: join it rather than refusing.
            let ending = self.shared.lock().state == RunState::Idle;
            if !r.thread.is_finished() && !ending {
                *running = Some(r);
                return Err(AppError::AlreadyRunning);
            }
            let _ = r.thread.join();
        }
        *self.shared.lock() = ConversationStatus {
            state: RunState::Starting,
            ..ConversationStatus::idle()
        };
        // Counts are per conversation (the previous thread has been joined).
        self.shared.counters.sent.store(0, Ordering::Relaxed);
        self.shared.counters.dropped.store(0, Ordering::Relaxed);

        let (events, forwarder) = Forwarder::spawn(
            channel.clone(),
            QUEUE_CAPACITY,
            self.shared.counters.clone(),
        )
        .map_err(|e| AppError::Internal(format!("cannot start the ui-events thread: {e}")))?;
        let (ready_tx, ready_rx) = sync_channel(1);
        let (camera, camera_rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let session = Session {
            stop: stop.clone(),
            events,
            shared: self.shared.clone(),
            ready: Some(ready_tx),
            camera: camera_rx,
        };
        let shared = self.shared.clone();
        let thread = std::thread::Builder::new()
            .name("interaction".into())
            .spawn(move || session_thread(session, run, forwarder, &channel, &shared))
            .map_err(|e| AppError::Internal(format!("cannot start the interaction thread: {e}")))?;
        *running = Some(Running {
            stop,
            thread,
            camera,
        });
        Ok(ready_rx)
    }

    /// Switches the running conversation's camera on or off and returns its state. Blocks up
    /// to [`CAMERA_SWITCH_TIMEOUT`]: call it off the main thread.
    ///
    /// # Errors
    /// [`AppError::NotRunning`] without a running conversation; [`AppError::Camera`] when
    /// the camera cannot be switched on (the conversation goes on without it).
    pub fn set_camera(&self, on: bool) -> Result<CameraState, AppError> {
        let sender = {
            let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            match running.as_ref() {
                Some(r) if self.shared.lock().state == RunState::Running => r.camera.clone(),
                _ => return Err(AppError::NotRunning),
            }
        };
        let (reply, answer) = sync_channel(1);
        sender
            .send(CameraRequest { on, reply })
            .map_err(|_| AppError::NotRunning)?;
        answer
            .recv_timeout(CAMERA_SWITCH_TIMEOUT)
            .map_err(|_| AppError::Internal("the camera switch got no answer".into()))?
    }

    /// Opens (`live`) or closes (muted) the microphone gate, now and for later conversations;
    /// returns the state. The running engine (if any) hears silence from its next frame on.
    pub fn set_microphone(&self, live: bool) -> bool {
        self.shared.mic.set_open(live);
        live
    }

    /// Asks the running session (if any) to end and waits for its thread. Blocks: call it off
    /// the main thread.
    pub fn stop(&self) -> ConversationStatus {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = running.take() {
            r.stop.store(true, Ordering::Relaxed);
            {
                let mut s = self.shared.lock();
                if s.state != RunState::Idle {
                    s.state = RunState::Stopping;
                }
            }
            if r.thread.join().is_err() {
                tracing::error!("the interaction thread panicked");
            }
        }
        self.status()
    }

    /// The current status, with delivery counts.
    pub fn status(&self) -> ConversationStatus {
        let mut s = self.shared.lock().clone();
        s.mic_live = self.shared.mic.is_open();
        s.events_sent = self.shared.counters.sent();
        s.events_dropped = self.shared.counters.dropped();
        s
    }
}

/// The body of the `interaction` thread: runs the session, then drains the event queue and
/// reports how it ended.
fn session_thread<F>(
    mut session: Session,
    run: F,
    forwarder: Forwarder,
    channel: &Channel<Batch>,
    shared: &Shared,
) where
    F: FnOnce(&mut Session) -> Result<(), AppError>,
{
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| run(&mut session)))
        .unwrap_or_else(|_| Err(AppError::Internal("the interaction thread panicked".into())));
    if let Err(err) = &outcome {
        tracing::error!(%err, "conversation ended");
    }
    let Session { events, ready, .. } = session;
    drop(events);
    forwarder.finish();
    let started = ready.is_none();
    {
        let mut s = shared.lock();
        s.state = RunState::Idle;
        s.step = None;
        s.floor = None;
        s.last_error = outcome.as_ref().err().cloned();
    }
    match ready {
        // Failed (or stopped) while starting: the start command reports it.
        Some(tx) => {
            let _ = tx.send(outcome);
        }
        None => {
            let phase = Phase::Stopped {
                error: outcome.err(),
            };
            let _ = channel.send(Batch {
                messages: vec![UiMessage::Phase { phase }],
                dropped_total: shared.counters.dropped(),
            });
        }
    }
    tracing::info!(started, "conversation thread done");
}

#[cfg(test)]
mod tests;
