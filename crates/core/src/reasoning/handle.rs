//! Starting the reasoner, the handle the interaction loop holds, and the coordinator task
//! that owns the requests in flight.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::Instrument;

use super::llm::embedded::{EmbeddedError, EmbeddedStats};
use super::llm::{EmbeddedLlm, EmbeddedOptions, LlmBackend, LlmClient, LlmError, Timeouts};
use super::options::ReasonerOptions;
use super::run::{self, EventSink, Job, JobEnd, Progress, Shared, lock};
use super::skills::CancelToken;
use super::timers::TimerTable;
use super::{ReasonerEvent, Request, RequestId};
use crate::config::LlmConfig;
use crate::store::{Store, StoreError, TurnOutcome, TurnStatus, now_unix_ms};

#[derive(Debug, thiserror::Error)]
pub enum ReasonerError {
    #[error("cannot start the reasoner's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    #[error(
        "llm.backend is `embedded` but no model file was given: run `tandem models fetch` (it installs the default model), set llm.model_path to a GGUF file, or set llm.enabled = false"
    )]
    NoEmbeddedModel,
}

/// Starts reasoners.
#[derive(Debug)]
pub struct Reasoner;

impl Reasoner {
    /// Starts a reasoner with default options.
    pub fn spawn(config: LlmConfig, store: Store) -> Result<ReasonerHandle, ReasonerError> {
        Self::spawn_with(config, store, ReasonerOptions::default())
    }

    /// Starts a reasoner on a runtime of its own, named `tandem-reasoner`.
    pub fn spawn_with(
        config: LlmConfig,
        store: Store,
        options: ReasonerOptions,
    ) -> Result<ReasonerHandle, ReasonerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.worker_threads.max(1))
            .thread_name("tandem-reasoner")
            .enable_all()
            .build()
            .map_err(ReasonerError::Runtime)?;
        let timers = Arc::new(TimerTable::load(store.clone())?);
        let llm: Option<LlmBackend> = if !config.enabled {
            None
        } else if let Some(api) = config.backend.http_api() {
            let _guard = runtime.enter();
            Some(LlmBackend::Http(LlmClient::new(
                &config,
                api,
                Timeouts {
                    first_output: options.llm_first_output_timeout,
                    stall: options.llm_stall_timeout,
                },
            )?))
        } else {
            let path = config
                .model_path
                .clone()
                .ok_or(ReasonerError::NoEmbeddedModel)?;
            let mut embedded = EmbeddedOptions::new(path);
            embedded.threads = config.threads;
            Some(LlmBackend::Embedded(EmbeddedLlm::start(embedded)?))
        };
        let llm_stats = match &llm {
            Some(LlmBackend::Embedded(m)) => Some(m.shared_stats()),
            _ => None,
        };
        let (event_tx, events) = mpsc::channel(options.event_capacity.max(8));
        let dropped = Arc::new(AtomicU64::new(0));
        let (commands, command_rx) = mpsc::channel(COMMAND_CAPACITY);
        let session = format!("{:x}-{:x}", now_unix_ms(), std::process::id());
        tracing::info!(%session, llm = config.enabled, "reasoner starting");
        let shared = Arc::new(Shared {
            store,
            timers,
            llm,
            config,
            options,
            sink: EventSink::new(event_tx, dropped.clone()),
            session,
        });
        runtime.spawn(
            coordinator(shared.clone(), command_rx).instrument(tracing::info_span!("reasoner")),
        );
        runtime.spawn(timer_loop(shared).instrument(tracing::info_span!("reasoner_timers")));
        Ok(ReasonerHandle {
            runtime: Some(runtime),
            commands,
            events,
            next_id: AtomicU64::new(1),
            dropped,
            dropped_commands: AtomicU64::new(0),
            llm_stats,
        })
    }
}

#[derive(Debug)]
enum Command {
    Request {
        id: RequestId,
        request: Request,
    },
    Update {
        id: RequestId,
        text: String,
        user_final: bool,
    },
    Cancel {
        id: RequestId,
    },
    Interrupted {
        id: RequestId,
        heard: String,
    },
    Finish {
        id: RequestId,
        text: String,
        asr_logprob: Option<f32>,
    },
}

/// Room for commands from the interaction loop (a handful a turn); beyond it they are
/// dropped and counted.
const COMMAND_CAPACITY: usize = 256;

