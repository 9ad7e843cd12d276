//! Microphone and speaker through cpal (ALSA, which also reaches PulseAudio and PipeWire).
//!
//! Callbacks only copy: the microphone callback downmixes into a preallocated `rtrb` ring and
//! pushes a timing stamp; the speaker callback runs the [`Renderer`]. No locks, allocation
//! (checked with `assert_no_alloc` in debug builds) or logging happens there; problems are
//! counted in atomics.
//!
//! Device loss: a stream whose error callback reports the device or host gone, or whose callbacks
//! stop for [`STALL_MS`], or that floods errors, is dropped (on a thread of its own: see [`reap`]); `poll_events` (called by the DSP thread) reopens it, on the
//! requested device first and then on the default one, with backoff, and reports each step as a
//! [`DeviceEvent`]. The real-time state (rings, renderer) survives: it comes back from the dead
//! stream's callback when cpal drops it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SizedSample};

use super::playback::{Player, Reference, Renderer, playback};
use super::stream::{
    AudioError, AudioSink, AudioSource, DeviceEvent, Direction, FailureKind, Stamp, StreamStats,
    now_ns,
};

/// The rate we ask devices for (PulseAudio and most hardware run at 48 kHz).
pub const PREFERRED_RATE_HZ: u32 = 48_000;
/// Callback length we ask for: 10 ms.
pub const CALLBACK_MS: u32 = 10;
/// Seconds of microphone audio the ring holds before the reader must catch up.
const MIC_RING_SECONDS: usize = 2;
/// A stream whose callbacks stop for this long counts as dead.
pub const STALL_MS: u64 = 2_000;
/// A stream reporting this many errors between two supervision checks (~5 ms apart) without a
/// callback is flooding: after a sound-server disconnect cpal's ALSA loop reports the same error
/// in a tight loop.
const ERROR_FLOOD: u64 = 200;
/// How long a flood must go on with no callback at all before the stream counts as dead. A busy
/// but healthy sound server also reports bursts of errors (`snd_pcm_avail_delay`) between two
/// callbacks; reopening on those moved the echo path under the echo canceller and let our own
/// voice through. A dead server floods for good, so waiting this long costs a real loss little.
const FLOOD_MS: u64 = 300;
/// Longest wait between reopen attempts.
const MAX_BACKOFF_MS: u64 = 2_000;
/// How long a dead microphone stream may keep its buffers before capture starts over with new
/// ones (a stream stuck in its driver never hands them back).
const RECLAIM_WAIT: Duration = Duration::from_secs(3);
/// Largest device buffer (frames x channels) the output callback converts in one piece.
const OUTPUT_SCRATCH: usize = 8_192;

fn what(dir: Direction) -> &'static str {
    match dir {
        Direction::Input => "microphone",
        Direction::Output => "speaker",
    }
}

fn device_name(d: &cpal::Device) -> String {
    d.description()
        .map(|x| x.name().to_owned())
        .unwrap_or_else(|_| d.to_string())
}

/// Finds a device by name (as `tandem doctor` prints it), or the default one.
fn find_device(dir: Direction, name: Option<&str>) -> Result<cpal::Device, AudioError> {
    let host = super::devices::host();
    let no_device = || AudioError::NoDevice {
        what: what(dir),
        pactl: if dir == Direction::Input {
            "sources"
        } else {
            "sinks"
        },
        flag: if dir == Direction::Input {
            "input-device"
        } else {
            "output-device"
        },
    };
    let Some(want) = name else {
        return match dir {
            Direction::Input => host.default_input_device(),
            Direction::Output => host.default_output_device(),
        }
        .ok_or_else(no_device);
    };
    let mut devices = match dir {
        Direction::Input => host.input_devices(),
        Direction::Output => host.output_devices(),
    }
    .map_err(|e| AudioError::Host(e.to_string()))?;
    devices
        .find(|d| device_name(d) == want || d.to_string() == want)
        .ok_or_else(|| AudioError::NotFound {
            what: what(dir),
            name: want.to_owned(),
        })
}

