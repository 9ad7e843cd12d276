//! Scenario generation: the spec's lines spoken by our own TTS (or espeak-ng, see
//! [`super::espeak`]) in varied voices, real recorded speech or spoken lines for the background,
//! laid out on a 16 kHz timeline. Deterministic: every random choice
//! comes from a generator seeded by the scenario id.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::meta::{
    Category, Expect, Role, ScenarioMeta, UserSegment, UserVoice, VoiceEngine, Window,
};
use super::spec::{Spec, VoiceSpec};
use super::{EvalError, SAMPLE_RATE_HZ, ms_to_samples, samples_to_ms};
use crate::audio::wav;
use crate::models::tts::{self, SynthOptions, Tts};

/// A backchannel is fitted into this length.
pub const BACKCHANNEL_MS: [u64; 2] = [300, 700];

/// Speaks text as a user: 16 kHz mono, leading and trailing silence trimmed.
pub trait Speak {
    fn speak(&mut self, text: &str, voice: &UserVoice) -> Result<Vec<f32>, EvalError>;
}

impl Speak for Tts {
    fn speak(&mut self, text: &str, voice: &UserVoice) -> Result<Vec<f32>, EvalError> {
        let options = SynthOptions {
            speed: voice.speed,
            pitch: voice.pitch,
            seed: Some(voice.seed),
        };
        let audio = self.synthesize(text, &options)?;
        let audio = wav::resample(&audio, tts::SAMPLE_RATE_HZ, SAMPLE_RATE_HZ)?;
        Ok(trim(&audio))
    }
}

/// Leading and trailing silence (below 2% of the peak) trimmed, 80 samples kept either side.
pub fn trim(audio: &[f32]) -> Vec<f32> {
    let peak = audio.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    tts::trim_silence(audio, peak * 0.02, 80).to_vec()
}

