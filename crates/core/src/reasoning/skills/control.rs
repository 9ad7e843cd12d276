//! Speech controls (stop, repeat, continue, slower, faster) and answers to the skills' own
//! follow-up questions ("How long should the timer be?" -> "ten minutes").

use super::{Outcome, SkillAnswer, SkillEnv, effect, has_any, is_one_of, notes, timer};
use crate::reasoning::Control;
use crate::reasoning::Utterance;

const STOP: &[&[&str]] = &[
    &["stop"],
    &["stop", "talking"],
    &["stop", "it"],
    &["stop", "that"],
    &["stop", "stop"],
    &["stop", "speaking"],
    &["okay", "stop"],
    &["be", "quiet"],
    &["quiet"],
    &["shut", "up"],
    &["hush"],
    &["silence"],
    &["enough"],
    &["that", "is", "enough"],
    &["never", "mind"],
    &["forget", "it"],
    &["cancel"],
    &["cancel", "that"],
    &["pause"],
    &["shh"],
    &["shush"],
];

const REPEAT: &[&[&str]] = &[
    &["repeat"],
    &["repeat", "that"],
    &["repeat", "it"],
    &["repeat", "yourself"],
    &["repeat", "that", "again"],
    &["say", "that", "again"],
    &["say", "it", "again"],
    &["again"],
    &["come", "again"],
    &["pardon"],
    &["pardon", "me"],
    &["what"],
    &["huh"],
    &["what", "did", "you", "say"],
    &["what", "did", "you", "just", "say"],
    &["what", "was", "that"],
    &["one", "more", "time"],
    &["i", "did", "not", "hear", "you"],
    &["i", "did", "not", "hear", "that"],
    &["i", "did", "not", "catch", "that"],
    &["i", "missed", "that"],
    &["repeat", "what", "you", "said"],
    &["repeat", "the", "answer"],
    &["repeat", "the", "last", "answer"],
];

const CONTINUE: &[&[&str]] = &[
    &["continue"],
    &["go", "on"],
    &["keep", "going"],
    &["carry", "on"],
    &["you", "were", "saying"],
    &["what", "were", "you", "saying"],
    &["finish", "what", "you", "were", "saying"],
    &["finish", "your", "sentence"],
    &["go", "ahead"],
];

/// Words that make "slower" / "faster" about speech rather than something else.
const ABOUT_SPEECH: &[&str] = &[
    "speak", "talk", "talking", "speaking", "say", "read", "go", "voice",
];

pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let control = |c: Control, text: String| {
        effect(env, || SkillAnswer {
            skill: "control",
            text,
            control: Some(c),
            progress: None,
        })
    };
    if is_one_of(t, STOP) {
        return Some(control(Control::Stop, String::new()));
    }
    if is_one_of(t, REPEAT) {
        return Some(match env.last_assistant_text() {
            Some(last) => control(Control::Repeat, last.to_owned()),
            None => Outcome::Answer(SkillAnswer::say("control", "I haven't said anything yet.")),
        });
    }
    if is_one_of(t, CONTINUE) {
        let rest = env.assistant.map(|a| a.unheard()).unwrap_or("");
        return Some(if rest.is_empty() {
            Outcome::Answer(SkillAnswer::say(
                "control",
                "I had finished. What else can I do?",
            ))
        } else {
            control(Control::Continue, rest.to_owned())
        });
    }
    let short = t.len() <= 4;
    let speech = short || has_any(t, ABOUT_SPEECH);
    let slower = has_any(t, &["slower", "slowly"])
        || super::has(t, &["slow", "down"])
        || super::has(t, &["too", "fast"])
        || super::has(t, &["too", "quick"]);
    let faster = has_any(t, &["faster", "quicker", "quickly"])
        || super::has(t, &["speed", "up"])
        || super::has(t, &["hurry", "up"])
        || super::has(t, &["too", "slow"]);
    if speech && slower && !faster {
        return Some(control(
            Control::Slower,
            "Okay, I'll speak more slowly.".into(),
        ));
    }
    if speech && faster && !slower {
        return Some(control(Control::Faster, "Okay, I'll speak faster.".into()));
    }
    // "Turn up the volume", "raise the volume": the only volume we have is our own voice's.
    let volume = has_any(t, &["volume"]);
    let louder = has_any(t, &["louder"])
        || super::has(t, &["speak", "up"])
        || volume && has_any(t, &["up", "raise", "increase", "higher", "boost"])
        || super::has(t, &["too", "quiet"])
        || super::has(t, &["too", "soft"])
        || super::has(t, &["can't", "hear"]);
    let quieter = has_any(t, &["quieter", "softer", "quietly", "softly"])
        || volume && has_any(t, &["down", "lower", "decrease", "reduce"])
        || super::has(t, &["too", "loud"]);
    if (speech || volume) && louder && !quieter {
        return Some(control(Control::Louder, "Okay, I'll speak louder.".into()));
    }
    if (speech || volume) && quieter && !louder {
        return Some(control(
            Control::Quieter,
            "Okay, I'll speak more quietly.".into(),
        ));
    }
    None
}

/// Answers to the skills' own questions: the previous assistant line asked for a duration,
/// an alarm's time or what to remember, and this utterance gives it.
pub(super) fn follow_up(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let last = env.last_assistant_text()?;
    if is_one_of(t, STOP) || is_one_of(t, &[&["no"], &["nothing"], &["no", "thanks"]]) {
        return None;
    }
    if last == timer::ASK_DURATION {
        let rest = t.strip_prefix(&["for".to_owned()]).unwrap_or(t);
        if let Some(secs) = timer::duration_alone(rest) {
            return Some(timer::start_timer(env, secs, None));
        }
    }
    if last == timer::ASK_ALARM_TIME
        && let Some(outcome) = timer::set_alarm(t, env)
    {
        return Some(outcome);
    }
    // "When should I remind you?" (heard whole, or cut off by the answer): the time, with
    // whatever else of the reminder the user adds.
    if last.starts_with(timer::ASK_REMINDER_TIME)
        && let Some(request) = env.last_user_text()
        && let Some(outcome) = timer::reminder_time_given(&Utterance::parse(request).tokens, t, env)
    {
        return Some(outcome);
    }
    if last == notes::ASK_WHAT && !t.is_empty() {
        return Some(notes::remember(env, t));
    }
    None
}
