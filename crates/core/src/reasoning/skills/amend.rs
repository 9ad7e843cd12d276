//! Changing the timer or reminder just set: "actually, make that fifteen minutes", "change it
//! to 5 pm", "oh wait, I meant nine minutes", or a time alone right after it was set. Without
//! this such a follow-up went to the language model, which said it had changed the reminder
//! and changed nothing (found in an unscripted rig conversation, 2026-12-06).

use jiff::ZonedDateTime;

use super::clock_time::{on_day_at, parse_clock_time};
use super::timer::{
    MAX_REMINDER_SECS, MAX_SECS, REMINDER_RANGE, TIMER_RANGE, duration_alone, in_range, speak_when,
    will_remind,
};
use super::{Outcome, SkillAnswer, SkillEnv, effect, timer};
use crate::reasoning::timers::{Timer, TimerKind, speak_duration};

/// A follow-up without "timer" or "reminder" in it changes only one set this recently.
pub(super) const RECENT_MS: i64 = 2 * 60 * 1000;

/// Openings that mark a correction and say nothing else.
pub(super) const OPENINGS: &[&[&str]] = &[
    &["no"],
    &["oh"],
    &["sorry"],
    &["actually"],
    &["wait"],
    &["okay"],
    &["ok"],
    &["hmm"],
    &["nah"],
    &["oops"],
    &["i", "meant"],
    &["i", "mean"],
    &["i", "said"],
];
/// Verbs of "make that ...", "change the reminder to ...".
const VERBS: &[&str] = &["make", "change", "move", "switch", "push"];
/// Verbs that change only with "that", "it" or "this": "set it to 5 pm" (but "set the timer
/// for 10 minutes" asks for a new one).
const PRONOUN_VERBS: &[&str] = &["set", "put"];
/// What the verb takes: "that", "it", "the reminder" (the first three are the pronouns).
const OBJECTS: &[&[&str]] = &[
    &["that"],
    &["it"],
    &["this"],
    &["the", "timer"],
    &["the", "reminder"],
    &["the", "alarm"],
    &["my", "timer"],
    &["my", "reminder"],
    &["my", "alarm"],
];
/// Words after the time that change nothing: "15 minutes instead".
const CLOSINGS: &[&str] = &["instead", "please", "then"];

/// The new time a follow-up asks for.
enum NewTime {
    /// A duration from now, in seconds.
    In(f64),
    /// A clock time.
    At(ZonedDateTime),
    /// This many seconds later than it was.
    Later(f64),
}

/// What the words give: a time, or a number without a unit after a verb ("make it 20"), to be
/// read in the unit the old one was set in.
enum Spoken {
    Time(NewTime),
    Bare(f64),
    /// A clock time said without "at" or "am"/"pm" ("make it 8 15"): only an alarm takes it,
    /// in the half of the day nearest its old time.
    Clock(ZonedDateTime),
}

/// Words around the time in "add 5 minutes to the timer", "5 more minutes", "give it another 5
/// minutes", "extend the timer by 5 minutes"; the marker words say it is more time.
const MORE_MARKERS: &[&str] = &["add", "more", "another", "extend", "extra"];
const MORE_FILLER: &[&str] = &[
    "add", "more", "another", "extend", "extra", "give", "it", "by", "to", "on", "onto", "the",
    "my", "that", "this", "timer", "reminder", "please",
];

