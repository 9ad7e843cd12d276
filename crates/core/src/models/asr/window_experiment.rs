//! Experiment (ignored): what a shorter encoder window does to streaming partials.
//! Windows in feature frames (`TANDEM_WINDOWS=0,800,1500,a400+100r800,c400+50`; 0 is the
//! shipped final path, `aMIN+MARGINrRETRY` the final path with a window of the audio plus
//! MARGIN, at least MIN, redone in RETRY (r0: never), `cMIN+MARGIN` the partial path), scored
//! against the scenarios' scripted words (a streaming prefix against the words said by then).
//! `TANDEM_WIN_DIR=/tmp/dev-suite cargo test --release -p tandem-core --lib window_experiment -- --ignored --nocapture`

use std::time::Instant;

use super::*;
use crate::audio::wav;
use crate::config::{Config, ExecutionProvider};
use crate::models::{Manifest, ModelCache, runtime};

/// `frames` 0: the shipped path ([`Whisper::transcribe_window`] with the engine's window and its
/// retry), timed whole as "encoder".
fn run(w: &mut Whisper, audio: &[f32], window: &str) -> (String, f64, f64, f32) {
    // "cMIN+MARGIN": a partial as the loop decodes it, with another window.
    if let Some(spec) = window.strip_prefix('c') {
        let (min, margin) = spec.split_once('+').unwrap_or((spec, "0"));
        let t0 = Instant::now();
        let t = w
            .transcribe_partial_from(
                audio,
                min.parse().unwrap(),
                margin.parse().unwrap(),
                &|| true,
            )
            .unwrap();
        return (t.text, t0.elapsed().as_secs_f64() * 1e3, 0.0, t.avg_logprob);
    }
    // "aMIN+MARGINrRETRY": the final path (with its retry) with the window sized to the audio
    // plus MARGIN frames of silence, at least MIN frames, redone in RETRY frames.
    if let Some(spec) = window.strip_prefix('a') {
        let (spec, retry) = spec.split_once('r').unwrap_or((spec, "1500"));
        let (min, margin) = spec.split_once('+').unwrap_or((spec, "0"));
        let (min, margin, retry): (usize, usize, usize) = (
            min.parse().unwrap(),
            margin.parse().unwrap(),
            retry.parse().unwrap(),
        );
        let t0 = Instant::now();
        let t = w
            .transcribe_window_from(
                audio,
                audio.len() / HOP_LENGTH + margin,
                min,
                retry,
                &|| true,
            )
            .unwrap();
        return (t.text, t0.elapsed().as_secs_f64() * 1e3, 0.0, t.avg_logprob);
    }
    let frames: usize = window.parse().unwrap();
    if frames == 0 {
        let t0 = Instant::now();
        let t = w
            .transcribe_window(audio, Whisper::window_frames(audio.len()), &|| true)
            .unwrap();
        return (t.text, t0.elapsed().as_secs_f64() * 1e3, 0.0, t.avg_logprob);
    }
    let frames = frames.next_multiple_of(2);
    let audio = &audio[..audio.len().min(frames * HOP_LENGTH)];
    w.features[..N_MELS * frames].fill(0.0);
    let feats = &mut w.features[..N_MELS * frames];
    w.mel.features_into(audio, feats, frames);
    let t0 = Instant::now();
    let (k, v) = w.encode(frames).unwrap();
    let enc = t0.elapsed().as_secs_f64() * 1e3;
    let t1 = Instant::now();
    let (tokens, _, logprob) = w.decode(&k, &v, MAX_NEW_TOKENS, &|| true).unwrap();
    let dec = t1.elapsed().as_secs_f64() * 1e3;
    (
        w.tokenizer.decode(&tokens).trim().to_owned(),
        enc,
        dec,
        logprob,
    )
}