/// Picks a configuration: `rate_hz` if the device has it (else its default rate), the default
/// channel count and sample format, and (for microphones) 10 ms callbacks where the buffer size
/// can be chosen.
///
/// Speakers keep the host's default buffer: measured on ALSA's PulseAudio plugin, a fixed
/// 480-frame output buffer got 320-frame periods, `avail_delay` errors and callbacks ~10% slower
/// than real time (audible gaps), while the default (512-frame periods, ~11 ms) ran exactly at
/// 48 kHz with no xruns over 30 s. Fixed 480-frame microphone buffers were fine.
fn negotiate(
    dev: &cpal::Device,
    dir: Direction,
    rate_hz: u32,
) -> Result<(cpal::StreamConfig, cpal::SampleFormat), String> {
    let default = match dir {
        Direction::Input => dev.default_input_config(),
        Direction::Output => dev.default_output_config(),
    }
    .map_err(|e| e.to_string())?;
    let ranges: Vec<cpal::SupportedStreamConfigRange> = match dir {
        Direction::Input => dev.supported_input_configs().map(|c| c.collect()),
        Direction::Output => dev.supported_output_configs().map(|c| c.collect()),
    }
    .unwrap_or_default();
    let chosen = ranges
        .into_iter()
        .filter(|r| r.channels() == default.channels())
        .filter(|r| r.min_sample_rate() <= rate_hz && rate_hz <= r.max_sample_rate())
        .min_by_key(|r| (r.sample_format() != cpal::SampleFormat::F32) as u8)
        .map(|r| r.with_sample_rate(rate_hz))
        .unwrap_or(default);
    let mut config = chosen.config();
    let frames = config.sample_rate * CALLBACK_MS / 1000;
    if let cpal::SupportedBufferSize::Range { min, max } = chosen.buffer_size()
        && (*min..=*max).contains(&frames)
        && dir == Direction::Input
    {
        config.buffer_size = cpal::BufferSize::Fixed(frames);
    }
    Ok((config, chosen.sample_format()))
}

