//! Notes: "remember that my keys are in the drawer", "where are my keys", "what are my
//! notes", "forget the note about the keys". Notes live in the store, so they outlast the
//! process.

use super::{
    Outcome, SkillAnswer, SkillEnv, content_words, effect, flip_pronouns, has_any, is_one_of,
    join_and, starts,
};
use crate::store::NoteRecord;

/// The question asked when "remember" has nothing after it; the answer becomes the note.
pub const ASK_WHAT: &str = "What should I remember?";

const REMEMBER: &[&[&str]] = &[
    &["do", "not", "let", "me", "forget"],
    &["add", "a", "note"],
    &["add", "note"],
    &["new", "note"],
    &["create", "a", "note"],
    &["make", "a", "note", "of"],
    &["make", "a", "note"],
    &["take", "a", "note"],
    &["keep", "in", "mind"],
    &["save", "a", "note"],
    &["write", "down"],
    &["jot", "down"],
    &["note", "down"],
    &["note"],
    &["remember"],
];

const LIST: &[&[&str]] = &[
    &["what", "are", "my", "notes"],
    &["what", "notes", "do", "i", "have"],
    &["do", "i", "have", "any", "notes"],
    &["read", "my", "notes"],
    &["read", "me", "my", "notes"],
    &["list", "my", "notes"],
    &["show", "my", "notes"],
    &["show", "me", "my", "notes"],
    &["my", "notes"],
    &["notes"],
    &["what", "is", "in", "my", "notes"],
    &["what", "is", "on", "my", "notes"],
    &["what", "is", "in", "my", "note"],
    &["what", "did", "i", "ask", "you", "to", "remember"],
    &["what", "did", "i", "tell", "you", "to", "remember"],
    &["what", "do", "you", "remember"],
    &["what", "have", "i", "told", "you"],
    &["what", "have", "i", "told", "you", "to", "remember"],
    &["what", "did", "i", "want", "you", "to", "remember"],
];

/// "What did I ask you to note?", "What have I told you to write down?": a question about
/// what the user had noted, ending on a note verb (on the rig the first went to the language
/// model, which answered with our last words).
fn asks_what_was_noted(t: &[String]) -> bool {
    const ENDINGS: &[&[&str]] = &[
        &["note"],
        &["note", "down"],
        &["write", "down"],
        &["jot", "down"],
        &["remember"],
        &["save"],
        &["keep", "in", "mind"],
    ];
    starts(t, &["what"])
        && t.get(1)
            .is_some_and(|w| matches!(w.as_str(), "did" | "have" | "had"))
        && t.get(2).is_some_and(|w| w == "i")
        && ENDINGS
            .iter()
            .any(|e| t.len() > e.len() && starts(&t[t.len() - e.len()..], e))
}

fn is_question_word(w: &str) -> bool {
    matches!(
        w,
        "what" | "when" | "where" | "who" | "how" | "which" | "if" | "whether" | "why"
    )
}

pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    if let Some(outcome) = forget(t, env) {
        return Some(outcome);
    }
    if is_one_of(t, LIST) || asks_what_was_noted(t) {
        return Some(Outcome::Answer(
            list(env).with_progress("looking at my notes..."),
        ));
    }
    let trigger = REMEMBER.iter().find(|p| starts(t, p))?;
    let mut rest = &t[trigger.len()..];
    // "Remember that ...", "jot down that ...": the note is what follows "that".
    if rest.first().is_some_and(|w| w == "that") {
        rest = &rest[1..];
    }
    if rest.first().is_some_and(|w| is_question_word(w)) || starts(t, &["remember", "me"]) {
        return None;
    }
    if rest.is_empty() {
        return Some(Outcome::Answer(SkillAnswer::say("notes", ASK_WHAT)));
    }
    Some(remember(env, rest))
}

/// Saves `words` as a note.
pub(crate) fn remember(env: &SkillEnv<'_>, words: &[String]) -> Outcome {
    let text = words.join(" ");
    effect(env, || match env.store.add_note(&text, env.now_ms()) {
        Ok(_) => SkillAnswer::say(
            "notes",
            format!("Okay, I'll remember that {}.", flip_pronouns(&text)),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "note not saved");
            SkillAnswer::say("notes", "Sorry, I couldn't save that note.")
        }
    })
}

fn notes(env: &SkillEnv<'_>) -> Vec<NoteRecord> {
    env.store.notes().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot read notes");
        Vec::new()
    })
}

fn list(env: &SkillEnv<'_>) -> SkillAnswer {
    let all = notes(env);
    let text = match all.len() {
        0 => "You haven't asked me to remember anything yet.".to_owned(),
        1 => format!(
            "You asked me to remember that {}.",
            flip_pronouns(&all[0].text)
        ),
        n => {
            let latest: Vec<String> = all
                .iter()
                .rev()
                .take(5)
                .map(|x| flip_pronouns(&x.text))
                .collect();
            let more = if n > 5 {
                " The latest 5 are: ".to_owned()
            } else {
                " ".to_owned()
            };
            format!("You have {n} notes.{more}{}.", join_and(&latest))
        }
    };
    SkillAnswer::say("notes", text)
}