/// "Add 5 minutes to the timer" (until 2026-12-06 it set a new 5 minute timer): the time
/// to add, and the kind the words name.
fn parse_more(t: &[String], env: &SkillEnv<'_>) -> Option<Parsed> {
    if !super::has_any(t, MORE_MARKERS) {
        return None;
    }
    let kind = if super::has_any(t, &["reminder"]) {
        Some(TimerKind::Reminder)
    } else if super::has_any(t, &["timer"]) {
        Some(TimerKind::Timer)
    } else {
        None
    };
    // "Add two minutes to the tea timer" (it set a new 2 minute tea timer): a label's words
    // are no part of the time either.
    let pending = env.timers.list();
    let labelled = |w: &str| {
        pending
            .iter()
            .filter_map(|x| x.label.as_deref())
            .any(|l| l.split_whitespace().any(|lw| lw == w))
    };
    let rest: Vec<String> = t
        .iter()
        .filter(|w| !MORE_FILLER.contains(&w.as_str()) && !labelled(w))
        .cloned()
        .collect();
    let secs = duration_alone(&rest)?;
    Some((Spoken::Time(NewTime::Later(secs)), kind, false))
}

/// What a follow-up asks: the new time, the kind of timer the words name (if any), and whether
/// they name it by a label ("the tea timer").
type Parsed = (Spoken, Option<TimerKind>, bool);

/// "make that 15 minutes": the new time, and which kind of timer the words name, if any.
fn parse(t: &[String], env: &SkillEnv<'_>) -> Option<Parsed> {
    let mut t = t;
    let mut corrected = false;
    while let Some(opening) = OPENINGS.iter().find(|o| super::starts(t, o)) {
        t = &t[opening.len()..];
        corrected = true;
    }
    while let Some((last, rest)) = t.split_last()
        && CLOSINGS.contains(&last.as_str())
    {
        corrected |= last == "instead";
        t = rest;
    }
    // "Wake me up at 7 instead" after an alarm (it set a second alarm, for 7 PM): the alarm,
    // with the clock read as waking ("wake" makes 7 the morning).
    if corrected
        && let Some(wake) = [&["wake", "me", "up"][..], &["wake", "me"]]
            .into_iter()
            .find(|w| super::starts(t, w))
    {
        return match parse_clock_time(t, env.now) {
            Some((due, start, end)) if start == wake.len() && end == t.len() => Some((
                Spoken::Time(NewTime::At(due)),
                Some(TimerKind::Timer),
                false,
            )),
            _ => None,
        };
    }
    let mut kind = None;
    let mut verb_said = false;
    let mut by_label = false;
    if let Some((verb, rest)) = t.split_first()
        && (VERBS.contains(&verb.as_str()) || PRONOUN_VERBS.contains(&verb.as_str()))
    {
        verb_said = true;
        let objects = if VERBS.contains(&verb.as_str()) {
            OBJECTS
        } else {
            &OBJECTS[..3]
        };
        // "Actually make at 15 minutes.": the recognizer's "make it" (on the rig it was asked
        // for again). Only before a time and nothing else, as below.
        let misheard_it = verb == "make"
            && rest
                .first()
                .is_some_and(|w| matches!(w.as_str(), "at" | "a"));
        let object_len = match objects.iter().find(|o| super::starts(rest, o)) {
            Some(o) => o.len(),
            None if misheard_it => 1,
            // "Change the tea timer to five minutes" (it set a second timer, "T timer", when
            // the first had been heard as "Shanta timer"): a timer named by a label.
            None if VERBS.contains(&verb.as_str()) => {
                by_label = true;
                labelled_object(rest)?
            }
            None => return None,
        };
        let object = &rest[..object_len];
        kind = match object.last().map(String::as_str) {
            Some("reminder") => Some(TimerKind::Reminder),
            Some("timer" | "alarm") => Some(TimerKind::Timer),
            _ => None,
        };
        t = &rest[object_len..];
        if t.first()
            .is_some_and(|w| matches!(w.as_str(), "to" | "into"))
        {
            t = &t[1..];
        }
    }
    // "(in|for) 15 minutes", "(at) 5 pm": the rest is the time and nothing else.
    let time = t
        .strip_prefix(&["in".to_owned()])
        .or_else(|| t.strip_prefix(&["for".to_owned()]))
        .unwrap_or(t);
    if let Some(secs) = duration_alone(time) {
        return Some((Spoken::Time(NewTime::In(secs)), kind, by_label));
    }
    if verb_said
        && let [n] = time
        && let Ok(n) = n.parse::<f64>()
    {
        return Some((Spoken::Bare(n), kind, by_label));
    }
    if let Some((due, 0, end)) = parse_clock_time(t, env.now)
        && end == t.len()
    {
        return Some((Spoken::Time(NewTime::At(due)), kind, by_label));
    }
    // "Make it eight fifteen" after an alarm (it went to the language model, which said it
    // had set one and set nothing): a clock time without "at" or "am"/"pm".
    let mut at = vec!["at".to_owned()];
    at.extend_from_slice(time);
    match parse_clock_time(&at, env.now) {
        Some((due, 0, end)) if verb_said && end == at.len() => {
            Some((Spoken::Clock(due), kind, by_label))
        }
        _ => None,
    }
}

