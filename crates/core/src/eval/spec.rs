//! The scenario spec (`tests/scenarios/spec.toml`): voices, pinned development recordings, and
//! per category the timing and the lines the user says. The generator expands it, deterministically.

use std::path::Path;

use super::EvalError;
use super::meta::Category;

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
    pub pause_handling: Section<PauseItem>,
    pub turn_taking: Section<TurnItem>,
    pub user_interruption: Section<InterruptionItem>,
    pub user_backchannel: Section<BackchannelItem>,
    pub talking_to_others: Section<OthersItem>,
    pub background_speech: Section<BackgroundItem>,
    pub course_correction: Section<CorrectionItem>,
}

/// A user voice: TTS pitch and speed.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceSpec {
    pub name: String,
    pub pitch: f32,
    pub speed: f32,
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
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundItem {
    /// A `recordings` file name.
    pub recording: String,
    pub start_ms: u64,
    pub duration_ms: u64,
    /// Level relative to the user's level, dB (e.g. -22).
    pub level_db: f32,
    /// What is said in that excerpt, roughly (for people).
    #[serde(default)]
    pub text: String,
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
        for v in &self.voices {
            if !(0.5..=2.0).contains(&v.pitch) || !(0.5..=2.0).contains(&v.speed) {
                return Err(format!("voice {}: pitch and speed must be 0.5-2.0", v.name));
            }
        }
        let [a, b] = self.lead_silence_ms;
        if a > b {
            return Err(format!("lead_silence_ms [{a}, {b}] is not [min, max]"));
        }
        for item in &self.background_speech.items {
            if !self.recordings.iter().any(|r| r.file == item.recording) {
                return Err(format!(
                    "background_speech uses {:?}, which is not in [[recordings]]",
                    item.recording
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
