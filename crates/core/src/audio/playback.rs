//! Playback: the assistant's voice on its way to the speaker.
//!
//! Two halves joined by lock-free rings and atomics:
//! - [`Player`] (the TTS/interaction side): `speak` resamples 24 kHz speech to the device rate and
//!   queues it; `stop` fades out within [`FADE_MS`]; `duck` lowers by 12 dB; `progress` says how
//!   much of an utterance was played, in the utterance's own samples.
//! - [`Renderer`] (the real-time side, run by a device callback or a simulated sink): pulls
//!   queued speech, applies gain, counts every sample it plays, and copies what it played into
//!   the far-end reference ([`Reference`]) for the echo canceller.
//!
//! Indices: speech samples are numbered by their position in the speech ring ("ring index",
//! device rate, since the player started). The renderer publishes how far it has consumed;
//! the player keeps a table of utterances over ring indices, so it can say "the user had heard
//! up to sample N of utterance U" when they cut in.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use super::stream::{AudioError, AudioSource, Stamp, StreamStats};

/// Rate the speech synthesiser produces.
pub const SPEECH_RATE_HZ: u32 = 24_000;
/// Length of the fade-out after `stop` (the issue asks for <= 20 ms).
pub const FADE_MS: u32 = 10;
/// The range of the voice's volume: -12 dB to +6 dB.
pub const VOLUME_RANGE: (f32, f32) = (0.25, 2.0);

/// How much `duck` lowers the voice.
pub const DUCK_DB: f32 = -12.0;
/// Time for the gain to move between normal and ducked (avoids clicks).
const GAIN_RAMP_MS: u32 = 10;
/// Seconds of speech the ring holds ahead of the device; the rest waits in the player.
const SPEECH_RING_SECONDS: usize = 4;
/// Seconds of far-end reference the DSP thread may lag behind.
const REFERENCE_RING_SECONDS: usize = 2;
/// Resuming after a hold drops at most this much quiet at the head of the queue (the gap
/// between our words the hold fell in, or the rest of it): the hold was the pause.
const RESUME_SKIP_MAX_MS: u32 = 600;
/// ... keeping this much of it before the next sound, so a soft onset is not clipped.
const RESUME_KEEP_MS: u32 = 20;
/// A sample this loud (about -40 dBFS) ends the quiet run; our voice's gaps sit far below.
const QUIET_AMPLITUDE: f32 = 0.01;

/// Identifies one `speak` call.
pub type UtteranceId = u64;

/// State shared between [`Player`] and [`Renderer`].
#[derive(Debug, Default)]
struct Shared {
    /// Player -> renderer: lower the voice by 12 dB.
    duck: AtomicBool,
    /// Player -> renderer: the voice's volume, a gain as `f32` bits (set to 1.0 at start).
    volume: AtomicU32,
    /// Player -> renderer: fade to silence and stop consuming speech, keeping the position.
    hold: AtomicBool,
    /// Player -> renderer: incremented for every `stop`.
    stop_seq: AtomicU64,
    /// Player -> renderer: ring index below which queued speech is discarded after a stop.
    discard_until: AtomicU64,
    /// Player -> renderer: ring index up to which speech was announced (queued or waiting);
    /// running dry below it is an underrun.
    announced: AtomicU64,
    /// Renderer -> player: ring index of the next speech sample (played or discarded before).
    consumed: AtomicU64,
    /// Renderer -> player: speech samples actually sent to the device.
    played: AtomicU64,
    /// Renderer -> player: the last stop whose fade has finished.
    fade_done_seq: AtomicU64,
    /// Renderer -> player: ring index where the last fade ended (nothing after it was heard).
    fade_end_index: AtomicU64,
    /// Renderer -> player: device frames the last fade took.
    last_fade_frames: AtomicU64,
    /// Renderer -> player: whether speech was audible in the last callback.
    speaking: AtomicBool,
    /// Renderer -> player: output latency reported by the device (callback to DAC), in ns.
    output_latency_ns: AtomicU64,
}

