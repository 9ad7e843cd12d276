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

/// Experiment, not a check (`--ignored`): an echo at -10 dB whose delay wanders
/// (+-`TANDEM_DRIFT_MS` in a 20 s sine, as PulseAudio's module-loopback resamples to hold its
/// latency), drifts (`TANDEM_DRIFT_PPM`: two clocks) or jumps (`TANDEM_DRIFT_JUMPS`), through a
/// pure delay or a reverberant room (`TANDEM_DRIFT_RT60`), and the room set, through linear
/// filters of several lengths and adaptation rates. `TANDEM_DRIFT_FAR` names a long 16 kHz
/// recording to play; `TANDEM_DRIFT_CONFIGS` lists `main/shadow/rate[/key=value;...]` changes
/// to [`start_config`] (the quick start, 52 ms: `13/13/0.7`; the room filter of
/// [`room_config`]: `64/64/0.7/leak_div=10;init_len=64;init_s=0`; grown from AEC3's short start
/// filter, bimodal on the rig: `64/64/0.7/leak_div=10`; with the delay hysteresis:
/// `13/13/0.7/hyst=4`). Each runs alone, without the handover of [`EchoCanceller::new`].
#[test]
#[ignore]
fn wandering_delay_experiment() {
    let path = std::env::var("TANDEM_DRIFT_FAR").expect("TANDEM_DRIFT_FAR");
    let one = crate::audio::wav::read_mono(std::path::Path::new(&path), 16_000).unwrap();
    let mut far = Vec::new();
    while far.len() < 16_000 * 100 {
        far.extend_from_slice(&one);
    }
    far.truncate(16_000 * 100);
    let amp_ms: f32 = std::env::var("TANDEM_DRIFT_MS").map_or(1.0, |v| v.parse().unwrap());
    let ppm: f32 = std::env::var("TANDEM_DRIFT_PPM").map_or(0.0, |v| v.parse().unwrap());
    // `TANDEM_DRIFT_JUMPS=30:8,50:-4`: at 30 s the delay jumps 8 ms later, at 50 s 4 ms back
    // (a loopback or a device buffer that underruns).
    let jumps: Vec<(f32, f32)> = std::env::var("TANDEM_DRIFT_JUMPS")
        .unwrap_or_default()
        .split(',')
        .filter(|j| !j.is_empty())
        .map(|j| {
            let (t, ms) = j.split_once(':').unwrap();
            (t.parse().unwrap(), ms.parse().unwrap())
        })
        .collect();
    let g = 10f32.powf(-10.0 / 20.0);
    let near: Vec<f32> = (0..far.len())
        .map(|i| {
            let t = i as f32 / 16_000.0;
            let jumped: f32 = jumps.iter().filter(|j| t >= j.0).map(|j| j.1).sum();
            let d = 16.0 * (80.0 + jumped + amp_ms * (2.0 * std::f32::consts::PI * t / 20.0).sin())
                + ppm * 1e-6 * i as f32;
            let x = i as f32 - d;
            if x < 0.0 {
                return 0.0;
            }
            let k = x.floor() as usize;
            let fr = x - k as f32;
            let b = far.get(k + 1).copied().unwrap_or(0.0);
            g * (far[k] + fr * (b - far[k]))
        })
        .collect();
    // `TANDEM_DRIFT_RT60=0.45`: the delayed echo also goes through a reverberant room (the
    // rig's reverberant loopback: direct and reverberant energy level).
    let near = match std::env::var("TANDEM_DRIFT_RT60") {
        Ok(rt) => {
            let room = crate::sim::room::Room {
                rt60_s: rt.parse().unwrap(),
                delay_ms: 0.0,
                drr_db: 0.0,
                echo_db: 0.0,
                seed: 11,
            };
            let h = room.impulse_response(16_000);
            let mut filter = crate::sim::echo::EchoFilter::from_impulse_response(&h);
            let mut y = Vec::with_capacity(near.len());
            filter.process(&near, &mut y);
            y
        }
        Err(_) => near,
    };
    let room_far = far_speech();
    let user = speech(&["um_cut.wav", "thinking_cut.wav"]);
    // `TANDEM_DRIFT_ROOMS=0` skips the room set (faster).
    let rooms = if std::env::var("TANDEM_DRIFT_ROOMS").is_ok_and(|v| v == "0") {
        Vec::new()
    } else {
        crate::sim::room::room_set()
    };
    // main/shadow/rate[/key=value;...]
    let configs: Vec<(usize, usize, f32, String)> = std::env::var("TANDEM_DRIFT_CONFIGS")
        .unwrap_or("13/13/0.7".into())
        .split(',')
        .map(|c| {
            let v: Vec<&str> = c.split('/').collect();
            let more = v.get(3).copied().unwrap_or("").to_owned();
            (
                v[0].parse().unwrap(),
                v[1].parse().unwrap(),
                v[2].parse().unwrap(),
                more,
            )
        })
        .collect();
    for (main, shadow, rate, more) in configs {
        let config = || {
            let mut c = start_config();
            c.filter.main.length_blocks = main;
            c.filter.shadow.length_blocks = shadow;
            c.filter.shadow.rate = rate;
            for kv in more.split(';').filter(|k| !k.is_empty()) {
                let (k, v) = kv.split_once('=').unwrap();
                let f: f32 = v.parse().unwrap();
                match k {
                    "max_l" => c.erle.max_l = f,
                    "max_h" => c.erle.max_h = f,
                    "sections" => c.erle.num_sections = f as usize,
                    "onset" => c.erle.onset_detection = f > 0.0,
                    "leak_div" => c.filter.main.leakage_diverged = f,
                    "leak_conv" => c.filter.main.leakage_converged = f,
                    "len" => c.ep_strength.default_len = f,
                    "gain" => c.ep_strength.default_gain = f,
                    "bounded" => c.ep_strength.bounded_erl = f > 0.0,
                    "hyst" => c.delay.hysteresis_limit_blocks = f as usize,
                    "headroom" => c.delay.delay_headroom_samples = f as usize,
                    "sel" => c.delay.delay_selection_thresholds.converged = f as i32,
                    "init_len" => {
                        c.filter.main_initial.length_blocks = f as usize;
                        c.filter.shadow_initial.length_blocks = f as usize;
                    }
                    "init_s" => c.filter.initial_state_seconds = f,
                    "change" => c.filter.config_change_duration_blocks = f as usize,
                    _ => panic!("unknown {k}"),
                }
            }
            EchoCanceller::with_config(c)
        };
        let (out, linear, _) = cancel_with_linear(config(), &far, &near);
        let win = 1600;
        let (mut e, mut l, mut loud) = (Vec::new(), Vec::new(), Vec::new());
        let mut loud_at = Vec::new();
        for w in 200..near.len() / win {
            let r = w * win..(w + 1) * win;
            if energy(&near[r.clone()]) < 1e-4 {
                continue;
            }
            e.push(erle_db(&near[r.clone()], &out[r.clone()]));
            l.push(erle_db(&near[r.clone()], &linear[r.clone()]));
            loud.push(10.0 * (energy(&out[r]) / win as f64).log10());
            if loud[loud.len() - 1] > -50.0 {
                loud_at.push(format!("{:.1}", w as f32 * 0.1));
            }
        }
        println!("windows over -50 dBFS at (s): {}", loud_at.join(" "));
        // Per jump: seconds until five windows in a row are back at 30 dB.
        let recovery: Vec<String> = jumps
            .iter()
            .map(|(t, _)| {
                let start = (*t * 16_000.0) as usize / win;
                let mut run = 0;
                for w in start..near.len() / win {
                    let r = w * win..(w + 1) * win;
                    if energy(&near[r.clone()]) < 1e-4 {
                        continue;
                    }
                    run = if erle_db(&near[r.clone()], &out[r]) >= 30.0 {
                        run + 1
                    } else {
                        0
                    };
                    if run == 5 {
                        return format!("{:.1}", (w + 1 - start - 5) as f32 * 0.1);
                    }
                }
                "never".into()
            })
            .collect();
        println!("recovery after each jump (s): {}", recovery.join(" "));
        e.sort_by(f64::total_cmp);
        l.sort_by(f64::total_cmp);
        loud.sort_by(f64::total_cmp);
        let scores: Vec<_> = rooms
            .iter()
            .map(|r| crate::sim::room::score(r, &room_far, &user, config()))
            .collect();
        let reached = scores
            .iter()
            .filter(|s| {
                s.erle_db >= 30.0 && s.erle_after_double_talk_db >= 30.0 && s.near_corr >= 0.8
            })
            .count();
        let worst = |f: fn(&crate::sim::room::RoomScore) -> f64| {
            scores.iter().map(f).fold(f64::NAN, f64::min)
        };
        println!(
            "main {main:2} shadow {shadow:2} rate {rate:.2} {more} | wander 20-100 s: ERLE p10 {:5.1} p50 {:5.1}, linear p50 {:5.1}, under 20 dB {:3}, residual p99 {:6.1} max {:6.1} dBFS, over -50 dBFS {:2} | rooms {reached}/36, worst ERLE {:5.1} after DT {:5.1} near {:.2}",
            e[e.len() / 10],
            e[e.len() / 2],
            l[l.len() / 2],
            e.iter().filter(|x| **x < 20.0).count(),
            loud[loud.len() * 99 / 100],
            loud[loud.len() - 1],
            loud.iter().filter(|x| **x > -50.0).count(),
            worst(|s| s.erle_db),
            worst(|s| s.erle_after_double_talk_db),
            worst(|s| s.near_corr),
        );
    }
}

