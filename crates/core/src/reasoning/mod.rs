//! The background reasoner: everything slow happens here, off the interaction thread.
//!
//! [`Reasoner::spawn`] starts a small tokio runtime of its own and returns a
//! [`ReasonerHandle`]. The interaction loop sends a [`Request`] (the conversation so far, the
//! user's text, partial or final, what the assistant last said and how much of it was heard,
//! and what the camera sees), and polls [`ReasonerHandle::try_recv`] at micro-turn boundaries
//! for [`ReasonerEvent`]s: streamed text, tool progress, controls, the final answer, and
//! timers that came due. [`ReasonerHandle::update`] restarts a request with corrected text,
//! [`ReasonerHandle::cancel`] stops its work (tasks are aborted, HTTP streams closed).
//!
//! Answers come from the built-in [`skills`] first (time, timers and reminders, arithmetic and
//! units, notes, conversation history, speech controls, the camera, help). What they cannot
//! answer goes to a local LLM when `llm.enabled` (see [`llm`]), with the skills offered to it
//! as tools; when the LLM fails or is too slow the user hears a short apology and the skills'
//! honest fallback within 2 s. Every turn is written to the [`crate::store`] before reasoning.

pub mod clock;
mod handle;
#[cfg(test)]
mod handle_tests;
pub mod llm;
pub mod normalize;
pub mod numbers;
mod options;
mod pronouns;
mod run;
pub mod skills;
pub mod timers;
mod unit_words;

use serde::{Deserialize, Serialize};

pub use clock::WallClock;
pub use handle::{Reasoner, ReasonerError, ReasonerHandle};
pub use normalize::Utterance;
pub use options::ReasonerOptions;
pub use run::PLAIN_SYSTEM_PROMPT;
pub use timers::TimerKind;

/// Identifies one request for its whole life, across updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub u64);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One utterance of the conversation so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub text: String,
}

impl Message {
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            text: text.into(),
        }
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            text: text.into(),
        }
    }
}

/// What the assistant said last and how much of it the user heard before cutting in.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AssistantContext {
    /// The whole utterance the assistant meant to say.
    pub said: String,
    /// The part that was actually played before the user cut in; equal to `said` when it
    /// finished.
    pub heard: String,
    /// The request that produced `said`, so the interruption point is stored with its turn.
    pub request: Option<RequestId>,
}

impl AssistantContext {
    /// The part of `said` the user did not hear.
    pub fn unheard(&self) -> &str {
        let heard = self.heard.trim();
        match self.said.find(heard) {
            Some(at) if !heard.is_empty() => self.said[at + heard.len()..].trim_start(),
            _ if heard.is_empty() => self.said.as_str(),
            _ => "",
        }
    }
}

/// Reads the text in the camera's current view on demand ("read this"); the vision stage
/// implements it ([`crate::vision::TextReader`]). Reading takes about a second, so skills call
/// it only on final text, from the reasoner's blocking pool, never from the interaction loop.
pub trait TextSource: Send + Sync + std::fmt::Debug {
    /// The text in the latest camera frame: `Ok(None)` without a recent frame, an empty
    /// string when the frame has no legible text. `Err` says what failed (a missing model...).
    fn read_text(&self) -> Result<Option<String>, String>;
}

/// What the camera sees, as the vision stage summarizes it. Kept small on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VisualContext {
    /// Someone is in view.
    pub person_present: bool,
    /// The person in view is facing the screen.
    pub facing: bool,
    /// How many faces are in view.
    pub faces: u32,
    /// Text read from the frame, when there was any. The live loop leaves it `None`; a
    /// reasoner with a [`TextSource`] reads the frame when the user asks.
    pub ocr_text: Option<String>,
}

/// One thing for the reasoner to answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Request {
    /// The conversation so far, oldest first. When empty, the reasoner uses the most recent
    /// turns from the store.
    pub history: Vec<Message>,
    /// What the user said, as ASR wrote it.
    pub user_text: String,
    /// False for a partial transcript: the reasoner answers only what has no side effects
    /// (time, math, recall...) and waits for the final text before setting timers, saving
    /// notes, acting on controls or calling the LLM.
    pub user_final: bool,
    pub assistant: Option<AssistantContext>,
    /// `None` when the camera is off.
    pub visual: Option<VisualContext>,
    /// How sure speech recognition was of `user_text` (the mean log-probability of its
    /// tokens); `None` for typed text.
    #[serde(default)]
    pub asr_logprob: Option<f32>,
}

pub use crate::interaction::UNSURE_LOGPROB;

impl Request {
    /// A request for a final transcript.
    pub fn new(user_text: impl Into<String>) -> Self {
        Self {
            user_text: user_text.into(),
            user_final: true,
            ..Self::default()
        }
    }

    /// A request for a partial transcript; see [`Request::user_final`].
    pub fn partial(user_text: impl Into<String>) -> Self {
        Self {
            user_text: user_text.into(),
            user_final: false,
            ..Self::default()
        }
    }

    pub fn with_history(mut self, history: Vec<Message>) -> Self {
        self.history = history;
        self
    }

    pub fn with_visual(mut self, visual: VisualContext) -> Self {
        self.visual = Some(visual);
        self
    }

    pub fn with_assistant(mut self, assistant: AssistantContext) -> Self {
        self.assistant = Some(assistant);
        self
    }

