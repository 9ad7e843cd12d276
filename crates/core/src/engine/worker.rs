//! Workers: the engine's slow stages (speech recognition, end-of-turn, speech synthesis, the
//! reasoner) behind one interface that runs either on a named thread (live, `--pace realtime`)
//! or inline on a virtual clock (`--pace virtual`).
//!
//! A job turns into zero or more outputs. On a thread, outputs arrive whenever the thread
//! produces them and the loop picks them up at its next poll. Inline, the job runs at once in
//! the caller's thread, its compute time is measured, and each output is released when the
//! virtual clock reaches "submission time + compute time so far" — so the simulated loop
//! experiences exactly the delays the models cost on this machine, while the audio keeps
//! flowing. A worker is one stage: inline jobs queue behind each other as they would on its
//! thread.
//!
//! [`Worker::cancel`] drops everything submitted so far: queued jobs are skipped and outputs
//! of cancelled jobs are discarded (a running job may check [`Emit::cancelled`] between
//! pieces of work).
//!
//! A thread's queues are bounded: a job submitted to a full queue is dropped and counted
//! ([`Worker::dropped_jobs`]; the loop never blocks), and a stage whose outputs the loop has
//! not collected waits for room (backpressure on the stage, nothing lost).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often an idle worker thread calls its idle hook, unless the job says otherwise.
const IDLE_POLL: Duration = Duration::from_millis(50);
/// Jobs waiting for a worker thread; more are dropped and counted.
const JOB_CAPACITY: usize = 64;
/// Outputs waiting for the loop to collect them; a stage with more waits.
const OUTPUT_CAPACITY: usize = 1024;

/// Passed to a running job: sends outputs and tells whether the job was cancelled.
pub struct Emit<'a, O> {
    generation: u64,
    cancel_below: &'a AtomicU64,
    sink: &'a mut dyn FnMut(O),
}

impl<O> std::fmt::Debug for Emit<'_, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emit")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl<O> Emit<'_, O> {
    pub fn send(&mut self, output: O) {
        (self.sink)(output);
    }

    /// Whether the job was cancelled after it started.
    pub fn cancelled(&self) -> bool {
        self.generation < self.cancel_below.load(Ordering::Acquire)
    }
}

/// What a worker runs: one call per job, plus an optional hook while idle (threads only).
pub trait Job<J, O>: Send + 'static {
    fn run(&mut self, job: J, emit: &mut Emit<'_, O>);
    /// Called every [`Job::idle_every`] while a worker thread has nothing to do.
    fn idle(&mut self, _emit: &mut Emit<'_, O>) {}
    /// How often [`Job::idle`] runs; 50 ms unless the job needs to be quicker.
    fn idle_every(&self) -> Duration {
        IDLE_POLL
    }
}

/// Jobs a worker can be given, as closures.
impl<J, O, F> Job<J, O> for F
where
    F: FnMut(J, &mut Emit<'_, O>) + Send + 'static,
{
    fn run(&mut self, job: J, emit: &mut Emit<'_, O>) {
        self(job, emit);
    }
}

/// How the engine's stages run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// On a virtual clock: deterministic, compute time charged to the clock.
    Virtual,
    /// Against the wall clock, each stage on its own thread, as live.
    Realtime,
}

impl std::str::FromStr for Pace {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "virtual" => Ok(Self::Virtual),
            "realtime" => Ok(Self::Realtime),
            other => Err(format!("unknown pace `{other}`: use virtual or realtime")),
        }
    }
}

struct Inline<J, O> {
    job: Box<dyn Job<J, O>>,
    /// Virtual time (ms, fractional) at which the stage is free again.
    busy_until_ms: f64,
    /// Outputs with the virtual time they become available, and their generation.
    ready: VecDeque<(f64, u64, O)>,
}

struct Threaded<J, O> {
    jobs: Option<SyncSender<(u64, J)>>,
    outputs: Receiver<(u64, O)>,
    thread: Option<JoinHandle<()>>,
}

enum Mode<J, O> {
    Inline(Inline<J, O>),
    Threaded(Threaded<J, O>),
}

/// One stage of the engine; see the module docs.
pub struct Worker<J, O> {
    name: &'static str,
    mode: Mode<J, O>,
    generation: u64,
    cancel_below: Arc<AtomicU64>,
    /// Jobs submitted and not yet finished (threads) or not yet fully released (inline).
    in_flight: Arc<AtomicU64>,
    /// Total compute time spent in jobs, for reports.
    busy: Arc<AtomicU64>,
    /// Jobs dropped because the thread's queue was full.
    dropped_jobs: u64,
}