/// Classifies a host error: xruns and backend noise are counted, loss fails the stream.
fn on_error(stats: &StreamStats, e: &cpal::Error) {
    match e.kind() {
        cpal::ErrorKind::Xrun => {
            stats.host_xruns.fetch_add(1, Ordering::Relaxed);
        }
        cpal::ErrorKind::DeviceNotAvailable => stats.fail(FailureKind::DeviceLost),
        cpal::ErrorKind::HostUnavailable => stats.fail(FailureKind::HostLost),
        cpal::ErrorKind::StreamInvalidated => stats.fail(FailureKind::Invalidated),
        _ => {
            stats.host_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Drops a dead stream on a thread of its own. Dropping a cpal stream joins its callback thread,
/// and after the sound server goes away the ALSA PulseAudio plugin can deadlock in there (seen
/// with libpulse 16.1: the capture thread waits on the plugin's mainloop lock while the mainloop
/// waits for a memory block the capture thread holds). The DSP thread must never wait on that;
/// a stuck stream costs one parked thread.
fn reap(stream: cpal::Stream) {
    let spawned = std::thread::Builder::new()
        .name("tandem-audio-reap".into())
        .spawn(move || drop(stream));
    if let Err(e) = spawned {
        tracing::warn!(%e, "no thread to release a dead audio stream; releasing it here");
    }
}

/// Carries real-time state into a callback and sends it back when cpal drops the callback.
struct Reclaim<T: Send + 'static> {
    inner: Option<T>,
    back: mpsc::SyncSender<T>,
}

impl<T: Send + 'static> Drop for Reclaim<T> {
    fn drop(&mut self) {
        if let Some(t) = self.inner.take() {
            let _ = self.back.try_send(t);
        }
    }
}

/// The microphone side's real-time state.
struct MicWriter {
    data: rtrb::Producer<f32>,
    stamps: rtrb::Producer<Stamp>,
    /// Samples pushed into `data` so far.
    written: u64,
    stats: Arc<StreamStats>,
}

impl MicWriter {
    fn write<T>(&mut self, data: &[T], channels: usize)
    where
        T: SizedSample,
        f32: FromSample<T>,
    {
        let t = now_ns();
        let frames = data.len() / channels;
        let n = frames.min(self.data.slots());
        if let Ok(chunk) = self.data.write_chunk_uninit(n) {
            let scale = 1.0 / channels as f32;
            chunk.fill_from_iter(
                data.chunks_exact(channels)
                    .map(|f| f.iter().map(|s| s.to_sample::<f32>()).sum::<f32>() * scale),
            );
        }
        self.written += n as u64;
        if n < frames {
            self.stats
                .overrun_samples
                .fetch_add((frames - n) as u64, Ordering::Relaxed);
        }
        let _ = self.stamps.push(Stamp {
            end_index: self.written,
            t_ns: t,
        });
        self.stats.callbacks.fetch_add(1, Ordering::Relaxed);
        self.stats
            .last_callback_ns
            .store(now_ns().saturating_sub(t), Ordering::Relaxed);
    }
}

/// A microphone ring with its writer (for the callback) and its reader (for the DSP thread).
struct MicBuffers {
    writer: MicWriter,
    data: rtrb::Consumer<f32>,
    stamps: rtrb::Consumer<Stamp>,
    writer_tx: mpsc::SyncSender<MicWriter>,
    writer_back: mpsc::Receiver<MicWriter>,
}

impl MicBuffers {
    /// `written`: samples already counted on this timeline (a restart continues it).
    fn new(rate_hz: u32, written: u64, stats: Arc<StreamStats>) -> MicBuffers {
        let (data_tx, data) = rtrb::RingBuffer::new(rate_hz as usize * MIC_RING_SECONDS);
        let (stamp_tx, stamps) = rtrb::RingBuffer::new(1024);
        let (writer_tx, writer_back) = mpsc::sync_channel(1);
        MicBuffers {
            writer: MicWriter {
                data: data_tx,
                stamps: stamp_tx,
                written,
                stats,
            },
            data,
            stamps,
            writer_tx,
            writer_back,
        }
    }
}

/// Supervision shared by source and sink: what was asked for, what runs, when to retry.
struct Supervisor {
    dir: Direction,
    want: Option<String>,
    device: String,
    stats: Arc<StreamStats>,
    last_callbacks: u64,
    last_errors: u64,
    last_progress: Instant,
    /// When the current error flood (with no callback since) began.
    flood_since: Option<Instant>,
    next_retry: Instant,
    attempt: u32,
    /// When the running stream was last found dead.
    lost_at: Option<Instant>,
    events: VecDeque<DeviceEvent>,
}

impl Supervisor {
    fn new(dir: Direction, want: Option<&str>, device: String, stats: Arc<StreamStats>) -> Self {
        Supervisor {
            dir,
            want: want.map(str::to_owned),
            device,
            stats,
            last_callbacks: 0,
            last_errors: 0,
            last_progress: Instant::now(),
            flood_since: None,
            next_retry: Instant::now(),
            attempt: 0,
            lost_at: None,
            events: VecDeque::new(),
        }
    }

    /// True if the running stream must be dropped now.
    fn is_dead(&mut self) -> bool {
        let calls = self.stats.callbacks.load(Ordering::Relaxed);
        let errors = self.stats.host_errors.load(Ordering::Relaxed);
        let flood = errors.saturating_sub(self.last_errors) >= ERROR_FLOOD;
        self.last_errors = errors;
        if calls != self.last_callbacks {
            self.last_callbacks = calls;
            self.last_progress = Instant::now();
            self.flood_since = None;
        } else if flood {
            // Errors and no audio for a while: the stream is gone (a stream starting up, or a
            // busy server, may report a burst of errors too, but its callbacks run).
            let since = *self.flood_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= Duration::from_millis(FLOOD_MS) {
                self.stats.fail(FailureKind::HostLost);
            }
        } else if self.last_progress.elapsed() > Duration::from_millis(STALL_MS) {
            self.stats.fail(FailureKind::Unknown);
        }
        if !self.stats.failed.load(Ordering::Acquire) {
            return false;
        }
        let reason = FailureKind::from_code(self.stats.failure.load(Ordering::Relaxed));
        tracing::warn!(direction = ?self.dir, device = %self.device, ?reason, "audio stream lost; reopening");
        self.events.push_back(DeviceEvent::Lost {
            direction: self.dir,
            device: self.device.clone(),
            reason,
        });
        self.next_retry = Instant::now();
        self.attempt = 0;
        self.lost_at = Some(Instant::now());
        self.flood_since = None;
        true
    }

    /// How long ago the stream died (zero if it has not).
    fn lost_for(&self) -> Duration {
        self.lost_at.map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// Devices to try, in order: the one asked for, then the default.
    fn candidates(&self) -> Vec<Option<String>> {
        match &self.want {
            Some(w) => vec![Some(w.clone()), None],
            None => vec![None],
        }
    }

    fn opened(&mut self, device: String, fallback: bool) {
        tracing::info!(direction = ?self.dir, device = %device, fallback, "audio stream recovered");
        self.events.push_back(DeviceEvent::Recovered {
            direction: self.dir,
            device: device.clone(),
            fallback,
        });
        self.device = device;
        self.stats.failed.store(false, Ordering::Release);
        self.last_progress = Instant::now();
        self.attempt = 0;
        self.lost_at = None;
    }

    fn retry_failed(&mut self, message: String) {
        self.attempt += 1;
        let backoff = (250u64 << self.attempt.min(4)).min(MAX_BACKOFF_MS);
        self.next_retry = Instant::now() + Duration::from_millis(backoff);
        tracing::debug!(direction = ?self.dir, attempt = self.attempt, %message, "reopen failed");
        if self.attempt <= 3 || self.attempt.is_multiple_of(10) {
            self.events.push_back(DeviceEvent::RetryFailed {
                direction: self.dir,
                attempt: self.attempt,
                message,
            });
        }
    }
}

/// A live microphone: mono samples at the device rate.
pub struct CpalSource {
    stream: Option<cpal::Stream>,
    data: rtrb::Consumer<f32>,
    stamps: rtrb::Consumer<Stamp>,
    last: Option<Stamp>,
    writer_back: mpsc::Receiver<MicWriter>,
    writer_tx: mpsc::SyncSender<MicWriter>,
    writer: Option<MicWriter>,
    rate_hz: u32,
    channels: u16,
    sup: Supervisor,
}

impl std::fmt::Debug for CpalSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpalSource")
            .field("device", &self.sup.device)
            .field("rate_hz", &self.rate_hz)
            .field("channels", &self.channels)
            .finish()
    }
}

