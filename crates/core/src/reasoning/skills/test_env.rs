//! A skill environment for tests: a fixed clock, an in-memory store, no camera (tests set a
//! visual context and a text source when they need one).

use jiff::ZonedDateTime;

use super::{CancelToken, Outcome, SkillAnswer, SkillEnv, answer};
use crate::reasoning::normalize::Utterance;
use crate::reasoning::timers::TimerTable;
use crate::reasoning::{AssistantContext, Message, TextSource, VisualContext};
use crate::store::Store;

#[derive(Debug)]
pub(crate) struct TestEnv {
    pub now: ZonedDateTime,
    pub store: Store,
    pub timers: TimerTable,
    pub history: Vec<Message>,
    pub visual: Option<VisualContext>,
    pub text_source: Option<std::sync::Arc<dyn TextSource>>,
    pub assistant: Option<AssistantContext>,
    pub commit: bool,
    pub cancel: CancelToken,
}

impl TestEnv {
    /// Tuesday, June 9, 2026, 3:07 PM UTC.
    pub fn new() -> TestEnv {
        let store = Store::open_in_memory().unwrap();
        TestEnv {
            now: "2026-06-09T15:07:00[UTC]".parse().unwrap(),
            timers: TimerTable::load(store.clone()).unwrap(),
            store,
            history: Vec::new(),
            visual: None,
            text_source: None,
            assistant: None,
            commit: true,
            cancel: CancelToken::default(),
        }
    }

    pub fn env(&self) -> SkillEnv<'_> {
        SkillEnv {
            now: &self.now,
            store: &self.store,
            timers: &self.timers,
            visual: self.visual.as_ref(),
            text_source: self.text_source.as_deref(),
            history: &self.history,
            assistant: self.assistant.as_ref(),
            commit: self.commit,
            llm_enabled: false,
            cancel: &self.cancel,
        }
    }

    pub fn ask(&self, text: &str) -> Outcome {
        answer(&Utterance::parse(text), &self.env())
    }

    /// The skill's answer; panics when no skill answered.
    pub fn answer(&self, text: &str) -> SkillAnswer {
        match self.ask(text) {
            Outcome::Answer(a) => a,
            other => panic!("no answer for {text:?}: {other:?}"),
        }
    }

    /// Which skill answered, "" when none did.
    pub fn skill(&self, text: &str) -> &'static str {
        match self.ask(text) {
            Outcome::Answer(a) => a.skill,
            _ => "",
        }
    }

    pub fn say(&self, text: &str) -> String {
        self.answer(text).text
    }

    /// Says `input` and checks that the answer contains `want` and that the newest timer is a
    /// reminder labelled `label`.
    pub fn assert_reminder(&self, input: &str, want: &str, label: &str) {
        let a = self.answer(input);
        assert!(
            a.text.contains(want),
            "{input:?} -> {:?}, wanted {want:?}",
            a.text
        );
        let last = self.timers.list().into_iter().max_by_key(|t| t.id).unwrap();
        assert_eq!(last.kind, crate::reasoning::timers::TimerKind::Reminder);
        assert_eq!(last.label.as_deref(), Some(label), "{input:?}");
    }

    /// Says `answer` as the next turn after `request` was asked `question`.
    pub fn say_after(&mut self, request: &str, question: &str, answer: &str) -> String {
        self.history = vec![Message::user(request), Message::assistant(question)];
        self.say(answer)
    }
}
