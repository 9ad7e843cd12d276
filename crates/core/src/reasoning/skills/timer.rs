//! Timers, alarms and reminders: set, check, cancel.
//!
//! Durations as people say them: "10 minutes", "an hour and a half", "half an hour",
//! "1 hour 30", "a couple of minutes", "90 seconds". Clock times are read in `clock_time`.

use jiff::ZonedDateTime;

use super::clock::speak_clock;
use super::clock_time::{parse_clock_time, parse_day};
use super::{
    Outcome, SkillAnswer, SkillEnv, effect, find, has, has_any, join_and, sentence, starts,
};
use crate::reasoning::numbers::parse_digits;
use crate::reasoning::timers::{Timer, TimerKind, reminder_of, speak_duration};

/// The label of a timer set for a time of day ("wake me at 7").
pub(crate) const ALARM_LABEL: &str = "alarm";
/// The question asked when a timer has no duration; an answer to it sets the timer.
pub const ASK_DURATION: &str = "How long should the timer be?";
/// The question asked when an alarm has no time; an answer to it sets the alarm.
pub const ASK_ALARM_TIME: &str = "What time should the alarm be for?";

/// The question asked when a reminder has no time (an example follows it); an answer to it
/// sets the reminder.
pub const ASK_REMINDER_TIME: &str = "When should I remind you?";

/// The longest timer we accept: a month.
pub(crate) const MAX_SECS: f64 = 31.0 * 86_400.0;
/// The furthest ahead a reminder may be set by a duration: a year.
pub(crate) const MAX_REMINDER_SECS: f64 = 366.0 * 86_400.0;
/// The refusals for durations out of range (zero, negative, not a number, too long).
pub(crate) const TIMER_RANGE: &str = "I can set timers from one second up to a month.";
pub(crate) const REMINDER_RANGE: &str = "I can set reminders from one second up to a year ahead.";

/// Whether `secs` is a duration we can count down: finite, positive, at most `max`.
pub(crate) fn in_range(secs: f64, max: f64) -> bool {
    secs.is_finite() && secs > 0.0 && secs <= max
}

/// A duration found in an utterance: its length and token span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DurationSpan {
    pub secs: f64,
    pub start: usize,
    pub end: usize,
}

pub(super) fn unit_secs(word: &str) -> Option<f64> {
    Some(match word {
        "second" | "seconds" | "sec" | "secs" => 1.0,
        "minute" | "minutes" | "min" | "mins" => 60.0,
        "hour" | "hours" | "hr" | "hrs" => 3600.0,
        "day" | "days" => 86_400.0,
        "week" | "weeks" => 7.0 * 86_400.0,
        _ => return None,
    })
}

/// One "<amount> <unit>" at `i`: seconds and the index after it.
fn duration_part(t: &[String], i: usize) -> Option<(f64, usize)> {
    let w = |k: usize| t.get(i + k).map(String::as_str).unwrap_or("");
    let (amount, unit_at) = if let Some(n) = parse_digits(w(0)) {
        (n, i + 1)
    } else {
        match (w(0), w(1), w(2)) {
            ("a" | "an" | "one", _, _) if unit_secs(w(1)).is_some() => (1.0, i + 1),
            ("half", "a" | "an", _) => (0.5, i + 2),
            ("a", "half", _) => (0.5, i + 2),
            ("a", "quarter", "of") if matches!(w(3), "a" | "an") => (0.25, i + 4),
            ("quarter", "of", "a" | "an") => (0.25, i + 3),
            ("a", "quarter", _) => (0.25, i + 2),
            ("quarter", _, _) => (0.25, i + 1),
            ("a", "couple", "of") => (2.0, i + 3),
            ("couple", "of", _) => (2.0, i + 2),
            ("a", "couple", _) => (2.0, i + 2),
            ("a", "few", _) | ("few", _, _) => (3.0, i + if w(0) == "a" { 2 } else { 1 }),
            _ => return None,
        }
    };
    let unit = unit_secs(t.get(unit_at)?)?;
    let mut secs = amount * unit;
    let mut end = unit_at + 1;
    if starts(&t[end.min(t.len())..], &["and", "a", "half"]) {
        secs += unit / 2.0;
        end += 3;
    } else if starts(&t[end.min(t.len())..], &["and", "a", "quarter"]) {
        secs += unit / 4.0;
        end += 3;
    }
    Some((secs, end))
}

