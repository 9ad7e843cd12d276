//! `meta.json`: what a scenario contains and how it is scored.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::EvalError;

/// The seven behaviours the suite measures.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A mid-thought pause: the assistant should wait.
    PauseHandling,
    /// A complete request: the assistant should answer, quickly.
    TurnTaking,
    /// The user cuts in while the assistant talks: it should stop and answer the new request.
    UserInterruption,
    /// The user says "mm-hm" while the assistant talks: it should keep going.
    UserBackchannel,
    /// The user talks to someone else: the assistant should stay quiet.
    TalkingToOthers,
    /// Other people talk in the background: the assistant should stay quiet.
    BackgroundSpeech,
    /// "ten, no, fifteen": the assistant should act on the corrected value.
    CourseCorrection,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::PauseHandling,
        Category::TurnTaking,
        Category::UserInterruption,
        Category::UserBackchannel,
        Category::TalkingToOthers,
        Category::BackgroundSpeech,
        Category::CourseCorrection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::PauseHandling => "pause_handling",
            Category::TurnTaking => "turn_taking",
            Category::UserInterruption => "user_interruption",
            Category::UserBackchannel => "user_backchannel",
            Category::TalkingToOthers => "talking_to_others",
            Category::BackgroundSpeech => "background_speech",
            Category::CourseCorrection => "course_correction",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
                format!("unknown category {s:?} (one of: {})", names.join(", "))
            })
    }
}

/// A span of the input, in milliseconds from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start_ms: u64,
    pub end_ms: u64,
}

impl Window {
    pub fn new(start_ms: u64, end_ms: u64) -> Window {
        Window { start_ms, end_ms }
    }

    pub fn duration_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }

    pub fn contains(&self, t_ms: u64) -> bool {
        self.start_ms <= t_ms && t_ms < self.end_ms
    }
}

/// Who is speaking in a segment of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The user, talking to the assistant.
    User,
    /// The user cutting in while the assistant talks.
    UserInterruption,
    /// The user's "mm-hm" while the assistant talks.
    UserBackchannel,
    /// The user, talking to someone else.
    UserToOther,
    /// Another person in the room (a second voice).
    OtherSpeaker,
    /// Speech in the background (a recording, well below the user's level).
    Background,
}

/// One stretch of speech in the input.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    pub role: Role,
}

/// The category's evaluation windows and expectations.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "category", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    /// Score the output words that start inside the pauses.
    PauseHandling { pauses: Vec<Window> },
    /// Score the output words after the end of the user's turn.
    TurnTaking { turn_end_ms: u64 },
    /// The request that starts a long answer, then the interruption.
    UserInterruption {
        request_end_ms: u64,
        interruption: Window,
    },
    /// The request that starts a long answer, then the backchannel.
    UserBackchannel {
        request_end_ms: u64,
        backchannel: Window,
    },
    /// Score the output words from the start of the other-directed speech.
    TalkingToOthers { onset_ms: u64 },
    /// Score the output words from the start of the background speech.
    BackgroundSpeech { onset_ms: u64 },
    /// Score the output words after the turn end; the answer must use an `expected` value and
    /// not a `rejected` one (words or digits, any of the spellings listed).
    CourseCorrection {
        turn_end_ms: u64,
        expected: Vec<String>,
        rejected: Vec<String>,
    },
}

impl Expect {
    pub fn category(&self) -> Category {
        match self {
            Expect::PauseHandling { .. } => Category::PauseHandling,
            Expect::TurnTaking { .. } => Category::TurnTaking,
            Expect::UserInterruption { .. } => Category::UserInterruption,
            Expect::UserBackchannel { .. } => Category::UserBackchannel,
            Expect::TalkingToOthers { .. } => Category::TalkingToOthers,
            Expect::BackgroundSpeech { .. } => Category::BackgroundSpeech,
            Expect::CourseCorrection { .. } => Category::CourseCorrection,
        }
    }

    /// Every time it mentions, for range checks.
    fn times(&self) -> Vec<u64> {
        match self {
            Expect::PauseHandling { pauses } => {
                pauses.iter().flat_map(|w| [w.start_ms, w.end_ms]).collect()
            }
            Expect::TurnTaking { turn_end_ms } => vec![*turn_end_ms],
            Expect::UserInterruption {
                request_end_ms,
                interruption: w,
            }
            | Expect::UserBackchannel {
                request_end_ms,
                backchannel: w,
            } => vec![*request_end_ms, w.start_ms, w.end_ms],
            Expect::TalkingToOthers { onset_ms } | Expect::BackgroundSpeech { onset_ms } => {
                vec![*onset_ms]
            }
            Expect::CourseCorrection { turn_end_ms, .. } => vec![*turn_end_ms],
        }
    }
}

