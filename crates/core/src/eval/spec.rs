//! The scenario spec (`tests/scenarios/spec.toml`): voices, pinned development recordings, and
//! per category the timing and the lines the user says. The generator expands it, deterministically.

use std::path::Path;

use super::EvalError;
use super::meta::{Category, UserVoice, VoiceEngine};

/// The longest silence, gap or pause a spec may ask for: a scenario is seconds long, and a
/// typo of a few zeros must not become gigabytes of silence.
const MAX_GAP_MS: u64 = 60_000;
/// The furthest into a recording, and the longest excerpt, a spec may ask for.
const MAX_RECORDING_MS: u64 = 3_600_000;

/// The whole spec.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub version: u32,
    /// The user's speech level (RMS over the active part), dBFS.
    pub user_level_dbfs: f32,
    /// Silence before the first speech, `[min, max]` ms.
    pub lead_silence_ms: [u64; 2],
    pub voices: Vec<VoiceSpec>,
    #[serde(default)]
    pub recordings: Vec<RecordingSpec>,
    // A spec may leave any category out (a probe of two categories): no items.
    #[serde(default)]
    pub pause_handling: Section<PauseItem>,
    #[serde(default)]
    pub turn_taking: Section<TurnItem>,
    #[serde(default)]
    pub user_interruption: Section<InterruptionItem>,
    #[serde(default)]
    pub user_backchannel: Section<BackchannelItem>,
    #[serde(default)]
    pub talking_to_others: Section<OthersItem>,
    #[serde(default)]
    pub background_speech: Section<BackgroundItem>,
    #[serde(default)]
    pub course_correction: Section<CorrectionItem>,
}

/// A voice: our own TTS (hibari, the default: `pitch` and `speed` multipliers) or the
/// `espeak-ng` program (`name` is an espeak voice with an optional `+variant`, `pitch` 0-99,
/// `speed_wpm`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceSpec {
    /// hibari: a label; espeak-ng: the voice (`en-gb-scotland+m3`). Unique within the spec:
    /// items name voices by it.
    pub name: String,
    #[serde(default)]
    pub engine: VoiceEngine,
    /// hibari: a multiplier, 0.5-2.0; espeak-ng: 0-99.
    pub pitch: f32,
    /// hibari only: a multiplier, 0.5-2.0.
    #[serde(default)]
    pub speed: Option<f32>,
    /// espeak-ng only: words per minute.
    #[serde(default)]
    pub speed_wpm: Option<u32>,
}

impl VoiceSpec {
    /// The speed in the engine's own unit (see [`UserVoice`]).
    pub fn engine_speed(&self) -> f32 {
        match self.engine {
            VoiceEngine::Hibari => self.speed.unwrap_or(1.0),
            VoiceEngine::EspeakNg => self.speed_wpm.map_or(175.0, |w| w as f32),
        }
    }

    /// The voice as a scenario's `meta.json` records it.
    pub fn user_voice(&self, seed: u64) -> UserVoice {
        UserVoice {
            name: self.name.clone(),
            pitch: self.pitch,
            speed: self.engine_speed(),
            seed,
            engine: self.engine,
        }
    }

    fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        match self.engine {
            VoiceEngine::Hibari => {
                let Some(speed) = self.speed else {
                    return Err(format!("voice {name}: hibari needs `speed` (a multiplier)"));
                };
                if self.speed_wpm.is_some() {
                    return Err(format!(
                        "voice {name}: `speed_wpm` is for espeak-ng voices; hibari takes `speed`"
                    ));
                }
                if !(0.5..=2.0).contains(&self.pitch) || !(0.5..=2.0).contains(&speed) {
                    return Err(format!("voice {name}: pitch and speed must be 0.5-2.0"));
                }
            }
            VoiceEngine::EspeakNg => {
                let [lo, hi] = VoiceEngine::EspeakNg.speed_range();
                let Some(wpm) = self.speed_wpm else {
                    return Err(format!(
                        "voice {name}: espeak-ng needs `speed_wpm` (words per minute)"
                    ));
                };
                if self.speed.is_some() {
                    return Err(format!(
                        "voice {name}: `speed` is for hibari voices; espeak-ng takes `speed_wpm`"
                    ));
                }
                if !(lo..=hi).contains(&(wpm as f32)) {
                    return Err(format!("voice {name}: speed_wpm must be {lo}-{hi}"));
                }
                if !(0.0..=99.0).contains(&self.pitch) || self.pitch.fract() != 0.0 {
                    return Err(format!(
                        "voice {name}: an espeak-ng pitch is a whole number 0-99"
                    ));
                }
                let ok = |c: char| c.is_ascii_alphanumeric() || "-_+".contains(c);
                if name.is_empty() || name.starts_with(['-', '+']) || !name.chars().all(ok) {
                    return Err(format!(
                        "voice {name:?}: not an espeak-ng voice name (like en-gb-scotland+m3; \
                         see `espeak-ng --voices=en` and `espeak-ng --voices=variant`)"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A development recording (real speech), pinned by hash.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingSpec {
    /// File name inside the development-speech directory.
    pub file: String,
    pub sha256: String,
    /// Where it comes from (package and path), for people.
    pub source: String,
}

/// A category: its timing and its items (one scenario each).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section<T> {
    /// Silence after the last speech, ms.
    pub tail_ms: u64,
    /// The category's own gap range `[min, max]` ms (pause length, delay of the interruption or
    /// backchannel after the request, delay of the other speaker's reply); items may override.
    #[serde(default)]
    pub gap_ms: Option<[u64; 2]>,
    pub items: Vec<T>,
}

/// A category left out of a spec: no items.
impl<T> Default for Section<T> {
    fn default() -> Self {
        Section {
            tail_ms: 0,
            gap_ms: None,
            items: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseItem {
    /// The incomplete first part ("I was thinking about").
    pub first: String,
    /// The rest ("the trip next week.").
    pub second: String,
    pub pause_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnItem {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptionItem {
    /// A request with a long answer.
    pub request: String,
    /// What the user cuts in with.
    pub interruption: String,
    /// Delay from the end of the request to the cut-in.
    pub after_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackchannelItem {
    pub request: String,
    /// "mm-hm", "yeah"...; fitted to 0.3-0.7 s.
    pub backchannel: String,
    pub after_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OthersItem {
    /// What the user says to someone else.
    pub text: String,
    /// The other person's answer, in a different voice.
    pub reply: Option<String>,
    /// The voice (a `voices` name) of that answer; default: one picked by position.
    #[serde(default)]
    pub reply_voice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundItem {
    /// A `recordings` file name; or leave it out and give `lines`.
    #[serde(default)]
    pub recording: Option<String>,
    /// Where the excerpt of the recording starts.
    #[serde(default)]
    pub start_ms: u64,
    /// How long the excerpt of the recording is (recordings only).
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// Level relative to the user's level, dB (e.g. -22).
    pub level_db: f32,
    /// What is said in that excerpt, roughly (for people).
    #[serde(default)]
    pub text: String,
    /// Instead of a recording: these lines, spoken one after another by `voice` (gaps from the
    /// section's `gap_ms`).
    #[serde(default)]
    pub lines: Vec<String>,
    /// The voice (a `voices` name) of `lines`; default: one picked by position.
    #[serde(default)]
    pub voice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionItem {
    pub text: String,
    /// The corrected value, in every spelling that counts ("fifteen", "15").
    pub expected: Vec<String>,
    /// The value the user took back.
    pub rejected: Vec<String>,
}

impl Spec {
    /// Parses spec text; `path` only names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Spec, EvalError> {
        let err = |message: String| EvalError::Spec {
            path: path.to_owned(),
            message,
        };
        let spec: Spec = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        spec.validate().map_err(err)?;
        Ok(spec)
    }

    /// Reads and parses a spec file.
    pub fn load(path: &Path) -> Result<Spec, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
            path: path.to_owned(),
            source,
        })?;
        Spec::parse(path, &text)
    }

    fn validate(&self) -> Result<(), String> {
        if self.version != 1 {
            return Err(format!("version {} is not 1", self.version));
        }
        if self.voices.len() < 2 {
            return Err("needs at least two voices (the user and another speaker)".into());
        }
        for (i, v) in self.voices.iter().enumerate() {
            v.validate()?;
            if self.voices[..i].iter().any(|w| w.name == v.name) {
                return Err(format!("two voices are named {:?}", v.name));
            }
        }
        let known_voice = |what: &str, name: &Option<String>| match name {
            Some(n) if !self.voices.iter().any(|v| &v.name == n) => Err(format!(
                "{what} uses the voice {n:?}, which is not in [[voices]]"
            )),
            _ => Ok(()),
        };
        for item in &self.talking_to_others.items {
            known_voice("talking_to_others", &item.reply_voice)?;
        }
        let [a, b] = self.lead_silence_ms;
        if a > b {
            return Err(format!("lead_silence_ms [{a}, {b}] is not [min, max]"));
        }
        if !(-60.0..=0.0).contains(&self.user_level_dbfs) {
            return Err(format!(
                "user_level_dbfs {} is not between -60 and 0",
                self.user_level_dbfs
            ));
        }
        for (what, text) in self.lines() {
            if !text.chars().any(char::is_alphanumeric) {
                return Err(format!("{what} {text:?} has no words to say"));
            }
        }
        for (what, ms) in self.timings() {
            if ms > MAX_GAP_MS {
                return Err(format!("{what} is {ms} ms; at most {MAX_GAP_MS} ms"));
            }
        }
        for item in &self.background_speech.items {
            known_voice("background_speech", &item.voice)?;
            match (&item.recording, item.lines.is_empty()) {
                (Some(file), true) => {
                    if !self.recordings.iter().any(|r| &r.file == file) {
                        return Err(format!(
                            "background_speech uses {file:?}, which is not in [[recordings]]"
                        ));
                    }
                    if item.duration_ms.is_none_or(|d| d == 0) {
                        return Err(format!("background_speech from {file:?} needs duration_ms"));
                    }
                    let long = item.duration_ms.unwrap_or(0);
                    if item.start_ms > MAX_RECORDING_MS || long > MAX_RECORDING_MS {
                        return Err(format!(
                            "background_speech {file:?} at {} ms for {long} ms: at most {MAX_RECORDING_MS} ms each",
                            item.start_ms
                        ));
                    }
                }
                (None, false) => {}
                _ => {
                    return Err("a background_speech item has either `recording` or `lines`".into());
                }
            }
            if !(-60.0..=0.0).contains(&item.level_db) {
                return Err(format!(
                    "background_speech level_db {} is not -60 to 0 (relative to the user)",
                    item.level_db
                ));
            }
        }
        for item in &self.course_correction.items {
            if item.expected.is_empty() {
                return Err(format!(
                    "course_correction {:?}: no expected value",
                    item.text
                ));
            }
        }
        Ok(())
    }

    /// Every line a voice says, by the field it is in.
    fn lines(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for i in &self.pause_handling.items {
            out.extend([("first", i.first.as_str()), ("second", i.second.as_str())]);
        }
        out.extend(
            self.turn_taking
                .items
                .iter()
                .map(|i| ("text", i.text.as_str())),
        );
        for i in &self.user_interruption.items {
            out.extend([
                ("request", i.request.as_str()),
                ("interruption", i.interruption.as_str()),
            ]);
        }
        for i in &self.user_backchannel.items {
            out.extend([
                ("request", i.request.as_str()),
                ("backchannel", i.backchannel.as_str()),
            ]);
        }
        for i in &self.talking_to_others.items {
            out.push(("text", i.text.as_str()));
            out.extend(i.reply.as_deref().map(|r| ("reply", r)));
        }
        for i in &self.background_speech.items {
            out.extend(
                i.lines
                    .iter()
                    .map(|l| ("background_speech.lines", l.as_str())),
            );
        }
        out.extend(
            self.course_correction
                .items
                .iter()
                .map(|i| ("text", i.text.as_str())),
        );
        out
    }

    /// Every silence, gap and pause the spec sets, by name: each becomes samples of a scenario.
    fn timings(&self) -> Vec<(&'static str, u64)> {
        let mut out = vec![
            ("lead_silence_ms", self.lead_silence_ms[1]),
            ("pause_handling.tail_ms", self.pause_handling.tail_ms),
            ("turn_taking.tail_ms", self.turn_taking.tail_ms),
            ("user_interruption.tail_ms", self.user_interruption.tail_ms),
            ("user_backchannel.tail_ms", self.user_backchannel.tail_ms),
            ("talking_to_others.tail_ms", self.talking_to_others.tail_ms),
            ("background_speech.tail_ms", self.background_speech.tail_ms),
            ("course_correction.tail_ms", self.course_correction.tail_ms),
        ];
        let gaps = [
            ("pause_handling.gap_ms", self.pause_handling.gap_ms),
            ("turn_taking.gap_ms", self.turn_taking.gap_ms),
            ("user_interruption.gap_ms", self.user_interruption.gap_ms),
            ("user_backchannel.gap_ms", self.user_backchannel.gap_ms),
            ("talking_to_others.gap_ms", self.talking_to_others.gap_ms),
            ("background_speech.gap_ms", self.background_speech.gap_ms),
            ("course_correction.gap_ms", self.course_correction.gap_ms),
        ];
        out.extend(
            gaps.iter()
                .filter_map(|(w, g)| g.map(|[a, b]| (*w, a.max(b)))),
        );
        let items = self
            .pause_handling
            .items
            .iter()
            .map(|i| ("pause_ms", i.pause_ms));
        let items = items
            .chain(
                self.user_interruption
                    .items
                    .iter()
                    .map(|i| ("after_ms", i.after_ms)),
            )
            .chain(
                self.user_backchannel
                    .items
                    .iter()
                    .map(|i| ("after_ms", i.after_ms)),
            );
        out.extend(items.filter_map(|(w, ms)| ms.map(|ms| (w, ms))));
        out
    }

    /// How many items a category has.
    pub fn count(&self, category: Category) -> usize {
        match category {
            Category::PauseHandling => self.pause_handling.items.len(),
            Category::TurnTaking => self.turn_taking.items.len(),
            Category::UserInterruption => self.user_interruption.items.len(),
            Category::UserBackchannel => self.user_backchannel.items.len(),
            Category::TalkingToOthers => self.talking_to_others.items.len(),
            Category::BackgroundSpeech => self.background_speech.items.len(),
            Category::CourseCorrection => self.course_correction.items.len(),
        }
    }
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
