//! Unit conversion: length, mass, volume, temperature, time, speed and data sizes.
//!
//! "convert 5 miles to kilometers", "what is 100 fahrenheit in celsius", "how many feet in a
//! mile", "how many grams are in 2 pounds", "5 km in miles".

use super::{Outcome, SkillAnswer, SkillEnv, starts};
use crate::reasoning::numbers::{parse_digits, plain};
pub use crate::reasoning::unit_words::is_unit_word;
use crate::reasoning::unit_words::{Dim, UNITS, Unit};

/// The longest unit name at `i`: the unit and the index after it. "degrees" alone is
/// returned as `None` with the next index, so callers can guess the scale.
fn unit_at(t: &[String], i: usize) -> Option<(&'static Unit, usize)> {
    let mut best: Option<(&'static Unit, usize)> = None;
    for unit in UNITS {
        for name in unit.names {
            let words: Vec<&str> = name.split(' ').collect();
            if starts(&t[i.min(t.len())..], &words)
                && best.is_none_or(|(_, end)| i + words.len() > end)
            {
                best = Some((unit, i + words.len()));
            }
        }
    }
    best
}

fn unit_named(name: &str) -> &'static Unit {
    UNITS
        .iter()
        .find(|u| u.names[0] == name)
        .expect("unit table has it")
}

/// A unit, allowing "degrees" to stand for the temperature scale the other side is not.
fn unit_or_degrees(t: &[String], i: usize, other: Option<&Unit>) -> Option<(&'static Unit, usize)> {
    if t.get(i).is_some_and(|w| w == "degrees" || w == "degree") {
        if let Some(found) = unit_at(t, i + 1).filter(|(u, _)| u.dim == Dim::Temperature) {
            return Some(found);
        }
        let guess = match other.map(|o| o.names[0]) {
            Some("degree fahrenheit") => "degree celsius",
            _ => "degree fahrenheit",
        };
        return Some((unit_named(guess), i + 1));
    }
    unit_at(t, i)
}

fn name(unit: &Unit, value: f64) -> &'static str {
    let name = if (value - 1.0).abs() < 1e-9 {
        unit.names[0]
    } else {
        unit.names[1]
    };
    // "degree celsius" reads better as "degrees Celsius" even in the singular.
    match name {
        "degree celsius" | "degrees celsius" => "degrees Celsius",
        "degree fahrenheit" | "degrees fahrenheit" => "degrees Fahrenheit",
        "kelvin" | "kelvins" => "kelvin",
        other => other,
    }
}

/// Rounds to 4 significant digits for speech.
fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 4 - (x.abs().log10().floor() as i32) - 1;
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// Converts and phrases the answer.
fn convert(value: f64, from: &Unit, to: &Unit) -> String {
    if from.dim != to.dim {
        return format!(
            "I can't convert {} to {}: they measure different things.",
            from.names[1], to.names[1]
        );
    }
    let base = value * from.factor + from.offset;
    let result = (base - to.offset) / to.factor;
    let shown = round_sig(result);
    let amount = |v: f64| plain(v).replacen('-', "minus ", 1);
    format!(
        "{} {} is {}{} {}.",
        amount(value),
        name(from, value),
        if (shown - result).abs() > 1e-9 * result.abs().max(1.0) {
            "about "
        } else {
            ""
        },
        amount(shown),
        name(to, shown)
    )
}

/// Converts a value between unit names, for the LLM's tool.
pub fn convert_named(value: f64, from: &str, to: &str) -> Result<String, String> {
    let tokens = |s: &str| -> Vec<String> {
        s.to_lowercase()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    let (ft, tt) = (tokens(from), tokens(to));
    let from_unit = unit_or_degrees(&ft, 0, None)
        .filter(|(_, end)| *end == ft.len())
        .map(|(u, _)| u);
    let to_unit = unit_or_degrees(&tt, 0, from_unit)
        .filter(|(_, end)| *end == tt.len())
        .map(|(u, _)| u);
    match (from_unit, to_unit) {
        (Some(f), Some(t)) => Ok(convert(value, f, t)),
        (None, _) => Err(format!("unknown unit `{from}`")),
        (_, None) => Err(format!("unknown unit `{to}`")),
    }
}

pub(super) fn answer(t: &[String], _env: &SkillEnv<'_>) -> Option<Outcome> {
    let say = |text: String| Some(Outcome::Answer(SkillAnswer::say("units", text)));
    // "how many feet (are there) in a mile", "how many grams in 2 pounds".
    if starts(t, &["how", "many"]) || starts(t, &["how", "much"]) {
        let (to, mut i) = unit_or_degrees(t, 2, None)?;
        while t.get(i).is_some_and(|w| {
            matches!(
                w.as_str(),
                "are"
                    | "is"
                    | "there"
                    | "in"
                    | "per"
                    | "make"
                    | "makes"
                    | "to"
                    | "does"
                    | "do"
                    | "it"
                    | "take"
                    | "a"
                    | "an"
                    | "one"
            )
        }) {
            i += 1;
        }
        let (value, i) = match t.get(i).and_then(|w| parse_digits(w)) {
            Some(v) => (v, i + 1),
            None => (1.0, i),
        };
        let (from, _) = unit_or_degrees(t, i, Some(to))?;
        return say(convert(value, from, to));
    }
    // "<number> <unit> (to|in|into|as) <unit>", anywhere in the utterance.
    for i in 0..t.len() {
        let Some(value) = parse_digits(&t[i]) else {
            continue;
        };
        let negative = i > 0 && matches!(t[i - 1].as_str(), "minus" | "negative");
        let value = if negative { -value } else { value };
        let Some((from, mut j)) = unit_or_degrees(t, i + 1, None) else {
            continue;
        };
        if starts(&t[j..], &["is", "how", "many"]) {
            j += 3;
        } else if t
            .get(j)
            .is_some_and(|w| matches!(w.as_str(), "to" | "in" | "into" | "as"))
        {
            j += 1;
            if t.get(j).is_some_and(|w| w == "to") {
                j += 1; // "in to"
            }
        } else {
            continue;
        }
        let Some((to, _)) = unit_or_degrees(t, j, Some(from)) else {
            continue;
        };
        return say(convert(value, from, to));
    }
    // "convert miles to kilometers": one of the first.
    if starts(t, &["convert"]) {
        let (from, j) = unit_or_degrees(t, 1, None)?;
        if !t
            .get(j)
            .is_some_and(|w| matches!(w.as_str(), "to" | "in" | "into"))
        {
            return None;
        }
        let (to, _) = unit_or_degrees(t, j + 1, Some(from))?;
        return say(convert(1.0, from, to));
    }
    None
}
