//! A reverberant room between the rig's speaker and its microphone, for as long as stdin stays
//! open: the rig tests' `ReverbLoopback` (speaker.monitor -> a simulated room's impulse
//! response -> mic) as a process, so that `scripts/bench-live.sh --room RT60` can run a live
//! conversation through a room rather than the plain loopback's pure delay.
//!
//! Usage (under scripts/with-pulse.sh): `room_loop RT60_S GAIN_DB [DRR_DB] [SEED]`. It prints
//! one line when the loop runs and the loop's health when stdin closes.

use std::io::Read;

#[path = "../tests/rig/mod.rs"]
#[allow(dead_code)]
mod rig;

use tandem_core::sim::room::Room;

fn arg(args: &[String], i: usize, default: Option<f32>) -> Result<f32, String> {
    match args.get(i) {
        Some(a) => a
            .parse()
            .map_err(|_| format!("room_loop: argument {i} ({a:?}) is not a number")),
        None => default.ok_or_else(|| "usage: room_loop RT60_S GAIN_DB [DRR_DB] [SEED]".into()),
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let rt60_s = arg(&args, 1, None)?;
    let gain_db = arg(&args, 2, None)?;
    let drr_db = arg(&args, 3, Some(0.0))?;
    let seed = arg(&args, 4, Some(11.0))? as u64;
    if std::env::var_os("TANDEM_PULSE_RIG").is_none() {
        return Err("room_loop: no PulseAudio rig (run it under scripts/with-pulse.sh)".into());
    }
    // A few ms of travel: the rig's two clients add their own ~110 ms of delay.
    let room = Room {
        rt60_s,
        delay_ms: 5.0,
        drr_db,
        echo_db: 0.0,
        seed,
    };
    let lp = rig::ReverbLoopback::start(&room, gain_db);
    println!("room_loop: {} at {gain_db:+} dB running", room.name());
    // Until whoever started us closes our stdin (or exits).
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    println!("room_loop: {}", lp.state());
    Ok(())
}
