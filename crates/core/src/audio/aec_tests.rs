use super::*;
use crate::sim::EchoPath;

/// Speech recordings shipped with the repository (espeak-ng, 16 kHz).
pub(crate) fn speech(names: &[&str]) -> Vec<f32> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/turn");
    let mut out = Vec::new();
    for n in names {
        out.extend(crate::audio::wav::read_mono(&dir.join(n), 16_000).expect("fixture"));
    }
    out
}

/// About 12 s of far-end speech.
pub(crate) fn far_speech() -> Vec<f32> {
    let one = speech(&[
        "weather_complete.wav",
        "thanks_complete.wav",
        "timer_complete.wav",
    ]);
    let mut far = one.clone();
    far.extend(&one);
    far
}

fn segment_erle(near: &[f32], out: &[f32], from: usize) -> f64 {
    erle_db(&near[from..], &out[from..])
}

#[test]
fn cancels_a_linear_echo_by_at_least_25_db() {
    let far = far_speech();
    let near = EchoPath::default().apply(&far, AEC_RATE_HZ);
    let (out, metrics) = cancel(&far, &near);
    assert_eq!(out.len(), near.len());
    let erle = segment_erle(&near, &out, 2 * 16_000);
    eprintln!("ERLE after 2 s: {erle:.1} dB; AEC3 says {metrics:?}");
    assert!(erle >= 25.0, "ERLE {erle:.1} dB");
}

#[test]
fn keeps_near_end_speech_during_double_talk() {
    let far = far_speech();
    let user = speech(&["um_cut.wav", "thinking_cut.wav"]);
    let echo = EchoPath::default().apply(&far, AEC_RATE_HZ);
    // The user talks over the far end from 6 s on.
    let at = 6 * 16_000;
    let mut near = echo.clone();
    for (i, s) in user.iter().enumerate() {
        near[at + i] += s;
    }
    let (out, _) = cancel(&far, &near);
    let seg = at..at + user.len();
    let corr = correlation(&out[seg.clone()], &user);
    let before = correlation(&near[seg.clone()], &user);
    let loss = 10.0 * (energy(&user) / energy(&out[seg])).log10();
    eprintln!(
        "double talk: correlation {corr:.3} (unprocessed {before:.3}), near-end loss {loss:.1} dB"
    );
    // Measured 0.78 with an echo only 6 dB below the talker throughout (harsher than the rig,
    // where the live test measures >= 0.9); the suppressor costs ~3.4 dB of near end.
    assert!(corr >= 0.7, "correlation {corr:.3}");
    assert!(loss < 6.0, "near-end loss {loss:.1} dB");
    // Echo-only stretch before the user speaks is still cancelled.
    let erle = erle_db(&near[2 * 16_000..at], &out[2 * 16_000..at]);
    assert!(erle >= 20.0, "ERLE before double talk {erle:.1} dB");
}

#[test]
fn output_is_aligned_with_the_microphone() {
    // With nothing played AEC3 passes the microphone through, AEC_DELAY_SAMPLES late inside;
    // `cancel` removes that delay, so the output lines up sample for sample.
    let user = speech(&["weather_complete.wav"]);
    let (out, _) = cancel(&[], &user);
    let lag_corr = |lag: usize| correlation(&out[lag..], &user[..user.len() - lag]);
    assert!(lag_corr(0) > 0.99, "aligned: {}", lag_corr(0));
    assert!(lag_corr(0) > lag_corr(1) && lag_corr(0) > lag_corr(128));
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|s| f64::from(*s) * f64::from(*s)).sum::<f64>() + 1e-12
}

#[test]
fn correlation_and_erle_helpers() {
    let a = [1.0, 2.0, 3.0, 4.0];
    assert!((correlation(&a, &a) - 1.0).abs() < 1e-9);
    let b = [-1.0, -2.0, -3.0, -4.0];
    assert!((correlation(&a, &b) + 1.0).abs() < 1e-9);
    assert!((erle_db(&[1.0; 10], &[0.1; 10]) - 20.0).abs() < 1e-6);
}
