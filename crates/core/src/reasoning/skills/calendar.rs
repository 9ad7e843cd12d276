//! Days to a date: "how many days until Christmas?", "how long till June 9th?", "when is
//! Halloween?", "what day is Christmas?". Counted on the local calendar from today; a date
//! already past this year is next year's.

use jiff::civil::{Date, Weekday};

use super::clock::{MONTHS, month_name, speak_day, weekday};
use super::{Outcome, SkillAnswer, SkillEnv, has, has_any, sentence};

/// Fixed-date holidays: the words that name one (all of them, in a row) and the month and day.
const HOLIDAYS: &[(&[&str], &str, i8, i8)] = &[
    (&["christmas", "eve"], "Christmas Eve", 12, 24),
    (&["christmas"], "Christmas", 12, 25),
    (&["xmas"], "Christmas", 12, 25),
    (&["new", "year's", "eve"], "New Year's Eve", 12, 31),
    (&["new", "years", "eve"], "New Year's Eve", 12, 31),
    (&["new", "year's"], "New Year's Day", 1, 1),
    (&["new", "years"], "New Year's Day", 1, 1),
    (&["new", "year"], "New Year's Day", 1, 1),
    (&["halloween"], "Halloween", 10, 31),
    (&["valentine's"], "Valentine's Day", 2, 14),
    (&["valentines"], "Valentine's Day", 2, 14),
    (&["valentine"], "Valentine's Day", 2, 14),
    (&["independence", "day"], "Independence Day", 7, 4),
    (&["fourth", "of", "july"], "the Fourth of July", 7, 4),
    (&["4th", "of", "july"], "the Fourth of July", 7, 4),
    (&["4", "of", "july"], "the Fourth of July", 7, 4),
];

/// An ordinal's ending, as the normalizer splits it off a number ("3rd" -> "3" "rd").
pub(super) fn ordinal_suffix(word: &str) -> bool {
    matches!(word, "st" | "nd" | "rd" | "th")
}

/// "9", "9th", "1st", "22nd", "3rd" -> the day of the month.
pub(super) fn day_number(word: &str) -> Option<i8> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !(suffix.is_empty() || ordinal_suffix(suffix)) {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

pub(super) fn month_number(word: &str) -> Option<i8> {
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(word))
        .map(|i| i as i8 + 1)
}

/// A year said after a date ("July 4th 2020"): the word at `i`, or after an "st"/"th" the
/// recognizer split off.
fn year_at(t: &[String], mut i: usize) -> Option<i16> {
    if t.get(i).is_some_and(|w| ordinal_suffix(w)) {
        i += 1;
    }
    let w = t.get(i)?;
    (w.len() == 4)
        .then(|| w.parse::<i16>().ok())
        .flatten()
        .filter(|y| (1000..=2999).contains(y))
}

/// "July 4, 2020 was a Saturday." / "March 3, 2031 is a Monday, in 1548 days.": a date with
/// its year (asked "what day of the week was July 4th 2020?", it had answered today's date).
fn dated_answer(today: Date, date: Date) -> Option<String> {
    let day = format!(
        "{} {}, {}",
        month_name(date.month()),
        date.day(),
        date.year()
    );
    let name = weekday(date.weekday());
    let days = today.until(date).ok()?.get_days();
    Some(match days {
        0 => format!("{day} is today, a {name}."),
        d if d < 0 => format!("{day} was a {name}."),
        1 => format!("{day} is tomorrow, a {name}."),
        d => format!("{day} is a {name}, in {d} days."),
    })
}

/// The date asked about, named as the answer says it: a holiday, "June 9" / "9th of June" /
/// "the 9th of June"; and the year when one is said after it.
fn target(t: &[String]) -> Option<(String, i8, i8, Option<i16>)> {
    for (words, name, month, day) in HOLIDAYS {
        if let Some(at) = super::find(t, words) {
            let year = year_at(t, at + words.len());
            return Some(((*name).to_owned(), *month, *day, year));
        }
    }
    for i in 0..t.len() {
        if let Some((month, day, _, end)) = month_day_at(t, i) {
            let year = year_at(t, end);
            return Some((format!("{} {day}", month_name(month)), month, day, year));
        }
    }
    None
}

