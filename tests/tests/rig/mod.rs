//! The headless PulseAudio rig shared by the rig tests: the guard that skips (or, with
//! `TANDEM_REQUIRE_RIG`, fails) without it, `pactl`, and the room loopback.

use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

/// The rig is one sound server: one test at a time.
pub static RIG: Mutex<()> = Mutex::new(());

/// Echo level of the simulated room (loopback volume).
pub const ECHO_VOLUME: &str = "40%";

pub fn rig() -> Option<std::sync::MutexGuard<'static, ()>> {
    if std::env::var_os("TANDEM_PULSE_RIG").is_none() {
        assert!(
            std::env::var_os("TANDEM_REQUIRE_RIG").is_none(),
            "TANDEM_REQUIRE_RIG is set but the PulseAudio rig is not running; run the tests under scripts/with-pulse.sh"
        );
        eprintln!("skipped: no PulseAudio rig (run under scripts/with-pulse.sh)");
        return None;
    }
    Some(RIG.lock().unwrap_or_else(|e| e.into_inner()))
}

pub fn pactl(args: &[&str]) -> String {
    let o = Command::new("pactl")
        .args(args)
        .output()
        .expect("pactl runs");
    assert!(
        o.status.success(),
        "pactl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// The server's sink inputs (playing streams) by index.
fn sink_inputs() -> Vec<String> {
    pactl(&["list", "short", "sink-inputs"])
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// The sink input that is on the server now and was not in `before`, if there is one.
fn new_sink_input(before: &[String]) -> Option<String> {
    sink_inputs().into_iter().find(|i| !before.contains(i))
}

/// The room: speaker.monitor -> mic at reduced volume. Unloaded on drop.
pub struct Loopback(String);

impl Loopback {
    pub fn load(volume: &str) -> Loopback {
        let before = sink_inputs();
        let id = pactl(&[
            "load-module",
            "module-loopback",
            "source=speaker.monitor",
            "sink=mic",
            "latency_msec=20",
            "source_dont_move=true",
            "sink_dont_move=true",
        ]);
        // The loopback's sink input is the one that was not there before.
        let idx = new_sink_input(&before).expect("the loopback's sink input appears");
        pactl(&["set-sink-input-volume", &idx, volume]);
        std::thread::sleep(Duration::from_millis(300));
        Loopback(id)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        let unloaded = Command::new("pactl")
            .args(["unload-module", &self.0])
            .status()
            .is_ok_and(|s| s.success());
        if !unloaded {
            eprintln!("the room's loopback (module {}) did not unload", self.0);
        }
    }
}

/// A reverberant room in the loop: what the speaker plays (`speaker.monitor`, read by `parec`)
/// goes through a simulated room's impulse response (`sim::room`) at `gain_db` and is played
/// into the microphone (`pacat -d mic`). The two clients add their own ~110 ms of delay to
/// the room's. Stopped on drop: killing the clients closes the pipes, which ends the filter.
pub struct ReverbLoopback {
    children: Vec<std::process::Child>,
    filter: Option<std::thread::JoinHandle<()>>,
    /// pacat's verbose messages (underruns), for [`ReverbLoopback::state`].
    log: tempfile::NamedTempFile,
}

impl ReverbLoopback {
    pub fn start(room: &tandem_core::sim::room::Room, gain_db: f32) -> ReverbLoopback {
        use std::io::{Read, Write};
        use std::process::Stdio;
        const RATE: u32 = 16_000;
        let raw = [
            "--raw",
            "--format=float32le",
            "--rate=16000",
            "--channels=1",
        ];
        // The player first, connected before the recorder starts: what parec records while
        // pacat is still connecting would wait in the pipe between them for the whole test,
        // an echo delay no canceller searches (seen in CI: pacat's buffer always full, ERLE
        // 0.1 dB, the canceller's delay estimate 0 ms). Read in small pieces, play with a
        // deeper buffer: a writer that underruns would shift the echo's delay mid-test.
        let inputs_before = sink_inputs();
        let log = tempfile::NamedTempFile::new().expect("a temporary file for pacat's log");
        let mut pacat = Command::new("pacat")
            .args(["--playback", "-v", "-d", "mic", "--latency-msec=100"])
            .args(raw)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("pacat's log reopens"))
            .spawn()
            .expect("pacat runs");
        let connected = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            new_sink_input(&inputs_before).is_some()
        });
        assert!(
            connected,
            "pacat's stream to `mic` did not appear within 1 s"
        );
        let mut parec = Command::new("parec")
            .args(["-d", "speaker.monitor", "--latency-msec=10"])
            .args(raw)
            .stdout(Stdio::piped())
            .spawn()
            .expect("parec runs");
        let mut input = parec.stdout.take().expect("parec's stdout");
        let mut output = pacat.stdin.take().expect("pacat's stdin");
        let g = 10f32.powf(gain_db / 20.0);
        let h: Vec<f32> = room.impulse_response(RATE).iter().map(|x| x * g).collect();
        let mut filter = tandem_core::sim::echo::EchoFilter::from_impulse_response(&h);
        let filter = std::thread::spawn(move || {
            let mut bytes = [0u8; 640];
            let mut x = Vec::with_capacity(160);
            let mut y = Vec::with_capacity(160);
            while input.read_exact(&mut bytes).is_ok() {
                x.clear();
                x.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
                y.clear();
                filter.process(&x, &mut y);
                let out: Vec<u8> = y.iter().flat_map(|s| s.to_le_bytes()).collect();
                if output.write_all(&out).is_err() {
                    return;
                }
            }
        });
        std::thread::sleep(Duration::from_millis(300));
        ReverbLoopback {
            children: vec![parec, pacat],
            filter: Some(filter),
            log,
        }
    }

    /// The loop's own health, printed beside a score: how often pacat ran dry (each underrun
    /// moves the echo's delay) and the latencies the server reports for the streams now.
    pub fn state(&self) -> String {
        let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let underruns = log.matches("underrun").count();
        let latencies: Vec<String> = pactl(&["list", "sink-inputs"])
            .lines()
            .chain(pactl(&["list", "source-outputs"]).lines())
            .map(str::trim)
            .filter(|l| {
                l.starts_with("application.name")
                    || l.contains("Latency:") && !l.contains(" 0 usec")
            })
            .map(|l| l.replace(" usec", "us"))
            .collect();
        format!(
            "pacat underruns {underruns}; streams: {}",
            latencies.join(", ")
        )
    }
}

impl Drop for ReverbLoopback {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(f) = self.filter.take() {
            let _ = f.join();
        }
    }
}