/// "the tea timer", "my dentist reminder": "the" or "my", one to three words, then the kind.
/// How many words it is.
fn labelled_object(rest: &[String]) -> Option<usize> {
    let (first, after) = rest.split_first()?;
    if !matches!(first.as_str(), "the" | "my") {
        return None;
    }
    let kind_at = after
        .iter()
        .take(4)
        .position(|w| matches!(w.as_str(), "timer" | "reminder" | "alarm"))?;
    (kind_at >= 1).then_some(kind_at + 2)
}

/// The moment at `clock`'s hour (either half of the day) and minute nearest to `old`, still
/// ahead of `now`: "make it 8:15" moves a 7:45 AM alarm to 8:15 AM, not PM.
fn nearest(
    clock: &ZonedDateTime,
    old: &ZonedDateTime,
    now: &ZonedDateTime,
) -> Option<ZonedDateTime> {
    let hour = clock.hour() % 12;
    let mut best: Option<(i64, ZonedDateTime)> = None;
    for day in [
        old.date().yesterday().ok()?,
        old.date(),
        old.date().tomorrow().ok()?,
    ] {
        for h in [hour, hour + 12] {
            let at = on_day_at(day, h as u32, clock.minute() as u32, old)?;
            let off = (at.timestamp().as_millisecond() - old.timestamp().as_millisecond()).abs();
            if at.timestamp() > now.timestamp() && best.as_ref().is_none_or(|(b, _)| off < *b) {
                best = Some((off, at));
            }
        }
    }
    best.map(|(_, at)| at)
}

/// The timer a follow-up changes, of those pending: the newest of the kind it names, else the
/// newest set in the last [`RECENT_MS`].
fn target(pending: &[Timer], now_ms: i64, kind: Option<TimerKind>) -> Option<Timer> {
    pending
        .iter()
        .filter(|t| match kind {
            Some(k) => t.kind == k,
            None => now_ms - t.created_at_ms <= RECENT_MS,
        })
        .max_by_key(|t| (t.created_at_ms, t.id))
        .cloned()
}

