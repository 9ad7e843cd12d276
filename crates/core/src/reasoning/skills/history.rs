//! "What did I say earlier?": answers from the conversation so far (the request's history,
//! else the store's recent turns).

use super::{Outcome, SkillAnswer, SkillEnv, content_words, flip_pronouns, has_any, starts};
use crate::reasoning::normalize::Utterance;
use crate::reasoning::{Message, Role};

const ABOUT_USER: &[&[&str]] = &[
    &["what", "did", "i", "just", "say"],
    &["what", "did", "i", "say"],
    &["what", "did", "i", "just", "ask"],
    &["what", "did", "i", "ask"],
    &["what", "was", "i", "saying"],
    &["what", "was", "i", "talking", "about"],
    &["what", "have", "i", "said"],
    &["what", "was", "my", "last", "question"],
    &["what", "was", "the", "last", "thing", "i", "said"],
    &["what", "was", "the", "first", "thing", "i", "said"],
    &["what", "was", "the", "first", "thing", "i", "asked"],
    &["what", "was", "my", "first", "question"],
    &["what", "were", "we", "talking", "about"],
    &["what", "did", "we", "talk", "about"],
    &["what", "have", "we", "talked", "about"],
    &["remind", "me", "what", "i", "said"],
    &["remind", "me", "what", "we", "were", "talking", "about"],
    &["what", "did", "i", "tell", "you"],
];

const ABOUT_ASSISTANT: &[&[&str]] = &[
    &["what", "did", "you", "say"],
    &["what", "did", "you", "tell", "me"],
    &["what", "was", "your", "last", "answer"],
    &["what", "did", "you", "answer"],
];

/// Is this utterance itself a question about the history? Such turns are skipped when
/// answering, so asking twice does not answer with the first asking.
fn is_history_question(t: &[String]) -> bool {
    ABOUT_USER
        .iter()
        .chain(ABOUT_ASSISTANT)
        .any(|p| starts(t, p))
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.trim().trim_end_matches(['.', '?', '!']))
}

pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let user = ABOUT_USER.iter().find(|p| starts(t, p));
    let assistant = ABOUT_ASSISTANT.iter().find(|p| starts(t, p));
    let phrase = user.or(assistant)?;
    let rest = &t[phrase.len()..];
    // "what did i tell you to remember" belongs to notes, "what did i ask you to remind me
    // about" to the reminders; plain "what did you say" is a repeat request, handled by the
    // controls.
    if has_any(
        rest,
        &[
            "remember",
            "note",
            "notes",
            "remind",
            "reminder",
            "reminders",
        ],
    ) || (assistant.is_some() && rest.is_empty())
    {
        return None;
    }
    let role = if user.is_some() {
        Role::User
    } else {
        Role::Assistant
    };
    let said: Vec<&Message> = env
        .history
        .iter()
        .filter(|m| m.role == role && !m.text.trim().is_empty())
        .filter(|m| {
            role == Role::Assistant || !is_history_question(&Utterance::parse(&m.text).tokens)
        })
        .collect();
    let who = if role == Role::User { "You" } else { "I" };
    let say = |text: String| Some(Outcome::Answer(SkillAnswer::say("history", text)));
    if said.is_empty() {
        return say(if role == Role::User {
            "You haven't said anything before this.".to_owned()
        } else {
            "I haven't said anything before this.".to_owned()
        });
    }
    // "What did I say about X": the last thing said about X ("what did I ask about" with no
    // X is plain "what did I say").
    if let Some(k) = rest.iter().position(|w| w == "about")
        && k + 1 < rest.len()
    {
        let query = &rest[k + 1..];
        let wanted = content_words(query);
        let hit = said.iter().rev().find(|m| {
            let words = content_words(&Utterance::parse(&m.text).tokens);
            wanted.iter().any(|w| words.contains(w))
        });
        return say(match hit {
            Some(m) => format!("{who} said {}.", quote(&m.text)),
            None => format!(
                "I don't remember {} saying anything about {}.",
                if role == Role::User { "you" } else { "myself" },
                flip_pronouns(&query.join(" "))
            ),
        });
    }
    if has_any(rest, &["first", "beginning", "start"]) || phrase.contains(&"first") {
        return say(format!(
            "First, {} said {}.",
            who.to_lowercase(),
            quote(&said[0].text)
        ));
    }
    if starts(t, &["what", "were", "we"])
        || starts(t, &["what", "did", "we"])
        || starts(t, &["what", "have", "we"])
        || starts(t, &["remind", "me", "what", "we"])
    {
        let recent: Vec<String> = said.iter().rev().take(3).map(|m| quote(&m.text)).collect();
        let text = match recent.as_slice() {
            [one] => format!("You said {one}."),
            [last, rest @ ..] => format!(
                "Most recently you said {last}, and before that {}.",
                rest.join(", then ")
            ),
            [] => return None,
        };
        return say(text);
    }
    let last = said.last().expect("said is not empty");
    say(format!("{who} said {}.", quote(&last.text)))
}