/// The first duration in `t`, with every part that follows it: "1 hour and 30 minutes".
pub fn parse_duration(t: &[String]) -> Option<DurationSpan> {
    let start = (0..t.len()).find(|&i| duration_part(t, i).is_some())?;
    let (mut secs, mut end) = duration_part(t, start)?;
    let mut last_unit = unit_secs(&t[end - 1]).unwrap_or(1.0);
    loop {
        let skip = usize::from(t.get(end).is_some_and(|w| w == "and"));
        if let Some((more, next)) = duration_part(t, end + skip) {
            secs += more;
            last_unit = unit_secs(&t[next - 1]).unwrap_or(1.0);
            end = next;
        } else if let Some(n) = t.get(end).and_then(|w| parse_digits(w))
            && last_unit > 1.0
            && n < 60.0
            && t.get(end + 1).is_none_or(|w| unit_secs(w).is_none())
        {
            // "1 hour 30", "2 minutes 15": the next smaller unit.
            secs += n * if last_unit >= 3600.0 { 60.0 } else { 1.0 };
            end += 1;
            break;
        } else {
            break;
        }
    }
    Some(DurationSpan { secs, start, end })
}

/// The length of time `t` says and nothing else ("10 minutes", "an hour and a half"), in
/// seconds.
pub(crate) fn duration_alone(t: &[String]) -> Option<f64> {
    parse_duration(t)
        .filter(|d| d.start == 0 && d.end == t.len())
        .map(|d| d.secs)
}

/// Sets an alarm for the clock time in `t`, if it says one.
pub(super) fn set_alarm(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let (due, _, _) = parse_clock_time(t, env.now)?;
    Some(effect(env, || {
        let now = env.now_ms();
        match env.timers.add(
            TimerKind::Timer,
            Some(ALARM_LABEL),
            due.timestamp().as_millisecond(),
            now,
        ) {
            Ok(_) => SkillAnswer::say(
                "timer",
                format!("Alarm set for {}.", alarm_time(&due, env.now)),
            ),
            Err(e) => store_failed(&e),
        }
    }))
}

/// What follows "alarm for": "6:30 AM", "tomorrow at 7:00 AM", "Monday, June 15 at 6:00 AM".
fn alarm_time(due: &ZonedDateTime, now: &ZonedDateTime) -> String {
    let when = speak_when(due, now);
    match when
        .strip_prefix("at ")
        .or_else(|| when.strip_prefix("on "))
    {
        Some(rest) => rest.to_owned(),
        None => when,
    }
}

/// "at 5:30 PM", "tomorrow at 9:00 AM".
pub(super) fn speak_when(due: &ZonedDateTime, now: &ZonedDateTime) -> String {
    if due.date() == now.date() {
        format!("at {}", speak_clock(due))
    } else if Some(due.date()) == now.date().tomorrow().ok() {
        format!("tomorrow at {}", speak_clock(due))
    } else {
        format!(
            "on {} at {}",
            super::clock::speak_day(due.date(), due.year() != now.year()),
            speak_clock(due)
        )
    }
}

/// Sets a timer; the answer says so.
pub(crate) fn start_timer(env: &SkillEnv<'_>, secs: f64, label: Option<String>) -> Outcome {
    if !in_range(secs, MAX_SECS) {
        return Outcome::Answer(SkillAnswer::say("timer", TIMER_RANGE));
    }
    effect(env, || {
        let now = env.now_ms();
        let due = now + (secs * 1000.0).round() as i64;
        match env.timers.add(TimerKind::Timer, label.as_deref(), due, now) {
            Ok(_) => {
                let what = match &label {
                    Some(l) => format!("{} timer", sentence(l)),
                    None => "Timer".to_owned(),
                };
                SkillAnswer::say("timer", format!("{what} set for {}.", speak_duration(secs)))
            }
            Err(e) => store_failed(&e),
        }
    })
}

