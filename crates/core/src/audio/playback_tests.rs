use super::*;
use crate::audio::rms;

const RATE: u32 = 48_000;
/// 10 ms device blocks, as the cpal stream is configured.
const BLOCK: usize = 480;

fn tone_24k(secs: f32, amp: f32) -> Vec<f32> {
    let n = (SPEECH_RATE_HZ as f32 * secs) as usize;
    (0..n)
        .map(|i| amp * (2.0 * std::f32::consts::PI * 200.0 * i as f32 / 24_000.0).sin())
        .collect()
}

fn parts() -> (Player, Renderer, Reference, Arc<StreamStats>) {
    let stats = Arc::new(StreamStats::default());
    let (p, r, f) = playback(RATE, stats.clone()).unwrap();
    (p, r, f, stats)
}

/// Renders `blocks` stereo 10 ms blocks, checked for allocation; returns the left channel.
fn render(r: &mut Renderer, blocks: usize, t0: &mut u64) -> Vec<f32> {
    let mut mono = Vec::with_capacity(blocks * BLOCK);
    let mut buf = vec![0.0f32; BLOCK * 2];
    for _ in 0..blocks {
        assert_no_alloc::assert_no_alloc(|| r.render(&mut buf, 2, *t0, 0));
        *t0 += 10_000_000;
        mono.extend(buf.chunks(2).map(|f| {
            assert_eq!(f[0], f[1]);
            f[0]
        }));
    }
    mono
}

#[test]
fn plays_everything_and_accounts_for_every_sample() {
    let (mut p, mut r, mut f, stats) = parts();
    let speech = tone_24k(1.0, 0.5);
    let id = p.speak(&speech);
    let mut t = 0;
    let out = render(&mut r, 120, &mut t);
    assert_eq!(p.played_samples(), 48_000);
    let prog = p.progress(id).unwrap();
    assert!(prog.finished && !prog.stopped, "{prog:?}");
    assert_eq!(prog.played_source_samples, 24_000);
    assert!((rms(&out[2_000..46_000]) - 0.3536).abs() < 0.01);
    assert_eq!(stats.snapshot().underrun_frames, 0);
    // The reference carries exactly what was played, with a stamp per block.
    let mut reference = Vec::new();
    assert_eq!(f.read(&mut reference), 120 * BLOCK);
    assert_eq!(reference, out);
    let stamp = f.stamp().unwrap();
    assert_eq!(stamp.end_index, (120 * BLOCK) as u64);
    assert_eq!(stamp.t_ns, 119 * 10_000_000);
}

#[test]
fn stop_fades_out_within_20_ms_and_drops_the_rest() {
    let (mut p, mut r, _f, _) = parts();
    let id = p.speak(&tone_24k(2.0, 0.5));
    let mut t = 0;
    render(&mut r, 50, &mut t); // 500 ms played
    let cut = p.stop();
    assert_eq!(cut, vec![id]);
    let out = render(&mut r, 10, &mut t);
    let last_loud = out.iter().rposition(|s| s.abs() > 1e-6).unwrap_or(0);
    let fade_ms = (last_loud + 1) as f64 * 1000.0 / RATE as f64;
    assert!(fade_ms <= 20.0, "fade took {fade_ms} ms");
    assert!(fade_ms >= 5.0, "fade too abrupt: {fade_ms} ms (clicks)");
    assert_eq!(p.last_fade_frames(), u64::from(RATE * FADE_MS / 1000));
    assert!(p.stop_done());
    // What the user heard: 500 ms + the fade, in 24 kHz samples.
    let prog = p.progress(id).unwrap();
    assert!(prog.stopped && !prog.finished);
    assert_eq!(prog.played_source_samples, 12_000 + 240);
    // Nothing else of the first utterance plays; the next utterance does.
    let next = p.speak(&tone_24k(0.2, 0.5));
    let out = render(&mut r, 30, &mut t);
    assert!(rms(&out[..9_600]) > 0.3, "second utterance plays at once");
    assert!(p.progress(next).unwrap().finished);
}

