//! Device loss on the real sound server (the rig of `scripts/with-pulse.sh`): the server drops
//! our streams mid-sentence and the engine reopens them and goes on. A process of its own: a
//! stream that died this way can leave a thread of the ALSA PulseAudio plugin deadlocked for
//! the rest of the process (see `audio::cpal_io::supervise::reap`).
//!
//! Run: `bash scripts/with-pulse.sh cargo test -p tandem-tests --test audio_device_loss`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

// Shared with the other rig tests, which use more of it.
#[allow(dead_code)]
mod rig;

use rig::rig;
use tandem_core::audio::stream::{DeviceEvent, Direction};
use tandem_core::audio::{DspConfig, LiveAudio, wav};

fn assistant_speech(secs: f32) -> Vec<f32> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/turn");
    let one: Vec<f32> = [
        "weather_complete.wav",
        "thanks_complete.wav",
        "timer_complete.wav",
    ]
    .iter()
    .flat_map(|n| wav::read_mono(&dir.join(n), 16_000).expect("fixture"))
    .collect();
    one.iter()
        .copied()
        .cycle()
        .take((secs * 16_000.0) as usize)
        .collect()
}

/// Runs for `secs`, pumping the player; returns the number of cleaned frames.
fn run_for(live: &mut LiveAudio, secs: f32) -> usize {
    let deadline = Instant::now() + Duration::from_secs_f32(secs);
    let mut frames = 0;
    while Instant::now() < deadline {
        live.player.pump();
        frames += live.dsp.frames().try_iter().count();
        std::thread::sleep(Duration::from_millis(20));
    }
    frames
}

/// The ids of our own streams on the sound server (`sink-inputs` or `source-outputs`).
fn our_streams(kind: &str) -> Vec<String> {
    rig::pactl(&["list", "short", kind])
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Drops every client of the sound server, as a crashing or restarting server (or a lost
/// device) does: unloads the native protocol module through a second control socket, then
/// loads it again.
fn drop_all_clients() {
    let ctl = Path::new(&std::env::var("XDG_RUNTIME_DIR").expect("the rig sets XDG_RUNTIME_DIR"))
        .join("ctl.sock");
    let ctl_module = rig::pactl(&[
        "load-module",
        "module-native-protocol-unix",
        &format!("socket={}", ctl.display()),
        "auth-anonymous=1",
    ]);
    let main = rig::pactl(&["list", "short", "modules"])
        .lines()
        .find(|l| l.contains("module-native-protocol-unix") && !l.contains("socket="))
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .expect("the rig's native protocol module");
    let via_ctl = |args: &[&str]| {
        let ok = Command::new("pactl")
            .env("PULSE_SERVER", format!("unix:{}", ctl.display()))
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("pactl runs")
            .success();
        assert!(ok, "pactl {args:?} over the control socket");
    };
    via_ctl(&["unload-module", &main]);
    std::thread::sleep(Duration::from_millis(500));
    via_ctl(&[
        "load-module",
        "module-native-protocol-unix",
        "auth-anonymous=1",
    ]);
    rig::pactl(&["unload-module", &ctl_module]);
}

#[test]
fn streams_dropped_by_the_server_are_reopened_and_audio_goes_on() {
    let Some(_rig) = rig() else { return };
    let mut live = LiveAudio::start(None, None, DspConfig::default()).expect("audio engine starts");
    assert!(
        live.wait_until_running(Duration::from_secs(10)),
        "audio streams did not start"
    );
    live.player.speak_at_rate(&assistant_speech(20.0), 16_000);
    run_for(&mut live, 1.0);
    // The sound server drops both of our streams.
    let (outs, ins) = (our_streams("sink-inputs"), our_streams("source-outputs"));
    assert_eq!((outs.len(), ins.len()), (1, 1), "{outs:?} {ins:?}");
    drop_all_clients();
    let killed = Instant::now();
    let mut events = Vec::new();
    let mut recovered_at = None;
    while killed.elapsed() < Duration::from_secs(15) && recovered_at.is_none() {
        run_for(&mut live, 0.1);
        events.extend(live.dsp.events().try_iter());
        let back = |d: Direction| {
            events
                .iter()
                .any(|e| matches!(e, DeviceEvent::Recovered { direction, .. } if *direction == d))
        };
        if back(Direction::Input) && back(Direction::Output) {
            recovered_at = Some(killed.elapsed());
        }
    }
    eprintln!("device events: {events:?}");
    eprintln!(
        "played {:.2} s of speech so far; speaker {:?}",
        live.player.played_samples() as f64 / 48_000.0,
        live.dsp.sink_stats.as_ref().map(|s| s.snapshot())
    );
    let took = recovered_at.expect("both streams came back");
    for d in [Direction::Input, Direction::Output] {
        assert!(
            events
                .iter()
                .any(|e| matches!(e, DeviceEvent::Lost { direction, .. } if *direction == d)),
            "the loss of the {d:?} stream was reported"
        );
    }
    // Each loss is counted as a restart of its stream (what `tandem run` reports).
    assert!(
        live.dsp.mic_stats.snapshot().restarts >= 1,
        "microphone restart counted"
    );
    assert!(
        live.dsp
            .sink_stats
            .as_ref()
            .is_some_and(|s| s.snapshot().restarts >= 1),
        "speaker restart counted"
    );
    // Audio flows again both ways: samples played and recorded, at least a second's worth of
    // each. A new PulseAudio stream takes a moment to start, and on a loaded machine a reopened
    // stream that stays silent is found stalled (`STALL_MS`) and opened once more: give that
    // second reopen time too, and say which stream was silent if neither brings audio back.
    let (played0, recorded0) = (
        live.player.played_samples(),
        live.dsp.mic_stats.snapshot().frames,
    );
    let resumed = Instant::now();
    let mut frames = 0;
    let (mut played, mut recorded) = (0, 0);
    let mut later = Vec::new();
    // Until the cleaned frames have caught up too: they trail the recorded samples by the DSP's
    // own frame, so stopping the moment a second was recorded left 49 of 50 (a CI run).
    while resumed.elapsed() < Duration::from_secs(12)
        && (played < 48_000 || recorded < 48_000 || frames < 50)
    {
        frames += run_for(&mut live, 0.1);
        later.extend(live.dsp.events().try_iter());
        played = live.player.played_samples() - played0;
        recorded = live.dsp.mic_stats.snapshot().frames - recorded0;
    }
    eprintln!(
        "{:.2} s after recovery: {frames} frames, {played} samples played, {recorded} recorded; \
         device events since: {later:?}; microphone {:?}; speaker {:?}",
        resumed.elapsed().as_secs_f64(),
        live.dsp.mic_stats.snapshot(),
        live.dsp.sink_stats.as_ref().map(|s| s.snapshot())
    );
    assert!(played >= 48_000, "playback resumed");
    assert!(recorded >= 48_000, "capture resumed");
    assert!(frames >= 50, "{frames} cleaned frames");
    assert_eq!(our_streams("sink-inputs").len(), 1);
    eprintln!(
        "recovered {:.2} s after the streams were killed",
        took.as_secs_f64()
    );
}