fn store_failed(e: &crate::store::StoreError) -> SkillAnswer {
    tracing::warn!(error = %e, "timer not saved");
    SkillAnswer::say("timer", "Sorry, I couldn't save that timer.")
}

/// Whether a timer is an alarm (set for a time of day).
pub(crate) fn is_alarm(timer: &Timer) -> bool {
    timer.kind == TimerKind::Timer && timer.label.as_deref() == Some(ALARM_LABEL)
}

/// A timer's name as we say it: [`Timer::name`], and an alarm by its time ("your alarm for
/// tomorrow at 6:30 AM"; it was "the alarm timer", and two alarms could not be told apart).
pub(crate) fn name(timer: &Timer, now: &ZonedDateTime) -> String {
    match due_time(timer, now) {
        Some(due) if is_alarm(timer) => format!("your alarm for {}", alarm_time(&due, now)),
        _ => timer.name(),
    }
}

/// When `timer` is due, on `now`'s clock.
pub(super) fn due_time(timer: &Timer, now: &ZonedDateTime) -> Option<ZonedDateTime> {
    jiff::Timestamp::from_millisecond(timer.due_at_ms)
        .ok()
        .map(|due| due.to_zoned_datetime(now.time_zone().clone()))
}

/// What is pending, each with its time left ("You have 2 alarms: ...").
pub(crate) fn describe(timers: &[Timer], now: &ZonedDateTime) -> String {
    let alarms = !timers.is_empty() && timers.iter().all(is_alarm);
    describe_as(timers, now, if alarms { "alarms" } else { "timers" })
}

/// [`describe`], naming what is listed `noun` ("timers", "reminders").
fn describe_as(timers: &[Timer], now: &ZonedDateTime, noun: &str) -> String {
    let now_ms = now.timestamp().as_millisecond();
    let items: Vec<String> = timers
        .iter()
        .map(|t| {
            let left = speak_duration((t.due_at_ms - now_ms).max(0) as f64 / 1000.0);
            format!("{}, {left} left", name(t, now))
        })
        .collect();
    match items.as_slice() {
        [] if noun == "timers" => "You don't have any timers running.".to_owned(),
        [] => format!("You don't have any {noun}."),
        [one] => format!("{}.", sentence(&one.replacen(", ", " has ", 1))),
        // Items are joined with semicolons: each holds commas and "and" of its own ("2 minutes
        // and 29 seconds left"), which a plain list split in the middle.
        [head @ .., last] => format!(
            "You have {} {noun}: {}; and {last}.",
            items.len(),
            head.join("; ")
        ),
    }
}

/// Words before "timer" that are not a label.
const NOT_LABEL: &[&str] = &[
    "a",
    "an",
    "the",
    "my",
    "set",
    "start",
    "new",
    "another",
    "for",
    "create",
    "make",
    "that",
    "this",
    "one",
    "up",
    "your",
    "kitchen",
    "countdown",
    "is",
    "of",
    "on",
];

/// "set a pasta timer", "a timer for the pasta", "a timer called pasta".
fn timer_label(t: &[String], duration: Option<DurationSpan>) -> Option<String> {
    let in_duration = |i: usize| duration.is_some_and(|d| (d.start..d.end).contains(&i));
    let at = t.iter().position(|w| w == "timer")?;
    let mut words = Vec::new();
    let mut i = at;
    while i > 0
        && !in_duration(i - 1)
        && !NOT_LABEL.contains(&t[i - 1].as_str())
        && unit_secs(&t[i - 1]).is_none()
    {
        i -= 1;
        words.insert(0, t[i].clone());
    }
    if words.is_empty() {
        for (k, w) in t.iter().enumerate().skip(at + 1) {
            if matches!(w.as_str(), "called" | "named" | "labeled" | "labelled")
                || (w == "for"
                    && !in_duration(k + 1)
                    && t.get(k + 1).is_some_and(|n| parse_digits(n).is_none()))
            {
                words = t[k + 1..]
                    .iter()
                    .take_while(|w| !matches!(w.as_str(), "for" | "in"))
                    .enumerate()
                    .take_while(|(j, _)| !in_duration(k + 1 + j))
                    .map(|(_, w)| w.clone())
                    .filter(|w| !matches!(w.as_str(), "the" | "my" | "a"))
                    .collect();
                break;
            }
        }
    }
    (!words.is_empty()).then(|| words.join(" "))
}

pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let timer_noun = has_any(t, &["timer", "timers", "countdown"]);
    let timer_word = timer_noun || has_any(t, &["alarm", "alarms"]);
    let reminder_word = has_any(t, &["reminder", "reminders"]);
    let cancel = has_any(t, &["cancel", "delete", "remove", "clear", "kill", "stop"])
        || has(t, &["turn", "off"])
        || has(t, &["switch", "off"])
        || has(t, &["get", "rid", "of"]);
    // "Cancel the five minute one." with timers running: the one it names.
    // (Normalization writes "one" as "1".)
    let pending = env.timers.list();
    let one_of_them = has_any(t, &["one", "1"]) && !pending.is_empty();
    // "Cancel everything." / "Cancel them all.": every timer, reminder and alarm (the language
    // model had said it would cancel nothing, and cancelled nothing). Only with "cancel": "stop
    // everything" may mean only our voice, "delete all" or "clear everything" the notes.
    let everything = has(t, &["cancel"])
        && has_any(t, &["everything", "all"])
        && t.iter().all(|w| {
            matches!(
                w.as_str(),
                "cancel" | "everything" | "all" | "of" | "them" | "please" | "just"
            )
        });
    if (timer_word || reminder_word || one_of_them || everything) && cancel {
        return Some(cancel_timers(t, env, reminder_word && !timer_word));
    }
    // Timers run on the wall clock and have no pause ("Pause the timer." was asked how long the
    // new timer should be).
    if timer_word && has_any(t, &["pause", "resume", "unpause", "freeze", "hold"]) {
        return Some(Outcome::Answer(SkillAnswer::say(
            "timer",
            "I can't pause a timer. I can cancel it, add time to it, or set it again.",
        )));
    }
    // "When is my reminder?" (on the rig it was taken for a new reminder without a time, and
    // answered "When should I remind you?"), "Is my timer still running?".
    let asking = t
        .first()
        .is_some_and(|w| matches!(w.as_str(), "is" | "are" | "do" | "does"))
        || has_any(
            t,
            &[
                "how",
                "what",
                "when",
                "which",
                "any",
                "check",
                "list",
                "show",
                "status",
                "left",
                "remaining",
            ],
        );
    // A question about the reminders set ("what did I ask you to remind me about?", "any
    // reminders?"): the reminders only, not the timers.
    // "Set" in a question is what was set ("What time is my alarm set for?", "Is my alarm set?":
    // each was asked for the new alarm's time), unless a new one follows it ("Is it possible
    // to set a timer?").
    let question = t.first().is_some_and(|w| {
        matches!(
            w.as_str(),
            "what" | "when" | "which" | "is" | "are" | "did" | "do" | "does" | "have" | "has"
        )
    });
    let new_one = ["set", "start", "create", "make"].iter().any(|verb| {
        ["a", "an", "another", "up", "1"]
            .iter()
            .any(|next| has(t, &[verb, next]))
    });
    let setting = has_any(t, &["set", "start", "create", "make"]) && (!question || new_one);
    let remind_question = has_any(t, &["remind"])
        && t.first().is_some_and(|w| {
            matches!(
                w.as_str(),
                "what" | "which" | "when" | "did" | "do" | "have" | "is" | "are"
            )
        });
    if !timer_word && !setting && (reminder_word && asking || remind_question) {
        let reminders: Vec<Timer> = pending
            .iter()
            .filter(|x| x.kind == TimerKind::Reminder)
            .cloned()
            .collect();
        let text = describe_as(&reminders, env.now, "reminders");
        return Some(Outcome::Answer(
            SkillAnswer::say("timer", text).with_progress("checking your reminders..."),
        ));
    }
    // "How long until the laundry is done?": a question that names a timer by its label.
    let labelled: Vec<Timer> = pending
        .iter()
        .filter(|x| names_label(t, x))
        .cloned()
        .collect();
    if has_any(t, &["how", "when"]) && !setting && !labelled.is_empty() {
        let text = describe(&labelled, env.now);
        return Some(Outcome::Answer(
            SkillAnswer::say("timer", text).with_progress("checking the timer..."),
        ));
    }
    let time_left = (has_any(t, &["left", "remaining"]) && has_any(t, &["time", "long", "much"]))
        || has(t, &["how", "much", "longer"]);
    if ((timer_word || reminder_word) && asking && !setting) || (time_left && !pending.is_empty()) {
        let text = describe(&pending, env.now);
        return Some(Outcome::Answer(
            SkillAnswer::say("timer", text).with_progress("checking the timer..."),
        ));
    }
    if let Some(at) = reminder_trigger(t)
        && let Some(outcome) = reminder(t, at, env)
    {
        return Some(outcome);
    }
    let alarm = has_any(t, &["alarm"]) || has(t, &["wake", "me"]);
    if alarm && let Some(outcome) = set_alarm(t, env) {
        return Some(outcome);
    }
    // "Set another one for 5 minutes" after a timer: another timer (it went to the language
    // model). A duration is needed, else "one" is not a timer.
    let duration = parse_duration(t);
    let another = (has(t, &["another", "1"]) || has(t, &["1", "more"]))
        && duration.is_some()
        && pending.iter().any(|x| x.kind == TimerKind::Timer);
    if timer_word || alarm || another {
        return Some(match duration {
            Some(d) => start_timer(env, d.secs, timer_label(t, duration)),
            // "Set an alarm." asks for a time, not a duration (it asked "How long should the
            // timer be?", and "quarter to eight" was no answer to that).
            None if alarm && !timer_noun => {
                Outcome::Answer(SkillAnswer::say("timer", ASK_ALARM_TIME))
            }
            None => Outcome::Answer(SkillAnswer::say("timer", ASK_DURATION)),
        });
    }
    None
}

