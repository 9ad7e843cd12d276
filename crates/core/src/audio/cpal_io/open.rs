//! Opening a stream, the one path for the first open and every reopen: find the device,
//! negotiate a configuration, build the stream around the real-time state its callback owns,
//! play it. [`Link`] holds one direction's stream with that state and its [`Supervisor`].

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::super::stream::{AudioError, DeviceEvent, Direction, StreamStats};
use super::MIC_CALLBACK_MS;
use super::supervise::{Supervisor, reap};

pub(super) fn what(dir: Direction) -> &'static str {
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
    let host = super::super::devices::host();
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
    let frames = config.sample_rate * MIC_CALLBACK_MS / 1000;
    if let cpal::SupportedBufferSize::Range { min, max } = chosen.buffer_size()
        && (*min..=*max).contains(&frames)
        && dir == Direction::Input
    {
        config.buffer_size = cpal::BufferSize::Fixed(frames);
    }
    Ok((config, chosen.sample_format()))
}

/// A device and the configuration negotiated on it.
pub(super) struct Found {
    dev: cpal::Device,
    pub(super) name: String,
    pub(super) config: cpal::StreamConfig,
    format: cpal::SampleFormat,
}

/// Finds the device (`want`, or the default) and negotiates `rate_hz` on it.
pub(super) fn find(dir: Direction, want: Option<&str>, rate_hz: u32) -> Result<Found, AudioError> {
    let dev = find_device(dir, want)?;
    let name = device_name(&dev);
    let (config, format) = negotiate(&dev, dir, rate_hz).map_err(|message| AudioError::Open {
        what: what(dir),
        device: name.clone(),
        message,
    })?;
    Ok(Found {
        dev,
        name,
        config,
        format,
    })
}

/// Carries real-time state into a callback and sends it back when cpal drops the callback.
pub(super) struct Reclaim<T: Send + 'static> {
    pub(super) inner: Option<T>,
    back: mpsc::SyncSender<T>,
}

impl<T: Send + 'static> Drop for Reclaim<T> {
    fn drop(&mut self) {
        if let Some(t) = self.inner.take() {
            let _ = self.back.try_send(t);
        }
    }
}

/// What differs between microphone and speaker: the real-time state the callback owns and how
/// a stream is built around it (see `callbacks`).
pub(super) trait Side {
    const DIR: Direction;
    /// The real-time state: the microphone's ring writer, the speaker's renderer.
    type Rt: Send + 'static;

    fn build(
        dev: &cpal::Device,
        config: &cpal::StreamConfig,
        format: cpal::SampleFormat,
        slot: Reclaim<Self::Rt>,
        stats: Arc<StreamStats>,
    ) -> Result<cpal::Stream, String>;
}

/// One direction's stream, the real-time state while no stream holds it, and supervision.
pub(super) struct Link<S: Side> {
    stream: Option<cpal::Stream>,
    rt: Option<S::Rt>,
    rt_tx: mpsc::SyncSender<S::Rt>,
    rt_back: mpsc::Receiver<S::Rt>,
    /// The rate the real-time state was made for; every stream runs at it.
    pub(super) rate_hz: u32,
    pub(super) channels: u16,
    pub(super) sup: Supervisor,
}

impl<S: Side> Link<S> {
    /// Starts a stream on `found` (asked for as `want`) with `rt`, made for `found`'s rate.
    pub(super) fn open(
        found: Found,
        want: Option<&str>,
        rt: S::Rt,
        stats: Arc<StreamStats>,
    ) -> Result<Self, AudioError> {
        let (rt_tx, rt_back) = mpsc::sync_channel(1);
        let mut link = Link {
            stream: None,
            rt: Some(rt),
            rt_tx,
            rt_back,
            rate_hz: found.config.sample_rate,
            channels: found.config.channels,
            sup: Supervisor::new(S::DIR, want, found.name.clone(), stats),
        };
        link.start(&found).map_err(|message| AudioError::Open {
            what: what(S::DIR),
            device: found.name,
            message,
        })?;
        Ok(link)
    }

    /// Builds and plays a stream on `found` at our rate; a fixed buffer size the device
    /// refuses falls back to the host's default.
    fn start(&mut self, found: &Found) -> Result<(), String> {
        let mut config = found.config;
        config.sample_rate = self.rate_hz;
        match self.try_build(found, &config) {
            Err(_) if config.buffer_size != cpal::BufferSize::Default => {
                config.buffer_size = cpal::BufferSize::Default;
                self.try_build(found, &config)
            }
            r => r,
        }
    }

    fn try_build(&mut self, found: &Found, config: &cpal::StreamConfig) -> Result<(), String> {
        let Some(rt) = self.rt.take() else {
            return Err("the previous stream still holds the real-time state".to_owned());
        };
        let slot = Reclaim {
            inner: Some(rt),
            back: self.rt_tx.clone(),
        };
        let built = S::build(
            &found.dev,
            config,
            found.format,
            slot,
            self.sup.stats.clone(),
        )
        .and_then(|stream| stream.play().map(|()| stream).map_err(|e| e.to_string()));
        match built {
            Ok(stream) => {
                self.channels = config.channels;
                self.stream = Some(stream);
                Ok(())
            }
            Err(e) => {
                // The failed stream's callback was dropped with it: the state is back.
                self.rt = self.rt_back.try_recv().ok();
                Err(e)
            }
        }
    }

    /// Releases the stream if it died: on a thread of its own, since a dead stream may be
    /// stuck in its driver.
    pub(super) fn release_if_dead(&mut self) {
        if self.stream.is_some()
            && self.sup.is_dead()
            && let Some(stream) = self.stream.take()
        {
            reap(stream);
        }
    }

    /// Whether a reopen is due: no stream, and the backoff has passed.
    pub(super) fn due(&self) -> bool {
        self.stream.is_none() && Instant::now() >= self.sup.next_retry
    }

    /// Whether the real-time state is here (taking it back from a dead stream's callback).
    pub(super) fn has_rt(&mut self) -> bool {
        if self.rt.is_none() {
            self.rt = self.rt_back.try_recv().ok();
        }
        self.rt.is_some()
    }

    /// Gives up on the state a dead stream kept: `rt` replaces it, with a new way back (the
    /// old one, if it ever returns, is dropped).
    pub(super) fn renew(&mut self, rt: S::Rt) {
        (self.rt_tx, self.rt_back) = mpsc::sync_channel(1);
        self.rt = Some(rt);
    }

    /// Reopens when due and the state is back: the device asked for, then the default one.
    pub(super) fn reopen_if_due(&mut self) {
        if !self.due() || !self.has_rt() {
            return;
        }
        let candidates = self.sup.candidates();
        let n = candidates.len();
        for (i, cand) in candidates.into_iter().enumerate() {
            let attempt = find(S::DIR, cand.as_deref(), self.rate_hz)
                .map_err(|e| e.to_string())
                .and_then(|found| self.start(&found).map(|()| found.name));
            match attempt {
                Ok(name) => return self.sup.opened(name, i > 0),
                Err(e) if i + 1 == n => self.sup.retry_failed(e),
                Err(_) => {}
            }
        }
    }

    pub(super) fn next_event(&mut self) -> Option<DeviceEvent> {
        self.sup.events.pop_front()
    }
}

impl<S: Side> Drop for Link<S> {
    fn drop(&mut self) {
        self.release_if_dead();
    }
}