/// Everything about one scenario but its audio.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioMeta {
    pub id: String,
    pub category: Category,
    pub description: String,
    pub duration_ms: u64,
    pub sample_rate_hz: u32,
    /// The user's voice (TTS pitch and speed).
    pub voice: UserVoice,
    pub segments: Vec<UserSegment>,
    pub expect: Expect,
}

/// The speech synthesizer behind a voice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VoiceEngine {
    /// Our own TTS (hibari): `pitch` and `speed` are multipliers around 1.0.
    #[default]
    #[serde(rename = "hibari")]
    Hibari,
    /// The `espeak-ng` program: `name` is an espeak voice (+variant), `pitch` is espeak's 0-99
    /// scale and `speed` is words per minute.
    #[serde(rename = "espeak-ng")]
    EspeakNg,
}

impl VoiceEngine {
    pub fn as_str(self) -> &'static str {
        match self {
            VoiceEngine::Hibari => "hibari",
            VoiceEngine::EspeakNg => "espeak-ng",
        }
    }

    /// The speeds the engine takes: hibari's multiplier, espeak-ng's words per minute.
    pub fn speed_range(self) -> [f32; 2] {
        match self {
            VoiceEngine::Hibari => [0.5, 2.0],
            VoiceEngine::EspeakNg => [80.0, 450.0],
        }
    }

    /// For serde: hibari, the default, is left out of `meta.json` (files stay as they were).
    pub fn is_hibari(&self) -> bool {
        *self == VoiceEngine::Hibari
    }
}

impl fmt::Display for VoiceEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The speech settings of the scenario's user.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserVoice {
    /// hibari: the spec's label for the voice; espeak-ng: the espeak voice, e.g. `en-029+f4`.
    pub name: String,
    /// hibari: a multiplier (1.0 = the model's own); espeak-ng: 0-99.
    pub pitch: f32,
    /// hibari: a multiplier (1.0 = the model's own); espeak-ng: words per minute.
    pub speed: f32,
    /// hibari's noise seed (espeak-ng is deterministic and ignores it).
    pub seed: u64,
    /// Absent in files written before espeak-ng voices existed: hibari.
    #[serde(default, skip_serializing_if = "VoiceEngine::is_hibari")]
    pub engine: VoiceEngine,
}

impl ScenarioMeta {
    /// Reads and checks `meta.json`.
    pub fn load(path: &Path) -> Result<ScenarioMeta, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
            path: path.to_owned(),
            source,
        })?;
        let meta: ScenarioMeta = serde_json::from_str(&text).map_err(|e| EvalError::Meta {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        meta.validate().map_err(|message| EvalError::Meta {
            path: path.to_owned(),
            message,
        })?;
        Ok(meta)
    }

    /// The checks a scorer relies on: the category agrees, times are inside the file and ordered.
    pub fn validate(&self) -> Result<(), String> {
        if self.expect.category() != self.category {
            return Err(format!(
                "category is {} but expect is for {}",
                self.category,
                self.expect.category()
            ));
        }
        if self.sample_rate_hz != super::SAMPLE_RATE_HZ {
            return Err(format!(
                "sample_rate_hz is {}, the suite is {} Hz",
                self.sample_rate_hz,
                super::SAMPLE_RATE_HZ
            ));
        }
        for s in &self.segments {
            if s.start_ms >= s.end_ms || s.end_ms > self.duration_ms {
                return Err(format!(
                    "segment {:?} ({}-{} ms) is empty or past duration_ms {}",
                    s.text, s.start_ms, s.end_ms, self.duration_ms
                ));
            }
        }
        if let Some(t) = self
            .expect
            .times()
            .into_iter()
            .find(|&t| t > self.duration_ms)
        {
            return Err(format!(
                "expect mentions {t} ms, past duration_ms {}",
                self.duration_ms
            ));
        }
        match &self.expect {
            Expect::PauseHandling { pauses } if pauses.is_empty() => {
                Err("pause_handling needs at least one pause".into())
            }
            Expect::CourseCorrection { expected, .. } if expected.is_empty() => {
                Err("course_correction needs at least one expected value".into())
            }
            _ => Ok(()),
        }
    }

    /// Writes `meta.json` (pretty-printed).
    pub fn save(&self, path: &Path) -> Result<(), EvalError> {
        let text = serde_json::to_string_pretty(self).expect("meta serializes");
        std::fs::write(path, text + "\n").map_err(|source| EvalError::Write {
            path: path.to_owned(),
            source,
        })
    }
}
