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
    let about_time = is_one_of(
        t,
        &[
            &["time"],
            &["the", "time"],
            &["time", "now"],
            &["current", "time"],
        ],
    ) || has(t, &["what", "time"])
        || has(t, &["the", "time"])
        || has(t, &["time", "is", "it"])
        // "Is it morning or afternoon?" (the small model answered with a time it made up).
        || asks_part_of_day(t);
    if about_time && !has_any(t, &["timer", "timers", "left", "zone"]) {
        let elsewhere = has(t, &["time", "in"]) || has(t, &["time", "is", "it", "in"]);
        let prefix = if elsewhere {
            "I only know the time here. "
        } else {
            ""
        };
        return say(format!("{prefix}It's {}.", speak_clock(now)));
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
    let about_date = has_any(t, &["date"])
        || has(t, &["what", "day"])
        || has(t, &["which", "day"])
        || has(t, &["day", "of", "the", "week"])
        || has(t, &["day", "is", "it"])
        || is_one_of(
            t,
            &[
                &["what", "is", "today"],
                &["what", "is", "tomorrow"],
                &["today"],
                &["what", "day"],
                &["day"],
            ],
        );
    if about_date && !has_any(t, &["birthday", "anniversary", "timer"]) {
        return say(format!("{label} {}.", speak_date(&day)));
    }
    None
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