/// "Actually, make that 15 minutes" after a timer or reminder was set: moves it.
pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let (spoken, kind, by_label) = parse(t, env).or_else(|| parse_more(t, env))?;
    let pending = env.timers.list();
    let of_kind = |x: &&Timer| kind.is_none_or(|k| x.kind == k);
    // The one the words name by its label ("the tea timer"), else the newest.
    let named: Vec<&Timer> = pending
        .iter()
        .filter(|x| of_kind(x) && timer::names_label(t, x))
        .collect();
    let old = match named.as_slice() {
        [one] => (*one).clone(),
        // A label that names none of them ("the T timer" for the one heard as "Shanta
        // timer"): the only one of its kind, never a guess among several.
        [] if by_label && kind.is_some() => {
            match pending
                .iter()
                .filter(of_kind)
                .collect::<Vec<_>>()
                .as_slice()
            {
                [one] => (*one).clone(),
                _ => return None,
            }
        }
        _ => target(&pending, env.now_ms(), kind)?,
    };
    if super::has_any(t, &["wake"]) && !timer::is_alarm(&old) {
        return None;
    }
    // "Make it 20." after "in 10 minutes" (the language model answered "You've already made it
    // 20 minutes."): the unit is the one the old length is a whole number of; one set for a
    // time of day is left to the other skills.
    let new_time = match spoken {
        Spoken::Bare(n) => {
            let length = old.due_at_ms - old.created_at_ms;
            let unit = if length % 3_600_000 == 0 {
                3600.0
            } else if length % 60_000 == 0 {
                60.0
            } else {
                return None;
            };
            NewTime::In(n * unit)
        }
        Spoken::Time(time) => time,
        Spoken::Clock(clock) => {
            if !timer::is_alarm(&old) {
                return None;
            }
            let was = timer::due_time(&old, env.now)?;
            NewTime::At(nearest(&clock, &was, env.now)?)
        }
    };
    let alarm = timer::is_alarm(&old);
    let now = env.now_ms();
    // How long from now the new time is, when it is a length of time: kept in the kind's range.
    let (max, range) = match old.kind {
        TimerKind::Reminder => (MAX_REMINDER_SECS, REMINDER_RANGE),
        TimerKind::Timer => (MAX_SECS, TIMER_RANGE),
    };
    let later_due = |secs: f64| old.due_at_ms + (secs * 1000.0).round() as i64;
    let from_now = match &new_time {
        NewTime::In(secs) => Some(*secs),
        NewTime::Later(secs) => Some((later_due(*secs) - now) as f64 / 1000.0),
        NewTime::At(_) => None,
    };
    if from_now.is_some_and(|secs| !in_range(secs, max)) {
        return Some(Outcome::Answer(SkillAnswer::say("timer", range)));
    }
    let (due, when) = match (&new_time, old.kind) {
        (NewTime::Later(secs), _) => (
            later_due(*secs),
            format!("in {}", speak_duration(from_now.unwrap_or_default())),
        ),
        // An alarm is a time of day, a plain timer a length of time.
        (NewTime::In(_), TimerKind::Timer) if alarm => return None,
        (NewTime::At(_), TimerKind::Timer) if !alarm => return None,
        (NewTime::In(secs), _) => (
            now + (secs * 1000.0).round() as i64,
            format!("in {}", speak_duration(*secs)),
        ),
        (NewTime::At(z), _) => (z.timestamp().as_millisecond(), speak_when(z, env.now)),
    };
    Some(effect(env, || {
        // The new one first: a store that fails here leaves the old one as it was.
        if let Err(e) = env.timers.add(old.kind, old.label.as_deref(), due, now) {
            tracing::warn!(error = %e, "timer not saved");
            return SkillAnswer::say("timer", "Sorry, I couldn't change that.");
        }
        if let Err(e) = env.timers.cancel(&[old.id]) {
            tracing::warn!(error = %e, id = old.id, "the replaced timer stays in the store");
        }
        let text = match (&new_time, old.kind) {
            (NewTime::Later(secs), _) => format!(
                "Okay, I added {} to {}: {} left.",
                speak_duration(*secs),
                timer::name(&old, env.now),
                speak_duration((due - now) as f64 / 1000.0)
            ),
            (_, TimerKind::Reminder) => {
                format!("{} instead.", will_remind(old.label.as_deref(), &when))
            }
            (NewTime::In(secs), TimerKind::Timer) => format!(
                "Okay, I've changed {} to {}.",
                timer::name(&old, env.now),
                speak_duration(*secs)
            ),
            (NewTime::At(_), TimerKind::Timer) => format!("Okay, the alarm is now {when}."),
        };
        SkillAnswer::say("timer", text)
    }))
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::super::test_env::TestEnv;
    use crate::reasoning::timers::TimerKind;

    const MIN: i64 = 60_000;

    #[test]
    fn a_follow_up_moves_the_reminder_just_set() {
        let env = TestEnv::new();
        env.say("Remind me to call the dentist in ten minutes.");
        for (said, want, minutes) in [
            (
                "Actually, make that fifteen minutes.",
                "Okay, I'll remind you to call the dentist in 15 minutes instead.",
                15,
            ),
            ("No, 20 minutes instead.", "in 20 minutes instead.", 20),
            ("Oh wait, I meant 25 minutes.", "in 25 minutes instead.", 25),
            // The recognizer's "make it" (on the rig it was asked for again).
            ("Actually make at 14 minutes.", "in 14 minutes instead.", 14),
            ("make a 16 minutes", "in 16 minutes instead.", 16),
            // A time alone, right after it was set, is a correction too.
            ("12 minutes", "in 12 minutes instead.", 12),
            ("change it to half an hour", "in 30 minutes instead.", 30),
            ("Make it 20.", "in 20 minutes instead.", 20),
            ("make the reminder 5 minutes", "in 5 minutes instead.", 5),
        ] {
            let a = env.answer(said);
            assert_eq!(a.skill, "timer", "{said:?}");
            assert!(a.text.ends_with(want), "{said:?} -> {:?}", a.text);
            let text = env.say("what reminders do I have");
            let timers = env.timers.list();
            assert_eq!(timers.len(), 1, "{said:?}: one reminder, not two: {text}");
            let r = &timers[0];
            assert_eq!(r.kind, TimerKind::Reminder);
            assert_eq!(r.label.as_deref(), Some("call the dentist"));
            assert_eq!(r.due_at_ms - env.env().now_ms(), minutes * MIN, "{said:?}");
        }
        // The answer says what changed.
        let env = TestEnv::new();
        env.say("remind me to call the dentist in ten minutes");
        assert_eq!(
            env.say("Actually, make that fifteen minutes."),
            "Okay, I'll remind you to call the dentist in 15 minutes instead."
        );
        assert_eq!(
            env.say("make it 5 pm"),
            "Okay, I'll remind you to call the dentist at 5:00 PM instead."
        );
    }

    #[test]
    fn a_follow_up_changes_the_timer_just_set() {
        let env = TestEnv::new();
        env.say("set a timer for ten minutes");
        assert_eq!(
            env.say("no, make it 20 minutes"),
            "Okay, I've changed your 10 minute timer to 20 minutes."
        );
        let timers = env.timers.list();
        assert_eq!(timers.len(), 1);
        assert_eq!(timers[0].due_at_ms - env.env().now_ms(), 20 * MIN);
        // A plain timer is a length of time, not a time of day: no change.
        assert!(!matches!(env.ask("make it 5 pm"), Outcome::Answer(a) if a.skill == "timer"));
        assert_eq!(
            env.timers.list()[0].due_at_ms - env.env().now_ms(),
            20 * MIN
        );
        // An alarm moves to another time of day.
        let env = TestEnv::new();
        env.say("set an alarm for 7 am");
        assert_eq!(
            env.say("actually make that 8 am"),
            "Okay, the alarm is now tomorrow at 8:00 AM."
        );
        assert_eq!(env.timers.list().len(), 1);
    }

    /// "Change the tea timer to five minutes" after the timer was set under a misheard label
    /// (on the rig: "Shanta timer", then a second "T timer" was set): the only timer changes;
    /// a label that names one of several changes that one; one that names none of several
    /// changes nothing here.
    #[test]
    fn a_timer_named_by_a_label_changes() {
        let env = TestEnv::new();
        env.say("set a shanta timer for 7 minutes");
        let said = env.say("change the t timer to 5 minutes");
        assert!(said.contains("5 minutes"), "{said}");
        let timers = env.timers.list();
        assert_eq!(timers.len(), 1, "{timers:?}");
        assert_eq!(timers[0].due_at_ms - env.env().now_ms(), 5 * MIN);

        let env = TestEnv::new();
        env.say("set a pasta timer for 10 minutes");
        env.say("set an egg timer for 6 minutes");
        let said = env.say("change the pasta timer to 12 minutes");
        assert!(said.contains("12 minutes"), "{said}");
        let pasta = env
            .timers
            .list()
            .into_iter()
            .find(|t| t.label.as_deref() == Some("pasta"));
        assert_eq!(
            pasta.map(|t| t.due_at_ms - env.env().now_ms()),
            Some(12 * MIN)
        );
        env.say("change the rice timer to 3 minutes");
        let left = |label: &str| {
            env.timers
                .list()
                .into_iter()
                .find(|t| t.label.as_deref() == Some(label))
                .map(|t| t.due_at_ms - env.env().now_ms())
        };
        assert_eq!(left("pasta"), Some(12 * MIN));
        assert_eq!(left("egg"), Some(6 * MIN));
    }

    #[test]
    fn more_time_is_added_to_the_timer() {
        let env = TestEnv::new();
        env.say("Set a timer for two and a half minutes.");
        assert_eq!(
            env.say("Add five minutes to the timer."),
            "Okay, I added 5 minutes to your 2 minute 30 second timer: 7 minutes and 30 seconds left."
        );
        assert_eq!(env.timers.list().len(), 1);
        assert_eq!(
            env.timers.list()[0].due_at_ms - env.env().now_ms(),
            7 * MIN + 30_000
        );
        for said in ["give it another 2 minutes", "2 more minutes please"] {
            assert!(
                env.say(said).ends_with(": 9 minutes and 30 seconds left."),
                "{said:?}"
            );
            env.timers
                .list()
                .into_iter()
                .for_each(|t| assert_eq!(t.due_at_ms - env.env().now_ms(), 9 * MIN + 30_000));
            // Back to 7:30 for the next phrasing.
            env.say("make it 7 and a half minutes");
        }
        assert_eq!(env.timers.list().len(), 1);
        // "Set another timer" is a new timer.
        env.say("set another timer for 3 minutes");
        assert_eq!(env.timers.list().len(), 2);
    }

    #[test]
    fn what_is_not_a_follow_up_leaves_the_timers_alone() {
        let env = TestEnv::new();
        env.say("set a timer for ten minutes");
        // A new timer is a new timer; "make it louder" is the volume.
        env.say("set the timer for 5 minutes");
        assert_eq!(env.timers.list().len(), 2);
        assert_ne!(env.answer("make it louder").skill, "timer");
        assert_eq!(env.timers.list().len(), 2);
        // "Make a ..." with more than a time is no correction: both timers stay as they were.
        env.ask("make a 15 minute timer");
        let due: Vec<i64> = env.timers.list().iter().map(|x| x.due_at_ms).collect();
        let now = env.env().now_ms();
        assert!(
            due.contains(&(now + 10 * MIN)) && due.contains(&(now + 5 * MIN)),
            "a timer moved: {due:?}"
        );

        // Only a timer set in the last two minutes is "that".
        let env = TestEnv::new();
        let now = env.env().now_ms();
        env.timers
            .add(
                TimerKind::Reminder,
                Some("stretch"),
                now + 5 * MIN,
                now - 10 * MIN,
            )
            .unwrap();
        env.ask("actually make that 15 minutes");
        env.ask("15 minutes");
        assert_eq!(env.timers.list()[0].due_at_ms, now + 5 * MIN);
        // ... unless the words name it.
        env.say("change the reminder to 15 minutes");
        assert_eq!(env.timers.list()[0].due_at_ms, now + 15 * MIN);

        // A partial transcript changes nothing.
        let mut env = TestEnv::new();
        env.say("set a timer for ten minutes");
        env.commit = false;
        assert_eq!(env.ask("make that 20 minutes"), Outcome::NeedsFinal);
        assert_eq!(env.timers.list()[0].due_at_ms - now, 10 * MIN);
    }
}
