//! The audio engine against a real, paced sound server: the headless PulseAudio rig of
//! `scripts/with-pulse.sh` (null sinks `speaker` and `mic`, default source `mic.monitor`).
//!
//! A `module-loopback` from `speaker.monitor` into `mic` at reduced volume is the room: what the
//! engine plays comes back into its microphone. `paplay -d mic` is the user talking.
//!
//! Without the rig these tests print why and pass; with `TANDEM_REQUIRE_RIG` set they fail.
//! Run: `bash scripts/with-pulse.sh cargo test -p tandem-tests --test audio_rig`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

mod rig;

use rig::{ECHO_VOLUME, Loopback, ReverbLoopback, rig};
use tandem_core::audio::aec::correlation;
use tandem_core::audio::{CleanFrame, DspConfig, LiveAudio, wav};
use tandem_core::sim::room::Room;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/turn")
}

fn speech(names: &[&str]) -> Vec<f32> {
    names
        .iter()
        .flat_map(|n| wav::read_mono(&fixtures().join(n), 16_000).expect("fixture"))
        .collect()
}

/// About `secs` of the assistant talking (espeak-ng sentences, 16 kHz).
fn assistant_speech(secs: f32) -> Vec<f32> {
    let one = speech(&[
        "weather_complete.wav",
        "thanks_complete.wav",
        "timer_complete.wav",
    ]);
    let n = (secs * 16_000.0) as usize;
    one.iter().copied().cycle().take(n).collect()
}

/// Collects frames for `secs`, pumping the player as a TTS thread would.
fn run_for(live: &mut LiveAudio, secs: f32) -> Vec<CleanFrame> {
    let deadline = Instant::now() + Duration::from_secs_f32(secs);
    let mut frames = Vec::new();
    while Instant::now() < deadline {
        live.player.pump();
        frames.extend(live.dsp.frames().try_iter());
        std::thread::sleep(Duration::from_millis(20));
    }
    frames.extend(live.dsp.frames().try_iter());
    frames
}

fn power(frames: &[CleanFrame], f: impl Fn(&CleanFrame) -> f32) -> f64 {
    frames.iter().map(|x| f64::from(f(x)).powi(2)).sum::<f64>() + 1e-12
}

fn start() -> LiveAudio {
    let live = LiveAudio::start(None, None, DspConfig::default()).expect("audio engine starts");
    // A stream that does not start is dropped and reopened after STALL_MS by the engine's own
    // supervision; allow for one such recovery before calling it a failure.
    let running = live.wait_until_running(Duration::from_secs(10));
    let events: Vec<_> = live.dsp.events().try_iter().collect();
    if !events.is_empty() {
        eprintln!("device events while starting: {events:?}");
    }
    assert!(
        running,
        "audio streams did not start flowing within 10 s; mic {:?}, speaker {:?}",
        live.dsp.mic_stats.snapshot(),
        live.dsp.sink_stats.as_ref().map(|s| s.snapshot())
    );
    eprintln!(
        "devices: in `{}` {} Hz, out `{}` {} Hz",
        live.input_device, live.input_rate_hz, live.output_device, live.output_rate_hz
    );
    live
}

/// Starts the streams and queues `speech` (16 kHz) for the speaker; returns the engine and how
/// many frames it had dropped by then. What queued up while the test started the streams and
/// resampled the speech (seconds, in a debug build on a busy 2-core machine) is thrown away and
/// not held against the engine: the app drains this queue from its first frame, a test only
/// from here.
fn start_speaking(speech: &[f32]) -> (LiveAudio, u64) {
    let mut live = start();
    live.player.speak_at_rate(speech, 16_000);
    live.dsp.frames().try_iter().count();
    let dropped = live.dsp.stats().dropped_frames.load(Ordering::Relaxed);
    if dropped > 0 {
        eprintln!("{dropped} frame(s) dropped before the test collected any");
    }
    (live, dropped)
}

/// Frames the engine dropped since `before`.
fn dropped_since(live: &LiveAudio, before: u64) -> u64 {
    live.dsp.stats().dropped_frames.load(Ordering::Relaxed) - before
}