impl CpalSource {
    /// Opens a microphone by name, or the default one.
    pub fn open(name: Option<&str>) -> Result<CpalSource, AudioError> {
        now_ns();
        let dev = find_device(Direction::Input, name)?;
        let device = device_name(&dev);
        let (config, format) =
            negotiate(&dev, Direction::Input, PREFERRED_RATE_HZ).map_err(|message| {
                AudioError::Open {
                    what: "microphone",
                    device: device.clone(),
                    message,
                }
            })?;
        let rate = config.sample_rate;
        let stats = Arc::new(StreamStats::default());
        let buffers = MicBuffers::new(rate, 0, stats.clone());
        let mut src = CpalSource {
            stream: None,
            data: buffers.data,
            stamps: buffers.stamps,
            last: None,
            writer_back: buffers.writer_back,
            writer_tx: buffers.writer_tx,
            writer: Some(buffers.writer),
            rate_hz: rate,
            channels: config.channels,
            sup: Supervisor::new(Direction::Input, name, device.clone(), stats),
        };
        src.start(&dev, config, format)
            .map_err(|message| AudioError::Open {
                what: "microphone",
                device,
                message,
            })?;
        Ok(src)
    }

    /// The device's channel count (samples are downmixed to mono).
    pub fn channels(&self) -> u16 {
        self.channels
    }