/// A day of the month said without its month at `i`: "the", its number, the ordinal ending the
/// normalizer split off ("the 15th" -> "the" "15" "th"), and no month after it. The day.
pub(super) fn day_of_month_at(t: &[String], i: usize) -> Option<i8> {
    let w = |j: usize| t.get(j).map(String::as_str).unwrap_or("");
    if w(i) != "the" || !ordinal_suffix(w(i + 2)) || w(i + 3) == "of" {
        return None;
    }
    if month_number(w(i + 3)).is_some() {
        return None;
    }
    day_number(w(i + 1))
}

/// The first date from today on with this day of the month (the 31st skips shorter months).
pub(super) fn next_day_of_month(today: Date, day: i8) -> Option<Date> {
    let mut first = today.first_of_month();
    for _ in 0..12 {
        if let Ok(date) = Date::new(first.year(), first.month(), day)
            && date >= today
        {
            return Some(date);
        }
        first = first.checked_add(jiff::Span::new().months(1)).ok()?;
    }
    None
}

/// A month named at `i` with its day: "June 9" (the day after it) or "9th of June" (before
/// it; the recognizer's "9th" arrives as "9" "th", numbers split from the letters glued to
/// them). The month, the day, the index of the first of those words (the month, or the day's
/// number before it) and the index just after the last (the day's number, or the month).
pub(super) fn month_day_at(t: &[String], i: usize) -> Option<(i8, i8, usize, usize)> {
    let month = month_number(t.get(i)?)?;
    if let Some(day) = t.get(i + 1).and_then(|w| day_number(w)) {
        return Some((month, day, i, i + 2));
    }
    let mut j = i;
    if j > 0 && t[j - 1] == "of" {
        j -= 1;
    }
    if j > 0 && ordinal_suffix(&t[j - 1]) {
        j -= 1;
    }
    let k = j.checked_sub(1)?;
    day_number(&t[k]).map(|day| (month, day, k, i + 1))
}