#[test]
fn echo_of_our_own_voice_is_cancelled() {
    let Some(_rig) = rig() else { return };
    let _room = Loopback::load(ECHO_VOLUME);
    own_voice_is_cancelled("rig", 2.0, 20.0);
}

/// The same through a reverberant room (RT60 0.45 s, as much reverberant as direct sound)
/// rather than the plain loopback's pure delay.
#[test]
fn echo_in_a_reverberant_room_is_cancelled() {
    let Some(_rig) = rig() else { return };
    let room = Room {
        rt60_s: 0.45,
        delay_ms: 5.0,
        drr_db: 0.0,
        echo_db: 0.0,
        seed: 11,
    };
    // Scored after 4 s, as the offline room set is (`sim::room::CONVERGED_S`). The rig's
    // loopback (parec, the room, pacat) can underrun on a loaded machine and move the echo's
    // delay mid-run (seen once in a CI run: 88 ms instead of 80, ERLE 28.4 dB; 40-43 dB in
    // three runs alone): one more try on a fresh loopback, and the bar must be met in one.
    for attempt in 1..=2 {
        let room = ReverbLoopback::start(&room, -14.0);
        let scored =
            std::panic::catch_unwind(|| own_voice_is_cancelled("reverberant room", 4.0, 30.0));
        eprintln!("reverberant room, attempt {attempt}: {}", room.state());
        match scored {
            Ok(()) => return,
            Err(_) if attempt == 1 => eprintln!("reverberant room: once more on a fresh loopback"),
            Err(e) => std::panic::resume_unwind(e),
        }
    }
}

/// Plays 12 s of our voice with the room in the loop; asserts at least `min_erle_db` of echo
/// removed after `converged_s` and the voice detector quiet on our own voice.
fn own_voice_is_cancelled(what: &str, converged_s: f32, min_erle_db: f64) {
    let (mut live, _) = start_speaking(&assistant_speech(12.0));
    let frames = run_for(&mut live, 12.5);
    let speaking: Vec<&CleanFrame> = frames.iter().filter(|f| f.far_active).collect();
    assert!(
        speaking.len() > 200,
        "{} frames while speaking",
        speaking.len()
    );
    // ERLE after convergence, over the frames where we were talking.
    let first = speaking[0].index;
    let skip = (converged_s * 1000.0) as u64 / u64::from(tandem_core::audio::FRAME_MS);
    let late: Vec<CleanFrame> = speaking
        .iter()
        .filter(|f| f.index >= first + skip)
        .map(|f| (*f).clone())
        .collect();
    let erle = 10.0 * (power(&late, |f| f.mic_rms) / power(&late, |f| f.out_rms)).log10();
    let vad_on = late.iter().filter(|f| f.vad).count();
    let m = live.dsp.stats().aec();
    eprintln!(
        "{what}: ERLE after {converged_s} s: {erle:.1} dB over {} frames; AEC3: ERLE {:.1} dB, delay {} ms; \
         VAD on own voice in {vad_on} frames; echo level {:.1} dBFS",
        late.len(),
        m.erle_db,
        m.delay_ms,
        10.0 * (power(&late, |f| f.mic_rms) / late.len() as f64).log10()
    );
    assert!(erle >= min_erle_db, "{what}: ERLE {erle:.1} dB");
    assert!(
        vad_on * 10 <= late.len(),
        "{what}: VAD fired on own voice: {vad_on}"
    );
}

/// The user talks over 12 s of our voice; what the engine hands on must still be the user.
///
/// One CI run (stop 41) found the user at the usual place but at correlation 0.126, with AEC3's
/// ERLE and delay as in passing runs (11-12 dB, 36 ms; 0.91-0.92 in nine runs alone, the
/// delay unmoved): the cause was not found. As for the reverberant room: one more try on a
/// fresh loopback, printed with the echo path's state, and the bar must be met in one.
#[test]
fn user_speech_survives_double_talk() {
    let Some(_rig) = rig() else { return };
    let dir = tempfile::tempdir().unwrap();
    let user = speech(&["um_cut.wav", "thinking_cut.wav"]);
    let user_wav = dir.path().join("user.wav");
    wav::write_mono_i16(&user_wav, &user, 16_000).unwrap();
    for attempt in 1..=2 {
        let _room = Loopback::load(ECHO_VOLUME);
        match double_talk_once(&user, &user_wav) {
            Ok(()) => return,
            Err(why) if attempt == 1 => {
                eprintln!("double talk: {why}; once more on a fresh loopback")
            }
            Err(why) => panic!("double talk: {why} (second try)"),
        }
    }
}

