//! Help, small talk, and the honest answer to what no skill understands.

use super::{Outcome, SkillAnswer, SkillEnv, is_one_of, starts};

const HELP: &[&[&str]] = &[
    &["help"],
    &["help", "me"],
    &["what", "can", "you", "do"],
    &["what", "can", "i", "say"],
    &["what", "can", "i", "ask"],
    &["what", "can", "i", "ask", "you"],
    &["what", "do", "you", "do"],
    &["what", "are", "you", "able", "to", "do"],
    &["what", "can", "you", "help", "with"],
    &["what", "can", "you", "help", "me", "with"],
    &["how", "do", "i", "use", "you"],
    &["how", "do", "i", "use", "this"],
    &["how", "does", "this", "work"],
    &["what", "are", "your", "skills"],
    &["what", "commands", "are", "there"],
    &["what", "commands", "do", "you", "know"],
    &["list", "commands"],
    &["options"],
];

/// What Tandem can do, said in one breath.
pub fn help_text(llm_enabled: bool) -> String {
    let tail = if llm_enabled {
        "Anything else goes to the language model."
    } else {
        "For other questions, connect a local language model in settings."
    };
    format!(
        "I can tell you the time and date, count the days to a date, set timers, alarms and reminders, do math and unit conversions, flip a coin or roll dice, \
         remember notes and recall them, tell you what you said earlier, and describe what the camera sees. \
         You can say stop, repeat, slower, faster, louder or quieter at any time. {tail}"
    )
}

/// What we say when speech recognition was unsure of words no skill understood. The loop says
/// it a moment after the turn's end (`Params::ask_again_after_ms`): a user who was only
/// pausing goes on before it or over it; one who had finished says it again.
pub const MISHEARD_TEXT: &str = "Sorry, I didn't catch that.";
/// The skill name that answer is recorded under.
pub const MISHEARD_SKILL: &str = "misheard";

/// What the built-in skills do without a language model or the internet, as the honest
/// answers name it.
pub(super) const WITHOUT_HELP: &str = "the time, timers, reminders, math, conversions and notes";

/// The honest answer when nothing understood the request.
pub fn unknown_text(llm_enabled: bool) -> String {
    if llm_enabled {
        format!("I can't answer that on my own. I can still do {WITHOUT_HELP}.")
    } else {
        format!(
            "I can't answer that on my own yet. Connecting a local language model in settings \
             would let me; right now I can do {WITHOUT_HELP}."
        )
    }
}

const THANKS: &[&[&str]] = &[
    &["thanks", "a", "lot"],
    &["thanks", "so", "much"],
    &["thank", "you", "very", "much"],
    &["thank", "you", "so", "much"],
    &["thank", "you"],
    &["thanks"],
    &["cheers"],
];

/// What ends a conversation, after thanks or alone: "that's all for now".
const CLOSINGS: &[&[&str]] = &[
    &["that", "is", "all"],
    &["that", "is", "all", "for", "now"],
    &["that", "is", "all", "i", "needed"],
    &["that", "is", "it"],
    &["that", "is", "it", "for", "now"],
    &["that", "will", "be", "all"],
    &["that", "is", "everything"],
    &["i", "am", "done"],
    &["i", "am", "good"],
    &["bye"],
    &["goodbye"],
];

pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    // "What's your name again?", "How are you today?" are the plain questions (the small model
    // answered the first "I'm Emily.").
    let t = match t.split_last() {
        Some((last, rest)) if rest.len() >= 2 && matches!(last.as_str(), "again" | "today") => rest,
        _ => t,
    };
    let say =
        |skill: &'static str, text: &str| Some(Outcome::Answer(SkillAnswer::say(skill, text)));
    if is_one_of(t, HELP) {
        return Some(Outcome::Answer(SkillAnswer::say(
            "help",
            help_text(env.llm_enabled),
        )));
    }
    let greeting = [
        &["hello"][..],
        &["hi"],
        &["hey"],
        &["hi", "there"],
        &["hello", "there"],
        &["good", "morning"],
        &["good", "afternoon"],
        &["good", "evening"],
        &["hey", "there"],
        &["howdy"],
    ];
    // "How do you spell necessary?": the word as the recognizer wrote it, letter by letter.
    let spell_at = [
        &["spell"][..],
        &["how", "do", "you", "spell"],
        &["how", "to", "spell"],
    ]
    .into_iter()
    .find(|p| starts(t, p))
    .map(<[&str]>::len);
    if let Some(k) = spell_at
        && let [word] = &t[k..]
        && word.chars().all(char::is_alphabetic)
    {
        let letters: Vec<String> = word.chars().map(|c| c.to_uppercase().to_string()).collect();
        return say(
            "chat",
            &format!("{}: {}.", super::sentence(word), letters.join(", ")),
        );
    }
    if is_one_of(t, &greeting) {
        return say("chat", "Hi! What can I do for you?");
    }
    // Thanks, alone or closing the conversation: "Thanks, that's all for now." (the language
    // model had answered it with a speech about being a helpful voice assistant).
    let closing = |rest: &[String]| rest.is_empty() || is_one_of(rest, CLOSINGS);
    if let Some(thanks) = THANKS.iter().find(|p| starts(t, p))
        && closing(&t[thanks.len()..])
    {
        return say("chat", "You're welcome.");
    }
    if is_one_of(t, CLOSINGS) {
        return say("chat", "Okay. I'm here if you need me.");
    }
    if is_one_of(
        t,
        &[
            &["how", "are", "you"],
            &["how", "are", "you", "doing"],
            &["how", "is", "it", "going"],
            &["how", "are", "things"],
        ],
    ) {
        return say("chat", "I'm doing well, thanks. What can I do for you?");
    }
    if is_one_of(
        t,
        &[
            &["who", "are", "you"],
            &["what", "is", "your", "name"],
            &["what", "are", "you"],
            &["what", "should", "i", "call", "you"],
            &["tell", "me", "about", "yourself"],
        ],
    ) {
        return say(
            "chat",
            "I'm Tandem, a voice assistant that runs entirely on this computer.",
        );
    }
    // "Can you hear me?" (the language model answered after "One moment.").
    if is_one_of(
        t,
        &[
            &["are", "you", "there"],
            &["are", "you", "still", "there"],
            &["are", "you", "listening"],
            // "Can you hear me?" with "can you" stripped as politeness.
            &["hear", "me"],
            &["hear", "me", "now"],
            &["do", "you", "hear", "me"],
            &["is", "this", "working"],
            &["is", "this", "thing", "on"],
        ],
    ) {
        return say("chat", "Yes, I'm here.");
    }
    if is_one_of(
        t,
        &[
            &["bye"],
            &["goodbye"],
            &["good", "bye"],
            &["bye", "bye"],
            &["see", "you"],
            &["see", "you", "later"],
            &["good", "night"],
        ],
    ) {
        return say("chat", "Bye for now.");
    }
    // Acknowledgements need no answer.
    if is_one_of(
        t,
        &[
            &["okay"],
            &["ok"],
            &["cool"],
            &["great"],
            &["got", "it"],
            &["alright"],
            &["yes"],
            &["yeah"],
            &["no"],
            &["sure"],
            &["nice"],
            &["right"],
            &["i", "see"],
            &["mm", "hmm"],
            &["perfect"],
            &["good"],
        ],
    ) || starts(t, &["never", "mind"])
    {
        return say("chat", "");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::Outcome;
    use super::super::test_env::TestEnv;

    #[test]
    fn help_small_talk_and_honest_unknowns() {
        let env = TestEnv::new();
        for input in [
            "help",
            "what can you do",
            "um what can I say",
            "how does this work",
        ] {
            let a = env.answer(input);
            assert_eq!(a.skill, "help", "{input:?}");
            assert!(
                a.text.contains("timers") && a.text.contains("language model"),
                "{a:?}"
            );
        }
        assert_eq!(env.say("hello"), "Hi! What can I do for you?");
        for asked in ["Can you hear me?", "Are you there?", "Is this thing on?"] {
            assert_eq!(env.say(asked), "Yes, I'm here.", "{asked:?}");
        }
        assert_eq!(
            env.say("Tell me about yourself."),
            "I'm Tandem, a voice assistant that runs entirely on this computer."
        );
        assert!(env.say("What's your name again?").starts_with("I'm Tandem"));
        assert!(env.say("How are you today?").starts_with("I'm doing well"));
        assert_eq!(env.say("thank you"), "You're welcome.");
        assert_eq!(env.say("Thanks, that's all for now!"), "You're welcome.");
        assert_eq!(env.say("Okay, thank you so much, bye."), "You're welcome.");
        assert_eq!(
            env.say("That's all for now."),
            "Okay. I'm here if you need me."
        );
        assert_eq!(
            env.say("How do you spell necessary?"),
            "Necessary: N, E, C, E, S, S, A, R, Y."
        );
        assert_eq!(env.say("spell café"), "Café: C, A, F, É.");
        // A first letter outside ASCII (its byte slice had panicked).
        assert_eq!(env.say("spell élan"), "Élan: É, L, A, N.");
        // Thanks that go on to ask for something are the request's.
        assert_ne!(
            env.ask("thanks, what time is it"),
            Outcome::Answer(crate::reasoning::skills::SkillAnswer::say(
                "chat",
                "You're welcome."
            ))
        );
        assert_eq!(env.say("okay"), "");
        assert_eq!(env.say("um uh"), "", "fillers alone need no answer");
        for input in [
            "what is the capital of france",
            "tell me a joke",
            "what's my name",
        ] {
            assert_eq!(env.ask(input), Outcome::Unknown, "{input:?}");
        }
        let unknown = super::unknown_text(false);
        assert!(unknown.contains("language model in settings"), "{unknown}");
    }
}
