//! Questions only the internet can answer (the weather, the news, prices, scores, traffic):
//! an honest "I can't" instead of a language model's invention. The small local model answered
//! "What's the weather like?" with a made-up forecast.

use super::chat::WITHOUT_HELP;
use super::{Outcome, SkillAnswer, SkillEnv, has, has_any};

/// Words that mean live data, and what to call it in the answer.
const LIVE: &[(&[&str], &str)] = &[
    (&["weather"], "the weather"),
    (&["forecast"], "the forecast"),
    (&["news"], "the news"),
    (&["headlines"], "the news"),
    (&["stock", "price"], "stock prices"),
    (&["stock", "market"], "the stock market"),
    (&["share", "price"], "stock prices"),
    (&["exchange", "rate"], "exchange rates"),
    (&["traffic"], "traffic"),
    (&["score", "of", "the", "game"], "scores"),
    (&["who", "won", "the", "game"], "scores"),
];

/// The user's own accounts, which Tandem cannot see ("What's on my schedule today?" got an
/// invented date with a friend from the small model).
const ACCOUNTS: &[(&[&str], &str)] = &[
    (&["schedule"], "your calendar"),
    (&["calendar"], "your calendar"),
    (&["meetings"], "your calendar"),
    (&["meeting"], "your calendar"),
    (&["appointments"], "your calendar"),
    (&["appointment"], "your calendar"),
    (&["email"], "your email"),
    (&["emails"], "your email"),
    (&["inbox"], "your email"),
    (&["messages"], "your messages"),
    (&["texts"], "your messages"),
];

pub(super) fn answer(t: &[String], _env: &SkillEnv<'_>) -> Option<Outcome> {
    // A note or reminder about the weather is for the notes and timers (earlier skills);
    // anything that mentions it in passing ("what is the word for weather in French") is not
    // a request for it.
    if has_any(
        t,
        &["word", "spell", "mean", "means", "meaning", "translate"],
    ) {
        return None;
    }
    let rain = has_any(
        t,
        &["rain", "raining", "snow", "snowing", "sunny", "umbrella"],
    ) && has_any(
        t,
        &["will", "is", "going", "do", "should", "today", "tomorrow"],
    );
    let outside = has(t, &["temperature", "outside"]) || has(t, &["how", "hot", "is", "it"]);
    if has_any(t, &["my", "i", "any"])
        && let Some((_, what)) = ACCOUNTS.iter().find(|(words, _)| has(t, words))
    {
        return Some(Outcome::Answer(SkillAnswer::say(
            "offline",
            format!(
                "I can't see {what}. I only know the timers, reminders and notes you set with me."
            ),
        )));
    }
    let what = if rain || outside {
        "the weather"
    } else {
        LIVE.iter().find(|(words, _)| has(t, words))?.1
    };
    Some(Outcome::Answer(SkillAnswer::say(
        "offline",
        format!(
            "I can't check {what}: I run on this computer without the internet. \
             I can do {WITHOUT_HELP}."
        ),
    )))
}

#[cfg(test)]
mod tests {
    use crate::reasoning::skills::test_env::TestEnv;

    #[test]
    fn live_data_gets_an_honest_answer() {
        let env = TestEnv::new();
        for q in [
            "What's the weather like?",
            "Will it rain tomorrow?",
            "what's the temperature outside",
            "Read me the news",
            "What's the stock price of Apple?",
            "how is the traffic to work",
            "who won the game last night",
        ] {
            let a = env.answer(q);
            assert_eq!(a.skill, "offline", "{q:?} -> {}", a.text);
            assert!(a.text.starts_with("I can't check"), "{q:?} -> {}", a.text);
        }
        assert!(env.say("What's the weather like?").contains("the weather"));
        for (q, what) in [
            ("What's on my schedule today?", "your calendar"),
            ("do I have any meetings tomorrow", "your calendar"),
            ("read my email", "your email"),
        ] {
            assert!(
                env.say(q).starts_with(&format!("I can't see {what}.")),
                "{q:?}"
            );
        }
        assert_eq!(
            env.answer("remind me about my meeting in 10 minutes").skill,
            "timer"
        );
        for q in [
            "what is the word for weather in French",
            "convert 30 celsius to fahrenheit",
            "remind me to check the weather in 10 minutes",
        ] {
            assert_ne!(env.skill(q), "offline", "{q:?}");
        }
    }
}