/// Notes matching `query`, or the latest ones, as plain lines (for the LLM's tool).
pub(crate) fn recall(env: &SkillEnv<'_>, query: Option<&str>) -> String {
    let all = notes(env);
    let found: Vec<&NoteRecord> = match query {
        Some(q) => search(&all, &crate::reasoning::Utterance::parse(q).tokens),
        None => all.iter().rev().take(10).collect(),
    };
    if found.is_empty() {
        return "no matching notes".to_owned();
    }
    found
        .iter()
        .map(|n| format!("- {}", n.text))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Notes sharing a meaningful word with `query`, best first.
pub fn search<'a>(notes: &'a [NoteRecord], query: &[String]) -> Vec<&'a NoteRecord> {
    let wanted = content_words(query);
    let mut scored: Vec<(usize, &NoteRecord)> = notes
        .iter()
        .filter_map(|n| {
            let words = content_words(
                &n.text
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            );
            let score = wanted.iter().filter(|w| words.contains(w)).count();
            (score > 0).then_some((score, n))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.id.cmp(&a.1.id)));
    scored.into_iter().map(|(_, n)| n).collect()
}

fn forget(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    if !t.first().is_some_and(|w| {
        matches!(
            w.as_str(),
            "forget" | "delete" | "remove" | "erase" | "clear"
        )
    }) {
        return None;
    }
    let notes_word = has_any(t, &["note", "notes", "everything"]);
    let rest = &t[1..];
    if is_one_of(
        rest,
        &[
            &["that"],
            &["the", "last", "note"],
            &["my", "last", "note"],
            &["the", "last", "one"],
        ],
    ) {
        return Some(effect(env, || {
            let all = notes(env);
            match all.last() {
                Some(last) => delete(env, &[last]),
                None => SkillAnswer::say("notes", "There's nothing to forget."),
            }
        }));
    }
    let everything = has_any(t, &["everything"]) || (notes_word && has_any(t, &["all", "notes"]));
    if everything && !has_any(t, &["about"]) {
        return Some(effect(env, || {
            let all = notes(env);
            delete(env, &all.iter().collect::<Vec<_>>())
        }));
    }
    let query = match rest.iter().position(|w| w == "about") {
        Some(k) => &rest[k + 1..],
        None if t[0] == "forget" => rest,
        None if notes_word => rest,
        None => return None,
    };
    Some(effect(env, || {
        let all = notes(env);
        let found = search(&all, query);
        if found.is_empty() {
            SkillAnswer::say(
                "notes",
                format!(
                    "I don't have a note about {}.",
                    flip_pronouns(&query.join(" "))
                ),
            )
        } else {
            delete(env, &found)
        }
    }))
}

pub(super) fn delete(env: &SkillEnv<'_>, notes: &[&NoteRecord]) -> SkillAnswer {
    let ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
    match env.store.delete_notes(&ids) {
        Ok(0) => SkillAnswer::say("notes", "There's nothing to forget."),
        Ok(1) => SkillAnswer::say(
            "notes",
            format!("Okay, I forgot that {}.", flip_pronouns(&notes[0].text)),
        ),
        Ok(n) => SkillAnswer::say("notes", format!("Okay, I forgot {n} notes.")),
        Err(e) => {
            tracing::warn!(error = %e, "notes not deleted");
            SkillAnswer::say("notes", "Sorry, I couldn't delete that.")
        }
    }
}

/// Questions a note may answer: "where are my keys", "what is my locker number", "do you
/// remember where I parked". Only answers when a note matches, except for "do you remember".
pub(super) fn answer_question(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let explicit = [
        &["do", "you", "remember"][..],
        &["what", "do", "you", "know", "about"],
        &["what", "did", "i", "tell", "you", "about"],
        &["did", "i", "tell", "you"],
        &["remember", "what"],
        &["remember", "where"],
        &["remember", "when"],
    ]
    .into_iter()
    .find(|p| starts(t, p));
    let question = t
        .first()
        .is_some_and(|w| matches!(w.as_str(), "where" | "what" | "when" | "who" | "which"));
    if explicit.is_none() && !question {
        return None;
    }
    let query = &t[explicit.map_or(0, <[&str]>::len)..];
    let all = notes(env);
    let mut found = search(&all, query);
    // "what's the wifi password": without "my", only a note that has every word asked about.
    if explicit.is_none() && !has_any(t, &["my", "i"]) {
        let wanted = content_words(query);
        found.retain(|n| {
            let words = content_words(
                &n.text
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            );
            !wanted.is_empty() && wanted.iter().all(|w| words.contains(w))
        });
    }
    let text = match found.as_slice() {
        [] if explicit.is_some() => format!(
            "I don't have a note about {}.",
            flip_pronouns(&query.join(" "))
        ),
        [] => return None,
        [one] => format!("You told me that {}.", flip_pronouns(&one.text)),
        many => {
            let items: Vec<String> = many
                .iter()
                .take(3)
                .map(|n| flip_pronouns(&n.text))
                .collect();
            format!("You told me that {}.", join_and(&items))
        }
    };
    Some(Outcome::Answer(
        SkillAnswer::say("notes", text).with_progress("looking at my notes..."),
    ))
}
