//! The coordinator's bookkeeping of speculative requests: a partial transcript is never a
//! turn of its own; its answer, once the final transcript confirms it, is.

use std::time::{Duration, Instant};

use super::{Reasoner, ReasonerEvent, ReasonerHandle, Request, RequestId};
use crate::config::LlmConfig;
use crate::store::{Store, TurnStatus};

fn final_text(h: &mut ReasonerHandle, id: RequestId) -> Option<String> {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        match h.recv_timeout(Duration::from_millis(50)) {
            Some(ReasonerEvent::Final { id: i, text, .. }) if i == id => return Some(text),
            Some(ReasonerEvent::NeedsFinal { id: i, .. }) if i == id => return None,
            _ => {}
        }
    }
    panic!("no end for request {id}");
}

/// Waits until the store has `n` turns with a final status (writes are asynchronous).
fn settled_turns(store: &Store, n: usize) -> Vec<crate::store::TurnRecord> {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let turns = store.turns(None).unwrap();
        let done = turns
            .iter()
            .filter(|t| t.status != TurnStatus::Pending)
            .count();
        if done >= n || Instant::now() > end {
            return turns;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_confirmed_speculative_answer_is_one_whole_turn() {
    let store = Store::open_in_memory().unwrap();
    let mut h = Reasoner::spawn(LlmConfig::skills_only(), store.clone()).unwrap();
    let spec = h.request(Request::partial("what is twelve"));
    let _ = final_text(&mut h, spec);
    // Superseded by a longer partial: cancelled, never a turn.
    h.cancel(spec);
    let spec = h.request(Request::partial("what is twelve times seven"));
    let answer = final_text(&mut h, spec).expect("a speculative answer");
    assert_eq!(answer, "12 times 7 is 84.");
    h.finish(spec, "What is twelve times seven?", None);
    let turns = settled_turns(&store, 1);
    assert_eq!(turns.len(), 1, "only the confirmed turn: {turns:#?}");
    let t = &turns[0];
    assert!(t.user_final);
    assert_eq!(t.user_text, "What is twelve times seven?");
    assert_eq!(t.assistant_text, "12 times 7 is 84.");
    assert_eq!(t.status, TurnStatus::Answered);
    assert_eq!(t.skill.as_deref(), Some("math"));
    // The request is over: a later update does not restart it.
    h.update(spec, "what is twelve times eight", true);
    assert!(h.recv_timeout(Duration::from_millis(300)).is_none());
}

#[test]
fn a_speculation_without_an_answer_is_asked_again_on_the_final_text() {
    let store = Store::open_in_memory().unwrap();
    let mut h = Reasoner::spawn(LlmConfig::skills_only(), store.clone()).unwrap();
    let spec = h.request(Request::partial("set a timer for ten minutes"));
    assert_eq!(
        final_text(&mut h, spec),
        None,
        "a timer waits for the final"
    );
    assert!(
        store.turns(None).unwrap().is_empty(),
        "a partial is no turn"
    );
    h.finish(spec, "Set a timer for ten minutes.", None);
    assert_eq!(
        final_text(&mut h, spec).as_deref(),
        Some("Timer set for 10 minutes.")
    );
    let turns = settled_turns(&store, 1);
    assert_eq!(turns.len(), 1);
    assert_eq!(turns[0].user_text, "Set a timer for ten minutes.");
    assert_eq!(store.pending_timers().unwrap().len(), 1);
}

/// Skills run on the blocking pool, out of the abort's reach: a cancelled request's timer,
/// reminder or note is refused at the commit.
#[test]
fn a_cancelled_request_commits_no_side_effect() {
    use crate::reasoning::skills::Outcome;
    use crate::reasoning::skills::test_env::TestEnv;
    let env = TestEnv::new();
    env.cancel.cancel();
    for text in [
        "set a timer for ten minutes",
        "remind me in 5 minutes to check the oven",
        "remember that my keys are in the drawer",
    ] {
        assert_eq!(env.ask(text), Outcome::Cancelled, "{text}");
    }
    assert!(env.timers.list().is_empty());
    assert!(env.store.notes().unwrap().is_empty());
    let reminder = serde_json::json!({"text": "stretch", "in_seconds": 60});
    let out = crate::reasoning::llm::tools::call("set_reminder", &reminder, &env.env());
    assert!(out.content.starts_with("not done"), "{}", out.content);
    assert!(env.timers.list().is_empty());
}

/// Words the recognizer was unsure of and no skill understood are asked again, not answered
/// with a guess; a skill that understands them still acts, and sure words get the usual reply.
#[test]
fn misheard_words_are_asked_again() {
    use crate::reasoning::skills::{MISHEARD_TEXT, unknown_text};
    let store = Store::open_in_memory().unwrap();
    let mut h = Reasoner::spawn(LlmConfig::skills_only(), store.clone()).unwrap();
    let garbled = "Divine that honry and 20 minute.";
    let id = h.request(Request::new(garbled).with_asr_logprob(-0.95));
    assert_eq!(final_text(&mut h, id).as_deref(), Some(MISHEARD_TEXT));
    let id = h.request(Request::new(garbled).with_asr_logprob(-0.2));
    assert_eq!(final_text(&mut h, id), Some(unknown_text(false)));
    let id = h.request(Request::new("Shout a timer for 10 minutes.").with_asr_logprob(-0.9));
    assert_eq!(
        final_text(&mut h, id).as_deref(),
        Some("Timer set for 10 minutes.")
    );
    // A speculation with no answer, finished by an unsure final transcript.
    let spec = h.request(Request::partial("so on what"));
    assert_eq!(final_text(&mut h, spec), None);
    h.finish(spec, "So on, what can go go?", Some(-1.1));
    assert_eq!(final_text(&mut h, spec).as_deref(), Some(MISHEARD_TEXT));
    let turns = settled_turns(&store, 4);
    let asked_again = turns
        .iter()
        .filter(|t| t.skill.as_deref() == Some("misheard"));
    assert_eq!(asked_again.count(), 2, "{turns:#?}");
}

/// A clock set to a moment (`tandem duplex --now`, as `tandem eval` sets it): the time and the
/// date the skills tell are that moment's, and a turn is recorded at it.
#[test]
fn a_set_clock_tells_its_own_time() {
    let store = Store::open_in_memory().unwrap();
    let options = super::ReasonerOptions {
        clock: super::WallClock::parse_start("2026-06-09T10:42:00[UTC]").unwrap(),
        ..Default::default()
    };
    let mut h = Reasoner::spawn_with(LlmConfig::skills_only(), store.clone(), options).unwrap();
    let id = h.request(Request::new("What time is it?"));
    assert_eq!(final_text(&mut h, id).as_deref(), Some("It's 10:42 AM."));
    let id = h.request(Request::new("What's the date today?"));
    let date = final_text(&mut h, id).unwrap();
    assert!(date.contains("Tuesday, June 9, 2026"), "{date}");
    let turns = settled_turns(&store, 2);
    let at = jiff::Timestamp::from_millisecond(turns[0].started_at_ms).unwrap();
    assert!(at.to_string().starts_with("2026-06-09T10:42"), "{at}");
}