/// The interaction loop's side of the reasoner. Every method returns at once; events come
/// back through [`ReasonerHandle::try_recv`]. Dropping the handle stops the reasoner.
#[derive(Debug)]
pub struct ReasonerHandle {
    runtime: Option<tokio::runtime::Runtime>,
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<ReasonerEvent>,
    next_id: AtomicU64,
    dropped: Arc<AtomicU64>,
    dropped_commands: AtomicU64,
    llm_stats: Option<Arc<EmbeddedStats>>,
}

impl ReasonerHandle {
    /// The embedded model's counters (tokens read and generated, generations cancelled);
    /// `None` with a server backend or no model.
    pub fn llm_stats(&self) -> Option<&EmbeddedStats> {
        self.llm_stats.as_deref()
    }

    fn send(&self, command: Command) {
        // Never blocks the caller (the interaction loop's link). Closed only after the
        // runtime is gone, when there is nothing left to do.
        if let Err(mpsc::error::TrySendError::Full(command)) = self.commands.try_send(command) {
            let n = self.dropped_commands.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                dropped = n,
                ?command,
                "reasoner command dropped: queue full"
            );
        }
    }

    /// Starts answering; the returned id tags every event about it.
    pub fn request(&self, request: Request) -> RequestId {
        let id = RequestId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.send(Command::Request { id, request });
        id
    }

    /// The user's text changed (a longer partial, a course correction, the final
    /// transcript): the work in flight stops and restarts on the new text as the next
    /// revision. Ignored once the request has finished or been cancelled.
    pub fn update(&self, id: RequestId, user_text: impl Into<String>, user_final: bool) {
        self.send(Command::Update {
            id,
            text: user_text.into(),
            user_final,
        });
    }

    /// Stops the request: its task is aborted and any HTTP stream closed. What was said so
    /// far is recorded with the turn; no more events come for it.
    pub fn cancel(&self, id: RequestId) {
        self.send(Command::Cancel { id });
    }

    /// The speculative answer to `id` (asked on a partial transcript) stands for the final
    /// transcript `text`: the turn is recorded with the final text and that answer, and the
    /// request is over. Without an answer yet, it is asked again with `text` (as
    /// [`Self::update`] with final text).
    pub fn finish(&self, id: RequestId, text: impl Into<String>, asr_logprob: Option<f32>) {
        self.send(Command::Finish {
            id,
            text: text.into(),
            asr_logprob,
        });
    }

    /// Records where the user cut into the answer to `id`: `heard` is the text played so far.
    pub fn interrupted(&self, id: RequestId, heard: impl Into<String>) {
        self.send(Command::Interrupted {
            id,
            heard: heard.into(),
        });
    }

    /// The next event, if one is ready. Never blocks.
    pub fn try_recv(&mut self) -> Option<ReasonerEvent> {
        self.events.try_recv().ok()
    }

    /// Waits up to `timeout` for the next event. For command-line use; it blocks, so never
    /// call it from async code or from the interaction thread.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<ReasonerEvent> {
        let runtime = self.runtime.as_ref()?;
        let events = &mut self.events;
        runtime.block_on(async {
            tokio::time::timeout(timeout, events.recv())
                .await
                .ok()
                .flatten()
        })
    }

    /// Streamed events dropped because the channel was full.
    pub fn dropped_events(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Commands dropped because the reasoner's queue was full.
    pub fn dropped_commands(&self) -> u64 {
        self.dropped_commands.load(Ordering::Relaxed)
    }
}

impl Drop for ReasonerHandle {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                runtime.shutdown_background();
            } else {
                // Let store writes in flight finish.
                runtime.shutdown_timeout(Duration::from_secs(2));
            }
        }
    }
}

/// A request in flight.
#[derive(Debug)]
struct Active {
    request: Request,
    revision: u32,
    turn: Option<i64>,
    task: Option<AbortHandle>,
    progress: Arc<Mutex<Progress>>,
    started: Instant,
    /// The current revision's cancellation.
    cancel: CancelToken,
}

#[derive(Debug)]
struct Done {
    id: RequestId,
    revision: u32,
    end: JobEnd,
}

/// Requests kept after they finish, so a late interruption still finds its turn.
const FINISHED_KEPT: usize = 64;

struct Coordinator {
    shared: Arc<Shared>,
    active: HashMap<RequestId, Active>,
    finished: VecDeque<(RequestId, Option<i64>)>,
    done_tx: mpsc::UnboundedSender<Done>,
}

async fn coordinator(shared: Arc<Shared>, mut commands: mpsc::Receiver<Command>) {
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let mut c = Coordinator {
        shared,
        active: HashMap::new(),
        finished: VecDeque::new(),
        done_tx,
    };
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                Some(command) => c.command(command).await,
                None => break,
            },
            Some(done) = done_rx.recv() => c.done(done),
        }
    }
    for (_, a) in c.active.drain() {
        a.cancel.cancel();
        if let Some(task) = a.task {
            task.abort();
        }
    }
    tracing::info!("reasoner stopped");
}