/// The next `month`/`day` on or after `today` (February 29 waits for a leap year).
pub(super) fn next_occurrence(today: Date, month: i8, day: i8) -> Option<Date> {
    (0..8).find_map(|years| {
        let d = Date::new(today.year() + years, month, day).ok()?;
        (d >= today).then_some(d)
    })
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// "next Tuesday", "this Friday", "on Friday": what the answer calls it, its date, and where
/// the weekday's name is in `t`. "Next" is the first one after today; a weekday alone, or
/// "this", may be today.
pub(super) fn weekday_at(t: &[String], today: Date) -> Option<(String, Date, usize)> {
    let (i, day) = t
        .iter()
        .enumerate()
        .find_map(|(i, w)| weekday_named(w).map(|d| (i, d)))?;
    let before = i.checked_sub(1).map(|k| t[k].as_str());
    let next = before == Some("next");
    let mut date = today;
    while date.weekday() != day || (next && date == today) {
        date = date.tomorrow().ok()?;
    }
    let name = weekday(day).to_owned();
    let name = match before {
        Some("next") => format!("next {name}"),
        Some("this") => format!("this {name}"),
        _ => name,
    };
    Some((name, date, i))
}

/// The weekday a word names ("monday").
fn weekday_named(word: &str) -> Option<Weekday> {
    WEEKDAYS
        .into_iter()
        .find(|&d| weekday(d).eq_ignore_ascii_case(word))
}

/// "The first Monday in March", "the second Sunday of May", "the last Friday in June": how the
/// answer names it, and the date (this year's, or next year's once it has passed; "What's the
/// date of the first Monday in March?" was answered with next Monday).
fn nth_weekday(t: &[String], today: Date) -> Option<(String, Date)> {
    (0..t.len().saturating_sub(3)).find_map(|i| {
        let nth: i8 = match t[i].as_str() {
            "first" => 1,
            "second" => 2,
            "third" => 3,
            "fourth" => 4,
            "last" => -1,
            _ => return None,
        };
        let day = weekday_named(&t[i + 1])?;
        if !matches!(t[i + 2].as_str(), "in" | "of") {
            return None;
        }
        let month = month_number(&t[i + 3])?;
        let year = year_named(t, today);
        let on = |y: i16| {
            Date::new(y, month, 1)
                .ok()?
                .nth_weekday_of_month(nth, day)
                .ok()
        };
        let mut date = on(year)?;
        if date < today && year == today.year() {
            date = on(year + 1)?;
        }
        let name = format!("the {} {} in {}", t[i], weekday(day), month_name(month));
        Some((name, date))
    })
}

/// The year a question names: a four-digit year, "next year", "last year", else this one.
fn year_named(t: &[String], today: Date) -> i16 {
    if let Some(y) = (0..t.len()).find_map(|i| year_at(t, i)) {
        y
    } else if has(t, &["next", "year"]) {
        today.year() + 1
    } else if has(t, &["last", "year"]) {
        today.year() - 1
    } else {
        today.year()
    }
}

/// "Is 2028 a leap year?", "how many days are in February this year?" (the language model
/// answered both at length, the second wrongly).
fn year_facts(t: &[String], today: Date) -> Option<String> {
    let year = year_named(t, today);
    if has(t, &["leap", "year"]) && t.first().is_some_and(|w| w == "is") {
        let leap = |y: i16| Date::new(y, 2, 29).is_ok();
        return Some(if leap(year) {
            format!("Yes, {year} is a leap year.")
        } else {
            let next = (year + 1..year + 9).find(|&y| leap(y))?;
            format!("No, {year} is not a leap year. The next one is {next}.")
        });
    }
    if has(t, &["how", "many", "days"]) {
        let month = (0..t.len())
            .filter(|&i| i > 0 && t[i - 1] == "in")
            .find_map(|i| month_number(&t[i]))?;
        let days = Date::new(year, month, 1).ok()?.days_in_month();
        return Some(format!("{} {year} has {days} days.", month_name(month)));
    }
    None
}

pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    if let Some(text) = year_facts(t, env.now.date()) {
        return Some(Outcome::Answer(SkillAnswer::say("calendar", text)));
    }
    // "day" too: the recognizer drops the plural's "s" ("How many day until Christmas", heard
    // on the rig, went to the language model).
    let asks_how_long = ["days", "day"].iter().any(|days| {
        has(t, &["how", "many", days])
            || has(t, &[days, "until"])
            || has(t, &[days, "till"])
            || has(t, &[days, "left"])
            || has(t, &[days, "away"])
    }) || has(t, &["how", "many", "weeks"])
        || has(t, &["how", "long"]);
    // "What's the date next Tuesday?" (answered with today's date until 2026-12-06).
    let asks_when = has(t, &["when", "is"])
        || has(t, &["what", "day"])
        || has(t, &["which", "day"])
        || has_any(t, &["date"]);
    // "My" is a timer, a reminder or a note ("how many days left on my ..."), unless the words
    // name a date ("how many days until my birthday on March 3rd?" went to the language
    // model, which made up "3 days until March 2nd").
    let target = target(t);
    // "How many weeks until my birthday?" without its date (the language model answered "You're
    // on a Tuesday, December 8th."): we do not know it.
    if (asks_how_long || asks_when)
        && target.is_none()
        && let Some(whose) = ["birthday", "anniversary"]
            .into_iter()
            .find(|w| has(t, &["my", w]))
    {
        let text = format!(
            "I don't know when your {whose} is. Ask me with its date, like: how many days until March 3rd?"
        );
        return Some(Outcome::Answer(SkillAnswer::say("calendar", text)));
    }
    if !(asks_how_long || asks_when)
        || has_any(t, &["timer", "timers", "reminder", "reminders"])
        || (has_any(t, &["my"]) && target.is_none())
    {
        return None;
    }
    let today = env.now.date();
    if let Some((name, date)) = nth_weekday(t, today) {
        let text = if asks_how_long {
            days_until(today, &name, date)?
        } else {
            dated_answer(today, date)?
        };
        return Some(Outcome::Answer(SkillAnswer::say("calendar", text)));
    }
    let text = match target {
        Some((_, month, day, Some(year))) => {
            dated_answer(today, Date::new(year, month, day).ok()?)?
        }
        Some((name, month, day, None)) => {
            days_until(today, &name, next_occurrence(today, month, day)?)?
        }
        None => match (0..t.len()).find_map(|i| {
            day_of_month_at(t, i).map(|day| (format!("the {}{}", t[i + 1], t[i + 2]), day))
        }) {
            // "What day of the week is the 23rd?" (today's date until 2026-12-08).
            Some((name, day)) => {
                let date = next_day_of_month(today, day)?;
                if asks_how_long {
                    days_until(today, &name, date)?
                } else {
                    dated_answer(today, date)?
                }
            }
            None => {
                let (name, date, _) = weekday_at(t, today)?;
                weekday_answer(today, &name, date, asks_how_long)?
            }
        },
    };
    Some(Outcome::Answer(SkillAnswer::say("calendar", text)))
}

