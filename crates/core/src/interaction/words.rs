//! The words of the floor policy: what counts as a backchannel, an unfinished thought, a stray
//! word, an interruption, or speech addressed to someone else.

use super::types::*;
pub(crate) use crate::text::normalize;

/// Words that make up a listener's backchannel (after normalization).
const BACKCHANNEL_WORDS: &[&str] = &[
    "mm", "mmhm", "mhm", "hm", "hmm", "uhhuh", "uh", "huh", "yeah", "yep", "yes", "ok", "okay",
    "right", "sure", "alright", "i", "see", "got", "it", "cool", "nice", "wow",
];
/// Words that make a short burst over the assistant a real interruption ("stop", "wait").
const INTERRUPTING_WORDS: &[&str] = &[
    "stop", "wait", "no", "nope", "pause", "hold", "quiet", "enough", "sorry", "excuse", "what",
    "why", "how", "who", "when", "where", "which", "hey", "tandem", "actually", "but", "cancel",
    "never", "repeat", "again", "louder", "slower", "faster", "shh", "shush",
];

/// Discourse words that may open an utterance with a comma without naming an addressee.
const NOT_NAMES: &[&str] = &[
    "okay",
    "ok",
    "so",
    "well",
    "yes",
    "yeah",
    "no",
    "now",
    "right",
    "hey",
    "hi",
    "hello",
    "please",
    "sorry",
    "thanks",
    "alright",
    "actually",
    "and",
    "but",
    "oh",
    "um",
    "uh",
    "wait",
    "listen",
    "look",
    "tandem",
    "first",
    "then",
    "also",
    "stop",
    "set",
    "tell",
    "give",
    "show",
    "remind",
    "make",
    "take",
    "play",
    "turn",
    "start",
    "cancel",
    "convert",
    "add",
    "remember",
    "read",
    "open",
    "close",
    "check",
    "find",
    "repeat",
    "continue",
    "pause",
    "resume",
    "what",
    "how",
    "why",
    "when",
    "where",
    "who",
    "which",
    "can",
    "could",
    "would",
    "will",
    "is",
    "are",
    "do",
    "does",
    "did",
    "okay",
    "good",
    "great",
    "fine",
    "sure",
    "nope",
    "never",
    "anyway",
    "honestly",
    "seriously",
    "basically",
    "right",
    "huh",
    "hmm",
];

/// Words a thought does not end on: when a transcript stops on one, the speaker is pausing
/// mid-sentence whatever the prosody says.
const DANGLING_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "because", "if", "than", "my", "your", "our", "their",
    "his", "her", "its", "whose", "um", "uh", "er", "erm", "it's", "i'm", "we're", "you're",
    "they're", "gonna", "wanna", "gotta",
];

/// Prepositions: a statement does not end on one, and a question may ("what is it for?", "what
/// did I ask you to remind me about?"). They count as dangling even before a question mark,
/// since tiny.en puts one on trailing-off questions ("how many grams are in?"), but not as a
/// sure sign (`dangles_for_sure`): such a question waits for prosody's verdict, not the
/// longest hold.
const STRANDED_PREPOSITIONS: &[&str] = &[
    "to", "for", "about", "with", "in", "on", "at", "from", "by", "into", "of",
];

/// Words a statement does not end on, though a question may ("what time is it?").
const DANGLING_IN_STATEMENTS: &[&str] = &[
    "like", "is", "are", "was", "were", "be", "should", "would", "could", "can", "will", "i", "we",
    "they", "he", "she", "then", "when", "while", "which", "who", "so", "that",
];

/// Single words that are a complete request on their own.
const ONE_WORD_REQUESTS: &[&str] = &[
    "stop", "wait", "pause", "continue", "resume", "repeat", "again", "slower", "faster", "louder",
    "quieter", "help", "hello", "hi", "hey", "thanks", "yes", "no", "cancel", "tandem", "time",
    "date", "notes", "timers", "sorry", "what", "why", "how", "goodbye", "bye",
];

/// The assistant's name: saying it addresses the assistant whatever else is going on.
pub(crate) const OWN_NAME: &str = "tandem";

