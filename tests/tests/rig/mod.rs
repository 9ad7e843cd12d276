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

/// The room: speaker.monitor -> mic at reduced volume. Unloaded on drop.
pub struct Loopback(String);

impl Loopback {
    pub fn load(volume: &str) -> Loopback {
        let ids = || -> Vec<String> {
            pactl(&["list", "short", "sink-inputs"])
                .lines()
                .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
                .collect()
        };
        let before = ids();
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
        let idx = ids()
            .into_iter()
            .find(|i| !before.contains(i))
            .expect("the loopback's sink input appears");
        pactl(&["set-sink-input-volume", &idx, volume]);
        std::thread::sleep(Duration::from_millis(300));
        Loopback(id)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        let _ = Command::new("pactl")
            .args(["unload-module", &self.0])
            .status();
    }
}