fn double_talk_once(user: &[f32], user_wav: &Path) -> Result<(), String> {
    let (mut live, dropped_before) = start_speaking(&assistant_speech(12.0));
    let mut frames = run_for(&mut live, 5.0);
    let delay_before = live.dsp.stats().aec().delay_ms;
    // The user talks over us (paplay runs beside the engine; keep reading frames meanwhile).
    let mut paplay = Command::new("paplay")
        .args(["-d", "mic"])
        .arg(user_wav)
        .spawn()
        .expect("paplay runs");
    frames.extend(run_for(&mut live, 5.0));
    assert!(paplay.wait().unwrap().success());
    // paplay's start-up can lag on a loaded machine: keep listening until its tail is in.
    frames.extend(run_for(&mut live, 1.5));
    let dropped = dropped_since(&live, dropped_before);
    assert_eq!(dropped, 0, "frames dropped: the timeline would have holes");
    let out: Vec<f32> = frames
        .iter()
        .flat_map(|f| f.samples.iter().copied())
        .collect();
    if let Some(dir) = std::env::var_os("TANDEM_RIG_DUMP") {
        let _ = wav::write_mono_i16(&Path::new(&dir).join("double_talk_out.wav"), &out, 16_000);
    }
    // Find where the user landed in the output (paplay's start-up latency is unknown).
    let search_from = 4 * 16_000;
    let (lag, corr) = best_alignment(&out[search_from..], user);
    let m = live.dsp.stats().aec();
    let state = format!(
        "user found at {:.3} s, correlation {corr:.3}; AEC3 ERLE {:.1} dB, delay {delay_before} -> \
         {} ms; server faults {}",
        (search_from + lag) as f64 / 16_000.0,
        m.erle_db,
        m.delay_ms,
        host_faults(&live)
    );
    eprintln!("double talk: {state}");
    if corr >= 0.8 { Ok(()) } else { Err(state) }
}

/// The lag (in samples) where `needle` best matches `hay`, and the correlation there.
fn best_alignment(hay: &[f32], needle: &[f32]) -> (usize, f64) {
    let max_lag = hay.len().saturating_sub(needle.len());
    // Coarse search on 4x decimated envelopes, then refine around the best.
    let mut best = (0usize, f64::MIN);
    let mut lag = 0;
    while lag <= max_lag {
        let c = correlation(&hay[lag..lag + needle.len()], needle);
        if c > best.1 {
            best = (lag, c);
        }
        lag += 16;
    }
    let lo = best.0.saturating_sub(16);
    for lag in lo..=(best.0 + 16).min(max_lag) {
        let c = correlation(&hay[lag..lag + needle.len()], needle);
        if c > best.1 {
            best = (lag, c);
        }
    }
    best
}

/// Faults the sound server itself reported on our streams (xruns, errors): a stall of the
/// server, not of Tandem, which keeps its own counters (underruns, overruns, drops).
fn host_faults(live: &LiveAudio) -> u64 {
    let mic = live.dsp.mic_stats.snapshot();
    let sink = live.dsp.sink_stats.as_ref().map(|s| s.snapshot());
    mic.host_xruns + mic.host_errors + sink.map_or(0, |s| s.host_xruns + s.host_errors)
}

/// Runs a timing check up to three times: again only when an attempt failed while the sound
/// server reported a fault of its own (on this 2-core CI machine the PulseAudio server
/// sometimes stops pulling for a second or two, with a burst of errors; issue 15 tracks the
/// output stream). A failure without a server fault, or three failures, fail the test; every
/// retry is printed.
fn retried_on_server_faults(name: &str, attempt: impl Fn() -> Result<(), (String, u64)>) {
    const ATTEMPTS: usize = 3;
    for n in 1..=ATTEMPTS {
        match attempt() {
            Ok(()) => return,
            Err((why, faults)) if faults > 0 && n < ATTEMPTS => {
                eprintln!(
                    "{name}: {why} while the sound server reported {faults} fault(s); attempt {} of {ATTEMPTS}",
                    n + 1
                );
            }
            Err((why, faults)) => panic!("{name}: {why} (server faults {faults}, attempt {n})"),
        }
    }
}