    fn start(
        &mut self,
        dev: &cpal::Device,
        config: cpal::StreamConfig,
        format: cpal::SampleFormat,
    ) -> Result<(), String> {
        let mut config = config;
        config.sample_rate = self.rate_hz;
        let fixed = config.buffer_size != cpal::BufferSize::Default;
        match self.try_build(dev, &config, format) {
            Err(_) if fixed => {
                config.buffer_size = cpal::BufferSize::Default;
                self.try_build(dev, &config, format)
            }
            r => r,
        }
    }

    fn try_build(
        &mut self,
        dev: &cpal::Device,
        config: &cpal::StreamConfig,
        format: cpal::SampleFormat,
    ) -> Result<(), String> {
        let Some(writer) = self.writer.take() else {
            return Err("the previous stream still holds the buffers".to_owned());
        };
        let stats = self.sup.stats.clone();
        let slot = Reclaim {
            inner: Some(writer),
            back: self.writer_tx.clone(),
        };
        let ch = config.channels.max(1) as usize;
        let r = match format {
            cpal::SampleFormat::F32 => build_in::<f32>(dev, config, slot, ch, stats),
            cpal::SampleFormat::I16 => build_in::<i16>(dev, config, slot, ch, stats),
            cpal::SampleFormat::I32 => build_in::<i32>(dev, config, slot, ch, stats),
            cpal::SampleFormat::U16 => build_in::<u16>(dev, config, slot, ch, stats),
            other => return Err(format!("unsupported sample format {other:?}")),
        };
        let stream = r.map_err(|e| e.to_string())?;
        stream.play().map_err(|e| e.to_string())?;
        self.channels = config.channels;
        self.stream = Some(stream);
        Ok(())
    }

    /// The real-time state back from the dead stream, or after [`RECLAIM_WAIT`] new buffers
    /// (what the dead stream held is lost). False while still waiting.
    fn reclaim(&mut self) -> bool {
        if self.writer.is_none() {
            self.writer = self.writer_back.try_recv().ok();
        }
        if self.writer.is_none() && self.sup.lost_for() >= RECLAIM_WAIT {
            tracing::warn!(device = %self.sup.device, "the dead microphone stream kept its buffers; capturing into new ones");
            let read = self.sup.stats.frames.load(Ordering::Relaxed);
            let b = MicBuffers::new(self.rate_hz, read, self.sup.stats.clone());
            (self.data, self.stamps) = (b.data, b.stamps);
            (self.writer_tx, self.writer_back) = (b.writer_tx, b.writer_back);
            self.writer = Some(b.writer);
        }
        self.writer.is_some()
    }

    fn reopen(&mut self) {
        if !self.reclaim() {
            return;
        }
        let n = self.sup.candidates().len();
        for (i, cand) in self.sup.candidates().into_iter().enumerate() {
            let attempt = find_device(Direction::Input, cand.as_deref())
                .map_err(|e| e.to_string())
                .and_then(|dev| {
                    let (config, format) = negotiate(&dev, Direction::Input, self.rate_hz)?;
                    self.start(&dev, config, format)?;
                    Ok(device_name(&dev))
                });
            match attempt {
                Ok(name) => return self.sup.opened(name, i > 0),
                Err(e) if i + 1 == n => self.sup.retry_failed(e),
                Err(_) => {}
            }
        }
    }
}

fn build_in<T>(
    dev: &cpal::Device,
    config: &cpal::StreamConfig,
    mut slot: Reclaim<MicWriter>,
    channels: usize,
    stats: Arc<StreamStats>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    dev.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _| {
            assert_no_alloc::assert_no_alloc(|| {
                if let Some(w) = slot.inner.as_mut() {
                    w.write(data, channels);
                }
            })
        },
        move |e| on_error(&stats, &e),
        None,
    )
}

/// A stream that died may be stuck in its driver: release it without waiting.
fn release(stream: &mut Option<cpal::Stream>, sup: &mut Supervisor) {
    if stream.is_some()
        && sup.is_dead()
        && let Some(stream) = stream.take()
    {
        reap(stream);
    }
}