/// Runs a store call on the blocking pool; failures are logged, never fatal.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Option<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "{what} failed");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "{what} failed");
            None
        }
    }
}

impl Coordinator {
    async fn command(&mut self, command: Command) {
        match command {
            Command::Request { id, request } => {
                if let Some(a) = &request.assistant
                    && let Some(prev) = a.request
                    && a.heard.trim() != a.said.trim()
                {
                    self.interrupted(prev, a.heard.clone());
                }
                // The user's final words go to disk before any reasoning starts; a partial
                // transcript is not a turn yet (it may never be one).
                let turn = if request.user_final {
                    self.begin_turn(&request.user_text).await
                } else {
                    None
                };
                tracing::debug!(%id, ?turn, user_final = request.user_final, "request");
                let mut active = Active {
                    request,
                    revision: 0,
                    turn,
                    task: None,
                    progress: Arc::default(),
                    started: Instant::now(),
                    cancel: CancelToken::default(),
                };
                self.start(id, &mut active);
                self.active.insert(id, active);
            }
            Command::Update {
                id,
                text,
                user_final,
            } => self.update(id, text, user_final).await,
            Command::Finish {
                id,
                text,
                asr_logprob,
            } => self.finish(id, text, asr_logprob).await,
            Command::Cancel { id } => {
                let Some(active) = self.active.remove(&id) else {
                    return;
                };
                // First the token (a side effect in progress completes, none starts), then
                // the task.
                active.cancel.cancel();
                if let Some(task) = &active.task {
                    task.abort();
                }
                tracing::debug!(%id, "cancelled");
                self.remember_finished(id, active.turn);
                if let Some(turn) = active.turn {
                    let (text, first) = {
                        let p = lock(&active.progress);
                        (p.text.clone(), p.first_output)
                    };
                    let total = active.started.elapsed();
                    let store = self.shared.store.clone();
                    blocking("recording the cancellation", move || {
                        store.finish_turn(
                            turn,
                            TurnOutcome {
                                assistant_text: &text,
                                status: TurnStatus::Cancelled,
                                source: None,
                                skill: None,
                                first_output_ms: first.map(|d| d.as_millis() as u64),
                                total_ms: total.as_millis() as u64,
                            },
                        )
                    })
                    .await;
                }
            }
            Command::Interrupted { id, heard } => self.interrupted(id, heard),
        }
    }

    async fn begin_turn(&self, text: &str) -> Option<i64> {
        let store = self.shared.store.clone();
        let (session, text) = (self.shared.session.clone(), text.to_owned());
        let at_ms = self.shared.options.clock.now_ms();
        blocking("recording the turn", move || {
            store.begin_turn(&session, &text, true, at_ms)
        })
        .await
    }

    /// New text for a request: the revision in flight stops (its side effects too) and the
    /// next starts. The turn is written once the text is final.
    async fn update(&mut self, id: RequestId, text: String, user_final: bool) {
        let Some(mut active) = self.active.remove(&id) else {
            tracing::debug!(%id, "update for a request that is over; ignored");
            return;
        };
        active.cancel.cancel();
        if let Some(task) = active.task.take() {
            task.abort();
        }
        active.revision += 1;
        active.request.user_text = text.clone();
        active.request.user_final = user_final;
        active.progress = Arc::default();
        active.started = Instant::now();
        active.cancel = CancelToken::default();
        match active.turn {
            Some(turn) => {
                let store = self.shared.store.clone();
                blocking("updating the turn", move || {
                    store.update_user_text(turn, &text, user_final)
                })
                .await;
            }
            None if user_final => active.turn = self.begin_turn(&text).await,
            None => {}
        }
        tracing::debug!(%id, revision = active.revision, user_final, "update");
        self.start(id, &mut active);
        self.active.insert(id, active);
    }