/// A small deterministic generator (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded from a name (FNV-1a), so a scenario's choices depend only on its id.
    pub fn from_name(name: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi]`.
    pub fn range(&mut self, [lo, hi]: [u64; 2]) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }
}

/// RMS of the active part (20 ms frames within 30 dB of the loudest), in dBFS.
pub fn active_level_dbfs(samples: &[f32]) -> Option<f32> {
    let frames: Vec<f32> = samples
        .chunks(320)
        .map(|c| (c.iter().map(|x| x * x).sum::<f32>() / c.len() as f32).sqrt())
        .collect();
    let max = frames.iter().copied().fold(0.0f32, f32::max);
    if max <= 1e-6 {
        return None;
    }
    let floor = max * 10f32.powf(-30.0 / 20.0);
    let active: Vec<f32> = frames.into_iter().filter(|&r| r >= floor).collect();
    let ms = active.iter().map(|r| r * r).sum::<f32>() / active.len() as f32;
    Some(10.0 * ms.log10())
}

/// Scales `samples` so that their active level is `dbfs` (peaks kept below 0.98).
pub fn set_level(samples: &mut [f32], dbfs: f32) {
    let Some(level) = active_level_dbfs(samples) else {
        return;
    };
    let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let gain = 10f32.powf((dbfs - level) / 20.0).min(0.98 / peak.max(1e-6));
    samples.iter_mut().for_each(|x| *x *= gain);
}

/// Development recordings, read from a directory and checked against the spec's hashes.
#[derive(Debug)]
pub struct DevSpeech {
    dir: PathBuf,
    loaded: HashMap<String, Vec<f32>>,
}

impl DevSpeech {
    pub fn new(dir: &Path) -> DevSpeech {
        DevSpeech {
            dir: dir.to_owned(),
            loaded: HashMap::new(),
        }
    }

    /// The recording `file` at 16 kHz, after checking its sha256.
    pub fn get(&mut self, spec: &Spec, file: &str) -> Result<&[f32], EvalError> {
        if !self.loaded.contains_key(file) {
            let pin = spec
                .recordings
                .iter()
                .find(|r| r.file == file)
                .map(|r| r.sha256.to_ascii_lowercase());
            let path = self.dir.join(file);
            let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => EvalError::MissingRecording { path: path.clone() },
                _ => EvalError::Read {
                    path: path.clone(),
                    source: e,
                },
            })?;
            let actual = hex::encode(Sha256::digest(&bytes));
            if let Some(expected) = pin.filter(|p| *p != actual) {
                return Err(EvalError::RecordingHash {
                    path,
                    expected,
                    actual,
                });
            }
            let audio = wav::read_mono(&path, SAMPLE_RATE_HZ)?;
            self.loaded.insert(file.to_owned(), audio);
        }
        Ok(&self.loaded[file])
    }
}

/// One generated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub meta: ScenarioMeta,
    /// 16 kHz mono.
    pub audio: Vec<f32>,
}

impl Scenario {
    /// Writes `DIR/ID/input.wav` and `DIR/ID/meta.json`.
    pub fn write(&self, suite_dir: &Path) -> Result<PathBuf, EvalError> {
        let dir = suite_dir.join(&self.meta.id);
        std::fs::create_dir_all(&dir).map_err(|source| EvalError::Write {
            path: dir.clone(),
            source,
        })?;
        wav::write_mono_i16(&dir.join("input.wav"), &self.audio, SAMPLE_RATE_HZ)?;
        self.meta.save(&dir.join("meta.json"))?;
        Ok(dir)
    }
}

/// A timeline being filled with speech.
struct Track {
    samples: Vec<f32>,
    segments: Vec<UserSegment>,
}

impl Track {
    fn new() -> Track {
        Track {
            samples: Vec::new(),
            segments: Vec::new(),
        }
    }

    /// Mixes `audio` in at `at_ms`; returns its span.
    fn place(&mut self, at_ms: u64, audio: &[f32], text: &str, role: Role) -> Window {
        let a = ms_to_samples(at_ms);
        if self.samples.len() < a + audio.len() {
            self.samples.resize(a + audio.len(), 0.0);
        }
        for (o, x) in self.samples[a..].iter_mut().zip(audio) {
            *o += x;
        }
        let w = Window::new(at_ms, at_ms + samples_to_ms(audio.len()));
        self.segments.push(UserSegment {
            start_ms: w.start_ms,
            end_ms: w.end_ms,
            text: text.to_owned(),
            role,
        });
        w
    }

    fn end_ms(&self) -> u64 {
        self.segments.iter().map(|s| s.end_ms).max().unwrap_or(0)
    }

    /// Pads with silence to `tail_ms` after the last speech.
    fn finish(mut self, tail_ms: u64) -> (Vec<f32>, Vec<UserSegment>, u64) {
        let total_ms = self.end_ms() + tail_ms;
        self.samples.resize(ms_to_samples(total_ms), 0.0);
        for x in &mut self.samples {
            *x = x.clamp(-1.0, 1.0);
        }
        (self.samples, self.segments, total_ms)
    }
}

/// Generates scenario `index` (0-based) of `category`.
pub fn generate(
    spec: &Spec,
    category: Category,
    index: usize,
    speak: &mut dyn Speak,
    dev: &mut DevSpeech,
) -> Result<Scenario, EvalError> {
    let id = format!("{category}_{:02}", index + 1);
    let mut rng = Rng::from_name(&id);
    let voice_of = |v: &VoiceSpec, rng: &mut Rng| v.user_voice(rng.next_u64() % 1_000_000);
    // An item's own choice of a second voice (by name), else `fallback`; same seed either way.
    let named_voice = |name: &Option<String>, fallback: &UserVoice| {
        name.as_ref()
            .and_then(|n| spec.voices.iter().find(|v| &v.name == n))
            .map_or_else(|| fallback.clone(), |v| v.user_voice(fallback.seed))
    };
    let n = spec.voices.len();
    let vi = (index * 5 + category as usize) % n;
    let voice = voice_of(&spec.voices[vi], &mut rng);
    let other_voice = voice_of(&spec.voices[(vi + n / 2) % n], &mut rng);
    let level = spec.user_level_dbfs;
    let lead = rng.range(spec.lead_silence_ms);
    let mut track = Track::new();
    let (description, expect, tail_ms) = match category {
        Category::PauseHandling => {
            let sec = &spec.pause_handling;
            let item = &sec.items[index];
            let pause = item
                .pause_ms
                .unwrap_or_else(|| rng.range(sec.gap_ms.unwrap_or([1000, 2000])));
            let first = track.place(
                lead,
                &said(speak, &item.first, &voice, level)?,
                &item.first,
                Role::User,
            );
            let second_at = first.end_ms + pause;
            track.place(
                second_at,
                &said(speak, &item.second, &voice, level)?,
                &item.second,
                Role::User,
            );
            (
                format!("{:?} [{pause} ms pause] {:?}", item.first, item.second),
                Expect::PauseHandling {
                    pauses: vec![Window::new(first.end_ms, second_at)],
                },
                sec.tail_ms,
            )
        }
        Category::TurnTaking => {
            let sec = &spec.turn_taking;
            let item = &sec.items[index];
            let w = track.place(
                lead,
                &said(speak, &item.text, &voice, level)?,
                &item.text,
                Role::User,
            );
            (
                format!("{:?} then silence", item.text),
                Expect::TurnTaking {
                    turn_end_ms: w.end_ms,
                },
                sec.tail_ms,
            )
        }
        Category::UserInterruption => {
            let sec = &spec.user_interruption;
            let item = &sec.items[index];
            let req = track.place(
                lead,
                &said(speak, &item.request, &voice, level)?,
                &item.request,
                Role::User,
            );
            let after = item
                .after_ms
                .unwrap_or_else(|| rng.range(sec.gap_ms.unwrap_or([2500, 3500])));
            let cut = track.place(
                req.end_ms + after,
                &said(speak, &item.interruption, &voice, level)?,
                &item.interruption,
                Role::UserInterruption,
            );
            (
                format!(
                    "{:?}, then {after} ms later {:?}",
                    item.request, item.interruption
                ),
                Expect::UserInterruption {
                    request_end_ms: req.end_ms,
                    interruption: cut,
                },
                sec.tail_ms,
            )
        }
        Category::UserBackchannel => {
            let sec = &spec.user_backchannel;
            let item = &sec.items[index];
            let req = track.place(
                lead,
                &said(speak, &item.request, &voice, level)?,
                &item.request,
                Role::User,
            );
            let after = item
                .after_ms
                .unwrap_or_else(|| rng.range(sec.gap_ms.unwrap_or([2500, 4000])));
            let mut bc = fit_length(speak, &item.backchannel, &voice, BACKCHANNEL_MS)?;
            set_level(&mut bc, level - 3.0);
            let w = track.place(
                req.end_ms + after,
                &bc,
                &item.backchannel,
                Role::UserBackchannel,
            );
            (
                format!(
                    "{:?}, then {after} ms later {:?} ({} ms)",
                    item.request,
                    item.backchannel,
                    w.duration_ms()
                ),
                Expect::UserBackchannel {
                    request_end_ms: req.end_ms,
                    backchannel: w,
                },
                sec.tail_ms,
            )
        }
        Category::TalkingToOthers => {
            let sec = &spec.talking_to_others;
            let item = &sec.items[index];
            let w = track.place(
                lead,
                &said(speak, &item.text, &voice, level)?,
                &item.text,
                Role::UserToOther,
            );
            let mut description = format!("{:?} (to someone else)", item.text);
            if let Some(reply) = &item.reply {
                let gap = rng.range(sec.gap_ms.unwrap_or([300, 800]));
                let replier = named_voice(&item.reply_voice, &other_voice);
                track.place(
                    w.end_ms + gap,
                    &said(speak, reply, &replier, level - 2.0)?,
                    reply,
                    Role::OtherSpeaker,
                );
                description.push_str(&format!("; {:?} answers {reply:?}", replier.name));
            }
            (
                description,
                Expect::TalkingToOthers {
                    onset_ms: w.start_ms,
                },
                sec.tail_ms,
            )
        }
        Category::BackgroundSpeech => {
            let sec = &spec.background_speech;
            let item = &sec.items[index];
            let (onset_ms, label) = match &item.recording {
                Some(recording) => {
                    let rec = dev.get(spec, recording)?;
                    let duration_ms = item.duration_ms.unwrap_or(0);
                    let a = ms_to_samples(item.start_ms).min(rec.len());
                    let b = ms_to_samples(item.start_ms.saturating_add(duration_ms)).min(rec.len());
                    let mut clip = rec[a..b.max(a)].to_vec();
                    fade(&mut clip, ms_to_samples(50));
                    set_level(&mut clip, level + item.level_db);
                    let label = format!(
                        "{recording} {:.1}-{:.1} s",
                        item.start_ms as f64 / 1000.0,
                        (item.start_ms + samples_to_ms(clip.len())) as f64 / 1000.0
                    );
                    let text = if item.text.is_empty() {
                        label.clone()
                    } else {
                        item.text.clone()
                    };
                    let w = track.place(lead, &clip, &text, Role::Background);
                    (w.start_ms, label)
                }
                None => {
                    // Spoken lines, one after another, all at the one level.
                    let voice = named_voice(&item.voice, &other_voice);
                    let mut at = lead;
                    for line in &item.lines {
                        let audio = said(speak, line, &voice, level + item.level_db)?;
                        let w = track.place(at, &audio, line, Role::Background);
                        at = w.end_ms + rng.range(sec.gap_ms.unwrap_or([250, 600]));
                    }
                    let label = format!(
                        "{} {} line{} in {:?}",
                        voice.engine,
                        item.lines.len(),
                        if item.lines.len() == 1 { "" } else { "s" },
                        voice.name
                    );
                    (lead, label)
                }
            };
            (
                format!("background speech ({label}) at {:.0} dB", item.level_db),
                Expect::BackgroundSpeech { onset_ms },
                sec.tail_ms,
            )
        }
        Category::CourseCorrection => {
            let sec = &spec.course_correction;
            let item = &sec.items[index];
            let w = track.place(
                lead,
                &said(speak, &item.text, &voice, level)?,
                &item.text,
                Role::User,
            );
            (
                format!(
                    "{:?}: expects {:?}, not {:?}",
                    item.text, item.expected, item.rejected
                ),
                Expect::CourseCorrection {
                    turn_end_ms: w.end_ms,
                    expected: item.expected.clone(),
                    rejected: item.rejected.clone(),
                },
                sec.tail_ms,
            )
        }
    };
    let (audio, segments, duration_ms) = track.finish(tail_ms);
    let meta = ScenarioMeta {
        id,
        category,
        description,
        duration_ms,
        sample_rate_hz: SAMPLE_RATE_HZ,
        voice,
        segments,
        expect,
    };
    // Speech that synthesizes to nothing (a line of punctuation) leaves an empty segment.
    meta.validate().map_err(|message| EvalError::Generate {
        id: meta.id.clone(),
        message,
    })?;
    Ok(Scenario { meta, audio })
}

/// Speaks `text` at the level `dbfs`.
fn said(
    speak: &mut dyn Speak,
    text: &str,
    voice: &UserVoice,
    dbfs: f32,
) -> Result<Vec<f32>, EvalError> {
    let mut a = speak.speak(text, voice)?;
    set_level(&mut a, dbfs);
    Ok(a)
}

/// Speaks `text` and adjusts the speed until it lasts within `[min, max]` ms (a few tries).
fn fit_length(
    speak: &mut dyn Speak,
    text: &str,
    voice: &UserVoice,
    [min, max]: [u64; 2],
) -> Result<Vec<f32>, EvalError> {
    let mut v = voice.clone();
    let mut audio = speak.speak(text, &v)?;
    for _ in 0..4 {
        let ms = samples_to_ms(audio.len());
        if (min..=max).contains(&ms) {
            break;
        }
        let goal = (min + max) as f32 / 2.0;
        let [lo, hi] = v.engine.speed_range();
        v.speed = (v.speed * ms as f32 / goal).clamp(lo, hi);
        if v.engine == VoiceEngine::EspeakNg {
            v.speed = v.speed.round();
        }
        audio = speak.speak(text, &v)?;
    }
    // Still too long at the fastest rate: cut it with a fade.
    let cap = ms_to_samples(max);
    if audio.len() > cap {
        audio.truncate(cap);
        fade(&mut audio, ms_to_samples(30));
    }
    Ok(audio)
}

/// Linear fade in and out over `n` samples.
fn fade(audio: &mut [f32], n: usize) {
    if audio.is_empty() {
        return;
    }
    let n = n.min(audio.len() / 2).max(1);
    let len = audio.len();
    for i in 0..n {
        let g = i as f32 / n as f32;
        audio[i] *= g;
        audio[len - 1 - i] *= g;
    }
}

/// Which scenarios to generate: `(category, index)` pairs, `per_category` at most of each,
/// of the `only` categories (all when empty).
pub fn selection(
    spec: &Spec,
    only: &[Category],
    per_category: Option<usize>,
) -> Vec<(Category, usize)> {
    Category::ALL
        .into_iter()
        .filter(|c| only.is_empty() || only.contains(c))
        .flat_map(|c| {
            let n = spec.count(c).min(per_category.unwrap_or(usize::MAX));
            (0..n).map(move |i| (c, i))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let mut a = Rng::from_name("turn_taking_01");
        let mut b = Rng::from_name("turn_taking_01");
        for _ in 0..100 {
            let x = a.range([500, 1000]);
            assert_eq!(x, b.range([500, 1000]));
            assert!((500..=1000).contains(&x));
        }
    }

    /// A tone as long as the text; remembers which voices it was asked for.
    #[derive(Default)]
    struct Tone(Vec<(String, UserVoice)>);

    impl Speak for Tone {
        fn speak(&mut self, text: &str, voice: &UserVoice) -> Result<Vec<f32>, EvalError> {
            self.0.push((text.to_owned(), voice.clone()));
            let n = text.len() * 800;
            Ok((0..n).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect())
        }
    }

    const SUITE: &str = include_str!("../../../../tests/scenarios/spec.toml");

    /// The committed spec with an espeak-ng voice, background from spoken lines in it and a
    /// reply in it.
    fn spec_with_espeak() -> Spec {
        let text = SUITE
            .replacen(
                "[[voices]]",
                "[[voices]]\nname = \"en-029+f4\"\nengine = \"espeak-ng\"\npitch = 60\nspeed_wpm = 150\n\n[[voices]]",
                1,
            )
            .replace(
                "{ recording = \"two_cities.wav\", start_ms = 1000, duration_ms = 6000, level_db = -20.0, text = \"It was the best of times, it was the worst of times...\" },",
                "{ lines = [\"Now the news.\", \"It is raining.\"], voice = \"en-029+f4\", level_db = -6.0 },",
            )
            .replace(
                "{ text = \"John, can you pass me the salt?\", reply = \"Sure, here you go.\" },",
                "{ text = \"Pass me that cloth, would you?\", reply = \"Go on then.\", reply_voice = \"en-029+f4\" },",
            );
        Spec::parse(Path::new("spec.toml"), &text).unwrap()
    }

    #[test]
    fn background_lines_and_replies_use_the_voice_the_item_names() {
        let spec = spec_with_espeak();
        let mut dev = DevSpeech::new(Path::new("/nonexistent"));
        let mut tone = Tone::default();
        let s = generate(&spec, Category::BackgroundSpeech, 0, &mut tone, &mut dev).unwrap();
        let texts: Vec<&str> = s.meta.segments.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(texts, ["Now the news.", "It is raining."]);
        assert!(s.meta.segments.iter().all(|g| g.role == Role::Background));
        assert!(s.meta.segments[1].start_ms >= s.meta.segments[0].end_ms + 250);
        assert!(tone.0.iter().all(|(_, v)| v.name == "en-029+f4"));
        let level = active_level_dbfs(&s.audio).unwrap();
        assert!((level - (-22.0 - 6.0)).abs() < 0.5, "{level}");
        assert!(
            s.meta
                .description
                .contains("espeak-ng 2 lines in \"en-029+f4\""),
            "{}",
            s.meta.description
        );

        let mut tone = Tone::default();
        let s = generate(&spec, Category::TalkingToOthers, 0, &mut tone, &mut dev).unwrap();
        let (reply, voice) = &tone.0[1];
        assert_eq!(reply, "Go on then.");
        assert_eq!(
            (voice.engine, voice.speed, voice.pitch),
            (VoiceEngine::EspeakNg, 150.0, 60.0)
        );
        assert_eq!(s.meta.segments[1].role, Role::OtherSpeaker);
    }

    #[test]
    fn meta_records_the_engine_and_old_files_still_load() {
        let spec = spec_with_espeak();
        let mut dev = DevSpeech::new(Path::new("/nonexistent"));
        // Voice 0 is the espeak-ng one; pause_handling_01 uses voice (0 * 5 + 0) % 7.
        let s = generate(
            &spec,
            Category::PauseHandling,
            0,
            &mut Tone::default(),
            &mut dev,
        )
        .unwrap();
        let json = serde_json::to_value(&s.meta).unwrap();
        assert_eq!(json["voice"]["engine"], "espeak-ng", "{json:#}");
        assert_eq!(json["voice"]["speed"], 150.0);
        let s = generate(
            &spec,
            Category::TurnTaking,
            0,
            &mut Tone::default(),
            &mut dev,
        )
        .unwrap();
        assert_eq!(s.meta.voice.engine, VoiceEngine::Hibari);
        let mut json = serde_json::to_value(&s.meta).unwrap();
        // hibari is left out, as in the files written before espeak-ng voices.
        assert!(json["voice"].get("engine").is_none(), "{json:#}");
        json["voice"]
            .as_object_mut()
            .unwrap()
            .insert("engine".into(), "hibari".into());
        let back: ScenarioMeta = serde_json::from_value(json).unwrap();
        assert_eq!(back, s.meta);
    }

    #[test]
    fn a_backchannel_in_an_espeak_voice_is_fitted_in_words_per_minute() {
        let voice = UserVoice {
            name: "en-us".into(),
            pitch: 50.0,
            speed: 170.0,
            seed: 0,
            engine: VoiceEngine::EspeakNg,
        };
        // 80 samples per word per minute: 2 s at 170 wpm, too long.
        struct Rate(Vec<f32>);
        impl Speak for Rate {
            fn speak(&mut self, _: &str, v: &UserVoice) -> Result<Vec<f32>, EvalError> {
                self.0.push(v.speed);
                Ok(vec![0.1; (32_000.0 * 170.0 / v.speed) as usize])
            }
        }
        let mut rate = Rate(Vec::new());
        let audio = fit_length(&mut rate, "uh-hmm", &voice, BACKCHANNEL_MS).unwrap();
        assert!(samples_to_ms(audio.len()) <= 700);
        assert!(
            rate.0[1] > 400.0 && rate.0[1].fract() == 0.0,
            "{:?}",
            rate.0
        );
    }

    #[test]
    fn set_level_hits_the_target() {
        let mut x: Vec<f32> = (0..16_000)
            .map(|i| 0.3 * (i as f32 * 0.05).sin())
            .chain(std::iter::repeat_n(0.0, 16_000))
            .collect();
        set_level(&mut x, -22.0);
        let l = active_level_dbfs(&x).unwrap();
        assert!((l + 22.0).abs() < 0.1, "{l}");
    }
}