/// Words that ask for a reminder again and again, which the timer table cannot do.
const REPEATING: &[&[&str]] = &[
    &["every", "day"],
    &["every", "morning"],
    &["every", "evening"],
    &["every", "night"],
    &["every", "week"],
    &["every", "weekday"],
    &["every", "hour"],
    &["each", "day"],
    &["everyday"],
    &["daily"],
    &["weekly"],
];

/// Where the words ask for a reminder: "remind", "reminder", "let me know in", "tell me in".
fn reminder_trigger(t: &[String]) -> Option<usize> {
    find(t, &["remind"])
        .or_else(|| find(t, &["reminder"]))
        .or_else(|| find(t, &["let", "me", "know", "in"]))
        .or_else(|| find(t, &["tell", "me", "in"]))
}

/// The answer to "When should I remind you?": the request it asked about (`request`, the
/// user's words before the question) with the words that answer it ("next month", "the car
/// insurance next month", "in an hour"), read as one. `None` when the answer names no time or
/// is a request of its own ("remind me to renew the car insurance next month", "set a timer
/// for two weeks").
pub(super) fn reminder_time_given(
    request: &[String],
    answer: &[String],
    env: &SkillEnv<'_>,
) -> Option<Outcome> {
    // A request of its own ("set a timer for two weeks", "what's the date next month") is
    // no answer to the question.
    let own_request = has_any(
        answer,
        &[
            "remind", "reminder", "timer", "timers", "alarm", "alarms", "cancel", "note",
        ],
    ) || answer.first().is_some_and(|w| {
        matches!(
            w.as_str(),
            "what" | "how" | "when" | "who" | "where" | "why" | "which" | "is" | "are" | "set"
        )
    });
    if own_request {
        return None;
    }
    let when = parse_duration(answer).is_some()
        || parse_clock_time(answer, env.now).is_some()
        || parse_day(answer, env.now).is_some();
    let trigger = reminder_trigger(request)?;
    let joined: Vec<String> = request.iter().chain(answer).cloned().collect();
    when.then(|| reminder(&joined, trigger, env)).flatten()
}