#[test]
fn duck_lowers_by_12_db_and_restores() {
    let (mut p, mut r, _f, _) = parts();
    p.speak(&tone_24k(1.0, 0.5));
    let mut t = 0;
    let normal = render(&mut r, 20, &mut t);
    p.duck(true);
    let ducked = render(&mut r, 20, &mut t);
    p.duck(false);
    let back = render(&mut r, 20, &mut t);
    let db = 20.0 * (rms(&ducked[4_800..]) / rms(&normal[4_800..])).log10();
    assert!((db - DUCK_DB).abs() < 0.2, "ducked by {db} dB");
    assert!((rms(&back[4_800..]) - rms(&normal[4_800..])).abs() < 0.01);
    // The ramp is smooth: no step larger than the tone's own slope plus the ramp.
    let max_step = ducked
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(max_step < 0.02, "click of {max_step}");
}

#[test]
fn volume_scales_the_voice_and_what_the_echo_canceller_is_told() {
    let (mut p, mut r, mut f, _) = parts();
    p.speak(&tone_24k(1.0, 0.5));
    let mut t = 0;
    let normal = render(&mut r, 20, &mut t);
    p.set_volume(0.5);
    let quiet = render(&mut r, 20, &mut t);
    p.set_volume(1.6);
    let loud = render(&mut r, 20, &mut t);
    let db = |a: &[f32], b: &[f32]| 20.0 * (rms(&a[4_800..]) / rms(&b[4_800..])).log10();
    assert!(
        (db(&quiet, &normal) + 6.02).abs() < 0.2,
        "{} dB",
        db(&quiet, &normal)
    );
    assert!(
        (db(&loud, &normal) - 4.08).abs() < 0.2,
        "{} dB",
        db(&loud, &normal)
    );
    // Out of range is clamped; the reference carries what was played, gain included.
    p.set_volume(100.0);
    assert_eq!(p.volume(), VOLUME_RANGE.1);
    p.set_volume(f32::NAN);
    assert_eq!(p.volume(), 1.0);
    let mut reference = Vec::new();
    f.read(&mut reference);
    assert_eq!(
        &reference[..60 * BLOCK],
        [normal, quiet, loud].concat().as_slice()
    );
}

#[test]
fn long_utterances_wait_in_the_player_and_gaps_count_as_underruns() {
    let (mut p, mut r, _f, stats) = parts();
    let id = p.speak(&tone_24k(6.0, 0.5)); // longer than the 4 s ring
    assert!(p.queued() >= 6 * 48_000 - 10);
    let mut t = 0;
    render(&mut r, 450, &mut t); // 4.5 s, without pumping: the ring runs dry
    let under = stats.snapshot().underrun_frames;
    assert!(under >= 20_000, "underruns {under}");
    p.pump();
    render(&mut r, 250, &mut t);
    assert!(p.progress(id).unwrap().finished);
    assert_eq!(
        stats.snapshot().underrun_frames,
        under,
        "no underrun once fed"
    );
}

#[test]
fn silence_when_idle_is_not_an_underrun() {
    let (_p, mut r, mut f, stats) = parts();
    let mut t = 0;
    let out = render(&mut r, 10, &mut t);
    assert!(out.iter().all(|s| *s == 0.0));
    assert_eq!(stats.snapshot().underrun_frames, 0);
    let mut reference = Vec::new();
    assert_eq!(f.read(&mut reference), 10 * BLOCK);
}

#[test]
fn reference_overflow_is_counted_and_stamps_stay_consistent() {
    let (_p, mut r, mut f, _) = parts();
    let mut t = 0;
    render(&mut r, 300, &mut t); // 3 s, more than the 2 s reference ring
    assert!(f.stats().overrun_samples.load(Ordering::Relaxed) >= 48_000);
    let mut reference = Vec::new();
    let n = f.read(&mut reference) as u64;
    assert_eq!(f.stamp().unwrap().end_index, n);
}

#[test]
fn heard_now_compensates_output_latency() {
    let (mut p, mut r, _f, _) = parts();
    let id = p.speak(&tone_24k(1.0, 0.5));
    let mut buf = vec![0.0f32; BLOCK];
    for _ in 0..50 {
        r.render(&mut buf, 1, 0, 100_000_000); // 100 ms output latency
    }
    let h = p.heard_now().unwrap();
    assert_eq!(h.utterance, id);
    // 500 ms written, 100 ms still in flight: 400 ms heard = 9600 samples at 24 kHz.
    assert_eq!(h.played_source_samples, 9_600);
    assert!((p.output_latency_ms() - 100.0).abs() < 1e-9);
}