/// The loop's canceller in a reverberant room: the quick start speaks first (as good as the
/// 52 ms filter alone in the first seconds, where the room filter alone is slow), and the room
/// filter takes over within seconds and then cancels as well as it does alone.
#[test]
fn the_room_filter_takes_over_from_the_quick_start() {
    let far = far_speech();
    let room = crate::sim::room::room_set()
        .into_iter()
        .find(|r| r.name() == "rt0.60-d40-e+0")
        .expect("the room");
    let mut filter =
        crate::sim::echo::EchoFilter::from_impulse_response(&room.impulse_response(AEC_RATE_HZ));
    let far: Vec<f32> = far.iter().copied().cycle().take(14 * 16_000).collect();
    let mut near = Vec::with_capacity(far.len());
    filter.process(&far, &mut near);
    let run = |mut aec: EchoCanceller| {
        let (out, _) = cancel_frames(&mut aec, &far, &near);
        (out, aec.handed_over_at())
    };
    let (ours, at) = run(EchoCanceller::new());
    let (start, _) = run(EchoCanceller::with_config(start_config()));
    let (room_alone, _) = run(EchoCanceller::with_config(room_config()));
    let erle = |out: &[f32], s: std::ops::Range<usize>| erle_db(&near[s.clone()], &out[s]);
    let early = 16_000..40_000;
    let late = 8 * 16_000..near.len();
    eprintln!(
        "handover at {at:?} frames; 1-2.5 s: ours {:.1}, quick start {:.1}, room alone {:.1} dB; \
         8-14 s: ours {:.1}, quick start {:.1}, room alone {:.1} dB",
        erle(&ours, early.clone()),
        erle(&start, early.clone()),
        erle(&room_alone, early.clone()),
        erle(&ours, late.clone()),
        erle(&start, late.clone()),
        erle(&room_alone, late.clone()),
    );
    let at = at.expect("the room filter took over");
    assert!(at <= 600, "handover only after {at} frames");
    assert!(erle(&ours, early.clone()) >= erle(&start, early) - 1.0);
    assert!(erle(&ours, late.clone()) >= erle(&room_alone, late.clone()) - 1.0);
    assert!(erle(&ours, late.clone()) >= erle(&start, late) + 3.0);
}