impl Drop for CpalSource {
    fn drop(&mut self) {
        release(&mut self.stream, &mut self.sup);
    }
}

impl Drop for CpalSink {
    fn drop(&mut self) {
        release(&mut self.stream, &mut self.sup);
    }
}

impl AudioSource for CpalSource {
    fn name(&self) -> &str {
        &self.sup.device
    }

    fn sample_rate_hz(&self) -> u32 {
        self.rate_hz
    }

    fn read(&mut self, out: &mut Vec<f32>) -> usize {
        while let Ok(s) = self.stamps.pop() {
            self.last = Some(s);
        }
        let n = self.data.slots();
        let Ok(chunk) = self.data.read_chunk(n) else {
            return 0;
        };
        let (a, b) = chunk.as_slices();
        out.extend_from_slice(a);
        out.extend_from_slice(b);
        chunk.commit_all();
        self.sup.stats.frames.fetch_add(n as u64, Ordering::Relaxed);
        n
    }

    fn stamp(&self) -> Option<Stamp> {
        self.last
    }

    fn stats(&self) -> Arc<StreamStats> {
        self.sup.stats.clone()
    }

    fn poll_events(&mut self) -> Option<DeviceEvent> {
        release(&mut self.stream, &mut self.sup);
        if self.stream.is_none() && Instant::now() >= self.sup.next_retry {
            self.reopen();
        }
        self.sup.events.pop_front()
    }
}

/// A live speaker running a [`Renderer`] in its callback.
pub struct CpalSink {
    stream: Option<cpal::Stream>,
    renderer_back: mpsc::Receiver<Renderer>,
    renderer_tx: mpsc::SyncSender<Renderer>,
    renderer: Option<Renderer>,
    rate_hz: u32,
    channels: u16,
    sup: Supervisor,
}

impl std::fmt::Debug for CpalSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpalSink")
            .field("device", &self.sup.device)
            .field("rate_hz", &self.rate_hz)
            .field("channels", &self.channels)
            .finish()
    }
}

impl CpalSink {
    /// Opens a speaker by name, or the default one, and the playback path through it: the
    /// [`Player`] to speak with and the [`Reference`] for the echo canceller.
    pub fn open(name: Option<&str>) -> Result<(CpalSink, Player, Reference), AudioError> {
        now_ns();
        let dev = find_device(Direction::Output, name)?;
        let device = device_name(&dev);
        let open_err = |message: String| AudioError::Open {
            what: "speaker",
            device: device.clone(),
            message,
        };
        let (config, format) =
            negotiate(&dev, Direction::Output, PREFERRED_RATE_HZ).map_err(open_err)?;
        let stats = Arc::new(StreamStats::default());
        let (player, renderer, reference) = playback(config.sample_rate, stats.clone())?;
        let (renderer_tx, renderer_back) = mpsc::sync_channel(1);
        let mut sink = CpalSink {
            stream: None,
            renderer_back,
            renderer_tx,
            renderer: Some(renderer),
            rate_hz: config.sample_rate,
            channels: config.channels,
            sup: Supervisor::new(Direction::Output, name, device.clone(), stats),
        };
        sink.start(&dev, config, format).map_err(open_err)?;
        Ok((sink, player, reference))
    }

    pub fn channels(&self) -> u16 {
        self.channels
    }

    fn start(
        &mut self,
        dev: &cpal::Device,
        config: cpal::StreamConfig,
        format: cpal::SampleFormat,
    ) -> Result<(), String> {
        let mut config = config;
        if config.sample_rate != self.rate_hz {
            return Err(format!(
                "the device runs at {} Hz, playback was set up for {} Hz",
                config.sample_rate, self.rate_hz
            ));
        }
        config.sample_rate = self.rate_hz;
        let fixed = config.buffer_size != cpal::BufferSize::Default;
        match self.try_build(dev, &config, format) {
            Err(_) if fixed => {
                config.buffer_size = cpal::BufferSize::Default;
                self.try_build(dev, &config, format)
            }
            r => r,
        }
    }

