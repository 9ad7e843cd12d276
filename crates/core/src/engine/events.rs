//! What the engine reports: [`Event`]s (the `tandem duplex --events` contract: `t_ms` plus
//! `kind`).

use serde::Serialize;

use super::*;

/// One thing the engine did or noticed, at `t_ms` of audio time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Event {
    pub t_ms: Ms,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Floor {
        floor: Floor,
    },
    VoiceStart {
        onset_ms: Ms,
        level_db: f32,
    },
    VoiceEnd {
        end_ms: Ms,
    },
    Partial {
        text: String,
        stable: String,
        /// Estimated word times (Whisper runs without timestamps).
        words: Vec<Word>,
        compute_ms: f32,
    },
    Final {
        text: String,
        words: Vec<Word>,
        /// The text model's verdict on the words (`--policy model`).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        judged: Option<TextProbs>,
        /// How sure the recognizer was of the words: the mean log-probability of its tokens.
        avg_logprob: f32,
        compute_ms: f32,
    },
    EndOfTurn {
        probability: f32,
        compute_ms: f32,
    },
    /// Whose voice a run of speech was: its similarity to the user's voice (sent once the
    /// user's voice is learned from a request).
    Voice {
        start_ms: Ms,
        end_ms: Ms,
        similarity: f32,
    },
    /// The first audio of an utterance was queued for playback.
    SpeakStart {
        text: String,
        speech: SpeechKind,
    },
    SpeakStop {
        heard: String,
    },
    BargeIn {
        heard: String,
    },
    Backchannel {
        phrase: String,
    },
    Duck,
    Unduck,
    Hold,
    Release,
    ReasoningRequest {
        id: u64,
        text: String,
        speculative: bool,
        interrupted: Option<String>,
    },
    ReasoningCancel {
        id: u64,
    },
    ReasoningResult {
        id: u64,
        text: String,
        source: String,
    },
    /// A turn the loop answers, with what told it the turn was for us (`Action::TurnTaken`).
    TurnTaken {
        by_ear: Option<f32>,
        by_words: Option<f32>,
    },
    NotAddressed {
        text: String,
        /// In words, for people reading the log.
        reason: String,
        /// The same, typed, for tools.
        why: NotAddressedReason,
    },
    /// What the camera says about the user changed (or the camera went on or off: `null`
    /// fields mean off).
    Visual {
        present: Option<bool>,
        facing: Option<bool>,
        faces: Option<u32>,
        yaw_deg: Option<f32>,
    },
    Error {
        stage: String,
        message: String,
    },
}
