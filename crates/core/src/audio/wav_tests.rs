use super::*;
use crate::audio::rms;

fn sine(rate_hz: u32, freq_hz: f32, secs: f32) -> Vec<f32> {
    let n = (rate_hz as f32 * secs) as usize;
    (0..n)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * freq_hz * i as f32 / rate_hz as f32).sin())
        .collect()
}

fn write_raw<S: hound::Sample + Copy>(
    path: &Path,
    spec: hound::WavSpec,
    frames: usize,
    sample: impl Fn(usize, u16) -> S,
) {
    let mut w = hound::WavWriter::create(path, spec).expect("create");
    for i in 0..frames {
        for c in 0..spec.channels {
            w.write_sample(sample(i, c)).expect("write");
        }
    }
    w.finalize().expect("finalize");
}

#[test]
fn reads_every_integer_width_and_float() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (bits, float) in [
        (8, false),
        (16, false),
        (24, false),
        (32, false),
        (32, true),
    ] {
        let path = dir.path().join(format!("s{bits}{float}.wav"));
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let x = sine(16_000, 440.0, 0.25);
        if float {
            write_raw(&path, spec, x.len(), |i, _| x[i]);
        } else {
            let full = ((1i64 << (bits - 1)) - 1) as f32;
            write_raw(&path, spec, x.len(), |i, _| (x[i] * full).round() as i32);
        }
        let y = read_mono(&path, 16_000).expect("read");
        assert_eq!(y.len(), x.len());
        let tol = if bits == 8 { 1.0 / 64.0 } else { 1e-4 };
        let err = x
            .iter()
            .zip(&y)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < tol, "{bits}-bit float={float}: max error {err}");
    }
}

#[test]
fn downmixes_and_resamples_stereo_48k() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stereo48.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let left = sine(48_000, 1_000.0, 1.0);
    // Right channel silent: the mono mix is half the left.
    write_raw(&path, spec, left.len(), |i, c| {
        if c == 0 {
            (left[i] * 32767.0) as i16
        } else {
            0
        }
    });
    let info = read_info(&path).expect("info");
    assert_eq!(
        (info.channels, info.sample_rate_hz, info.frames),
        (2, 48_000, 48_000)
    );
    let y = read_mono(&path, 16_000).expect("read");
    assert_eq!(y.len(), 16_000);
    let mid = &y[1_000..15_000];
    assert!(
        (rms(mid) - 0.25 / 2f32.sqrt()).abs() < 0.005,
        "rms {}",
        rms(mid)
    );
}

#[test]
fn resampling_removes_what_cannot_be_represented() {
    // 7 kHz at 44.1 kHz is below 8 kHz: kept. 12 kHz must not alias into the 16 kHz output.
    let kept = resample(&sine(44_100, 7_000.0, 1.0), 44_100, 16_000).expect("resample");
    let gone = resample(&sine(44_100, 12_000.0, 1.0), 44_100, 16_000).expect("resample");
    assert_eq!(kept.len(), 16_000);
    assert!(
        rms(&kept[2_000..14_000]) > 0.3,
        "7 kHz kept: {}",
        rms(&kept[2_000..14_000])
    );
    assert!(
        rms(&gone[2_000..14_000]) < 0.01,
        "12 kHz leaked: {}",
        rms(&gone[2_000..14_000])
    );
    // Upsampling keeps a tone and its length.
    let up = resample(&sine(8_000, 300.0, 0.5), 8_000, 16_000).expect("resample");
    assert_eq!(up.len(), 8_000);
    assert!((rms(&up[500..7_500]) - 0.3536).abs() < 0.01);
}

#[test]
fn round_trips_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let x = sine(16_000, 250.0, 0.1);
    let p16 = dir.path().join("a.wav");
    write_mono_i16(&p16, &x, 16_000).expect("write i16");
    let y = read_mono(&p16, 16_000).expect("read");
    assert!(x.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-4));
    let pf = dir.path().join("b.wav");
    write_mono_f32(&pf, &x, 16_000).expect("write f32");
    let (z, info) = read_mono_native(&pf).expect("read");
    assert!(info.float);
    assert_eq!(z, x);
}

