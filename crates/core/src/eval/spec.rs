//! The scenario spec (`tests/scenarios/spec.toml`): voices, pinned development recordings, and
//! per category the timing and the lines the user says. The generator expands it, deterministically.

use std::path::Path;

use super::EvalError;
use super::meta::Category;

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
            if item.start_ms > MAX_RECORDING_MS || item.duration_ms > MAX_RECORDING_MS {
                return Err(format!(
                    "background_speech {:?} at {} ms for {} ms: at most {MAX_RECORDING_MS} ms each",
                    item.recording, item.start_ms, item.duration_ms
                ));
            }
            if !(-60.0..=20.0).contains(&item.level_db) {
                return Err(format!(
                    "background_speech {:?}: level_db {} is not between -60 and 20",
                    item.recording, item.level_db
                ));
            }
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
mod tests {
    use super::*;

    const SPEC: &str = include_str!("../../../../tests/scenarios/spec.toml");

    fn parse(text: &str) -> Result<Spec, String> {
        Spec::parse(Path::new("spec.toml"), text).map_err(|e| e.to_string())
    }

    /// Times and levels a generator cannot turn into sound (hours of silence, NaN dB) are
    /// refused with the field's name, before anything is allocated for them.
    #[test]
    fn times_and_levels_out_of_range_are_refused() {
        assert!(parse(SPEC).is_ok());
        for (from, to, field) in [
            (
                "lead_silence_ms = [500, 1000]",
                "lead_silence_ms = [500, 1000000000000]",
                "lead_silence_ms",
            ),
            ("tail_ms = 6000", "tail_ms = 9000000000000000000", "tail_ms"),
            ("gap_ms = [2500, 4000]", "gap_ms = [0, 99999999]", "gap_ms"),
            ("pause_ms = 1500", "pause_ms = 86400000", "pause_ms"),
            (
                "user_level_dbfs = -22.0",
                "user_level_dbfs = nan",
                "user_level_dbfs",
            ),
            (
                "start_ms = 1000,",
                "start_ms = 9223372036854775807,",
                "background_speech",
            ),
            ("level_db = -20.0,", "level_db = inf,", "level_db"),
            (
                "{ text = \"What time is it?\" }",
                "{ text = \" ?! \" }",
                "no words",
            ),
        ] {
            assert!(SPEC.contains(from), "{from}");
            let m = parse(&SPEC.replacen(from, to, 1)).expect_err(to);
            assert!(m.contains(field), "{m}");
        }
    }
}
