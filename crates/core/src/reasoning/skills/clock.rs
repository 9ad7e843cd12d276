//! Time and date.

use jiff::ZonedDateTime;
use jiff::civil::{Date, Weekday};

use super::{Outcome, SkillAnswer, SkillEnv, has, has_any, is_one_of, starts};

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(super) fn weekday(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// "3:07 PM".
pub fn speak_clock(z: &ZonedDateTime) -> String {
    let h = z.hour();
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    let meridiem = if h < 12 { "AM" } else { "PM" };
    format!("{h12}:{:02} {meridiem}", z.minute())
}

/// "Tuesday, June 9, 2026".
pub fn speak_date(z: &ZonedDateTime) -> String {
    speak_day(z.date(), true)
}

/// "Tuesday, June 9", with ", 2026" when `with_year`.
pub(super) fn speak_day(date: Date, with_year: bool) -> String {
    let day = format!(
        "{}, {} {}",
        weekday(date.weekday()),
        month_name(date.month()),
        date.day()
    );
    if with_year {
        format!("{day}, {}", date.year())
    } else {
        day
    }
}

/// "June" for 6.
pub(super) fn month_name(month: i8) -> &'static str {
    MONTHS[(month - 1) as usize]
}

pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let now = env.now;
    let say = |text: String| Some(Outcome::Answer(SkillAnswer::say("clock", text)));
    let question = has_any(
        t,
        &[
            "what", "which", "tell", "is", "know", "current", "have", "got", "give", "say",
        ],
    ) || t.len() <= 3;
    if !question {
        return None;
    }
    // Timers, alarms and reminders are theirs; time zones are the language model's.
    let others = has_any(
        t,
        &[
            "timer",
            "timers",
            "alarm",
            "alarms",
            "reminder",
            "reminders",
            "left",
            "zone",
        ],
    );
    if let Some(elsewhere) = asks_time_now(t).filter(|_| !others) {
        let prefix = if elsewhere {
            "I only know the time here. "
        } else {
            ""
        };
        return say(format!("{prefix}It's {}.", speak_clock(now)));
    }
    // The time of something else ("What time does the shop close?", "What time is my train?"):
    // answered with the clock until 2026-12-08, as if it were the question.
    if has(t, &["what", "time"]) && !others {
        return say(format!(
            "I can't look that up. It's {} now.",
            speak_clock(now)
        ));
    }
    let (day, label) = if has_any(t, &["tomorrow", "tomorrow's"]) {
        (now.tomorrow().ok()?, "Tomorrow is")
    } else if has_any(t, &["yesterday", "yesterday's"]) {
        (now.yesterday().ok()?, "Yesterday was")
    } else {
        (now.clone(), "Today is")
    };
    if has(t, &["what", "year"]) || has(t, &["which", "year"]) {
        return say(format!("It's {}.", day.year()));
    }
    if has(t, &["what", "month"]) || has(t, &["which", "month"]) {
        return say(format!("It's {}.", month_name(day.month())));
    }
    if has_any(t, &["birthday", "anniversary", "timer"]) {
        return None;
    }
    if asks_date_now(t) {
        return say(format!("{label} {}.", speak_date(&day)));
    }
    // The day or date of something else that the calendar skill (before this one) did not know
    // ("What date is Easter?", "Which day is the bin collection?": today's date until
    // 2026-12-08).
    if has(t, &["what", "day"]) || has(t, &["which", "day"]) || has(t, &["what", "date"]) {
        return say(format!(
            "I can't look that up. {label} {}.",
            speak_date(&day)
        ));
    }
    None
}

/// Words after a question about the time or the date that still ask about now or today: "what
/// time is it now, please", "what's the date today", "what day of the week is it".
const ABOUT_NOW: &[&str] = &[
    "now",
    "please",
    "here",
    "right",
    "currently",
    "exactly",
    "again",
    "then",
    "tandem",
    "today",
    "tomorrow",
    "yesterday",
    "is",
    "it",
    "was",
    "will",
    "be",
    "of",
    "the",
    "week",
];

/// `rest` (the words after a question's key word) asks only about now or today.
fn about_now(rest: &[String]) -> bool {
    rest.iter().all(|w| ABOUT_NOW.contains(&w.as_str()))
}

/// The time now is asked for: `Some(elsewhere)`, where `elsewhere` is a place named after it
/// ("what's the time in Tokyo"). "What time is it", "do you know what time it is", "what's
/// the time (now)", "current time", "time please"; not the time of something else ("what time
/// does the shop close?").
fn asks_time_now(t: &[String]) -> Option<bool> {
    // "Is it morning or afternoon?" (the small model answered with a time it made up).
    if asks_part_of_day(t) {
        return Some(false);
    }
    if has(t, &["time", "is", "it"]) || has(t, &["time", "it", "is"]) {
        return Some(has(t, &["is", "it", "in"]) || has(t, &["it", "is", "in"]));
    }
    // "time", "what time", "the time", "current time", and what follows it.
    (0..t.len())
        .filter(|&i| t[i] == "time")
        .filter(|&i| i == 0 || matches!(t[i - 1].as_str(), "what" | "the" | "current"))
        .find_map(|i| {
            let rest = &t[i + 1..];
            if about_now(rest) {
                Some(false)
            } else {
                (rest.len() >= 2 && rest[0] == "in").then_some(true)
            }
        })
}

/// Today's (or tomorrow's, yesterday's) date or weekday is asked for: "what's the date
/// (today)", "what day is it", "what day of the week is it", "which day is it today", "what
/// is today's date", "what day is tomorrow"; not the day of something else.
fn asks_date_now(t: &[String]) -> bool {
    if is_one_of(
        t,
        &[
            &["today"],
            &["day"],
            &["date"],
            &["what", "is", "today"],
            &["what", "is", "tomorrow"],
        ],
    ) {
        return true;
    }
    (1..t.len())
        .filter(|&i| match t[i].as_str() {
            "day" => matches!(t[i - 1].as_str(), "what" | "which"),
            "date" => matches!(
                t[i - 1].as_str(),
                "the" | "what" | "current" | "today's" | "tomorrow's" | "yesterday's"
            ),
            _ => false,
        })
        .any(|i| about_now(&t[i + 1..]))
}

/// "Is it morning or afternoon?", also after a greeting ("Hey there, is it morning or
/// afternoon?" went to the small model, which said "It's early morning" in the evening): "is
/// it" with a part of the day right after it.
fn asks_part_of_day(t: &[String]) -> bool {
    const PARTS: &[&str] = &["morning", "afternoon", "evening", "night", "am", "pm"];
    t.windows(3)
        .any(|w| w[0] == "is" && w[1] == "it" && PARTS.contains(&w[2].as_str()))
        || starts(t, &["is", "it"]) && t.iter().any(|w| PARTS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_date_are_spoken() {
        let z: ZonedDateTime = "2026-06-09T15:07:00[UTC]".parse().unwrap();
        assert_eq!(speak_clock(&z), "3:07 PM");
        assert_eq!(speak_date(&z), "Tuesday, June 9, 2026");
        let midnight: ZonedDateTime = "2026-06-09T00:05:00[UTC]".parse().unwrap();
        assert_eq!(speak_clock(&midnight), "12:05 AM");
        let env = crate::reasoning::skills::test_env::TestEnv::new();
        assert_eq!(env.say("Is it morning or afternoon?"), "It's 3:07 PM.");
        assert_eq!(
            env.say("Hey there, is it morning or afternoon?"),
            "It's 3:07 PM."
        );
    }
}
