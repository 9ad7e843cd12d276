//! Built-in skills: the answers Tandem gives with no LLM at all.
//!
//! [`answer`] tries each skill in turn on a normalized [`Utterance`]. Skills are plain
//! functions over tokens (numbers already digits, fillers and corrections already applied),
//! so they are fast enough to run on every partial transcript. A skill that would change
//! something (a timer, a note, a control) runs only on final text; on a partial one it
//! returns [`Outcome::NeedsFinal`].

mod amend;
mod calendar;
mod chance;
mod chat;
mod clock;
mod clock_time;
mod control;
mod devices;
mod history;
pub mod math;
mod notes;
mod offline;
pub mod timer;
mod undo;
pub mod units;
mod vision;

use jiff::ZonedDateTime;

use super::normalize::Utterance;
use super::timers::TimerTable;
use super::{AssistantContext, Control, Message, TextSource, VisualContext};
use crate::store::Store;

pub use super::pronouns::flip_pronouns;
pub use chat::{MISHEARD_SKILL, MISHEARD_TEXT, help_text, unknown_text};
pub use clock::{speak_clock, speak_date};
pub(crate) use notes::{recall as recall_notes, remember as remember_note};
pub(crate) use vision::describe as describe_view;

/// What a skill may look at and act on.
#[derive(Debug, Clone, Copy)]
pub struct SkillEnv<'a> {
    /// Local wall-clock time.
    pub now: &'a ZonedDateTime,
    pub store: &'a Store,
    pub timers: &'a TimerTable,
    pub visual: Option<&'a VisualContext>,
    /// Reads text in the camera's view on demand (slow: final text only).
    pub text_source: Option<&'a dyn TextSource>,
    /// The conversation so far, oldest first, without the current utterance.
    pub history: &'a [Message],
    pub assistant: Option<&'a AssistantContext>,
    /// False for a partial transcript: no side effects.
    pub commit: bool,
    /// Whether a language model is configured, for help and fallback wording.
    pub llm_enabled: bool,
    /// Set when the request is cancelled or superseded: side effects commit through it.
    pub cancel: &'a CancelToken,
}

/// A request's cancellation, shared by the reasoner's coordinator and the skills it runs.
/// Skills run on the blocking pool, where aborting the task cannot reach them, so every side
/// effect (a timer, a reminder, a note) commits through [`CancelToken::commit`]: once
/// [`CancelToken::cancel`] has returned, nothing of the request is written any more.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(std::sync::Arc<std::sync::Mutex<bool>>);

impl CancelToken {
    fn lock(&self) -> std::sync::MutexGuard<'_, bool> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cancels; waits for a commit in progress (one store write) to finish.
    pub fn cancel(&self) {
        *self.lock() = true;
    }

    pub fn is_cancelled(&self) -> bool {
        *self.lock()
    }

    /// Runs `write` unless cancelled; a cancellation cannot slip in while it runs.
    pub fn commit<T>(&self, write: impl FnOnce() -> T) -> Option<T> {
        let cancelled = self.lock();
        (!*cancelled).then(write)
    }
}

impl SkillEnv<'_> {
    pub(crate) fn now_ms(&self) -> i64 {
        self.now.timestamp().as_millisecond()
    }

    /// What the user said last before the current utterance (the request a question of ours
    /// asked about).
    pub(crate) fn last_user_text(&self) -> Option<&str> {
        self.last_in_history(super::Role::User)
    }

    /// The history's last non-empty message of `role`.
    fn last_in_history(&self, role: super::Role) -> Option<&str> {
        self.history
            .iter()
            .rev()
            .find(|m| m.role == role && !m.text.is_empty())
            .map(|m| m.text.as_str())
    }

    /// What the assistant said last: the interrupted utterance, else the history's.
    pub(crate) fn last_assistant_text(&self) -> Option<&str> {
        self.assistant
            .map(|a| a.said.as_str())
            .filter(|s| !s.is_empty())
            .or_else(|| self.last_in_history(super::Role::Assistant))
    }
}

/// A skill's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillAnswer {
    /// Which skill answered: `clock`, `timer`, `math`, `units`, `notes`, `history`, `vision`,
    /// `control`, `help`, `chat`, `calendar`, `offline`, `devices`.
    pub skill: &'static str,
    /// What to say; empty for nothing.
    pub text: String,
    pub control: Option<Control>,
    /// A progress cue for tools that take a moment ("checking the timer...").
    pub progress: Option<&'static str>,
}

impl SkillAnswer {
    pub(crate) fn say(skill: &'static str, text: impl Into<String>) -> Self {
        Self {
            skill,
            text: text.into(),
            control: None,
            progress: None,
        }
    }