fn reminder(t: &[String], trigger: usize, env: &SkillEnv<'_>) -> Option<Outcome> {
    // The reminder's text follows the trigger, minus the time phrase.
    let mut after = trigger + 1;
    if t.get(after)
        .is_some_and(|w| matches!(w.as_str(), "me" | "us"))
    {
        after += 1;
    }
    if t[trigger] == "let" || t[trigger] == "tell" {
        after = trigger + 2;
    }
    let duration = parse_duration(t);
    let clock_time = if duration.is_none() {
        parse_clock_time(t, env.now)
    } else {
        None
    };
    // A day alone ("tomorrow", "next month"): that day at a set hour.
    let day = if duration.is_none() && clock_time.is_none() {
        parse_day(t, env.now)
    } else {
        None
    };
    let clock = clock_time.clone().or(day);
    let (span_start, span_end) = match (&duration, &clock) {
        (Some(d), _) => {
            let s = if d.start > 0 && matches!(t[d.start - 1].as_str(), "in" | "after" | "for") {
                d.start - 1
            } else {
                d.start
            };
            let e = if starts(&t[d.end..], &["from", "now"]) {
                d.end + 2
            } else {
                d.end
            };
            (s, e)
        }
        (None, Some((_, s, e))) => (*s, *e),
        (None, None) => (usize::MAX, usize::MAX),
    };
    let mut words: Vec<&str> = t
        .iter()
        .enumerate()
        .filter(|(i, _)| *i >= after && !(span_start..span_end).contains(i))
        .map(|(_, w)| w.as_str())
        .collect();
    if words
        .first()
        .is_some_and(|w| matches!(*w, "what" | "where" | "who" | "how" | "when" | "which"))
        && duration.is_none()
        && clock_time.is_none()
    {
        return None; // "remind me what I said", "remind me what's on Friday": not a reminder.
    }
    // Reminders do not repeat: "every day" is said back as once, not kept in the label.
    let mut repeats = false;
    for phrase in REPEATING {
        while let Some(at) = words.windows(phrase.len()).position(|w| w == *phrase) {
            words.drain(at..at + phrase.len());
            repeats = true;
        }
    }
    // "Remind me about the dentist": the label keeps its "about" ("I'll remind you about the
    // dentist", not "to the dentist").
    let about = words.first() == Some(&"about");
    while words.first().is_some_and(|w| {
        matches!(
            *w,
            "to" | "that" | "about" | "of" | "me" | "set" | "a" | "for"
        )
    }) {
        words.remove(0);
    }
    if about && !words.is_empty() {
        words.insert(0, "about");
    }
    if words.last().is_some_and(|w| matches!(*w, "to")) {
        words.pop();
    }
    let text = (!words.is_empty()).then(|| words.join(" "));
    let (due_ms, when) = match (&duration, &clock) {
        (Some(d), _) if !in_range(d.secs, MAX_REMINDER_SECS) => {
            return Some(Outcome::Answer(SkillAnswer::say("timer", REMINDER_RANGE)));
        }
        (Some(d), _) => (
            env.now_ms() + (d.secs * 1000.0).round() as i64,
            format!("in {}", speak_duration(d.secs)),
        ),
        (None, Some((z, _, _))) => (z.timestamp().as_millisecond(), speak_when(z, env.now)),
        (None, None) => {
            return Some(Outcome::Answer(SkillAnswer::say(
                "timer",
                format!(
                    "{ASK_REMINDER_TIME} For example, say: remind me in 10 minutes to check the oven."
                ),
            )));
        }
    };
    Some(effect(env, || {
        match env
            .timers
            .add(TimerKind::Reminder, text.as_deref(), due_ms, env.now_ms())
        {
            Ok(_) if repeats => SkillAnswer::say(
                "timer",
                format!(
                    "{}, just this once.",
                    will_remind(text.as_deref(), &when).replacen(
                        "Okay, I'll",
                        "I can't repeat reminders yet, so I'll",
                        1
                    )
                ),
            ),
            Ok(_) => SkillAnswer::say("timer", format!("{}.", will_remind(text.as_deref(), &when))),
            Err(e) => store_failed(&e),
        }
    }))
}

/// "Okay, I'll remind you to call your mom in 10 minutes" (no full stop: a change adds
/// "instead").
pub(super) fn will_remind(label: Option<&str>, when: &str) -> String {
    let what = label
        .map(|x| format!(" {}", reminder_of(x)))
        .unwrap_or_default();
    format!("Okay, I'll remind you{what} {when}")
}

