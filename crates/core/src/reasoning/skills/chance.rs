//! Chance: "flip a coin", "roll a die", "roll two dice", "pick a number between 1 and 10".
//! Until 2026-12-06 these went to the language model, which explained what a coin toss is.

use std::hash::{BuildHasher, Hasher};

use super::{Outcome, SkillAnswer, SkillEnv, has, has_any};
use crate::reasoning::numbers::parse_digits;

/// A random number in `0..n` (`n` > 0), from the standard library's per-process random keys
/// (no generator crate for this one use).
fn below(n: u64) -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish() % n
}

/// How many dice: "roll two dice", "roll 3 dice"; one otherwise.
fn dice_count(t: &[String]) -> u64 {
    let at = t.iter().position(|w| w == "dice" || w == "die");
    at.and_then(|i| i.checked_sub(1))
        .and_then(|i| parse_digits(&t[i]))
        .filter(|n| n.fract() == 0.0 && (1.0..=10.0).contains(n))
        .map_or(1, |n| n as u64)
}

/// "between 1 and 10", "from 1 to 100": the two bounds, lowest first.
fn bounds(t: &[String]) -> Option<(i64, i64)> {
    let i = t.iter().position(|w| w == "between" || w == "from")?;
    let a = parse_digits(t.get(i + 1)?)?;
    if !matches!(t.get(i + 2)?.as_str(), "and" | "to") {
        return None;
    }
    let b = parse_digits(t.get(i + 3)?)?;
    let whole = |x: f64| (x.fract() == 0.0 && x.abs() < 1e12).then_some(x as i64);
    let (a, b) = (whole(a)?, whole(b)?);
    Some((a.min(b), a.max(b)))
}

pub(super) fn answer(t: &[String], _env: &SkillEnv<'_>) -> Option<Outcome> {
    let say = |text: String| Some(Outcome::Answer(SkillAnswer::say("chance", text)));
    if has(t, &["heads", "or", "tails"]) || (has_any(t, &["flip", "toss"]) && has_any(t, &["coin"]))
    {
        return say(if below(2) == 0 { "Heads." } else { "Tails." }.to_owned());
    }
    if has_any(t, &["roll"]) && has_any(t, &["die", "dice"]) {
        let rolls: Vec<u64> = (0..dice_count(t)).map(|_| below(6) + 1).collect();
        return say(match rolls.as_slice() {
            [one] => format!("You rolled a {one}."),
            _ => {
                let each: Vec<String> = rolls.iter().map(u64::to_string).collect();
                format!(
                    "You rolled {}: {} in all.",
                    super::join_and(&each),
                    rolls.iter().sum::<u64>()
                )
            }
        });
    }
    let picks = has_any(t, &["pick", "choose", "random"]) && has_any(t, &["number"]);
    if picks && let Some((low, high)) = bounds(t) {
        let span = (high - low) as u64 + 1;
        return say(format!("{}.", low + below(span) as i64));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_env::TestEnv;

    #[test]
    fn coins_dice_and_numbers_come_out_in_range() {
        let env = TestEnv::new();
        for _ in 0..20 {
            let coin = env.say("flip a coin");
            assert!(coin == "Heads." || coin == "Tails.", "{coin}");
            let die = env.say("roll a die");
            let n: u64 = die
                .trim_start_matches("You rolled a ")
                .trim_end_matches('.')
                .parse()
                .unwrap();
            assert!((1..=6).contains(&n), "{die}");
            let pick = env.say("pick a number between one and ten");
            let n: i64 = pick.trim_end_matches('.').parse().unwrap();
            assert!((1..=10).contains(&n), "{pick}");
        }
        assert!(env.say("roll two dice").starts_with("You rolled "));
        assert!(env.say("roll two dice").ends_with(" in all."));
        assert_eq!(env.say("pick a number between 5 and 5"), "5.");
    }
}