#[test]
fn hold_pauses_in_place_and_resumes_without_losing_speech() {
    let (mut p, mut r, _f, stats) = parts();
    let id = p.speak(&tone_24k(1.0, 0.5));
    let mut t = 0;
    render(&mut r, 30, &mut t); // 300 ms
    p.hold(true);
    let fade = render(&mut r, 2, &mut t);
    let last_loud = fade.iter().rposition(|s| s.abs() > 1e-6).unwrap_or(0);
    assert!(
        last_loud < BLOCK,
        "silent within 10 ms, last sound at {last_loud}"
    );
    let at_hold = p.progress(id).unwrap().played_source_samples;
    let held = render(&mut r, 40, &mut t);
    assert!(held.iter().all(|s| *s == 0.0), "silent while held");
    assert_eq!(p.progress(id).unwrap().played_source_samples, at_hold);
    assert_eq!(
        stats.snapshot().underrun_frames,
        0,
        "a hold is not an underrun"
    );
    p.hold(false);
    render(&mut r, 100, &mut t);
    let prog = p.progress(id).unwrap();
    assert!(prog.finished, "everything played after the hold: {prog:?}");
    // A stop while held completes at once and keeps the held position as what was heard.
    let id2 = p.speak(&tone_24k(1.0, 0.5));
    render(&mut r, 20, &mut t);
    p.hold(true);
    render(&mut r, 2, &mut t);
    let heard = p.progress(id2).unwrap().played_source_samples;
    p.stop();
    render(&mut r, 2, &mut t);
    assert!(p.stop_done());
    let prog = p.progress(id2).unwrap();
    assert!(prog.stopped);
    assert_eq!(prog.played_source_samples, heard);
    let next = p.speak(&tone_24k(0.2, 0.5));
    assert!(!p.is_held(), "speaking releases the hold");
    let out = render(&mut r, 30, &mut t);
    assert!(
        rms(&out[..9_600]) > 0.3,
        "new speech plays after a held stop"
    );
    assert!(p.progress(next).unwrap().finished);
}

#[test]
fn a_release_skips_the_quiet_gap_the_hold_fell_in() {
    let (mut p, mut r, _f, _) = parts();
    // Our voice, a 300 ms gap between its words, more of it.
    let mut speech = tone_24k(0.1, 0.5);
    speech.extend(std::iter::repeat_n(0.0, 7_200));
    speech.extend(tone_24k(0.2, 0.5));
    let id = p.speak(&speech);
    let mut t = 0;
    render(&mut r, 12, &mut t); // 120 ms: in the gap
    p.hold(true);
    render(&mut r, 30, &mut t);
    p.hold(false);
    let after = render(&mut r, 40, &mut t);
    let first_loud = after.iter().position(|s| s.abs() > 0.05).unwrap();
    assert!(
        first_loud < 3 * BLOCK,
        "the rest of the gap was not played after the hold: sound {} ms after the release",
        first_loud * 1000 / RATE as usize
    );
    // Nothing of the words is lost: all 200 ms of the second tone played.
    let loud = after.iter().filter(|s| s.abs() > 0.05).count();
    assert!(loud > 9_000, "{loud} loud samples after the release");
    assert!(p.progress(id).unwrap().finished);
    // A hold inside a word resumes the word where it paused: no sound is skipped.
    let id = p.speak(&tone_24k(0.3, 0.5));
    render(&mut r, 10, &mut t);
    p.hold(true);
    render(&mut r, 10, &mut t);
    let at_hold = p.progress(id).unwrap().played_source_samples;
    p.hold(false);
    render(&mut r, 2, &mut t);
    let resumed = p.progress(id).unwrap().played_source_samples;
    assert_eq!(
        resumed - at_hold,
        480,
        "20 ms of the word after 20 ms of rendering"
    );
}

#[test]
fn more_speech_queued_while_held_waits_for_the_release() {
    let (mut p, mut r, _f, _) = parts();
    let first = p.speak(&tone_24k(0.3, 0.5));
    let mut t = 0;
    render(&mut r, 10, &mut t);
    p.hold(true);
    render(&mut r, 2, &mut t);
    // The next chunk of the sentence arrives from the synthesizer during the pause.
    let more = p.append(&tone_24k(0.3, 0.5));
    assert!(p.is_held(), "appending keeps the pause");
    let held = render(&mut r, 30, &mut t);
    assert!(held.iter().all(|s| *s == 0.0), "silent while held");
    assert_eq!(p.progress(more).unwrap().played_source_samples, 0);
    p.hold(false);
    render(&mut r, 60, &mut t);
    assert!(p.progress(first).unwrap().finished);
    assert!(p.progress(more).unwrap().finished);
}