/// How far an utterance got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub utterance: UtteranceId,
    /// Samples of the utterance (at its source rate) that have been sent to the device.
    pub played_source_samples: u64,
    /// The utterance's length at its source rate.
    pub source_samples: u64,
    /// The rate it was given at (24 kHz for TTS).
    pub source_rate_hz: u32,
    /// Every sample was played.
    pub finished: bool,
    /// A `stop` cut it short (then `played_source_samples` is where the fade ended).
    pub stopped: bool,
}

#[derive(Debug, Clone, Copy)]
struct Span {
    id: UtteranceId,
    /// Ring index of its first sample.
    start: u64,
    /// Length in device samples.
    len: u64,
    source_rate_hz: u32,
    source_len: u64,
    /// The `stop_seq` that cut it, if any.
    stopped_by: Option<u64>,
}

/// The control side of playback. Not real-time: it may allocate and resample.
pub struct Player {
    shared: Arc<Shared>,
    ring: rtrb::Producer<f32>,
    /// Device-rate samples waiting for room in the ring.
    pending: VecDeque<f32>,
    /// Ring index of the next sample to write.
    written: u64,
    device_rate_hz: u32,
    next_id: UtteranceId,
    spans: VecDeque<Span>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("device_rate_hz", &self.device_rate_hz)
            .field("written", &self.written)
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// The real-time side of playback. Every method is allocation- and lock-free.
pub struct Renderer {
    shared: Arc<Shared>,
    ring: rtrb::Consumer<f32>,
    reference: rtrb::Producer<f32>,
    stamps: rtrb::Producer<Stamp>,
    stats: Arc<StreamStats>,
    reference_stats: Arc<StreamStats>,
    rate_hz: u32,
    /// Ring index of the next sample to read.
    consumed: u64,
    /// Device frames written so far (speech or silence).
    output_frames: u64,
    /// Samples pushed into the reference ring (less than `output_frames` if it overflowed).
    reference_index: u64,
    gain: f32,
    gain_step: f32,
    duck_gain: f32,
    seen_stop_seq: u64,
    /// Frames left in the current fade, and the fade length.
    fade_left: u32,
    fade_len: u32,
    /// After a fade: discard queued speech below this ring index.
    discarding_until: Option<u64>,
    /// The fade applies to speech below this ring index (queued before the stop).
    fade_until: u64,
    /// Sat silent in a hold with speech still queued: the release skips the quiet lead.
    paused: bool,
    /// [`RESUME_SKIP_MAX_MS`] and [`RESUME_KEEP_MS`] in device frames.
    resume_skip_max: usize,
    resume_keep: usize,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("rate_hz", &self.rate_hz)
            .field("consumed", &self.consumed)
            .field("output_frames", &self.output_frames)
            .finish()
    }
}

/// The far-end reference: what the renderer actually sent to the speaker, mono at the device
/// rate, stamped with when it was written. An [`AudioSource`] for the DSP thread.
pub struct Reference {
    ring: rtrb::Consumer<f32>,
    stamps: rtrb::Consumer<Stamp>,
    last: Option<Stamp>,
    stats: Arc<StreamStats>,
    rate_hz: u32,
}

impl std::fmt::Debug for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reference")
            .field("rate_hz", &self.rate_hz)
            .finish()
    }
}

/// Creates the three parts of playback at `device_rate_hz`. `stats` is the sink's counter set
/// (underruns are counted there).
pub fn playback(
    device_rate_hz: u32,
    stats: Arc<StreamStats>,
) -> Result<(Player, Renderer, Reference), AudioError> {
    let rate = device_rate_hz as usize;
    let (speech_tx, speech_rx) = rtrb::RingBuffer::new(rate * SPEECH_RING_SECONDS);
    let (ref_tx, ref_rx) = rtrb::RingBuffer::new(rate * REFERENCE_RING_SECONDS);
    let (stamp_tx, stamp_rx) = rtrb::RingBuffer::new(1024);
    let shared = Arc::new(Shared::default());
    shared.volume.store(1f32.to_bits(), Ordering::Relaxed);
    let reference_stats = Arc::new(StreamStats::default());
    let ramp_frames = (device_rate_hz * GAIN_RAMP_MS / 1000).max(1);
    let player = Player {
        shared: shared.clone(),
        ring: speech_tx,
        pending: VecDeque::new(),
        written: 0,
        device_rate_hz,
        next_id: 1,
        spans: VecDeque::new(),
    };
    let renderer = Renderer {
        shared,
        ring: speech_rx,
        reference: ref_tx,
        stamps: stamp_tx,
        stats,
        reference_stats: reference_stats.clone(),
        rate_hz: device_rate_hz,
        consumed: 0,
        output_frames: 0,
        reference_index: 0,
        gain: 1.0,
        gain_step: 1.0 / ramp_frames as f32,
        duck_gain: 10f32.powf(DUCK_DB / 20.0),
        seen_stop_seq: 0,
        fade_left: 0,
        fade_len: (device_rate_hz * FADE_MS / 1000).max(1),
        discarding_until: None,
        fade_until: 0,
        paused: false,
        resume_skip_max: (device_rate_hz * RESUME_SKIP_MAX_MS / 1000) as usize,
        resume_keep: (device_rate_hz * RESUME_KEEP_MS / 1000) as usize,
    };
    let reference = Reference {
        ring: ref_rx,
        stamps: stamp_rx,
        last: None,
        stats: reference_stats,
        rate_hz: device_rate_hz,
    };
    Ok((player, renderer, reference))
}