impl<J, O> std::fmt::Debug for Worker<J, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("name", &self.name)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl<J: Send + 'static, O: Send + 'static> Worker<J, O> {
    /// A worker running `job` in the given pace; with `Realtime`, on a thread named `name`.
    pub fn new(name: &'static str, pace: Pace, job: impl Job<J, O>) -> std::io::Result<Self> {
        let cancel_below = Arc::new(AtomicU64::new(0));
        let in_flight = Arc::new(AtomicU64::new(0));
        let busy = Arc::new(AtomicU64::new(0));
        let mode = match pace {
            Pace::Virtual => Mode::Inline(Inline {
                job: Box::new(job),
                busy_until_ms: 0.0,
                ready: VecDeque::new(),
            }),
            Pace::Realtime => {
                let (job_tx, job_rx) = mpsc::sync_channel::<(u64, J)>(JOB_CAPACITY);
                let (out_tx, out_rx) = mpsc::sync_channel::<(u64, O)>(OUTPUT_CAPACITY);
                let cancel = cancel_below.clone();
                let flight = in_flight.clone();
                let busy_ns = busy.clone();
                let thread = std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn(move || worker_thread(job, job_rx, out_tx, cancel, flight, busy_ns))?;
                Mode::Threaded(Threaded {
                    jobs: Some(job_tx),
                    outputs: out_rx,
                    thread: Some(thread),
                })
            }
        };
        Ok(Self {
            name,
            mode,
            generation: 0,
            cancel_below,
            in_flight,
            busy,
            dropped_jobs: 0,
        })
    }