    pub(crate) fn with_progress(mut self, progress: &'static str) -> Self {
        self.progress = Some(progress);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Answer(SkillAnswer),
    /// A skill understood this but would change something; ask again with the final text.
    NeedsFinal,
    /// No skill understood this.
    Unknown,
    /// The request was cancelled before its side effect committed: nothing was done.
    Cancelled,
}

/// Gives an effectful skill's answer only on final text.
pub(crate) fn effect(env: &SkillEnv<'_>, run: impl FnOnce() -> SkillAnswer) -> Outcome {
    if !env.commit {
        return Outcome::NeedsFinal;
    }
    env.cancel
        .commit(run)
        .map_or(Outcome::Cancelled, Outcome::Answer)
}

/// One skill: `None` when the words are not for it.
type Skill = fn(&[String], &SkillEnv<'_>) -> Option<Outcome>;

/// Answers `utterance` with the built-in skills.
pub fn answer(utterance: &Utterance, env: &SkillEnv<'_>) -> Outcome {
    if utterance.is_empty() {
        // Only fillers: nothing to say.
        return Outcome::Answer(SkillAnswer::say("chat", ""));
    }
    let toks = strip_polite(&utterance.tokens);
    // Order matters: the most specific phrasings first.
    let skills: [Skill; 17] = [
        control::follow_up,
        undo::answer,
        control::answer,
        amend::answer,
        history::answer,
        timer::answer,
        notes::answer,
        vision::answer,
        calendar::answer,
        clock::answer,
        units::answer,
        chance::answer,
        math::answer,
        devices::answer,
        offline::answer,
        chat::answer,
        notes::answer_question,
    ];
    skills
        .iter()
        .find_map(|skill| skill(toks, env))
        .unwrap_or(Outcome::Unknown)
}

/// Drops polite openings that carry no meaning: "can you", "could you please", "i want you
/// to", "tell me".
pub(crate) fn strip_polite(tokens: &[String]) -> &[String] {
    const OPENINGS: &[&[&str]] = &[
        &["i", "would", "like", "you", "to"],
        &["i", "want", "you", "to"],
        &["i", "need", "you", "to"],
        &["would", "you", "mind"],
        &["can", "you"],
        &["could", "you"],
        &["would", "you"],
        &["will", "you"],
        &["go", "ahead", "and"],
    ];
    let mut t = tokens;
    'again: loop {
        for o in OPENINGS {
            if t.len() > o.len() && starts(t, o) {
                t = &t[o.len()..];
                continue 'again;
            }
        }
        return t;
    }
}

/// Does `tokens` start with `phrase`?
pub(crate) fn starts(tokens: &[String], phrase: &[&str]) -> bool {
    tokens.len() >= phrase.len() && tokens.iter().zip(phrase).all(|(t, p)| t == p)
}

/// Where `phrase` first occurs in `tokens`.
pub(crate) fn find(tokens: &[String], phrase: &[&str]) -> Option<usize> {
    if phrase.is_empty() || tokens.len() < phrase.len() {
        return None;
    }
    (0..=tokens.len() - phrase.len()).find(|&i| starts(&tokens[i..], phrase))
}

pub(crate) fn has(tokens: &[String], phrase: &[&str]) -> bool {
    find(tokens, phrase).is_some()
}

pub(crate) fn has_any(tokens: &[String], words: &[&str]) -> bool {
    tokens.iter().any(|t| words.contains(&t.as_str()))
}

/// Is the utterance exactly one of these phrases?
pub(crate) fn is_one_of(tokens: &[String], phrases: &[&[&str]]) -> bool {
    phrases
        .iter()
        .any(|p| tokens.len() == p.len() && starts(tokens, p))
}

/// Words that say nothing about what a note or a question is about.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "were", "am", "be", "to", "of", "in", "on", "at", "for",
    "and", "or", "my", "me", "i", "you", "your", "it", "that", "this", "what", "where", "when",
    "who", "how", "which", "do", "did", "does", "have", "has", "had", "about", "with", "there",
    "remember", "put", "left", "leave", "tell", "told", "know", "any", "some", "all", "we", "our",
    "again", "earlier", "before", "say", "said", "just", "can", "could", "will", "would", "from",
    "up", "by", "so", "not", "no", "note", "notes", "again",
];

/// The words that carry meaning, lightly stemmed ("keys" -> "key").
pub fn content_words(tokens: &[String]) -> Vec<String> {
    tokens
        .iter()
        .filter(|t| !STOPWORDS.contains(&t.as_str()))
        .map(|t| stem(t))
        .collect()
}

fn stem(word: &str) -> String {
    let w = word.trim_end_matches("'s");
    if w.len() > 5 && w.ends_with("ing") {
        w[..w.len() - 3].to_owned()
    } else if w.len() > 4 && w.ends_with("ed") && !w.ends_with("eed") {
        w[..w.len() - 2].to_owned()
    } else if w.len() > 3 && w.ends_with("ies") {
        format!("{}y", &w[..w.len() - 3])
    } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_owned()
    } else {
        w.to_owned()
    }
}

/// Joins phrases as speech does: "a", "a and b", "a, b and c".
pub(crate) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Capitalizes the first letter.
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod test_env;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod bounds_tests;

#[cfg(test)]
mod battery_tests;

#[cfg(test)]
mod reminder_tests;
