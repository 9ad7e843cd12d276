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

    pub fn say(&self, text: &str) -> String {
        self.answer(text).text
    }
}
