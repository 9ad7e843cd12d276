//! Microphone capture through cpal. The callback only copies samples into a preallocated
//! lock-free ring (`rtrb`) and counts overruns in an atomic: no locks, allocation or logging.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SizedSample};

/// Seconds of audio the ring holds before the reader must catch up.
const RING_SECONDS: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(
        "no microphone found; plug one in or enable it (check `pactl list short sources`), or pick one with `--input-device` (`tandem doctor` lists them)"
    )]
    NoDevice,
    #[error("microphone `{0}` not found; `tandem doctor` lists the available ones")]
    NotFound(String),
    #[error("cannot list microphones: {0}")]
    Host(String),
    #[error("microphone `{device}` cannot be opened: {message}")]
    Open { device: String, message: String },
}

/// Counters the callback updates and anyone may read.
#[derive(Debug, Default)]
pub struct CaptureStats {
    /// Samples dropped because the reader fell behind.
    pub overrun_samples: AtomicU64,
    /// Set when the stream reported an error (e.g. the device was unplugged).
    pub failed: AtomicBool,
}

/// A running microphone stream. Dropping it closes the device.
pub struct Capture {
    _stream: cpal::Stream,
    consumer: rtrb::Consumer<f32>,
    pub device: String,
    pub sample_rate_hz: u32,
    pub channels: u16,
    pub stats: Arc<CaptureStats>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("device", &self.device)
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("channels", &self.channels)
            .finish()
    }
}

impl Capture {
    /// Opens a microphone by name, or the default one.
    pub fn open(name: Option<&str>) -> Result<Capture, CaptureError> {
        let host = super::devices::host();
        let device = match name {
            None => host.default_input_device().ok_or(CaptureError::NoDevice)?,
            Some(want) => host
                .input_devices()
                .map_err(|e| CaptureError::Host(e.to_string()))?
                .find(|d| d.description().is_ok_and(|x| x.name() == want) || d.to_string() == want)
                .ok_or_else(|| CaptureError::NotFound(want.to_owned()))?,
        };
        let device_name = device.to_string();
        let open_err = |message: String| CaptureError::Open {
            device: device_name.clone(),
            message,
        };
        let supported = device
            .default_input_config()
            .map_err(|e| open_err(e.to_string()))?;
        let config = supported.config();
        let capacity = config.sample_rate as usize * config.channels as usize * RING_SECONDS;
        let (producer, consumer) = rtrb::RingBuffer::new(capacity);
        let stats = Arc::new(CaptureStats::default());
        let stream = match supported.sample_format() {
            cpal::SampleFormat::F32 => build::<f32>(&device, &config, producer, stats.clone()),
            cpal::SampleFormat::I16 => build::<i16>(&device, &config, producer, stats.clone()),
            cpal::SampleFormat::I32 => build::<i32>(&device, &config, producer, stats.clone()),
            cpal::SampleFormat::U16 => build::<u16>(&device, &config, producer, stats.clone()),
            other => return Err(open_err(format!("unsupported sample format {other:?}"))),
        }
        .map_err(|e| open_err(e.to_string()))?;
        stream.play().map_err(|e| open_err(e.to_string()))?;
        Ok(Capture {
            _stream: stream,
            consumer,
            device: device_name,
            sample_rate_hz: config.sample_rate,
            channels: config.channels,
            stats,
        })
    }

    /// Moves every available sample (interleaved, device rate) into `out`, downmixed to mono.
    /// Returns the number of mono samples appended.
    pub fn read_mono(&mut self, out: &mut Vec<f32>) -> usize {
        let ch = self.channels.max(1) as usize;
        let available = self.consumer.slots() / ch * ch;
        let Ok(chunk) = self.consumer.read_chunk(available) else {
            return 0;
        };
        let (a, b) = chunk.as_slices();
        let before = out.len();
        // A frame may straddle the two slices; walk the samples as one sequence.
        let mut acc = 0.0f32;
        for (i, s) in a.iter().chain(b.iter()).enumerate() {
            acc += *s;
            if i % ch == ch - 1 {
                out.push(acc / ch as f32);
                acc = 0.0;
            }
        }
        chunk.commit_all();
        out.len() - before
    }
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut producer: rtrb::Producer<f32>,
    stats: Arc<CaptureStats>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let err_stats = stats.clone();
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _| {
            // Real-time context: copy what fits, count the rest. No allocation, locks or logging.
            let n = data.len().min(producer.slots());
            if let Ok(chunk) = producer.write_chunk_uninit(n) {
                chunk.fill_from_iter(data[..n].iter().map(|s| s.to_sample::<f32>()));
            }
            if n < data.len() {
                stats
                    .overrun_samples
                    .fetch_add((data.len() - n) as u64, Ordering::Relaxed);
            }
        },
        move |_err| {
            err_stats.failed.store(true, Ordering::Relaxed);
        },
        None,
    )
}