    pub fn with_asr_logprob(mut self, logprob: f32) -> Self {
        self.asr_logprob = Some(logprob);
        self
    }

    /// Speech recognition was unsure of the words: asking again beats answering a guess.
    pub fn misheard(&self) -> bool {
        self.asr_logprob.is_some_and(|lp| lp < UNSURE_LOGPROB)
    }
}

/// Something the interaction loop does rather than says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Control {
    /// Stop speaking now.
    Stop,
    /// Say the last answer again (its text is the `Final` that follows).
    Repeat,
    /// Finish the interrupted answer (its unheard rest is the `Final` that follows).
    Continue,
    /// Speak more slowly from now on.
    Slower,
    /// Speak faster from now on.
    Faster,
    /// Speak louder from now on.
    Louder,
    /// Speak more quietly from now on.
    Quieter,
    /// The words were misheard: the answer (the `Final` that follows) asks the user to say
    /// them again, and the user going on while it plays continues their turn.
    AskAgain,
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Skill,
    Llm,
    /// The LLM failed; an apology and the skills' answer.
    Fallback,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skill => "skill",
            Self::Llm => "llm",
            Self::Fallback => "fallback",
        }
    }
}

/// What the reasoner hands back. `revision` counts [`ReasonerHandle::update`]s: events of an
/// older revision of the same request are superseded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReasonerEvent {
    /// A piece of the answer, to speak as it streams. The chunks of one revision add up to
    /// its `Final` text.
    Chunk {
        id: RequestId,
        revision: u32,
        text: String,
    },
    /// No skill answers: the language model does, and its first words take a while. The loop
    /// may say "one moment" at once rather than wait to see whether an answer comes quickly.
    SlowAnswer { id: RequestId, revision: u32 },
    /// What a tool is doing, e.g. "checking the timer...": a cue the loop may voice.
    ToolProgress {
        id: RequestId,
        revision: u32,
        text: String,
    },
    /// Act on this; the matching `Final` carries any words to say with it.
    Control {
        id: RequestId,
        revision: u32,
        control: Control,
    },
    /// The whole answer. Empty text means nothing to say ("okay", "stop").
    Final {
        id: RequestId,
        revision: u32,
        text: String,
        source: Source,
        /// The skill that answered, when one did.
        skill: Option<String>,
        /// Request to first chunk, and request to this event.
        first_output_ms: Option<u64>,
        total_ms: u64,
    },
    /// A partial transcript has no speculative answer (it needs the final text, or the
    /// LLM): nothing more comes for this revision.
    NeedsFinal { id: RequestId, revision: u32 },
    /// The request could not be answered at all; `message` is safe to speak.
    Failed {
        id: RequestId,
        revision: u32,
        message: String,
    },
    /// A timer or reminder came due: announce it at the next polite moment, never over the
    /// user's speech.
    TimerDue {
        timer_id: i64,
        kind: TimerKind,
        label: Option<String>,
        text: String,
        /// How late the announcement is, e.g. after a restart.
        late_ms: u64,
    },
}

impl ReasonerEvent {
    /// The request this event belongs to; `None` for timers.
    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Self::Chunk { id, .. }
            | Self::ToolProgress { id, .. }
            | Self::SlowAnswer { id, .. }
            | Self::Control { id, .. }
            | Self::Final { id, .. }
            | Self::NeedsFinal { id, .. }
            | Self::Failed { id, .. } => Some(*id),
            Self::TimerDue { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unheard_is_the_rest_after_the_heard_part() {
        let a = AssistantContext {
            said: "It is 3 PM. You have one timer running.".into(),
            heard: "It is 3 PM.".into(),
            request: None,
        };
        assert_eq!(a.unheard(), "You have one timer running.");
        let none_heard = AssistantContext {
            heard: String::new(),
            ..a.clone()
        };
        assert_eq!(none_heard.unheard(), a.said);
    }

    /// The test LLM server lives in its own unpublished crate, `tandem-test-llm`, and no crate
    /// of the workspace takes it as a normal or build dependency (only dev-dependencies may),
    /// so nothing that ships contains it. `scripts/check-release.sh` checks the built binaries
    /// themselves.
    #[test]
    fn the_test_server_is_only_a_dev_dependency() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let read = |p: &str| -> toml::Table {
            let path = root.join(p);
            toml::from_str(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        let test_llm = read("crates/test-llm/Cargo.toml");
        assert_eq!(
            test_llm["package"]["name"].as_str(),
            Some("tandem-test-llm")
        );
        assert_eq!(test_llm["package"]["publish"].as_bool(), Some(false));
        let workspace = read("Cargo.toml");
        let members = workspace["workspace"]["members"].as_array().unwrap();
        let mut dev_only = 0;
        for member in members {
            let manifest = read(&format!("{}/Cargo.toml", member.as_str().unwrap()));
            for section in ["dependencies", "build-dependencies"] {
                assert!(
                    manifest
                        .get(section)
                        .and_then(|d| d.get("tandem-test-llm"))
                        .is_none(),
                    "{member} [{section}] takes the test LLM server"
                );
            }
            if let Some(dev) = manifest.get("dev-dependencies") {
                dev_only += usize::from(dev.get("tandem-test-llm").is_some());
            }
        }
        assert!(dev_only > 0, "the tests still get the test server");
    }
}