/// What a user says to the assistant about itself, as a whole turn: is it there and hearing,
/// who it is, how it is, hello. The text model reads these as talk to a person (0.04-0.37
/// addressed for "Who are you?", "Are you there?", "Can you hear me?", "Hello."; its data has
/// them only on the phone and in side talk, and 65 more lines taught it the lines and not their
/// kind), so a new user's first words were dropped as for someone else. Like our name they
/// address us; the other voice, a name and the camera still tell.
const ABOUT_US: &[&[&str]] = &[
    &["are", "you", "there"],
    &["are", "you", "still", "there"],
    &["are", "you", "listening"],
    &["are", "you", "awake"],
    &["are", "you", "on"],
    &["are", "you", "working"],
    &["is", "this", "working"],
    &["is", "this", "thing", "on"],
    &["can", "you", "hear", "me"],
    &["do", "you", "hear", "me"],
    &["who", "are", "you"],
    &["what", "are", "you"],
    &["what's", "your", "name"],
    &["what", "is", "your", "name"],
    &["what", "should", "i", "call", "you"],
    &["who", "made", "you"],
    &["tell", "me", "about", "yourself"],
    &["how", "are", "you"],
    &["how", "are", "you", "doing"],
    &["hello"],
    &["hello", "there"],
    &["hi", "there"],
    &["good", "morning"],
    &["good", "afternoon"],
    &["good", "evening"],
];

/// Words before and after [`ABOUT_US`] that change nothing: "hey, are you there?", "hello, can
/// you hear me now?".
const ABOUT_US_OPENERS: &[&str] = &["hey", "hi", "hello", "so", "um", "uh", "oh", "okay", "ok"];
const ABOUT_US_CLOSERS: &[&str] = &["now", "please", "today", "then"];

/// The whole turn speaks to the assistant about itself ([`ABOUT_US`]).
pub(crate) fn speaks_to_us(text: &str) -> bool {
    let n = normalize(text);
    let mut w: &[&str] = &n.split_whitespace().collect::<Vec<_>>();
    let bare = |w: &[&str]| ABOUT_US.iter().any(|p| p == &w);
    while let [first, rest @ ..] = w {
        if bare(w) || !ABOUT_US_OPENERS.contains(first) {
            break;
        }
        w = rest;
    }
    while let [rest @ .., last] = w {
        if bare(w) || !ABOUT_US_CLOSERS.contains(last) {
            break;
        }
        w = rest;
    }
    bare(w)
}

/// A short listener response ("mm-hm", "yeah, okay") rather than a request.
pub(crate) fn is_backchannel(text: &str) -> bool {
    let n = normalize(&text.replace('-', ""));
    let words: Vec<&str> = n.split_whitespace().collect();
    !words.is_empty() && words.len() <= 3 && words.iter().all(|w| BACKCHANNEL_WORDS.contains(w))
}

/// Whether a transcript stops mid-thought: a trailing ellipsis (Whisper writes one when
/// speech trails off) or a last word no sentence ends on.
pub(crate) fn sounds_unfinished(text: &str) -> bool {
    stops_mid_thought(text, true)
}

/// [`sounds_unfinished`], less a question that ends on a preposition ("what is it for?"):
/// a sign that more is coming whatever the prosody says.
pub(crate) fn dangles_for_sure(text: &str) -> bool {
    stops_mid_thought(text, false)
}

/// [`sounds_unfinished`]; a preposition before a question mark counts only with
/// `stranded_in_questions`.
fn stops_mid_thought(text: &str, stranded_in_questions: bool) -> bool {
    let t = text.trim_end();
    if t.ends_with("...") || t.ends_with('\u{2026}') || t.ends_with(',') || t.ends_with('-') {
        return true;
    }
    let question = t.ends_with('?');
    let n = normalize(t);
    n.split_whitespace().last().is_some_and(|w| {
        DANGLING_WORDS.contains(&w)
            || (STRANDED_PREPOSITIONS.contains(&w) && (stranded_in_questions || !question))
            || (!question && DANGLING_IN_STATEMENTS.contains(&w))
    })
}