impl Player {
    /// The device rate speech is played at.
    pub fn device_rate_hz(&self) -> u32 {
        self.device_rate_hz
    }

    /// Queues 24 kHz speech; returns its id. Use [`speak_at_rate`](Self::speak_at_rate) for
    /// other rates.
    pub fn speak(&mut self, samples_24k: &[f32]) -> UtteranceId {
        self.speak_at_rate(samples_24k, SPEECH_RATE_HZ)
    }

    /// Queues 24 kHz speech behind what is queued without releasing a hold: more of what we
    /// are saying while the policy keeps it paused. [`speak`](Self::speak) releases a hold.
    pub fn append(&mut self, samples_24k: &[f32]) -> UtteranceId {
        self.enqueue(samples_24k, SPEECH_RATE_HZ, false)
    }

    /// Queues speech recorded at `rate_hz`, resampled to the device rate.
    pub fn speak_at_rate(&mut self, samples: &[f32], rate_hz: u32) -> UtteranceId {
        self.enqueue(samples, rate_hz, true)
    }

    fn enqueue(&mut self, samples: &[f32], rate_hz: u32, release_hold: bool) -> UtteranceId {
        let device = match super::wav::resample(samples, rate_hz, self.device_rate_hz) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "cannot resample speech; dropping it");
                Vec::new()
            }
        };
        let id = self.next_id;
        self.next_id += 1;
        let start = self.written + self.pending.len() as u64;
        self.spans.push_back(Span {
            id,
            start,
            len: device.len() as u64,
            source_rate_hz: rate_hz,
            source_len: samples.len() as u64,
            stopped_by: None,
        });
        while self.spans.len() > 64 {
            self.spans.pop_front();
        }
        let end = start + device.len() as u64;
        self.pending.extend(device);
        if release_hold {
            self.shared.hold.store(false, Ordering::Release);
        }
        // Queue first, announce after: a callback in between must not see an announced but
        // empty ring (a false underrun).
        self.pump();
        self.shared.announced.store(end, Ordering::Release);
        id
    }

    /// Moves waiting speech into the ring as room allows. Call it every few hundred ms while
    /// speaking utterances longer than the ring (4 s); `speak` calls it too.
    pub fn pump(&mut self) -> usize {
        let n = self.pending.len().min(self.ring.slots());
        if n == 0 {
            return 0;
        }
        if let Ok(chunk) = self.ring.write_chunk_uninit(n) {
            let moved = chunk.fill_from_iter(self.pending.drain(..n));
            self.written += moved as u64;
            return moved;
        }
        0
    }

    /// Speech samples (device rate) not yet played: waiting in the player or the ring.
    pub fn queued(&self) -> u64 {
        (self.written + self.pending.len() as u64)
            .saturating_sub(self.shared.consumed.load(Ordering::Acquire))
    }

    /// Whether the last callback played speech.
    pub fn is_speaking(&self) -> bool {
        self.shared.speaking.load(Ordering::Relaxed)
    }

    /// Fades out within [`FADE_MS`] and drops everything queued. Returns the utterances cut.
    pub fn stop(&mut self) -> Vec<UtteranceId> {
        self.pending.clear();
        let consumed = self.shared.consumed.load(Ordering::Acquire);
        let seq = self.shared.stop_seq.load(Ordering::Relaxed) + 1;
        let mut cut = Vec::new();
        for s in self.spans.iter_mut() {
            if s.start + s.len > consumed && s.stopped_by.is_none() {
                s.stopped_by = Some(seq);
                cut.push(s.id);
            }
        }
        // Spans that had not reached the ring are cut to what was written.
        for s in self.spans.iter_mut() {
            let end = (s.start + s.len).min(self.written);
            s.len = end.saturating_sub(s.start);
        }
        self.shared
            .discard_until
            .store(self.written, Ordering::Relaxed);
        self.shared.announced.store(self.written, Ordering::Relaxed);
        self.shared.stop_seq.store(seq, Ordering::Release);
        cut
    }

    /// The voice's volume ("louder", "quieter"): a gain, clamped to [`VOLUME_RANGE`], reached
    /// with the same 10 ms ramp as ducking (which applies on top of it).
    pub fn set_volume(&self, gain: f32) {
        let (low, high) = VOLUME_RANGE;
        let gain = if gain.is_finite() {
            gain.clamp(low, high)
        } else {
            1.0
        };
        self.shared.volume.store(gain.to_bits(), Ordering::Relaxed);
    }

    /// The volume [`Self::set_volume`] set last.
    pub fn volume(&self) -> f32 {
        f32::from_bits(self.shared.volume.load(Ordering::Relaxed))
    }

    /// Lowers the voice by 12 dB (`true`) or restores it (`false`), with a 10 ms ramp.
    pub fn duck(&self, on: bool) {
        self.shared.duck.store(on, Ordering::Relaxed);
    }

    /// Pauses (`true`) within a 10 ms fade, keeping the position: nothing queued is dropped
    /// and `progress` stays where the pause began; `false` fades back in from there. `speak`
    /// and `stop` release a hold.
    pub fn hold(&self, on: bool) {
        self.shared.hold.store(on, Ordering::Release);
    }

    /// Whether the player is holding (paused).
    pub fn is_held(&self) -> bool {
        self.shared.hold.load(Ordering::Acquire)
    }

    /// Whether the player is ducked.
    pub fn is_ducked(&self) -> bool {
        self.shared.duck.load(Ordering::Relaxed)
    }

    /// Speech samples the renderer has sent to the device since the start (device rate).
    pub fn played_samples(&self) -> u64 {
        self.shared.played.load(Ordering::Relaxed)
    }

    /// Device frames the last stop's fade took (0 before any stop).
    pub fn last_fade_frames(&self) -> u64 {
        self.shared.last_fade_frames.load(Ordering::Relaxed)
    }

    /// Whether every stop so far has finished fading.
    pub fn stop_done(&self) -> bool {
        self.shared.fade_done_seq.load(Ordering::Acquire)
            >= self.shared.stop_seq.load(Ordering::Acquire)
    }

    /// Output latency the device reports (written -> heard), in ms.
    pub fn output_latency_ms(&self) -> f64 {
        self.shared.output_latency_ns.load(Ordering::Relaxed) as f64 / 1e6
    }

    /// How far utterance `id` got, if it is still in the recent history (64 utterances).
    pub fn progress(&self, id: UtteranceId) -> Option<Progress> {
        let s = self.spans.iter().find(|s| s.id == id)?;
        let consumed = self.shared.consumed.load(Ordering::Acquire);
        let heard_end = match s.stopped_by {
            Some(seq) if self.shared.fade_done_seq.load(Ordering::Acquire) >= seq => self
                .shared
                .fade_end_index
                .load(Ordering::Acquire)
                .min(consumed),
            _ => consumed,
        };
        let played_dev = heard_end.saturating_sub(s.start).min(s.len);
        let played_src = (played_dev * s.source_len)
            .checked_div(s.len)
            .unwrap_or(0)
            .min(s.source_len);
        Some(Progress {
            utterance: s.id,
            played_source_samples: played_src,
            source_samples: s.source_len,
            source_rate_hz: s.source_rate_hz,
            finished: s.stopped_by.is_none() && played_dev >= s.len,
            stopped: s.stopped_by.is_some(),
        })
    }

    /// The utterance being played now and how much of it was sent to the device, compensated
    /// for the device's output latency (what the user has actually heard).
    pub fn heard_now(&self) -> Option<Progress> {
        let consumed = self.shared.consumed.load(Ordering::Acquire);
        let latency = self.shared.output_latency_ns.load(Ordering::Relaxed)
            * u64::from(self.device_rate_hz)
            / 1_000_000_000;
        let at = consumed.saturating_sub(latency);
        let s = self
            .spans
            .iter()
            .rev()
            .find(|s| s.start <= at && s.len > 0)?;
        let mut p = self.progress(s.id)?;
        let dev = at.saturating_sub(s.start).min(s.len);
        p.played_source_samples = p
            .played_source_samples
            .min(dev * s.source_len / s.len.max(1));
        Some(p)
    }
}

