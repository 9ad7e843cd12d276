//! Clock times as people say them, for alarms and reminders: "at 5 pm", "at 17:30", "at half
//! past 6", "tomorrow at 9", "noon", "on Friday at 3", "wake me up at 7" (the morning).

use jiff::ZonedDateTime;
use jiff::civil::Time;

use super::has_any;
use super::timer::unit_secs;
use crate::reasoning::numbers::parse_digits;

/// A clock time in `t` ("at 5 pm", "at 17:30", "at half past 6", "tomorrow at 9", "noon"):
/// the next such moment after `now`, and the token span it came from.
pub(super) fn parse_clock_time(
    t: &[String],
    now: &ZonedDateTime,
) -> Option<(ZonedDateTime, usize, usize)> {
    let tomorrow = has_any(t, &["tomorrow"]);
    // "On Friday at 3 pm" (it was set for the next 3 pm, "friday" left in the reminder's text).
    let day = super::calendar::weekday_at(t, now.date());
    // "Wake me up at 7": the morning.
    let waking = has_any(t, &["wake"]);
    for i in 0..t.len() {
        let at = t[i] == "at" || t[i] == "for" || t[i] == "by";
        let k = if at { i + 1 } else { i };
        let Some((hour, minute, meridiem, end)) = clock_expr(t, k, at) else {
            continue;
        };
        let mut end = end;
        while t
            .get(end)
            .is_some_and(|w| matches!(w.as_str(), "tomorrow" | "today" | "tonight"))
        {
            end += 1;
        }
        let mut start = if t.get(i.wrapping_sub(1)).is_some_and(|w| w == "tomorrow") {
            i - 1
        } else {
            i
        };
        let meridiem = match meridiem {
            Meridiem::Unknown if waking && (4..12).contains(&hour) => Meridiem::Am,
            m => m,
        };
        let on = day.as_ref().map(|(_, date, _)| *date);
        match day {
            Some((_, _, at)) if at + 1 == start => {
                start = at;
                while start > 0 && matches!(t[start - 1].as_str(), "on" | "for" | "next" | "this") {
                    start -= 1;
                }
            }
            Some((_, _, at)) if at == end || (at == end + 1 && t[end] == "on") => end = at + 1,
            _ => {}
        }
        let due = resolve(now, hour, minute, meridiem, tomorrow, on)?;
        return Some((due, start, end));
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Meridiem {
    Am,
    Pm,
    Unknown,
}

/// Hour, minute, am/pm and the end of a clock expression at `k`. Without a preceding "at",
/// only unambiguous forms count ("5 pm", "17:30", "noon").
fn clock_expr(t: &[String], k: usize, after_at: bool) -> Option<(u32, u32, Meridiem, usize)> {
    let w = |j: usize| t.get(j).map(String::as_str).unwrap_or("");
    let mut j = k;
    let hour: u32;
    let mut minute: u32;
    let mut explicit = false;
    match w(j) {
        "noon" | "midday" => return Some((12, 0, Meridiem::Pm, j + 1)),
        "midnight" => return Some((0, 0, Meridiem::Am, j + 1)),
        "half" | "quarter" if w(j + 1) == "past" => {
            minute = if w(j) == "half" { 30 } else { 15 };
            hour = parse_digits(w(j + 2)).filter(|h| h.fract() == 0.0)? as u32;
            j += 3;
            explicit = true;
        }
        "quarter" if w(j + 1) == "to" => {
            let h = parse_digits(w(j + 2)).filter(|h| h.fract() == 0.0)? as u32;
            hour = if h == 0 { 23 } else { h - 1 };
            minute = 45;
            j += 3;
            explicit = true;
        }
        word if word.contains(':') => {
            let (h, m) = word.split_once(':')?;
            hour = h.parse().ok()?;
            minute = m.parse().ok()?;
            j += 1;
            explicit = true;
        }
        word => {
            let n = parse_digits(word).filter(|n| n.fract() == 0.0 && *n >= 0.0)? as u32;
            if (100..=2400).contains(&n) && n % 100 < 60 {
                // "at 530", "at 1730".
                hour = n / 100;
                minute = n % 100;
            } else {
                hour = n;
                minute = 0;
            }
            j += 1;
            if w(j) == "o'clock" {
                j += 1;
                explicit = true;
            } else if let Some(m) = parse_digits(w(j)).filter(|m| m.fract() == 0.0 && *m < 60.0)
                && minute == 0
            {
                minute = m as u32;
                j += 1;
            }
        }
    }
    let meridiem = match (w(j), w(j + 1), w(j + 2)) {
        ("am", _, _) => {
            j += 1;
            Meridiem::Am
        }
        ("pm", _, _) => {
            j += 1;
            Meridiem::Pm
        }
        ("in", "the", "morning") => {
            j += 3;
            Meridiem::Am
        }
        ("in", "the", "afternoon" | "evening") => {
            j += 3;
            Meridiem::Pm
        }
        ("at", "night", _) => {
            j += 2;
            Meridiem::Pm
        }
        ("tonight", _, _) => Meridiem::Pm,
        _ => Meridiem::Unknown,
    };
    if hour > 24 || minute > 59 || unit_secs(w(j)).is_some() {
        return None;
    }
    if !(after_at || explicit || meridiem != Meridiem::Unknown) {
        return None;
    }
    Some((hour % 24, minute, meridiem, j))
}

/// `hour`:`minute` on `day`, on `zone`'s clock.
pub(super) fn on_day_at(
    day: jiff::civil::Date,
    hour: u32,
    minute: u32,
    zone: &ZonedDateTime,
) -> Option<ZonedDateTime> {
    let time = Time::new(hour as i8, minute as i8, 0, 0).ok()?;
    day.to_datetime(time)
        .to_zoned_datetime(zone.time_zone().clone())
        .ok()
}

fn resolve(
    now: &ZonedDateTime,
    hour: u32,
    minute: u32,
    meridiem: Meridiem,
    tomorrow: bool,
    day: Option<jiff::civil::Date>,
) -> Option<ZonedDateTime> {
    let hour = match meridiem {
        Meridiem::Pm if hour < 12 => hour + 12,
        Meridiem::Am if hour == 12 => 0,
        _ => hour,
    };
    let at = |day: jiff::civil::Date, h: u32| on_day_at(day, h, minute, now);
    let today = now.date();
    let base = match day {
        Some(day) => day,
        None if tomorrow => said_tomorrow(now)?,
        None => today,
    };
    let mut candidates = vec![at(base, hour)?];
    if meridiem == Meridiem::Unknown && (1..12).contains(&hour) {
        // "at 5": whichever of 5:00 and 17:00 comes next.
        candidates.push(at(base, hour + 12)?);
    }
    if let Some(next) = candidates
        .iter()
        .filter(|c| c.timestamp() > now.timestamp())
        .min_by_key(|c| c.timestamp())
    {
        return Some(next.clone());
    }
    // Passed: the same time the next day, or a week on for a weekday named ("Friday at 3"
    // said on a Friday at 4).
    let later = match day {
        Some(_) => base.checked_add(jiff::Span::new().days(7)).ok()?,
        None => base.tomorrow().ok()?,
    };
    at(later, hour)
}

/// The hour a part of the day stands for when no clock time is said: "tomorrow morning" 9 AM,
/// "afternoon" 3 PM, "evening" 7 PM, "tonight" or "night" 8 PM.
fn part_of_day_hour(word: &str) -> Option<u32> {
    match word {
        "morning" => Some(9),
        "afternoon" => Some(15),
        "evening" => Some(19),
        "night" | "tonight" => Some(20),
        _ => None,
    }
}

/// The hour a day said without a clock time stands for: 9 AM, the start of a working day.
const DAY_HOUR: u32 = 9;

/// Before this hour, a user who has not slept yet still calls the day that is starting
/// "tomorrow".
const SMALL_HOURS_END: i8 = 4;

/// The day "tomorrow" means: in the small hours, the day that is starting ("wake me up at 7
/// tomorrow" said at half past midnight had set the alarm 30 hours away); else the next one.
fn said_tomorrow(now: &ZonedDateTime) -> Option<jiff::civil::Date> {
    if now.hour() < SMALL_HOURS_END {
        Some(now.date())
    } else {
        now.date().tomorrow().ok()
    }
}

/// A day said without a clock time, for reminders: "tomorrow", "on Friday", "next Monday",
/// "next week", "next month", "tonight", "this evening", "tomorrow afternoon". The moment is that
/// day at the hour its part of the day names, else [`DAY_HOUR`] (the answer says which, so the
/// user can change it); a weekday that has passed today is next week's. The token span the
/// words came from; `None` when no day is said or the moment has passed ("this morning" at
/// noon).
pub(super) fn parse_day(
    t: &[String],
    now: &ZonedDateTime,
) -> Option<(ZonedDateTime, usize, usize)> {
    let w = |j: usize| t.get(j).map(String::as_str).unwrap_or("");
    let today = now.date();
    let after = |days: i64| today.checked_add(jiff::Span::new().days(days)).ok();
    let at = |word: &str| t.iter().position(|x| x == word);
    let pair = |a: &str, b: &str| (0..t.len()).find(|&i| w(i) == a && w(i + 1) == b);
    let (mut date, mut start, mut end, weekday) = if let Some(i) = at("tomorrow") {
        // "The day after tomorrow".
        match i
            .checked_sub(2)
            .filter(|&k| w(k) == "day" && w(k + 1) == "after")
        {
            Some(k) => {
                let k = if k > 0 && w(k - 1) == "the" { k - 1 } else { k };
                (said_tomorrow(now)?.tomorrow().ok()?, k, i + 1, false)
            }
            None => (said_tomorrow(now)?, i, i + 1, false),
        }
    } else if let Some(i) = at("tonight") {
        (today, i, i, false)
    } else if let Some(i) = pair("next", "week") {
        (after(7)?, i, i + 2, false)
    } else if let Some(i) = pair("next", "month") {
        let date = today.checked_add(jiff::Span::new().months(1)).ok()?;
        (date, i, i + 2, false)
    } else if let Some((date, i, j)) = date_at(t, today) {
        (date, i, j, false)
    } else if let Some(i) = at("weekend") {
        // "This weekend", "at the weekend": its Saturday.
        let to_saturday = (0..7)
            .find(|&d| after(d).is_some_and(|x| x.weekday() == jiff::civil::Weekday::Saturday))?;
        let mut i = i;
        while i > 0 && matches!(w(i - 1), "the" | "at") {
            i -= 1;
        }
        (after(to_saturday)?, i, i + 1, true)
    } else if let Some((_, date, i)) = super::calendar::weekday_at(t, today) {
        (date, i, i + 1, true)
    } else if let Some(i) =
        (0..t.len()).find(|&i| w(i) == "this" && part_of_day_hour(w(i + 1)).is_some())
    {
        (today, i, i + 1, false)
    } else if let Some(i) = (0..t.len())
        .find(|&i| w(i) == "in" && w(i + 1) == "the" && part_of_day_hour(w(i + 2)).is_some())
    {
        // "In the morning" alone: the next one (today's, or tomorrow's once it has passed).
        let due = on_day_at(today, part_of_day_hour(w(i + 2))?, 0, now)?;
        let date = if due.timestamp() > now.timestamp() {
            today
        } else {
            today.tomorrow().ok()?
        };
        (date, i, i, false)
    } else {
        return None;
    };
    // "on", "next", "this", "for" before the day are part of it.
    while start > 0 && matches!(w(start - 1), "on" | "next" | "this" | "for") {
        start -= 1;
    }
    // The part of the day: right after the day ("tomorrow morning", "Friday evening", "this
    // evening", "tonight"), or "in the morning" after it.
    let mut hour = DAY_HOUR;
    if let Some(h) = part_of_day_hour(w(end)) {
        hour = h;
        end += 1;
    } else if w(end) == "in"
        && w(end + 1) == "the"
        && let Some(h) = part_of_day_hour(w(end + 2))
    {
        hour = h;
        end += 3;
    }
    let mut due = on_day_at(date, hour, 0, now)?;
    if due.timestamp() <= now.timestamp() && weekday {
        date = date.checked_add(jiff::Span::new().days(7)).ok()?;
        due = on_day_at(date, hour, 0, now)?;
    }
    (due.timestamp() > now.timestamp()).then_some((due, start, end))
}

/// A date said for a reminder, "March 3rd", "the 3rd of March", "the 15th" (this month's, or
/// next month's once it has passed): its next occurrence and its token span.
fn date_at(t: &[String], today: jiff::civil::Date) -> Option<(jiff::civil::Date, usize, usize)> {
    use super::calendar::{
        day_of_month_at, month_day_at, next_day_of_month, next_occurrence, ordinal_suffix,
    };
    let w = |j: usize| t.get(j).map(String::as_str).unwrap_or("");
    let suffix = |j: usize| ordinal_suffix(w(j));
    for i in 0..t.len() {
        // "March 3rd" (the recognizer's "3rd" arrives as "3" "rd"), "the 3rd of March".
        if let Some((month, day, start, end)) = month_day_at(t, i) {
            let date = next_occurrence(today, month, day)?;
            return Some(if start == i {
                (date, i, if suffix(end) { end + 1 } else { end })
            } else {
                let start = if start > 0 && w(start - 1) == "the" {
                    start - 1
                } else {
                    start
                };
                (date, start, end)
            });
        }
        // "on the 15th": a day of the month with its ordinal, no month after it.
        if let Some(day) = day_of_month_at(t, i) {
            return Some((next_day_of_month(today, day)?, i, i + 3));
        }
    }
    None
}
