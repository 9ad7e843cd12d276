use super::*;
use crate::audio::aec::tests::{far_speech, speech};

#[test]
fn a_room_has_its_delay_its_reverberant_energy_and_its_decay() {
    let room = Room {
        rt60_s: 0.45,
        delay_ms: 40.0,
        drr_db: 0.0,
        echo_db: 0.0,
        seed: 3,
    };
    let h = room.impulse_response(16_000);
    assert!(
        h[..640].iter().all(|s| *s == 0.0),
        "nothing before the delay"
    );
    assert_eq!(h[640], 1.0, "the direct path");
    let tail: f64 = h[641..].iter().map(|s| f64::from(*s).powi(2)).sum();
    assert!((10.0 * tail.log10()).abs() < 0.01, "DRR 0 dB: tail {tail}");
    // The envelope falls 60 dB over RT60: the last tenth holds very little of the energy.
    let last: f64 = h[h.len() - 720..]
        .iter()
        .map(|s| f64::from(*s).powi(2))
        .sum();
    assert!(last < tail * 1e-4, "{last} of {tail}");
    assert_eq!(room.impulse_response(16_000), h, "deterministic");
    assert_eq!(room.name(), "rt0.45-d40-e+0");
}

#[test]
fn the_room_set_spans_reverb_delay_and_level() {
    let rooms = room_set();
    assert_eq!(rooms.len(), 36);
    let mut names: Vec<String> = rooms.iter().map(Room::name).collect();
    names.dedup();
    assert_eq!(names.len(), 36, "every room its own name");
    assert!(rooms.iter().any(|r| r.rt60_s >= 0.6 && r.echo_db >= 6.0));
}

/// Echo cancellation in every room of the set, with the whole table printed: issue 15's bar,
/// at least 30 dB of echo removed (before and after double talk) and the user's voice kept
/// (correlation of at least 0.8) in every room. With AEC3's 52 ms filter alone, shipped until
/// 2026-12-06, the worst rooms (RT60 0.6 s) gave 23.2 dB, 29.4 dB after double talk and 0.65
/// (23 of 36 rooms at the bar); the loop's canceller hands over to a 256 ms filter once it
/// cancels more (`audio::aec::EchoCanceller::new`) and gives 38.3, 34.4 and 0.91 at worst.
#[test]
fn every_room_keeps_its_echo_cancellation() {
    let far = far_speech();
    let user = speech(&["um_cut.wav", "thinking_cut.wav"]);
    let rooms = room_set();
    let half = rooms.len() / 2;
    let run = |part: &[Room]| {
        part.iter()
            .map(|r| score(r, &far, &user, EchoCanceller::new()))
            .collect::<Vec<_>>()
    };
    let scores: Vec<RoomScore> = std::thread::scope(|s| {
        let a = s.spawn(|| run(&rooms[..half]));
        let mut b = run(&rooms[half..]);
        let mut all = a.join().expect("room thread");
        all.append(&mut b);
        all
    });
    let mut failed = Vec::new();
    eprintln!("{}", RoomScore::HEADER);
    for s in &scores {
        eprintln!("{s}");
        if s.erle_db < 30.0 || s.erle_after_double_talk_db < 30.0 || s.near_corr < 0.8 {
            failed.push(s.room.clone());
        }
    }
    assert!(failed.is_empty(), "under 30 dB or 0.8: {failed:?}");
}