fn segments(meta: &serde_json::Value) -> Vec<(usize, usize, String)> {
    meta["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["role"].as_str().unwrap_or("").starts_with("user"))
        .map(|g| {
            let ms = |k: &str| g[k].as_u64().unwrap() as usize * 16;
            (
                ms("start_ms"),
                ms("end_ms"),
                g["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn wer(hyp: &str, truth: &str) -> (usize, usize) {
    let words = |s: &str| {
        norm(s)
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let t = words(truth);
    (crate::text::edit_distance(&t, &words(hyp)), t.len())
}

/// The words of `text` said by `frac` of its duration (by letters).
fn prefix(text: &str, frac: f32) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let total: usize = words.iter().map(|w| w.len() + 1).sum();
    let mut acc = 0;
    let mut out = Vec::new();
    for w in words {
        acc += w.len() + 1;
        if acc as f32 <= frac * total as f32 + 2.0 {
            out.push(w);
        }
    }
    out.join(" ")
}

fn norm(s: &str) -> String {
    crate::text::words(s)
        .map(|w| match w.as_str() {
            "1" => "one".to_owned(),
            "2" => "two".to_owned(),
            "3" => "three".to_owned(),
            "4" => "four".to_owned(),
            "5" => "five".to_owned(),
            "6" => "six".to_owned(),
            "7" => "seven".to_owned(),
            "8" => "eight".to_owned(),
            "9" => "nine".to_owned(),
            "10" => "ten".to_owned(),
            "15" => "fifteen".to_owned(),
            "20" => "twenty".to_owned(),
            "30" => "thirty".to_owned(),
            "45" => "forty five".to_owned(),
            _ => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
#[ignore = "experiment"]
fn window_experiment() {
    let dir = std::env::var("TANDEM_WIN_DIR").expect("TANDEM_WIN_DIR");
    let windows: Vec<String> = std::env::var("TANDEM_WINDOWS")
        .unwrap_or("500,800,1000,1500,3000".into())
        .split(',')
        .map(str::to_owned)
        .collect();
    let cache = ModelCache::locate(&Config::default()).unwrap();
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu).unwrap();
    // TANDEM_WIN_PRECISION: int8 (default, shipped), fp32, or mixed (fp32 encoder, int8 decoder).
    let precision = std::env::var("TANDEM_WIN_PRECISION").unwrap_or("int8".into());
    let mut w = match precision.as_str() {
        "fp32" => Whisper::load(rt, &cache, &manifest, Precision::Fp32, 1).unwrap(),
        _ => Whisper::load(rt, &cache, &manifest, Precision::Int8, 1).unwrap(),
    };
    if precision == "mixed" {
        w.encoder = Whisper::load(rt, &cache, &manifest, Precision::Fp32, 1)
            .unwrap()
            .encoder;
    }
    println!("precision {precision}");
    let mut dirs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let n = windows.len();
    let (mut same, mut total) = (vec![0usize; n], 0usize);
    let (mut enc, mut dec) = (vec![0f64; n], vec![0f64; n]);
    let mut retries = vec![0usize; n];
    // Time spent on finals alone, and their number.
    let (mut final_ms, mut finals) = (vec![0f64; n], 0usize);
    let reference = windows.iter().position(|f| f == "1500").unwrap_or(0);
    // Finals by the recognizer's confidence (below the loop's "asked again" threshold or not)
    // and by whether their words were right: [unsure right, unsure wrong, sure right, sure wrong].
    let mut sure = vec![[0usize; 4]; n];
    let (mut perr, mut pwords, mut ferr, mut fwords) =
        (vec![0usize; n], 0usize, vec![0usize; n], 0usize);
    for d in dirs {
        let Ok(audio) = wav::read_mono(&d.join("input.wav"), 16_000) else {
            continue;
        };
        let Ok(meta) = std::fs::read_to_string(d.join("meta.json")) else {
            continue;
        };
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        for (a, b, text) in segments(&meta) {
            let b = b.min(audio.len());
            let from = a.saturating_sub(4800);
            let mut ends: Vec<usize> = (0..)
                .map(|k| a + 4800 + k * 6400)
                .take_while(|e| *e < b)
                .collect();
            let last = (b + 3200).min(audio.len());
            ends.push(last);
            for e in ends {
                let clip = &audio[from..e];
                let is_final = e == last;
                let truth = if is_final {
                    text.clone()
                } else {
                    prefix(&text, (e - a) as f32 / (b - a) as f32)
                };
                let outs: Vec<_> = windows
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let before = RETRIES.load(std::sync::atomic::Ordering::Relaxed);
                        let out = run(&mut w, clip, f);
                        retries[i] += RETRIES.load(std::sync::atomic::Ordering::Relaxed) - before;
                        out
                    })
                    .collect();
                total += 1;
                finals += usize::from(is_final);
                for (i, o) in outs.iter().enumerate() {
                    enc[i] += o.1;
                    dec[i] += o.2;
                    if is_final {
                        final_ms[i] += o.1 + o.2;
                    }
                    let (err, words) = wer(&o.0, &truth);
                    if is_final {
                        if err > 0 && std::env::var("TANDEM_WIN_FINALS").is_ok() {
                            println!(
                                "final {} w{} err {err}/{words} lp {:.2}: {:?} | truth {:?}",
                                d.file_name().unwrap().to_string_lossy(),
                                windows[i],
                                o.3,
                                o.0,
                                truth
                            );
                        }
                        ferr[i] += err;
                        let unsure = o.3 < crate::interaction::UNSURE_LOGPROB;
                        sure[i][usize::from(!unsure) * 2 + usize::from(err > 0)] += 1;
                    } else {
                        perr[i] += err;
                    }
                    if i == 0 {
                        if is_final {
                            fwords += words;
                        } else {
                            pwords += words;
                        }
                    }
                    if norm(&o.0) == norm(&outs[reference].0) {
                        same[i] += 1;
                    } else if std::env::var("TANDEM_WIN_SHOW").is_ok() {
                        println!(
                            "{} {:.1}s w{}: {:?} | ref {:?} | truth {:?}",
                            d.file_name().unwrap().to_string_lossy(),
                            clip.len() as f32 / 16000.0,
                            windows[i],
                            o.0,
                            outs[reference].0,
                            truth
                        );
                    }
                }
            }
        }
    }
    println!("clips {total}, partial truth words {pwords}, final truth words {fwords}");
    for i in 0..n {
        println!(
            "window {} frames: WER partials {:.1} % finals {:.1} %",
            windows[i],
            100.0 * perr[i] as f64 / pwords.max(1) as f64,
            100.0 * ferr[i] as f64 / fwords.max(1) as f64
        );
        println!(
            "window {} frames: finals unsure (right / wrong) {} / {}, sure {} / {}",
            windows[i], sure[i][0], sure[i][1], sure[i][2], sure[i][3]
        );
    }
    for i in 0..n {
        println!(
            "window {} frames: same as ref {}/{} ; redone {} ; encoder {:.1} ms, decoder {:.1} ms per call; finals {:.1} ms a call",
            windows[i],
            same[i],
            total,
            retries[i],
            enc[i] / total as f64,
            dec[i] / total as f64,
            final_ms[i] / finals.max(1) as f64
        );
    }
}