    fn try_build(
        &mut self,
        dev: &cpal::Device,
        config: &cpal::StreamConfig,
        format: cpal::SampleFormat,
    ) -> Result<(), String> {
        let Some(renderer) = self.renderer.take() else {
            return Err("the previous stream still holds the renderer".to_owned());
        };
        let stats = self.sup.stats.clone();
        let slot = Reclaim {
            inner: Some(renderer),
            back: self.renderer_tx.clone(),
        };
        let ch = config.channels.max(1) as usize;
        let r = match format {
            cpal::SampleFormat::F32 => build_out::<f32>(dev, config, slot, ch, stats),
            cpal::SampleFormat::I16 => build_out::<i16>(dev, config, slot, ch, stats),
            cpal::SampleFormat::I32 => build_out::<i32>(dev, config, slot, ch, stats),
            cpal::SampleFormat::U16 => build_out::<u16>(dev, config, slot, ch, stats),
            other => return Err(format!("unsupported sample format {other:?}")),
        };
        let stream = r.map_err(|e| e.to_string())?;
        stream.play().map_err(|e| e.to_string())?;
        self.channels = config.channels;
        self.stream = Some(stream);
        Ok(())
    }

    fn reopen(&mut self) {
        if self.renderer.is_none() {
            self.renderer = self.renderer_back.try_recv().ok();
        }
        if self.renderer.is_none() {
            // The playback state cannot be rebuilt under the Player; wait for it, and say so
            // once the wait is unusual.
            if self.sup.lost_for() >= RECLAIM_WAIT {
                self.sup
                    .retry_failed("the dead output stream still holds the playback state".into());
            }
            return;
        }
        let n = self.sup.candidates().len();
        for (i, cand) in self.sup.candidates().into_iter().enumerate() {
            let attempt = find_device(Direction::Output, cand.as_deref())
                .map_err(|e| e.to_string())
                .and_then(|dev| {
                    let (config, format) = negotiate(&dev, Direction::Output, self.rate_hz)?;
                    self.start(&dev, config, format)?;
                    Ok(device_name(&dev))
                });
            match attempt {
                Ok(name) => return self.sup.opened(name, i > 0),
                Err(e) if i + 1 == n => self.sup.retry_failed(e),
                Err(_) => {}
            }
        }
    }
}

fn build_out<T>(
    dev: &cpal::Device,
    config: &cpal::StreamConfig,
    mut slot: Reclaim<Renderer>,
    channels: usize,
    stats: Arc<StreamStats>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32> + Send + 'static,
{
    let mut scratch = vec![0.0f32; OUTPUT_SCRATCH - OUTPUT_SCRATCH % channels];
    dev.build_output_stream::<T, _, _>(
        *config,
        move |data: &mut [T], info: &cpal::OutputCallbackInfo| {
            assert_no_alloc::assert_no_alloc(|| {
                let Some(r) = slot.inner.as_mut() else {
                    return;
                };
                let t = now_ns();
                let ts = info.timestamp();
                let latency = ts.playback.duration_since(ts.callback).as_nanos() as u64;
                for piece in data.chunks_mut(scratch.len()) {
                    let buf = &mut scratch[..piece.len()];
                    r.render(buf, channels, t, latency);
                    for (d, s) in piece.iter_mut().zip(buf.iter()) {
                        *d = T::from_sample(*s);
                    }
                }
            })
        },
        move |e| on_error(&stats, &e),
        None,
    )
}

impl AudioSink for CpalSink {
    fn name(&self) -> &str {
        &self.sup.device
    }

    fn sample_rate_hz(&self) -> u32 {
        self.rate_hz
    }

    fn stats(&self) -> Arc<StreamStats> {
        self.sup.stats.clone()
    }

    fn poll_events(&mut self) -> Option<DeviceEvent> {
        release(&mut self.stream, &mut self.sup);
        if self.stream.is_none() && Instant::now() >= self.sup.next_retry {
            self.reopen();
        }
        self.sup.events.pop_front()
    }
}
