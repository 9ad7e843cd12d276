//! Streaming speech on a named `tts` thread.
//!
//! [`Speaker::speak`] queues a text and returns its [`UtteranceId`]; the thread splits it into
//! sentences, phonemizes one sentence at a time, cuts the phonemes at clause boundaries (the
//! first chunk of an utterance short, so audio starts early) and synthesizes chunk after chunk,
//! staying at most [`StreamConfig::ahead_chunks`] ahead of the consumer. Chunks arrive as
//! [`SpeechEvent::Chunk`] in order, then [`SpeechEvent::Finished`].
//!
//! [`Speaker::stop`] cancels everything queued so far: the thread drops pending chunks and
//! queued requests at its next check (between chunks and while waiting for the consumer), and
//! the receiving methods discard anything of a cancelled utterance that is already in the
//! channel, so nothing stale is ever played.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::split::{clauses, pack_clauses};
use super::{SynthOptions, Tts, TtsError};

/// Identifies one `speak` request; later requests have larger ids.
pub type UtteranceId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// Longest first chunk of an utterance in phoneme characters (shorter: earlier first audio,
    /// more clause breaks). The first chunk always ends at a clause boundary (`, ; : —`): a
    /// first clause longer than this is kept whole, and a sentence without one is not cut.
    pub first_chunk_phonemes: usize,
    /// Longest later chunk (the model's own limit is 400), split at clause boundaries. The
    /// model's working memory grows with its input: a 400-phoneme sentence (a spoken list, ~28 s)
    /// made its outputs alone 27 MB at once.
    pub chunk_phonemes: usize,
    /// How many synthesized chunks may wait for the consumer.
    pub ahead_chunks: usize,
    /// How many requests may wait for the thread; `speak` fails beyond that.
    pub queue: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            // About two words: "Sure, one moment." starts with "Sure," (the model's time
            // grows with the length of its input; the rest is synthesized while it plays).
            first_chunk_phonemes: 12,
            chunk_phonemes: 160,
            ahead_chunks: 2,
            queue: 8,
        }
    }
}

/// What the `tts` thread reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SpeechEvent {
    /// The next piece of audio of an utterance (24 kHz mono).
    Chunk {
        id: UtteranceId,
        /// 0, 1, 2, ... within the utterance.
        seq: u32,
        samples: Vec<f32>,
        /// The phonemes this chunk says.
        phonemes: String,
        /// Time spent synthesizing this chunk.
        synth_ms: f32,
    },
    /// All chunks of the utterance have been sent.
    Finished { id: UtteranceId },
    /// The utterance failed; no more chunks will come for it.
    Failed { id: UtteranceId, message: String },
}

