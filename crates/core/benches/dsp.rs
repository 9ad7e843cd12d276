//! The audio DSP chain per 10 ms frame (goal: < 0.5 ms on one core).
//!
//! `cargo bench -p tandem-core --bench dsp`
//! - `chain_10ms`: everything the DSP thread does for 10 ms of 48 kHz microphone and reference:
//!   two 48 -> 16 kHz resamplers, AEC3 (render + capture), framing, and webrtc-vad every 20 ms.
//! - the parts on their own: `aec3_10ms`, `resample_48k_to_16k_10ms`, `vad_20ms`.

use std::sync::Arc;

use tandem_core::audio::aec::{AEC_FRAME, EchoCanceller};
use tandem_core::audio::dsp::{DspChain, DspConfig, DspStats};
use tandem_core::audio::resample::StreamResampler;
use tandem_core::audio::stream::{AudioSource, Stamp, StreamStats};

fn main() {
    divan::main();
}

/// Speech-like test signal: noise shaped by a 4 Hz syllable envelope.
fn signal(n: usize, rate: u32, seed: u32) -> Vec<f32> {
    let mut state = seed | 1;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = state as f32 / u32::MAX as f32 - 0.5;
            let t = i as f32 / rate as f32;
            let env = (2.0 * std::f32::consts::PI * 4.0 * t).sin().abs();
            0.3 * noise * env
        })
        .collect()
}

/// Delivers 10 ms per read from a looped signal, stamped as a device would.
struct Looped {
    data: Vec<f32>,
    pos: usize,
    index: u64,
    rate: u32,
    stats: Arc<StreamStats>,
}

impl Looped {
    fn new(data: Vec<f32>, rate: u32) -> Looped {
        Looped {
            data,
            pos: 0,
            index: 0,
            rate,
            stats: Arc::new(StreamStats::default()),
        }
    }
}

impl AudioSource for Looped {
    fn name(&self) -> &str {
        "bench"
    }
    fn sample_rate_hz(&self) -> u32 {
        self.rate
    }
    fn read(&mut self, out: &mut Vec<f32>) -> usize {
        let n = self.rate as usize / 100;
        if self.pos + n > self.data.len() {
            self.pos = 0;
        }
        out.extend_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        self.index += n as u64;
        n
    }
    fn stamp(&self) -> Option<Stamp> {
        Some(Stamp {
            end_index: self.index,
            t_ns: self.index * 1_000_000_000 / u64::from(self.rate),
        })
    }
    fn stats(&self) -> Arc<StreamStats> {
        self.stats.clone()
    }
}

#[divan::bench]
fn chain_10ms(bencher: divan::Bencher) {
    let far_sig = signal(48_000 * 4, 48_000, 1);
    // The microphone hears an attenuated, delayed copy plus a little noise.
    let mut mic_sig: Vec<f32> = vec![0.0; 48_000 * 4];
    for i in 1_440..mic_sig.len() {
        mic_sig[i] = 0.4 * far_sig[i - 1_440];
    }
    let noise = signal(mic_sig.len(), 48_000, 9);
    for (m, n) in mic_sig.iter_mut().zip(noise) {
        *m += 0.01 * n;
    }
    let mut mic = Looped::new(mic_sig, 48_000);
    let mut far = Looped::new(far_sig, 48_000);
    let mut chain = DspChain::new(
        DspConfig::default(),
        48_000,
        Some(48_000),
        Arc::new(DspStats::default()),
    )
    .unwrap();
    // Warm up: fill the resamplers and let AEC3 converge.
    for _ in 0..300 {
        chain.process(&mut mic, Some(&mut far), &mut |_| {});
    }
    bencher.bench_local(|| {
        let mut n = 0;
        chain.process(&mut mic, Some(&mut far), &mut |_| n += 1);
        divan::black_box(n)
    });
}

#[divan::bench]
fn aec3_10ms(bencher: divan::Bencher) {
    let far = signal(16_000 * 4, 16_000, 3);
    let mut aec = EchoCanceller::new();
    let mut out = [0.0f32; AEC_FRAME];
    let mut near = [0.0f32; AEC_FRAME];
    let mut k = 0usize;
    let mut step = |aec: &mut EchoCanceller| {
        if k + 2 * AEC_FRAME > far.len() {
            k = 0;
        }
        let f = &far[k + AEC_FRAME..k + 2 * AEC_FRAME];
        for (i, s) in near.iter_mut().enumerate() {
            *s = 0.4 * far[k + i];
        }
        aec.analyze_render(f);
        aec.process_capture(&near, &mut out);
        k += AEC_FRAME;
        divan::black_box(out[0])
    };
    for _ in 0..300 {
        step(&mut aec);
    }
    bencher.bench_local(|| step(&mut aec));
}

#[divan::bench]
fn resample_48k_to_16k_10ms(bencher: divan::Bencher) {
    let x = signal(480, 48_000, 5);
    let mut r = StreamResampler::new(48_000, 16_000).unwrap();
    let mut out = Vec::with_capacity(1_024);
    bencher.bench_local(|| {
        out.clear();
        r.push(&x, &mut out)
    });
}

#[divan::bench]
fn vad_20ms(bencher: divan::Bencher) {
    let x: Vec<i16> = signal(320, 16_000, 7)
        .iter()
        .map(|s| (s * 32_767.0) as i16)
        .collect();
    let mut vad = webrtc_vad::Vad::new_with_rate_and_mode(
        webrtc_vad::SampleRate::Rate16kHz,
        webrtc_vad::VadMode::Aggressive,
    );
    bencher.bench_local(|| vad.is_voice_segment(&x).unwrap_or(false));
}