    /// The speculative answer stands for the final text: record the turn whole, end the
    /// request. With no answer yet, ask again on the final text.
    async fn finish(&mut self, id: RequestId, text: String, asr_logprob: Option<f32>) {
        let answered = self.active.get(&id).and_then(|a| lock(&a.progress).answer);
        let Some((source, skill)) = answered else {
            if let Some(active) = self.active.get_mut(&id) {
                active.request.asr_logprob = asr_logprob;
            }
            self.update(id, text, true).await;
            return;
        };
        let Some(active) = self.active.remove(&id) else {
            return;
        };
        active.cancel.cancel();
        if let Some(task) = &active.task {
            task.abort();
        }
        let turn = match active.turn {
            Some(turn) => {
                let (store, text) = (self.shared.store.clone(), text.clone());
                blocking("updating the turn", move || {
                    store.update_user_text(turn, &text, true)
                })
                .await;
                Some(turn)
            }
            None => self.begin_turn(&text).await,
        };
        tracing::debug!(%id, ?turn, "speculative answer confirmed by the final text");
        self.remember_finished(id, turn);
        if let Some(turn) = turn {
            let (answer, first) = {
                let p = lock(&active.progress);
                (p.text.clone(), p.first_output)
            };
            let total = active.started.elapsed();
            let store = self.shared.store.clone();
            blocking("recording the answer", move || {
                store.finish_turn(
                    turn,
                    TurnOutcome {
                        assistant_text: &answer,
                        status: TurnStatus::Answered,
                        source: Some(source.as_str()),
                        skill,
                        first_output_ms: first.map(|d| d.as_millis() as u64),
                        total_ms: total.as_millis() as u64,
                    },
                )
            })
            .await;
        }
    }

    fn interrupted(&mut self, id: RequestId, heard: String) {
        let turn = self
            .active
            .get(&id)
            .map(|a| a.turn)
            .or_else(|| {
                self.finished
                    .iter()
                    .find(|(f, _)| *f == id)
                    .map(|(_, t)| *t)
            })
            .flatten();
        let Some(turn) = turn else {
            tracing::debug!(%id, "interruption for an unknown request");
            return;
        };
        let store = self.shared.store.clone();
        // Fire and forget: the loop does not wait for bookkeeping.
        tokio::spawn(blocking("recording the interruption", move || {
            store.set_interruption(turn, &heard)
        }));
    }

    fn start(&self, id: RequestId, active: &mut Active) {
        let job = Job {
            id,
            revision: active.revision,
            request: active.request.clone(),
            turn: active.turn,
            started: active.started,
            progress: active.progress.clone(),
            cancel: active.cancel.clone(),
        };
        let revision = active.revision;
        let span = tracing::info_span!("request", %id, revision);
        let inner = tokio::spawn(run::run(self.shared.clone(), job).instrument(span));
        active.task = Some(inner.abort_handle());
        let done = self.done_tx.clone();
        let sink = self.shared.sink.clone();
        // A watcher turns the job's end (or panic) into a `Done`; an abort ends it quietly.
        tokio::spawn(async move {
            let end = match inner.await {
                Ok(end) => end,
                Err(e) if e.is_panic() => {
                    tracing::error!(%id, "reasoning panicked");
                    sink.lossless(ReasonerEvent::Failed {
                        id,
                        revision,
                        message: "Sorry, something went wrong there.".to_owned(),
                    })
                    .await;
                    JobEnd::Finished
                }
                Err(_) => return,
            };
            let _ = done.send(Done { id, revision, end });
        });
    }

    fn done(&mut self, done: Done) {
        let Some(active) = self.active.get_mut(&done.id) else {
            return;
        };
        if active.revision != done.revision {
            return;
        }
        active.task = None;
        if done.end == JobEnd::Finished {
            let turn = active.turn;
            self.active.remove(&done.id);
            self.remember_finished(done.id, turn);
        }
    }

    fn remember_finished(&mut self, id: RequestId, turn: Option<i64>) {
        self.finished.push_back((id, turn));
        while self.finished.len() > FINISHED_KEPT {
            self.finished.pop_front();
        }
    }
}

/// Sleeps until the next timer is due, then announces every due timer.
async fn timer_loop(shared: Arc<Shared>) {
    loop {
        let timers = shared.timers.clone();
        let now = shared.options.clock.now_ms();
        let due = tokio::task::spawn_blocking(move || timers.take_due(now))
            .await
            .unwrap_or_default();
        for t in due {
            tracing::info!(timer = t.id, kind = t.kind.as_str(), "timer due");
            shared
                .sink
                .lossless(ReasonerEvent::TimerDue {
                    timer_id: t.id,
                    kind: t.kind,
                    label: t.label.clone(),
                    text: t.announcement(now),
                    late_ms: (now - t.due_at_ms).max(0) as u64,
                })
                .await;
        }
        // Wake at the next due time, on any change, and at least every minute (wall clock
        // changes and suspends are caught that way).
        let wait_ms = shared.timers.next_due_ms().map_or(60_000, |due| {
            (due - shared.options.clock.now_ms()).clamp(0, 60_000)
        });
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait_ms as u64)) => {}
            _ = shared.timers.changed() => {}
        }
    }
}