    /// Starts `job` at `now_ms` (virtual time; ignored by threads).
    pub fn submit(&mut self, job: J, now_ms: u64) {
        let generation = self.generation;
        match &mut self.mode {
            Mode::Threaded(t) => {
                self.in_flight.fetch_add(1, Ordering::AcqRel);
                if let Some(tx) = &t.jobs {
                    match tx.try_send((generation, job)) {
                        Ok(()) => {}
                        Err(TrySendError::Full(_)) => {
                            self.dropped_jobs += 1;
                            self.in_flight.fetch_sub(1, Ordering::AcqRel);
                            tracing::warn!(
                                worker = self.name,
                                dropped = self.dropped_jobs,
                                "job dropped: the stage's queue is full"
                            );
                        }
                        Err(TrySendError::Disconnected(_)) => {
                            tracing::warn!(worker = self.name, "worker thread has stopped");
                            self.in_flight.fetch_sub(1, Ordering::AcqRel);
                        }
                    }
                }
            }
            Mode::Inline(inl) => {
                let start = inl.busy_until_ms.max(now_ms as f64);
                let t0 = Instant::now();
                let mut produced: Vec<(f64, O)> = Vec::new();
                {
                    let mut sink = |o: O| {
                        produced.push((t0.elapsed().as_secs_f64() * 1000.0, o));
                    };
                    let mut emit = Emit {
                        generation,
                        cancel_below: &self.cancel_below,
                        sink: &mut sink,
                    };
                    inl.job.run(job, &mut emit);
                }
                let spent = t0.elapsed();
                self.busy
                    .fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
                inl.busy_until_ms = start + spent.as_secs_f64() * 1000.0;
                for (at, o) in produced {
                    inl.ready.push_back((start + at, generation, o));
                }
                inl.ready
                    .make_contiguous()
                    .sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
    }

    /// Outputs available at `now_ms` (virtual time; threads return what has arrived).
    pub fn poll(&mut self, now_ms: u64, out: &mut Vec<O>) {
        let below = self.cancel_below.load(Ordering::Acquire);
        match &mut self.mode {
            Mode::Threaded(t) => {
                while let Ok((generation, o)) = t.outputs.try_recv() {
                    if generation >= below {
                        out.push(o);
                    }
                }
            }
            Mode::Inline(inl) => {
                while inl.ready.front().is_some_and(|r| r.0 <= now_ms as f64) {
                    let (_, generation, o) = inl.ready.pop_front().expect("front checked");
                    if generation >= below {
                        out.push(o);
                    }
                }
            }
        }
    }

    /// When the next inline output becomes available (virtual ms); `None` for threads.
    pub fn next_ready_ms(&self) -> Option<u64> {
        match &self.mode {
            Mode::Inline(inl) => inl.ready.front().map(|r| r.0.ceil() as u64),
            Mode::Threaded(_) => None,
        }
    }

    /// Whether a job is queued or running (threads), or its outputs are not all released yet
    /// (inline).
    pub fn is_busy(&self) -> bool {
        match &self.mode {
            Mode::Inline(inl) => !inl.ready.is_empty(),
            Mode::Threaded(_) => self.in_flight.load(Ordering::Acquire) > 0,
        }
    }

    /// Cancels everything submitted so far.
    pub fn cancel(&mut self, now_ms: u64) {
        self.generation += 1;
        self.cancel_below.store(self.generation, Ordering::Release);
        if let Mode::Inline(inl) = &mut self.mode {
            // A real stage would stop at its next check: keep it busy only until the piece of
            // work in progress now is done.
            let in_progress = inl
                .ready
                .iter()
                .map(|r| r.0)
                .find(|&t| t >= now_ms as f64)
                .unwrap_or(now_ms as f64);
            inl.busy_until_ms = inl.busy_until_ms.min(in_progress).max(now_ms as f64);
            inl.ready.clear();
        }
    }

    /// Jobs dropped because the stage's queue was full (threads only).
    pub fn dropped_jobs(&self) -> u64 {
        self.dropped_jobs
    }

    /// Milliseconds of compute spent in jobs so far.
    pub fn busy_ms(&self) -> f64 {
        self.busy.load(Ordering::Relaxed) as f64 / 1e6
    }
}

impl<J, O> Drop for Worker<J, O> {
    fn drop(&mut self) {
        if let Mode::Threaded(t) = &mut self.mode {
            t.jobs = None;
            self.cancel_below.store(u64::MAX, Ordering::Release);
            if let Some(h) = t.thread.take() {
                let _ = h.join();
            }
        }
    }
}

fn worker_thread<J, O>(
    mut job: impl Job<J, O>,
    jobs: Receiver<(u64, J)>,
    outputs: SyncSender<(u64, O)>,
    cancel_below: Arc<AtomicU64>,
    in_flight: Arc<AtomicU64>,
    busy: Arc<AtomicU64>,
) {
    loop {
        match jobs.recv_timeout(job.idle_every()) {
            Ok((generation, j)) => {
                if generation >= cancel_below.load(Ordering::Acquire) {
                    let t0 = Instant::now();
                    with_emit(generation, &cancel_below, &outputs, |emit| job.run(j, emit));
                    busy.fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
                }
                in_flight.fetch_sub(1, Ordering::AcqRel);
            }
            Err(RecvTimeoutError::Timeout) => {
                let generation = cancel_below.load(Ordering::Acquire);
                with_emit(generation, &cancel_below, &outputs, |emit| job.idle(emit));
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Runs `f` with an [`Emit`] that sends to a worker thread's output channel.
fn with_emit<O>(
    generation: u64,
    cancel_below: &AtomicU64,
    outputs: &SyncSender<(u64, O)>,
    f: impl FnOnce(&mut Emit<'_, O>),
) {
    let mut sink = |o: O| {
        let mut item = (generation, o);
        // Wait for room while the loop catches up; give up once the worker is shutting down
        // (the loop no longer collects).
        loop {
            match outputs.try_send(item) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) => {
                    if cancel_below.load(Ordering::Acquire) == u64::MAX {
                        return;
                    }
                    item = back;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    };
    let mut emit = Emit {
        generation,
        cancel_below,
        sink: &mut sink,
    };
    f(&mut emit);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spin(ms: u64) {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_millis(ms) {
            std::hint::spin_loop();
        }
    }

    #[test]
    fn inline_outputs_wait_for_their_compute_time() {
        let mut w = Worker::new("test", Pace::Virtual, |n: u64, e: &mut Emit<'_, u64>| {
            spin(n);
            e.send(n);
        })
        .unwrap();
        w.submit(30, 1000);
        let mut out = Vec::new();
        w.poll(1000, &mut out);
        assert!(out.is_empty(), "a 30 ms job is not ready at once");
        assert!(w.is_busy());
        let ready = w.next_ready_ms().unwrap();
        assert!((1030..1200).contains(&ready), "ready at {ready}");
        // A second job queues behind the first.
        w.submit(30, 1001);
        w.poll(ready, &mut out);
        assert_eq!(out, vec![30]);
        let second = w.next_ready_ms().unwrap();
        assert!(second >= ready + 30, "second at {second}, first at {ready}");
        w.poll(second, &mut out);
        assert_eq!(out, vec![30, 30]);
        assert!(!w.is_busy());
    }

    #[test]
    fn cancel_drops_pending_outputs_in_both_paces() {
        for pace in [Pace::Virtual, Pace::Realtime] {
            let mut w = Worker::new("test", pace, |n: u64, e: &mut Emit<'_, u64>| {
                spin(20);
                if !e.cancelled() {
                    e.send(n);
                }
            })
            .unwrap();
            w.submit(1, 0);
            w.cancel(0);
            w.submit(2, 0);
            let mut out = Vec::new();
            let t0 = Instant::now();
            while out.is_empty() && t0.elapsed() < Duration::from_secs(5) {
                w.poll(10_000, &mut out);
                std::thread::sleep(Duration::from_millis(5));
            }
            assert_eq!(out, vec![2], "{pace:?}");
        }
    }
}