impl Renderer {
    pub fn rate_hz(&self) -> u32 {
        self.rate_hz
    }

    /// Fills `out` (interleaved, `channels` per frame) with the next speech samples. `t_ns` is
    /// when the callback runs (on the engine's timeline); `latency_ns` the device's reported
    /// write-to-DAC latency (0 if unknown). Real-time safe.
    pub fn render(&mut self, out: &mut [f32], channels: usize, t_ns: u64, latency_ns: u64) {
        let channels = channels.max(1);
        let frames = out.len() / channels;
        self.check_controls();
        let hold = self.shared.hold.load(Ordering::Acquire);
        if self.paused && !hold {
            self.paused = false;
            self.skip_quiet_lead();
        }
        let volume = f32::from_bits(self.shared.volume.load(Ordering::Relaxed));
        let target = if hold {
            0.0
        } else if self.shared.duck.load(Ordering::Relaxed) {
            self.duck_gain * volume
        } else {
            volume
        };
        // Holding ramps to silence at the stop-fade rate, then stops consuming.
        let step = if hold {
            1.0 / self.fade_len as f32
        } else {
            self.gain_step
        };
        let announced = self.shared.announced.load(Ordering::Acquire);
        let mut played = 0u64;
        let mut underrun = 0u64;
        let mut ref_written = 0usize;
        let ref_room = self.reference.slots();
        for f in 0..frames {
            if self.fade_left > 0 && self.consumed >= self.fade_until {
                // Only speech from before the stop fades; newer speech plays as it is.
                self.fade_left = 0;
                self.finish_fade();
            }
            self.skip_discarded();
            let mut y = 0.0;
            if hold && self.gain <= 0.0 {
                // Paused: the position stays; a stop during the pause is complete at once.
                if self.fade_left > 0 {
                    self.fade_left = 0;
                    self.finish_fade();
                }
                self.paused = self.discarding_until.is_none() && !self.ring.is_empty();
            } else if let Ok(x) = self.ring.pop() {
                self.consumed += 1;
                if self.gain < target {
                    self.gain = (self.gain + step).min(target);
                } else if self.gain > target {
                    self.gain = (self.gain - step).max(target);
                }
                let mut g = self.gain;
                if self.fade_left > 0 {
                    g *= self.fade_left as f32 / self.fade_len as f32;
                    self.fade_left -= 1;
                    if self.fade_left == 0 {
                        self.finish_fade();
                    }
                }
                // Louder than 1.0 must not wrap around in the device's integer format.
                y = (x * g).clamp(-1.0, 1.0);
                played += 1;
            } else {
                if self.consumed < announced {
                    underrun += 1;
                }
                if self.fade_left > 0 {
                    // Nothing left to fade: the stop is complete.
                    self.fade_left = 0;
                    self.finish_fade();
                }
            }
            for c in &mut out[f * channels..(f + 1) * channels] {
                *c = y;
            }
            if ref_written < ref_room && self.reference.push(y).is_ok() {
                ref_written += 1;
            }
        }
        self.output_frames += frames as u64;
        self.reference_index += ref_written as u64;
        if ref_written < frames {
            self.reference_stats
                .overrun_samples
                .fetch_add((frames - ref_written) as u64, Ordering::Relaxed);
        }
        let _ = self.stamps.push(Stamp {
            end_index: self.reference_index,
            t_ns,
        });
        let s = &self.shared;
        s.consumed.store(self.consumed, Ordering::Release);
        s.played.fetch_add(played, Ordering::Relaxed);
        s.speaking.store(played > 0, Ordering::Relaxed);
        s.output_latency_ns.store(latency_ns, Ordering::Relaxed);
        self.stats.callbacks.fetch_add(1, Ordering::Relaxed);
        self.stats
            .frames
            .fetch_add(frames as u64, Ordering::Relaxed);
        if underrun > 0 {
            self.stats
                .underrun_frames
                .fetch_add(underrun, Ordering::Relaxed);
        }
    }