/// "Next Tuesday is December 8, in 2 days." / "There are 2 days until next Tuesday, December
/// 8." / "This Sunday is today, December 6."
fn weekday_answer(today: Date, name: &str, date: Date, how_long: bool) -> Option<String> {
    let days = today.until(date).ok()?.get_days();
    let mut when = format!("{} {}", month_name(date.month()), date.day());
    if date.year() != today.year() {
        when = format!("{when}, {}", date.year());
    }
    let capital = sentence(name);
    Some(match days {
        0 => format!("{capital} is today, {when}."),
        1 => format!("{capital} is tomorrow, {when}."),
        n if how_long => format!("There are {n} days until {name}, {when}."),
        n => format!("{capital} is {when}, in {n} days."),
    })
}

/// "There are 20 days until Christmas, Friday, December 25." / "Christmas is today."
fn days_until(today: Date, name: &str, date: Date) -> Option<String> {
    let days = today.until(date).ok()?.get_days();
    let when = speak_day(date, date.year() != today.year());
    Some(match days {
        0 => format!("{name} is today."),
        1 => format!("{name} is tomorrow, {when}."),
        // "until Wednesday, March 3, 2027", not "until March 3, Wednesday, March 3, 2027".
        n if when.contains(name) => format!("There are {n} days until {when}."),
        n => format!("There are {n} days until {name}, {when}."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reasoning::Utterance;
    use crate::reasoning::skills::test_env::TestEnv;
    use jiff::ZonedDateTime;

    fn ask(text: &str, now: &str) -> Option<String> {
        let now: ZonedDateTime = now.parse().unwrap();
        let u = Utterance::parse(text);
        let (name, month, day, _) = target(&u.tokens)?;
        let today = now.date();
        days_until(today, &name, next_occurrence(today, month, day)?)
    }

    #[test]
    fn days_to_holidays_and_dates() {
        let dec5 = "2026-12-05T12:00:00[UTC]";
        assert_eq!(
            ask("How many days until Christmas?", dec5).as_deref(),
            Some("There are 20 days until Christmas, Friday, December 25.")
        );
        assert_eq!(
            ask("how long till new year's eve", dec5).as_deref(),
            Some("There are 26 days until New Year's Eve, Thursday, December 31.")
        );
        assert_eq!(
            ask("How many days until June 9th?", dec5).as_deref(),
            Some("There are 186 days until Wednesday, June 9, 2027.")
        );
        assert_eq!(
            ask("days left until the 6th of December", dec5).as_deref(),
            Some("December 6 is tomorrow, Sunday, December 6.")
        );
        assert_eq!(
            ask("when is Christmas", "2026-12-25T08:00:00[UTC]").as_deref(),
            Some("Christmas is today.")
        );
        assert_eq!(
            ask("how many days until February 29", dec5).as_deref(),
            Some("There are 451 days until Tuesday, February 29, 2028.")
        );
        assert_eq!(ask("how many days until the weekend", dec5), None);
        // Through the whole skill chain: the date asked about, not today's (the clock skill
        // answers "what day" questions without one).
        let env = TestEnv::new();
        let a = env.answer("What day is Christmas?");
        assert_eq!(a.skill, "calendar");
        assert_eq!(
            a.text,
            "There are 199 days until Christmas, Friday, December 25."
        );
        assert_eq!(env.answer("What day is it today?").skill, "clock");
        assert_eq!(
            env.say("How many weeks until Christmas?"),
            "There are 199 days until Christmas, Friday, December 25."
        );
        assert_eq!(env.answer("when is my timer done").skill, "timer");
        assert_eq!(ask("how many days until June 40", dec5), None);
    }

    #[test]
    fn the_date_of_a_weekday() {
        // Tuesday, June 9, 2026.
        let env = TestEnv::new();
        for (said, want) in [
            (
                "What's the date next Tuesday?",
                "Next Tuesday is June 16, in 7 days.",
            ),
            ("what date is friday", "Friday is June 12, in 3 days."),
            (
                "When is this Wednesday?",
                "This Wednesday is tomorrow, June 10.",
            ),
            ("what's the date on Tuesday", "Tuesday is today, June 9."),
            (
                "How many days until next Monday?",
                "There are 6 days until next Monday, June 15.",
            ),
        ] {
            let a = env.answer(said);
            assert_eq!((a.skill, a.text.as_str()), ("calendar", want), "{said:?}");
        }
        // Today's date is still the clock's; a reminder on Friday is the timer's.
        assert_eq!(env.answer("What's the date today?").skill, "clock");
        assert_eq!(env.answer("when is my reminder on friday").skill, "timer");
    }
}