#[test]
fn bad_files_say_what_is_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    let msg = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        read_mono(&p, 16_000).expect_err("must fail").to_string()
    };
    let m = msg("x.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    assert!(m.contains("x.mp3 is not a WAV file"), "{m}");
    assert!(
        m.contains("(MP3 data, RIFF header missing)") && m.ends_with("/x.wav`"),
        "{m}"
    );
    let m = msg("e.wav", b"");
    assert!(m.contains("e.wav is empty"), "{m}");
    let m = msg("t.txt", b"hello, world, this is text");
    assert!(
        m.contains("t.txt is not a WAV file (RIFF header missing)"),
        "{m}"
    );
    let m = msg("short.wav", b"RIFF\x10\x00");
    assert!(m.contains("short.wav is truncated"), "{m}");

    // A valid file cut in the middle of its samples.
    let p = dir.path().join("cut.wav");
    write_mono_i16(&p, &sine(16_000, 440.0, 0.5), 16_000).expect("write");
    let bytes = std::fs::read(&p).expect("read");
    std::fs::write(&p, &bytes[..bytes.len() / 2 + 1]).expect("truncate");
    let m = read_mono(&p, 16_000).expect_err("must fail").to_string();
    assert!(
        m.contains("cut.wav is truncated") && m.contains("8000 frames"),
        "{m}"
    );

    // Only a header.
    let p = dir.path().join("hdr.wav");
    write_mono_i16(&p, &[], 16_000).expect("write");
    let m = read_mono(&p, 16_000).expect_err("must fail").to_string();
    assert!(m.contains("hdr.wav has a WAV header but no audio"), "{m}");

    let m = read_mono(&dir.path().join("missing.wav"), 16_000)
        .expect_err("must fail")
        .to_string();
    assert!(
        m.contains("cannot open") && m.contains("missing.wav"),
        "{m}"
    );
}

/// A damaged header's sample rate is refused before anything is planned for it (a
/// resampler from 2.1 GHz plans a 200-million-point FFT and aborts on allocation).
#[test]
fn wild_sample_rates_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    for rate in [2_119_863_820u32, 999, 768_001, 1] {
        let p = dir.path().join(format!("r{rate}.wav"));
        write_mono_i16(&p, &sine(16_000, 440.0, 0.05), rate).expect("write");
        let m = read_mono(&p, 16_000).expect_err("must fail").to_string();
        assert!(m.contains(&format!("{rate} Hz")), "{m}");
        assert!(read_info(&p).is_err());
    }
    let err = resample(&[0.0; 100], 16_000, 4_000_000_000).expect_err("must fail");
    assert!(err.to_string().contains("1000-768000 Hz"), "{err}");
    for rate in [1_000u32, 768_000] {
        let p = dir.path().join(format!("ok{rate}.wav"));
        write_mono_i16(&p, &sine(rate, 100.0, 0.1), rate).expect("write");
        assert_eq!(read_mono(&p, 16_000).expect("read").len(), 1_600);
    }
}

/// NaN in a float file reads as silence, infinities and absurd values as 60 dB over full
/// scale; resampling them does not panic.
#[test]
fn damaged_float_samples_are_tamed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("nan.wav");
    let mut x = sine(48_000, 440.0, 0.1);
    x[10] = f32::NAN;
    x[20] = f32::INFINITY;
    x[30] = f32::NEG_INFINITY;
    x[40] = 3e38;
    x[50] = 1.5;
    write_mono_f32(&p, &x, 48_000).expect("write");
    let (native, _) = read_mono_native(&p).expect("read");
    assert_eq!(
        [native[10], native[20], native[30], native[40], native[50]],
        [0.0, 1_000.0, -1_000.0, 1_000.0, 1.5]
    );
    let y = read_mono(&p, 16_000).expect("read");
    assert!(y.iter().all(|v| v.is_finite()) && y.len() == 1_600);
    assert!(
        resample(&x, 48_000, 16_000)
            .expect("resample")
            .iter()
            .all(|v| v.is_finite())
    );
}

#[test]
fn a_streaming_wav_is_exactly_its_length_and_vanishes_unfinished() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.wav");
    let mut w = StreamingWav::create(&path, 16_000, 1_000).unwrap();
    w.write(&[0.5; 300]).unwrap();
    w.write(&[-0.5; 900]).unwrap(); // 200 past the length: dropped
    w.finish().unwrap();
    let (samples, info) = read_mono_native(&path).unwrap();
    assert_eq!((samples.len(), info.sample_rate_hz), (1_000, 16_000));
    assert!((samples[0] - 0.5).abs() < 1e-3 && (samples[999] + 0.5).abs() < 1e-3);

    let mut short = StreamingWav::create(&path, 16_000, 1_000).unwrap();
    short.write(&[0.25; 10]).unwrap();
    short.finish().unwrap();
    let (samples, _) = read_mono_native(&path).unwrap();
    assert_eq!(samples.len(), 1_000, "padded with silence");
    assert_eq!(samples[500], 0.0);

    let unfinished = StreamingWav::create(&path, 16_000, 1_000).unwrap();
    drop(unfinished);
    assert!(
        !path.exists(),
        "a file never finished is not left half-written"
    );
}