    fn check_controls(&mut self) {
        let seq = self.shared.stop_seq.load(Ordering::Acquire);
        if seq != self.seen_stop_seq {
            self.seen_stop_seq = seq;
            // What was held is discarded: nothing to resume.
            self.paused = false;
            self.fade_until = self.shared.discard_until.load(Ordering::Acquire);
            if self.gain <= 0.0 {
                // Already silent (held): nothing to fade.
                self.fade_left = 0;
                self.finish_fade();
            } else if self.fade_left == 0 {
                // Start (or restart) the fade from the current level.
                self.fade_left = self.fade_len;
            }
        }
    }

    fn finish_fade(&mut self) {
        let s = &self.shared;
        s.fade_end_index.store(self.consumed, Ordering::Release);
        s.last_fade_frames
            .store(u64::from(self.fade_len - self.fade_left), Ordering::Relaxed);
        self.discarding_until = Some(s.discard_until.load(Ordering::Acquire));
        s.fade_done_seq.store(self.seen_stop_seq, Ordering::Release);
    }

    /// Resuming after a hold: drops the quiet run at the head of the queue (the gap between our
    /// words that the hold fell in, or the rest of it) up to [`RESUME_KEEP_MS`] before the next
    /// sound, so the listener hears the hold as the pause and not the hold and then the gap
    /// (after an "mm-hm" we went on ~300 ms later than the release when the hold fell at a
    /// comma). Quiet all the way to the cap (the end of what we say, a long break): nothing
    /// is dropped. Reads the ring without allocating; the dropped samples count as consumed,
    /// never as played, and are not part of the echo reference (they never sounded).
    fn skip_quiet_lead(&mut self) {
        if self.discarding_until.is_some() || self.fade_left > 0 {
            return;
        }
        let n = self.ring.slots().min(self.resume_skip_max);
        let Ok(chunk) = self.ring.read_chunk(n) else {
            return;
        };
        let (head, tail) = chunk.as_slices();
        let Some(first_sound) = head
            .iter()
            .chain(tail)
            .position(|x| x.abs() >= QUIET_AMPLITUDE)
        else {
            return;
        };
        let skip = first_sound.saturating_sub(self.resume_keep);
        chunk.commit(skip);
        self.consumed += skip as u64;
    }