impl SpeechEvent {
    pub fn id(&self) -> UtteranceId {
        match self {
            Self::Chunk { id, .. } | Self::Finished { id } | Self::Failed { id, .. } => *id,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpeakError {
    #[error("the TTS queue is full ({0} requests waiting)")]
    Full(usize),
    #[error("the TTS thread has stopped")]
    Closed,
    #[error("invalid TTS setting: {0}")]
    Params(String),
}

#[derive(Debug)]
struct Request {
    id: UtteranceId,
    text: String,
    options: SynthOptions,
}

#[derive(Debug, Default)]
struct Shared {
    /// Utterances with smaller ids are cancelled.
    cancel_below: AtomicU64,
    /// Requests refused because the queue was full.
    refused: AtomicU64,
}

impl Shared {
    fn cancelled(&self, id: UtteranceId) -> bool {
        id < self.cancel_below.load(Ordering::Acquire)
    }
}

/// The handle to the `tts` thread.
#[derive(Debug)]
pub struct Speaker {
    requests: Option<SyncSender<Request>>,
    events: Receiver<SpeechEvent>,
    shared: Arc<Shared>,
    next_id: AtomicU64,
    queue: usize,
    thread: Option<JoinHandle<()>>,
}

impl Speaker {
    /// Moves a loaded [`Tts`] onto a new thread named `tts`.
    pub fn spawn(tts: Tts, config: StreamConfig) -> std::io::Result<Self> {
        let (req_tx, req_rx) = mpsc::sync_channel::<Request>(config.queue.max(1));
        let (ev_tx, ev_rx) = mpsc::sync_channel::<SpeechEvent>(config.ahead_chunks.max(1));
        let shared = Arc::new(Shared::default());
        let worker = Worker {
            tts,
            config,
            shared: shared.clone(),
            events: ev_tx,
        };
        let thread = std::thread::Builder::new()
            .name("tts".into())
            .spawn(move || worker.run(req_rx))?;
        Ok(Self {
            requests: Some(req_tx),
            events: ev_rx,
            shared,
            next_id: AtomicU64::new(1),
            queue: config.queue.max(1),
            thread: Some(thread),
        })
    }

    /// Queues a text; its audio arrives as events with the returned id.
    pub fn speak(&self, text: &str, options: SynthOptions) -> Result<UtteranceId, SpeakError> {
        options
            .validate()
            .map_err(|e| SpeakError::Params(e.to_string()))?;
        let id = self.next_id.fetch_add(1, Ordering::AcqRel);
        let req = Request {
            id,
            text: text.to_owned(),
            options,
        };
        match self.requests.as_ref().map(|tx| tx.try_send(req)) {
            Some(Ok(())) => Ok(id),
            Some(Err(TrySendError::Full(_))) => {
                self.shared.refused.fetch_add(1, Ordering::Relaxed);
                Err(SpeakError::Full(self.queue))
            }
            Some(Err(TrySendError::Disconnected(_))) | None => Err(SpeakError::Closed),
        }
    }

    /// Cancels every utterance requested so far (queued, in synthesis or already waiting in
    /// the channel). Returns immediately.
    pub fn stop(&self) {
        let next = self.next_id.load(Ordering::Acquire);
        self.shared.cancel_below.fetch_max(next, Ordering::AcqRel);
    }

    /// Whether an utterance has been cancelled.
    pub fn is_cancelled(&self, id: UtteranceId) -> bool {
        self.shared.cancelled(id)
    }

    /// Requests refused because the queue was full.
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::Relaxed)
    }

    /// The next event of a live utterance, without waiting.
    pub fn try_recv(&self) -> Option<SpeechEvent> {
        loop {
            match self.events.try_recv() {
                Ok(ev) if self.shared.cancelled(ev.id()) => continue,
                Ok(ev) => return Some(ev),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return None,
            }
        }
    }

    /// The next event of a live utterance, waiting up to `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<SpeechEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(ev) if self.shared.cancelled(ev.id()) => continue,
                Ok(ev) => return Some(ev),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

impl Drop for Speaker {
    fn drop(&mut self) {
        self.shared.cancel_below.store(u64::MAX, Ordering::Release);
        self.requests = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    tts: Tts,
    config: StreamConfig,
    shared: Arc<Shared>,
    events: SyncSender<SpeechEvent>,
}

/// Why an utterance ended early.
enum Stop {
    Cancelled,
    Disconnected,
    Failed(TtsError),
}

impl From<TtsError> for Stop {
    fn from(e: TtsError) -> Self {
        Self::Failed(e)
    }
}

impl Worker {
    fn run(mut self, requests: Receiver<Request>) {
        let _span = tracing::info_span!("tts").entered();
        while let Ok(req) = requests.recv() {
            if self.shared.cancelled(req.id) {
                tracing::debug!(id = req.id, "dropped a cancelled request");
                continue;
            }
            let id = req.id;
            let result = self.utterance(&req);
            let end = match result {
                Ok(()) => SpeechEvent::Finished { id },
                Err(Stop::Cancelled) => {
                    tracing::debug!(id, "utterance cancelled");
                    continue;
                }
                Err(Stop::Disconnected) => return,
                Err(Stop::Failed(e)) => {
                    tracing::warn!(id, error = %e, "synthesis failed");
                    SpeechEvent::Failed {
                        id,
                        message: e.to_string(),
                    }
                }
            };
            if let Err(Stop::Disconnected) = self.send(end) {
                return;
            }
        }
    }

    fn utterance(&mut self, req: &Request) -> Result<(), Stop> {
        let Worker {
            tts,
            config,
            shared,
            events,
        } = self;
        let mut sent: Result<(), Stop> = Ok(());
        let complete = stream_utterance(
            tts,
            &req.text,
            &req.options,
            config,
            &|| !shared.cancelled(req.id),
            &mut |seq, samples, phonemes, synth_ms| {
                tracing::debug!(id = req.id, seq, synth_ms, samples = samples.len(), "chunk");
                sent = send_event(
                    shared,
                    events,
                    SpeechEvent::Chunk {
                        id: req.id,
                        seq,
                        samples,
                        phonemes,
                        synth_ms,
                    },
                );
                sent.is_ok()
            },
        )?;
        sent?;
        if complete {
            Ok(())
        } else {
            Err(Stop::Cancelled)
        }
    }

    fn send(&self, ev: SpeechEvent) -> Result<(), Stop> {
        send_event(&self.shared, &self.events, ev)
    }
}

/// Waits for room in the channel, giving up when the utterance is cancelled.
fn send_event(
    shared: &Shared,
    events: &SyncSender<SpeechEvent>,
    mut ev: SpeechEvent,
) -> Result<(), Stop> {
    loop {
        if shared.cancelled(ev.id()) {
            return Err(Stop::Cancelled);
        }
        match events.try_send(ev) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(back)) => {
                ev = back;
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(TrySendError::Disconnected(_)) => return Err(Stop::Disconnected),
        }
    }
}

/// Chunks of one sentence's phonemes: the first chunk of an utterance is kept short.
fn plan(config: &StreamConfig, ps: &str, first: bool) -> Vec<String> {
    if !first || ps.chars().count() <= config.first_chunk_phonemes {
        return pack_clauses(ps, config.chunk_phonemes);
    }
    let parts = clauses(ps);
    let mut head = String::new();
    let mut used = 0;
    for part in &parts {
        let len = head.chars().count() + part.chars().count() + usize::from(!head.is_empty());
        if !head.is_empty() && len > config.first_chunk_phonemes {
            break;
        }
        if !head.is_empty() {
            head.push(' ');
        }
        head.push_str(part);
        used += 1;
    }
    let rest = parts[used..].join(" ");
    let mut out = vec![head];
    out.extend(pack_clauses(&rest, config.chunk_phonemes));
    out
}

/// Below this amplitude (-50 dBFS) a chunk's edge counts as quiet and may be cut.
const QUIET: f32 = 0.003;
/// Quiet kept on each side of a cut inside a sentence (the model's own pauses at commas are
/// ~50-300 ms; each chunk would otherwise bring ~250-400 ms of padding silence on each side).
const JOIN_QUIET_SAMPLES: usize = 24 * 40;
/// The kept quiet fades to zero over this many samples at the cut.
const JOIN_FADE_SAMPLES: usize = 24 * 5;

/// Cuts a chunk's trailing quiet down to `JOIN_QUIET_SAMPLES`, fading out at the cut.
fn shorten_quiet_tail(samples: &mut Vec<f32>) {
    let Some(last) = samples.iter().rposition(|x| x.abs() > QUIET) else {
        return;
    };
    let end = (last + 1 + JOIN_QUIET_SAMPLES).min(samples.len());
    samples.truncate(end);
    let fade = JOIN_FADE_SAMPLES.min(end - last - 1);
    let start = end - fade;
    for (j, x) in samples[start..].iter_mut().enumerate() {
        *x *= 1.0 - (j + 1) as f32 / fade as f32;
    }
}

/// Cuts a chunk's leading quiet down to `JOIN_QUIET_SAMPLES`, fading in at the cut.
fn shorten_quiet_head(samples: &mut Vec<f32>) {
    let Some(first) = samples.iter().position(|x| x.abs() > QUIET) else {
        return;
    };
    let start = first.saturating_sub(JOIN_QUIET_SAMPLES);
    samples.drain(..start);
    let fade = JOIN_FADE_SAMPLES.min(first - start);
    for (j, x) in samples[..fade].iter_mut().enumerate() {
        *x *= j as f32 / fade as f32;
    }
}

/// Synthesizes `text` sentence by sentence, chunk by chunk (the first chunk short, so audio
/// can start early; where a sentence is cut, the pause at the cut is shortened to a comma's),
/// handing each chunk to `on_chunk(seq, samples_24k, phonemes, synth_ms)`.
/// Stops early, returning `Ok(false)`, when `keep_going` says so (checked before every
/// sentence and chunk) or `on_chunk` returns false. Used by [`Speaker`]'s thread and by the
/// interaction engine's speech stage.
pub fn stream_utterance(
    tts: &mut Tts,
    text: &str,
    options: &SynthOptions,
    config: &StreamConfig,
    keep_going: &dyn Fn() -> bool,
    on_chunk: &mut dyn FnMut(u32, Vec<f32>, String, f32) -> bool,
) -> Result<bool, TtsError> {
    options.validate()?;
    let mut noise = options.noise();
    let mut seq = 0u32;
    for sentence in tts.split_sentences(text) {
        if !keep_going() {
            return Ok(false);
        }
        let ps = tts.g2p.phonemize(&sentence)?;
        let chunks = plan(config, &ps, seq == 0);
        let last = chunks.len().saturating_sub(1);
        for (i, chunk) in chunks.into_iter().enumerate() {
            if !keep_going() {
                return Ok(false);
            }
            let t0 = Instant::now();
            let frames = tts.frames(&chunk, options.speed)?;
            let mut samples = tts.vocode(&frames, options.pitch, &mut noise);
            // The model pads every input with silence; where a sentence was cut at a clause,
            // keep only a comma's pause of it.
            if i < last {
                shorten_quiet_tail(&mut samples);
            }
            if i > 0 {
                shorten_quiet_head(&mut samples);
            }
            let synth_ms = t0.elapsed().as_secs_f32() * 1e3;
            if !on_chunk(seq, samples, chunk, synth_ms) {
                return Ok(false);
            }
            seq += 1;
        }
    }
    Ok(true)
}

/// How far synthesis may run ahead of playback in the live loop: what a cut-in leaves unsaid is never
/// synthesized, and the rest of a long answer is not made all at once while the recognizer
/// needs the cores for the user's words. Far more than a chunk takes to make (tens of ms).
pub const SPEECH_LEAD: Duration = Duration::from_secs(3);

/// An utterance's synthesis against the wall clock: its first chunk is taken to start playing
/// when it is made (it may start later, which only leaves less to make ahead).
#[derive(Debug, Default)]
pub struct SpeechLead {
    started: Option<Instant>,
    made_s: f64,
}

impl SpeechLead {
    /// After a chunk of `seconds`: waits while what is made runs more than [`SPEECH_LEAD`] ahead
    /// of the clock. `false` when `keep_going` says stop.
    pub fn wait(&mut self, seconds: f64, keep_going: impl Fn() -> bool) -> bool {
        let started = *self.started.get_or_insert_with(Instant::now);
        self.made_s += seconds;
        loop {
            if !keep_going() {
                return false;
            }
            let ahead = self.made_s - started.elapsed().as_secs_f64();
            if ahead <= SPEECH_LEAD.as_secs_f64() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthesis runs at most `SPEECH_LEAD` ahead of the clock, and stops waiting when told.
    #[test]
    fn speech_is_made_a_few_seconds_ahead_of_playback() {
        let mut lead = SpeechLead::default();
        let t0 = Instant::now();
        assert!(lead.wait(2.0, || true));
        assert!(lead.wait(1.0, || true));
        assert!(
            t0.elapsed() < Duration::from_millis(500),
            "{:?}",
            t0.elapsed()
        );
        // 3.3 s made: it waits until 0.3 s have played.
        assert!(lead.wait(0.3, || true));
        assert!(
            t0.elapsed() >= Duration::from_millis(290),
            "{:?}",
            t0.elapsed()
        );
        // Ahead again, and told to stop: it returns at once with `false`.
        let t1 = Instant::now();
        assert!(!lead.wait(5.0, || false));
        assert!(t1.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn quiet_at_a_cut_is_shortened_and_faded() {
        let mut a = vec![0.0; 10_000];
        a[..3000].fill(0.5);
        a[3000..].fill(0.001);
        shorten_quiet_tail(&mut a);
        assert_eq!(a.len(), 3000 + JOIN_QUIET_SAMPLES);
        assert_eq!(*a.last().unwrap(), 0.0);
        let mut b = vec![0.001; 10_000];
        b[9000..].fill(0.5);
        shorten_quiet_head(&mut b);
        assert_eq!(b.len(), 1000 + JOIN_QUIET_SAMPLES);
        assert_eq!(b[0], 0.0);
        assert_eq!(b[JOIN_QUIET_SAMPLES], 0.5);
        // Silence only, or speech to the edge: nothing to cut.
        let mut c = vec![0.0; 100];
        shorten_quiet_tail(&mut c);
        shorten_quiet_head(&mut c);
        assert_eq!(c.len(), 100);
        let mut d = vec![0.5; 100];
        shorten_quiet_tail(&mut d);
        shorten_quiet_head(&mut d);
        assert_eq!(d, vec![0.5; 100]);
    }

    #[test]
    fn the_first_chunk_ends_at_an_early_clause_boundary() {
        let config = StreamConfig::default();
        // A short sentence starts with its first clause.
        assert_eq!(
            plan(&config, "ʃˈʊɹ, wˈʌn mˈOmᵊnt.", true),
            vec!["ʃˈʊɹ,", "wˈʌn mˈOmᵊnt."]
        );
        // Only the first chunk of an utterance is cut early.
        assert_eq!(
            plan(&config, "ʃˈʊɹ, wˈʌn mˈOmᵊnt.", false),
            vec!["ʃˈʊɹ, wˈʌn mˈOmᵊnt."]
        );
        // No clause boundary: the sentence stays whole; very short ones too.
        let whole = "lˈɛt mˌi ʧˈɛk ðə wˈɛðəɹ fɔɹ ju.";
        assert_eq!(plan(&config, whole, true), vec![whole]);
        assert_eq!(plan(&config, "ˌOkˈA.", true), vec!["ˌOkˈA."]);
        // A long first clause is kept whole.
        assert_eq!(
            plan(&config, "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps, ænd ɹˈʌnz.", true),
            vec!["ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps,", "ænd ɹˈʌnz."]
        );
    }
}
