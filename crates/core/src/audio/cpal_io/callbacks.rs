//! What runs in cpal's callbacks, and nothing else: the microphone's downmix into its ring and
//! the speaker's [`Renderer`]. Only copying: no locks, no logging, no allocation (in debug
//! builds `assert_no_alloc` aborts the process if a callback allocates; see `audio`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use cpal::traits::DeviceTrait;
use cpal::{FromSample, SizedSample};

use super::super::playback::Renderer;
use super::super::stream::{Direction, Stamp, StreamStats, now_ns};
use super::open::{Reclaim, Side};
use super::supervise::on_error;
use super::{MIC_RING_SECONDS, OUTPUT_SCRATCH};

/// The microphone side's real-time state.
pub(super) struct MicWriter {
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

/// A microphone ring: its writer (for the callback) and its readers (for the DSP thread).
pub(super) struct MicBuffers {
    pub(super) writer: MicWriter,
    pub(super) data: rtrb::Consumer<f32>,
    pub(super) stamps: rtrb::Consumer<Stamp>,
}

impl MicBuffers {
    /// `written`: samples already counted on this timeline (a restart continues it).
    pub(super) fn new(rate_hz: u32, written: u64, stats: Arc<StreamStats>) -> MicBuffers {
        let (data_tx, data) = rtrb::RingBuffer::new(rate_hz as usize * MIC_RING_SECONDS);
        let (stamp_tx, stamps) = rtrb::RingBuffer::new(1024);
        MicBuffers {
            writer: MicWriter {
                data: data_tx,
                stamps: stamp_tx,
                written,
                stats,
            },
            data,
            stamps,
        }
    }
}

/// The microphone.
pub(super) struct Mic;

impl Side for Mic {
    const DIR: Direction = Direction::Input;
    type Rt = MicWriter;

    fn build(
        dev: &cpal::Device,
        config: &cpal::StreamConfig,
        format: cpal::SampleFormat,
        slot: Reclaim<MicWriter>,
        stats: Arc<StreamStats>,
    ) -> Result<cpal::Stream, String> {
        let ch = usize::from(config.channels.max(1));
        match format {
            cpal::SampleFormat::F32 => build_in::<f32>(dev, config, slot, ch, stats),
            cpal::SampleFormat::I16 => build_in::<i16>(dev, config, slot, ch, stats),
            cpal::SampleFormat::I32 => build_in::<i32>(dev, config, slot, ch, stats),
            cpal::SampleFormat::U16 => build_in::<u16>(dev, config, slot, ch, stats),
            other => return Err(format!("unsupported sample format {other:?}")),
        }
        .map_err(|e| e.to_string())
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

/// The speaker.
pub(super) struct Speaker;

impl Side for Speaker {
    const DIR: Direction = Direction::Output;
    type Rt = Renderer;

    fn build(
        dev: &cpal::Device,
        config: &cpal::StreamConfig,
        format: cpal::SampleFormat,
        slot: Reclaim<Renderer>,
        stats: Arc<StreamStats>,
    ) -> Result<cpal::Stream, String> {
        let ch = usize::from(config.channels.max(1));
        match format {
            cpal::SampleFormat::F32 => build_out::<f32>(dev, config, slot, ch, stats),
            cpal::SampleFormat::I16 => build_out::<i16>(dev, config, slot, ch, stats),
            cpal::SampleFormat::I32 => build_out::<i32>(dev, config, slot, ch, stats),
            cpal::SampleFormat::U16 => build_out::<u16>(dev, config, slot, ch, stats),
            other => return Err(format!("unsupported sample format {other:?}")),
        }
        .map_err(|e| e.to_string())
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