    /// Drops queued speech that a stop discarded.
    fn skip_discarded(&mut self) {
        let Some(until) = self.discarding_until else {
            return;
        };
        let n = (until.saturating_sub(self.consumed) as usize).min(self.ring.slots());
        if n > 0
            && let Ok(chunk) = self.ring.read_chunk(n)
        {
            chunk.commit_all();
            self.consumed += n as u64;
        }
        if self.consumed >= until {
            self.discarding_until = None;
        }
    }
}

impl AudioSource for Reference {
    fn name(&self) -> &str {
        "playback reference"
    }

    fn sample_rate_hz(&self) -> u32 {
        self.rate_hz
    }

    fn read(&mut self, out: &mut Vec<f32>) -> usize {
        while let Ok(s) = self.stamps.pop() {
            self.last = Some(s);
        }
        let n = self.ring.slots();
        let Ok(chunk) = self.ring.read_chunk(n) else {
            return 0;
        };
        let (a, b) = chunk.as_slices();
        out.extend_from_slice(a);
        out.extend_from_slice(b);
        chunk.commit_all();
        self.stats.frames.fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    fn stamp(&self) -> Option<Stamp> {
        self.last
    }

    fn stats(&self) -> Arc<StreamStats> {
        self.stats.clone()
    }
}

#[cfg(test)]
#[path = "playback_tests.rs"]
mod tests;