/// A lone short word that is neither a request nor addressed to us (a misheard "mm-hm", a
/// name called out): not worth an answer.
pub(crate) fn is_stray_fragment(text: &str, speech_ms: Ms) -> bool {
    let n = normalize(text);
    let words: Vec<&str> = n.split_whitespace().collect();
    words.len() == 1
        && speech_ms <= 800
        && !text.contains('?')
        && !ONE_WORD_REQUESTS.contains(&words[0])
}

/// Whether a short burst over our speech (at most `backchannel_max_ms`) lets us go on: a
/// backchannel, noise, or a word or two without a command in it. Whisper often garbles
/// "mm-hm" into a short word, so a short burst must name a reason to stop.
pub(crate) fn burst_lets_us_go_on(text: &str) -> bool {
    let n = normalize(text);
    let words: Vec<&str> = n.split_whitespace().collect();
    words.is_empty() || is_backchannel(text) || (words.len() <= 2 && !has_interrupting_word(text))
}

/// Whether any word of `text` is one that stops us ("wait", "no", "stop", ...).
pub(crate) fn has_interrupting_word(text: &str) -> bool {
    normalize(text)
        .split_whitespace()
        .any(|w| INTERRUPTING_WORDS.contains(&w))
}

/// Why an utterance is not for the assistant, if it is not.
pub(crate) fn not_addressed(
    text: &str,
    voice: &VoiceActivity,
    visual: Option<Visual>,
    params: &Params,
) -> Option<NotAddressedReason> {
    let norm = normalize(text);
    if norm.split_whitespace().any(|w| w == OWN_NAME) {
        return None;
    }
    if voice.level_db < params.background_level_db {
        return Some(NotAddressedReason::Background {
            below_db: -voice.level_db,
        });
    }
    not_addressed_but_level(text, visual)
}

/// [`not_addressed`] without the level rule (the floor model judges background speech by
/// ear): the camera, and a leading name that is not ours.
pub(crate) fn not_addressed_but_level(
    text: &str,
    visual: Option<Visual>,
) -> Option<NotAddressedReason> {
    if normalize(text).split_whitespace().any(|w| w == OWN_NAME) {
        return None;
    }
    if let Some(reason) = not_addressed_by_camera(visual) {
        return Some(reason);
    }
    // A name at the start, set off by a comma ("John, ...", "hey Sarah, ...", "Hey, Sarah, ...").
    let text = {
        let lead = text.trim_start();
        let greeting = ["hey,", "hi,", "oh,", "okay,", "ok,", "so,", "um,"]
            .iter()
            .find(|g| {
                lead.len() > g.len()
                    && lead
                        .get(..g.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(g))
            });
        match greeting {
            Some(g) => lead[g.len()..].trim_start(),
            None => lead,
        }
    };
    let first_clause = text.split([',', '!', '?']).next().unwrap_or("");
    if text.contains(',') || text.contains('!') || text.contains('?') {
        let words: Vec<&str> = first_clause.split_whitespace().collect();
        let name = match words.as_slice() {
            [w] => Some(*w),
            [greet, w] if ["hey", "hi", "oh"].contains(&normalize(greet).as_str()) => Some(*w),
            _ => None,
        };
        if let Some(name) = name {
            let lower = normalize(name);
            let capitalized = name.chars().next().is_some_and(char::is_uppercase);
            if capitalized
                && !lower.is_empty()
                && !NOT_NAMES.contains(&lower.as_str())
                && first_clause.len() < text.len()
            {
                return Some(NotAddressedReason::NamedSomeoneElse {
                    name: name.to_owned(),
                });
            }
        }
    }
    None
}

/// The camera sees nobody, or the user turned away.
pub(crate) fn not_addressed_by_camera(visual: Option<Visual>) -> Option<NotAddressedReason> {
    let v = visual?;
    if !v.person_present {
        Some(NotAddressedReason::NobodyPresent)
    } else if !v.facing_screen {
        Some(NotAddressedReason::TurnedAway)
    } else {
        None
    }
}

/// The rest of `text` from the start of the sentence the user was hearing at `heard_len`.
pub(crate) fn resume_from(text: &str, heard_len: usize) -> String {
    let cut = heard_len.min(text.len());
    let cut = (0..=cut)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let start = text[..cut].rfind(['.', '!', '?']).map_or(0, |i| i + 1);
    text[start..].trim().to_owned()
}