/// Whether the words name the timer's label ("laundry" for "the laundry timer").
pub(super) fn names_label(t: &[String], timer: &Timer) -> bool {
    let words = super::content_words(t);
    timer.label.as_deref().is_some_and(|l| {
        let label_words =
            super::content_words(&l.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
        label_words.iter().any(|lw| words.contains(lw))
    })
}

/// Whether the words name the weekday `timer` is due on.
fn due_on_named_day(t: &[String], timer: &Timer, now: &ZonedDateTime) -> bool {
    due_time(timer, now).is_some_and(|due| {
        let day = super::clock::weekday(due.weekday());
        t.iter().any(|w| w.eq_ignore_ascii_case(day))
    })
}

/// "Which one: your alarm for 6:00 AM or your alarm for 7:45 AM? Or say cancel all timers."
fn which_one(timers: &[&Timer], now: &ZonedDateTime) -> Outcome {
    let names: Vec<String> = timers.iter().map(|x| name(x, now)).collect();
    Outcome::Answer(SkillAnswer::say(
        "timer",
        format!(
            "Which one: {}? Or say cancel all timers.",
            join_and(&names).replace(" and ", " or ")
        ),
    ))
}

pub(crate) fn cancel_timers(t: &[String], env: &SkillEnv<'_>, reminders_only: bool) -> Outcome {
    let pending: Vec<Timer> = env
        .timers
        .list()
        .into_iter()
        .filter(|x| !reminders_only || x.kind == TimerKind::Reminder)
        .collect();
    if pending.is_empty() {
        let what = if reminders_only {
            "reminders"
        } else {
            "timers running"
        };
        return Outcome::Answer(SkillAnswer::say(
            "timer",
            format!("You don't have any {what}."),
        ));
    }
    let all = has_any(
        t,
        &[
            "all",
            "every",
            "everything",
            "timers",
            "reminders",
            "alarms",
        ],
    );
    // Named by its label ("the pasta timer") or by its length ("the five minute one").
    // ("the 5 minute 1": the "one" that stands for the timer is no part of its length.)
    let spoken = match t.split_last() {
        Some((last, rest)) if last == "1" => rest,
        _ => t,
    };
    let length = parse_duration(spoken).map(|d| (d.secs * 1000.0).round() as i64);
    let mut named: Vec<&Timer> = pending
        .iter()
        .filter(|x| {
            names_label(t, x)
                || length.is_some_and(|ms| (x.due_at_ms - x.created_at_ms - ms).abs() < 1000)
        })
        .collect();
    // "Cancel the Thursday alarm" (it asked which of the two alarms): the ones due that day.
    let on_day: Vec<&Timer> = named
        .iter()
        .copied()
        .filter(|x| due_on_named_day(t, x, env.now))
        .collect();
    if !on_day.is_empty() {
        named = on_day;
    }
    // "Stop the timer" with one timer among reminders and alarms: that timer.
    let plain: Vec<&Timer> = pending
        .iter()
        .filter(|x| x.kind == TimerKind::Timer && !is_alarm(x))
        .collect();
    let says_timer = has_any(t, &["timer", "countdown"]) && !has_any(t, &["alarm", "reminder"]);
    let chosen: Vec<Timer> = if all {
        pending.clone()
    } else if let [one] = named.as_slice() {
        vec![(*one).clone()]
    } else if !named.is_empty() {
        // "Delete my alarm" with two alarms (it deleted both): which one.
        return which_one(&named, env.now);
    } else if pending.len() == 1 {
        pending.clone()
    } else if says_timer && let [one] = plain.as_slice() {
        vec![(*one).clone()]
    } else {
        return which_one(&pending.iter().collect::<Vec<_>>(), env.now);
    };
    effect(env, || {
        let ids: Vec<i64> = chosen.iter().map(|x| x.id).collect();
        match env.timers.cancel(&ids) {
            Ok(gone) if gone.len() == 1 => SkillAnswer::say(
                "timer",
                format!("Okay, I cancelled {}.", name(&gone[0], env.now)),
            ),
            Ok(gone) => {
                SkillAnswer::say("timer", format!("Okay, I cancelled {} timers.", gone.len()))
            }
            Err(e) => store_failed(&e),
        }
    })
}