#[test]
fn thirty_seconds_of_speech_without_underruns() {
    let Some(_rig) = rig() else { return };
    let speech = assistant_speech(30.0);
    retried_on_server_faults("30 s of speech", || {
        let (mut live, dropped_before) = start_speaking(&speech);
        let frames = run_for(&mut live, 30.5);
        let sink = live.dsp.sink_stats.clone().unwrap().snapshot();
        let mic = live.dsp.mic_stats.snapshot();
        let dropped = dropped_since(&live, dropped_before);
        let stats = live.dsp.stats();
        let avg_us = stats.total_frame_ns.load(Ordering::Relaxed) as f64
            / (stats.frames.load(Ordering::Relaxed).max(1) * 2) as f64
            / 1e3;
        eprintln!(
            "30 s: speaker {sink:?}; mic {mic:?}; {} frames, {dropped} dropped; played {} samples; \
             AEC per 10 ms frame avg {avg_us:.0} us, max {} us",
            frames.len(),
            live.player.played_samples(),
            stats.max_frame_ns.load(Ordering::Relaxed) / 1_000
        );
        // Tandem's own counters: never excused.
        assert_eq!(sink.underrun_frames, 0, "speaker underruns");
        assert_eq!(mic.overrun_samples, 0, "microphone overruns");
        assert_eq!(dropped, 0, "frames dropped");
        assert!(!sink.failed && !mic.failed);
        let played = live.player.played_samples();
        if played < 30 * 48_000 - 4_800 || frames.len() < 1_450 {
            return Err((
                format!("played {played} samples, {} frames", frames.len()),
                host_faults(&live),
            ));
        }
        Ok(())
    });
}

#[test]
fn stop_fades_out_within_20_ms_and_reports_what_was_heard() {
    let Some(_rig) = rig() else { return };
    retried_on_server_faults("stop", stop_once);
}

fn stop_once() -> Result<(), (String, u64)> {
    let mut live = start();
    let speech = assistant_speech(5.0);
    let id = live.player.speak_at_rate(&speech, 16_000);
    run_for(&mut live, 1.0);
    let asked = Instant::now();
    live.player.stop();
    while !live.player.stop_done() && asked.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let waited = asked.elapsed();
    let fade_ms = live.player.last_fade_frames() as f64 * 1000.0 / 48_000.0;
    let p = live.player.progress(id).unwrap();
    eprintln!(
        "stop: fade {fade_ms:.1} ms, done {:.1} ms after the request; heard {:.3} s of {:.3} s; \
         output latency {:.1} ms",
        waited.as_secs_f64() * 1e3,
        p.played_source_samples as f64 / 16_000.0,
        p.source_samples as f64 / 16_000.0,
        live.player.output_latency_ms()
    );
    if !live.player.stop_done() {
        return Err(("the stop never finished".into(), host_faults(&live)));
    }
    assert!(fade_ms <= 20.0);
    assert!(p.stopped && !p.finished);
    let heard_s = p.played_source_samples as f64 / 16_000.0;
    if !(0.9..1.6).contains(&heard_s) {
        return Err((
            format!("heard {heard_s:.3} s of the first second"),
            host_faults(&live),
        ));
    }
    // Nothing more is played after the fade (the callback that finished it has returned).
    std::thread::sleep(Duration::from_millis(50));
    let played = live.player.played_samples();
    run_for(&mut live, 0.3);
    assert_eq!(live.player.played_samples(), played);
    Ok(())
}

#[test]
fn unknown_device_names_the_fix() {
    let Some(_rig) = rig() else { return };
    let err = LiveAudio::start(Some("no such mic"), None, DspConfig::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("no such mic") && msg.contains("tandem doctor"),
        "{msg}"
    );
}
