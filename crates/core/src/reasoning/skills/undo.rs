//! Taking back what was just done: "Never mind, cancel that." right after "Timer set for 3
//! minutes." cancels that timer; "scratch that" after a note forgets the note. Before, "cancel
//! that" was only a stop control and "never mind, ..." needed no answer, so the timer stayed
//! and nothing was said (found in an unscripted rig conversation, 2026-12-06).

use super::amend::{OPENINGS, RECENT_MS};
use super::{Outcome, SkillAnswer, SkillEnv, effect, is_one_of, notes, sentence, timer};
use crate::reasoning::timers::Timer;
use crate::store::NoteRecord;

/// Openings before the undo itself, besides a correction's ("no", "actually", "oh wait").
const NEVER_MIND: &[&str] = &["never", "mind"];

/// What takes back the last thing done ("that", "it" or "this" is what was just done).
const UNDO: &[&[&str]] = &[
    &["cancel"],
    &["cancel", "that"],
    &["cancel", "it"],
    &["cancel", "this"],
    &["scratch", "that"],
    &["undo"],
    &["undo", "that"],
    &["undo", "it"],
    &["delete", "that"],
    &["delete", "it"],
    &["remove", "that"],
    &["remove", "it"],
    &["forget", "that"],
    &["take", "that", "back"],
    &["do", "not", "do", "that"],
];

/// What was done last, in the last [`RECENT_MS`].
enum Done {
    Timer(Timer),
    Note(NoteRecord),
}

fn last_done(env: &SkillEnv<'_>) -> Option<Done> {
    let since = env.now_ms() - RECENT_MS;
    let timer = env
        .timers
        .list()
        .into_iter()
        .filter(|t| t.created_at_ms >= since)
        .max_by_key(|t| (t.created_at_ms, t.id));
    let note = env
        .store
        .notes()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.created_at_ms >= since)
        .max_by_key(|n| (n.created_at_ms, n.id));
    match (timer, note) {
        (Some(t), Some(n)) if n.created_at_ms > t.created_at_ms => Some(Done::Note(n)),
        (Some(t), _) => Some(Done::Timer(t)),
        (None, n) => n.map(Done::Note),
    }
}

/// "Cancel that" after a timer, a reminder or a note was made: takes it back. Words that cut
/// in on an answer still being said stop that answer instead (the controls), and with nothing
/// done lately the words go on to the other skills.
pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let mut t = t;
    while let Some(o) = OPENINGS
        .iter()
        .copied()
        .chain([NEVER_MIND])
        .find(|o| super::starts(t, o) && t.len() > o.len())
    {
        t = &t[o.len()..];
    }
    if !is_one_of(t, UNDO) {
        return None;
    }
    if env.assistant.is_some_and(|a| !a.unheard().is_empty()) {
        return None;
    }
    let done = last_done(env)?;
    Some(effect(env, || match done {
        Done::Timer(timer) => match env.timers.cancel(&[timer.id]) {
            Ok(gone) if !gone.is_empty() => SkillAnswer::say(
                "timer",
                format!("Okay, I cancelled {}.", timer::name(&timer, env.now)),
            ),
            Ok(_) => SkillAnswer::say(
                "timer",
                format!(
                    "{} had already gone off.",
                    sentence(&timer::name(&timer, env.now))
                ),
            ),
            Err(e) => {
                tracing::warn!(error = %e, id = timer.id, "timer not cancelled");
                SkillAnswer::say("timer", "Sorry, I couldn't cancel that.")
            }
        },
        Done::Note(note) => notes::delete(env, &[&note]),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::super::test_env::TestEnv;
    use crate::reasoning::AssistantContext;

    const MIN: i64 = 60_000;

    #[test]
    fn cancel_that_takes_back_the_timer_just_set() {
        for said in [
            "Never mind, cancel that.",
            "cancel that",
            "No, scratch that.",
            "Oh wait, undo that.",
            "Actually, cancel it please.",
            "Cancel.",
        ] {
            let env = TestEnv::new();
            env.say("Set a timer for three minutes.");
            assert_eq!(
                env.say(said),
                "Okay, I cancelled your 3 minute timer.",
                "{said:?}"
            );
            assert!(env.timers.list().is_empty(), "{said:?}");
        }
        // The newest of two, and a reminder by its name.
        let env = TestEnv::new();
        env.say("Set a timer for three minutes.");
        env.say("Remind me to water the plants in 20 minutes.");
        assert_eq!(
            env.say("Never mind, cancel that."),
            "Okay, I cancelled your reminder to water the plants."
        );
        assert_eq!(env.timers.list().len(), 1);
    }

    #[test]
    fn scratch_that_forgets_the_note_just_made() {
        let mut env = TestEnv::new();
        env.say("Set a timer for three minutes.");
        env.now = env
            .now
            .checked_add(jiff::SignedDuration::from_secs(20))
            .unwrap();
        env.say("Make a note that the car keys are in the blue bowl.");
        assert_eq!(
            env.say("scratch that"),
            "Okay, I forgot that the car keys are in the blue bowl."
        );
        assert!(env.store.notes().unwrap().is_empty());
        assert_eq!(env.timers.list().len(), 1, "the older timer stays");
    }

    #[test]
    fn cancel_that_is_a_stop_over_an_answer_or_with_nothing_just_done() {
        // Cutting in on an answer: "cancel that" stops it, the timer stays.
        let mut env = TestEnv::new();
        env.say("Set a timer for three minutes.");
        env.assistant = Some(AssistantContext {
            said: "The moon is Earth's only natural satellite. It formed long ago.".into(),
            heard: "The moon is Earth's only".into(),
            request: None,
        });
        let a = env.answer("cancel that");
        assert_eq!((a.skill, a.text.as_str()), ("control", ""));
        assert_eq!(env.timers.list().len(), 1);

        // A timer set ten minutes ago is not "that".
        let env = TestEnv::new();
        let now = env.env().now_ms();
        env.timers
            .add(
                crate::reasoning::timers::TimerKind::Timer,
                None,
                now + 5 * MIN,
                now - 10 * MIN,
            )
            .unwrap();
        assert_eq!(env.answer("never mind, cancel that").skill, "chat");
        assert_eq!(env.answer("cancel that").skill, "control");
        assert_eq!(env.timers.list().len(), 1);

        // "Never mind" alone takes nothing back; a partial transcript changes nothing.
        let mut env = TestEnv::new();
        env.say("Set a timer for three minutes.");
        assert_eq!(env.say("never mind"), "");
        env.commit = false;
        assert_eq!(env.ask("cancel that"), Outcome::NeedsFinal);
        assert_eq!(env.timers.list().len(), 1);
    }
}
