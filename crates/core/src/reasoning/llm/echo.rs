//! A reply that only says the user's words back, or our last answer again, is no answer. A
//! small model does that to words it cannot make sense of: SmolLM2-135M answered the misheard
//! "What seven times made?" with "Seven times made." and a misheard correction with the
//! previous answer, "Timer set for 8 minutes." (unscripted rig conversations, 2026-12-06).
//! [`EchoGate`] holds a streamed reply back while it has said nothing of its own, so such a
//! reply is never spoken and the user is asked again instead. Nor is condolence for a loss
//! the user never spoke of, the same model's other answer to words it cannot make sense of
//! (the held-back suite's logs, 2026-12-08: "Hold on, the light is bad." -> "I'm sorry for
//! your loss. I'll be happy...", a misheard "What's the door code?" -> "I'm sorry for your
//! loss. I'll make sure to keep the door code safe.").

use crate::reasoning::normalize::Utterance;
use crate::reasoning::skills::content_words;

/// A reply held this long without a word of its own is passed on anyway, as it is.
const MAX_HELD_CHARS: usize = 300;

#[derive(Debug)]
pub(crate) struct EchoGate {
    /// The content words of what the user said and of our last answer.
    known: Vec<String>,
    /// All their words, for a reply with no content words.
    all_known: Vec<String>,
    held: String,
    open: bool,
    /// The request asks yes or no: its own words may answer it, so they are no echo.
    yes_no: bool,
    /// The user spoke of a loss: condolences may be the answer.
    loss_spoken_of: bool,
    /// The reply opened with condolences for no loss: none of it is said.
    condolence: bool,
}

/// Condolences a reply may open with (as [`Utterance::words`] writes them).
const CONDOLENCES: &[&str] = &[
    "i am sorry for your loss",
    "i am so sorry for your loss",
    "sorry for your loss",
    "i am sorry to hear about your loss",
    "my condolences",
    "my deepest condolences",
];

/// Words of a loss: with one in the request, condolences may answer it.
const LOSS_WORDS: &[&str] = &[
    "died",
    "dies",
    "dying",
    "dead",
    "death",
    "passed",
    "funeral",
    "loss",
    "lost",
    "grief",
    "grieving",
    "mourning",
    "bereavement",
    "condolences",
    "condolence",
    "sympathy",
];

/// How a reply's words so far stand to [`CONDOLENCES`].
#[derive(Debug, PartialEq)]
enum Opening {
    /// It opens with one.
    Condolence,
    /// It may yet: its words so far begin one (the last word perhaps still growing).
    Undecided,
    Other,
}

fn opening(words: &[String]) -> Opening {
    let mut undecided = false;
    for phrase in CONDOLENCES {
        let p: Vec<&str> = phrase.split(' ').collect();
        if words.len() >= p.len() && words[..p.len()].iter().zip(&p).all(|(w, p)| w == p) {
            return Opening::Condolence;
        }
        if let Some((last, before)) = words.split_last()
            && words.len() <= p.len()
            && before.iter().zip(&p).all(|(w, p)| w == p)
            && p[before.len()].starts_with(last.as_str())
        {
            undecided = true;
        }
    }
    if undecided {
        Opening::Undecided
    } else {
        Opening::Other
    }
}

fn words_of(text: &str) -> Vec<String> {
    content_words(&Utterance::words(text))
}

/// A question these open asks yes or no, and "Paris is in France." answers it with its own
/// words: such a request's reply is never held.
const YES_NO_OPENINGS: &[&str] = &[
    "is", "are", "am", "was", "were", "do", "does", "did", "can", "could", "will", "would",
    "should", "shall", "has", "have", "had", "may", "might", "must",
];

/// The same question again: the same content words, in any order. Its last answer is the
/// right answer again ("Who was the first person on the moon?" asked twice).
fn same_question(request: &str, last_request: Option<&str>) -> bool {
    let mut now = words_of(request);
    let Some(mut before) = last_request.map(words_of) else {
        return false;
    };
    for w in [&mut now, &mut before] {
        w.sort();
        w.dedup();
    }
    !now.is_empty() && now == before
}

impl EchoGate {
    /// The gate for the reply to `request`; `last_request` and `last_answer` are the turn
    /// before it, if any. Our last answer said back counts as an echo, unless the user asked
    /// the same question again.
    pub(crate) fn new(
        request: &str,
        last_request: Option<&str>,
        last_answer: Option<&str>,
    ) -> EchoGate {
        let asked = Utterance::words(request);
        let yes_no = asked
            .first()
            .is_some_and(|w| YES_NO_OPENINGS.contains(&w.as_str()));
        let last_answer = last_answer.filter(|_| !same_question(request, last_request));
        let mut known = content_words(&asked);
        known.extend(last_answer.map(words_of).unwrap_or_default());
        let mut all_known = asked;
        all_known.extend(last_answer.map(Utterance::words).unwrap_or_default());
        let loss_spoken_of = Utterance::words(request)
            .iter()
            .any(|w| LOSS_WORDS.contains(&w.as_str()));
        EchoGate {
            known,
            all_known,
            held: String::new(),
            open: false,
            yes_no,
            loss_spoken_of,
            condolence: false,
        }
    }

    /// The model called a tool: what it says next rests on the tool's answer, not on the words
    /// alone ("Your tea timer is running." after setting it). Passes on what was held.
    pub(crate) fn open(&mut self) -> String {
        self.open = true;
        std::mem::take(&mut self.held)
    }

    fn says_something_new(&self, text: &str) -> bool {
        words_of(text).iter().any(|w| !self.known.contains(w))
    }

    /// The reply's next piece: what to pass on now. Nothing is passed on until the reply has
    /// a word of its own (judged on whole words: the last may still be growing); then all.
    pub(crate) fn push(&mut self, text: &str) -> Option<String> {
        if self.open {
            return Some(text.to_owned());
        }
        self.held.push_str(text);
        if self.condolence {
            return None;
        }
        if !self.loss_spoken_of {
            match opening(&Utterance::words(&self.held)) {
                Opening::Condolence => {
                    self.condolence = true;
                    return None;
                }
                Opening::Undecided => return None,
                Opening::Other => {}
            }
        }
        let whole_words = match self.held.rfind(char::is_whitespace) {
            Some(i) => &self.held[..i],
            None => "",
        };
        if self.yes_no || self.says_something_new(whole_words) || self.held.len() > MAX_HELD_CHARS {
            self.open = true;
            return Some(std::mem::take(&mut self.held));
        }
        None
    }

    /// A reply with no content words that only says words of the request or of our last answer
    /// back: "I'm so" after the user cut into "I'm so sorry..." (the small model copied what
    /// the user had heard of it, our last message in its history).
    fn only_known_words(&self, text: &str) -> bool {
        let words = Utterance::words(text);
        !words.is_empty() && words.iter().all(|w| self.all_known.contains(w))
    }

    /// The reply is over: `Err(())` when all of it was an echo (it had words, none its own) or
    /// it opened with condolences for no loss, else what is still held.
    pub(crate) fn finish(&mut self) -> Result<String, ()> {
        let held = std::mem::take(&mut self.held);
        if self.condolence {
            return Err(());
        }
        let nothing_to_judge = words_of(&held).is_empty() && !self.only_known_words(&held);
        if self.open || self.yes_no || nothing_to_judge || self.says_something_new(&held) {
            self.open = true;
            Ok(held)
        } else {
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EchoGate;

    /// Streams `reply` in pieces of `n` bytes; what was passed on, and whether it echoed.
    fn stream(request: &str, last: Option<&str>, reply: &str, n: usize) -> (String, bool) {
        stream_after(request, None, last, reply, n)
    }

    /// [`stream`] with the request before this one.
    fn stream_after(
        request: &str,
        last_request: Option<&str>,
        last: Option<&str>,
        reply: &str,
        n: usize,
    ) -> (String, bool) {
        let mut gate = EchoGate::new(request, last_request, last);
        let mut out = String::new();
        let mut rest = reply;
        while !rest.is_empty() {
            let mut cut = n.min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
            out.extend(gate.push(&rest[..cut]));
            rest = &rest[cut..];
        }
        match gate.finish() {
            Ok(held) => (out + &held, false),
            Err(()) => (out, true),
        }
    }

    #[test]
    fn the_users_words_or_our_last_answer_said_back_are_held_and_dropped() {
        for (request, last, reply) in [
            ("What seven times made?", None, "Seven times made."),
            (
                "Oh wait, I meant nine minutes.",
                Some("Timer set for 8 minutes."),
                "Timer set for 8 minutes.",
            ),
            // No content words, all of them what the user heard of our last answer.
            (
                "So I was wondering whether you could help me with my homework.",
                Some("I'm so"),
                "I'm so",
            ),
            (
                "Tell me I'll turn up for the moon.",
                None,
                "The moon. I'll turn up!",
            ),
        ] {
            for n in [1, 3, 100] {
                assert_eq!(stream(request, last, reply, n), (String::new(), true));
            }
        }
    }

    #[test]
    fn condolences_for_no_loss_are_no_answer() {
        for (request, reply) in [
            (
                "What's the door code safe?",
                "I'm sorry for your loss. I'll make sure to keep the door code safe.",
            ),
            (
                "Hold on, the light is bad.",
                "I'm so sorry for your loss. I'll be happy to help.",
            ),
            // A yes-or-no question's reply is never an echo, but this is no answer either.
            ("Is the washing machine done?", "I am sorry for your loss."),
        ] {
            for n in [1, 3, 100] {
                assert_eq!(
                    stream(request, None, reply, n),
                    (String::new(), true),
                    "{request}"
                );
            }
        }
        // The user spoke of a loss: they may be the answer.
        let (said, echoed) = stream(
            "My grandmother died last week.",
            None,
            "I'm sorry for your loss. That must be hard.",
            3,
        );
        assert!(
            !echoed && said.starts_with("I'm sorry for your loss."),
            "{said}"
        );
        // A reply that only begins like them is passed on whole.
        let (said, echoed) = stream(
            "Can you sing?",
            None,
            "I'm sorry, I can't sing, but I can tell you a joke.",
            2,
        );
        assert_eq!(
            (said.as_str(), echoed),
            ("I'm sorry, I can't sing, but I can tell you a joke.", false)
        );
    }

    #[test]
    fn a_reply_with_words_of_its_own_is_passed_on_whole() {
        for (request, reply) in [
            (
                "What is the capital of France?",
                "The capital of France is Paris.",
            ),
            ("Is Paris in France?", "Yes, Paris is in France."),
            // Starting with the question is fine when an answer follows.
            ("What is seven times eight?", "Seven times eight is 56."),
            ("Hello there.", "Hi! How can I help?"),
            // Nothing to judge: no content words at all.
            ("Can you?", "Yes."),
            ("Résumé ✓ 日本語?", "日本語 means Japanese."),
        ] {
            for n in [1, 4, 100] {
                assert_eq!(
                    stream(request, None, reply, n),
                    (reply.to_owned(), false),
                    "{reply}"
                );
            }
        }
        // A yes-or-no question is answered with its own words.
        for (request, reply) in [
            ("Is Paris in France?", "Paris is in France."),
            ("Is my tea timer running?", "Your tea timer is running."),
        ] {
            assert_eq!(stream(request, None, reply, 3), (reply.to_owned(), false));
        }
        // After a tool call nothing is held.
        let mut gate = EchoGate::new("keep an eye on my tea timer", None, None);
        assert_eq!(gate.push("Your tea "), None);
        assert_eq!(gate.open(), "Your tea ");
        assert_eq!(gate.push("timer."), Some("timer.".to_owned()));
        // Once open, the rest passes on as it comes.
        let mut gate = EchoGate::new("What is the capital of France?", None, None);
        assert_eq!(gate.push("The capital"), None);
        assert_eq!(gate.push(" is Paris"), None, "'Paris' may still grow");
        assert_eq!(
            gate.push(". It"),
            Some("The capital is Paris. It".to_owned())
        );
        assert_eq!(gate.push(" is"), Some(" is".to_owned()));
        assert_eq!(gate.finish(), Ok(String::new()));
    }

    #[test]
    fn the_same_question_asked_again_gets_the_same_answer_again() {
        let answer = "The first person to walk on the moon was Neil Armstrong.";
        let asked = "Who was the first person to walk on the moon?";
        for again in [
            "Who was the first person to walk on the moon.",
            "The first person to walk on the moon, who was it?",
        ] {
            assert_eq!(
                stream_after(again, Some(asked), Some(answer), answer, 5),
                (answer.to_owned(), false),
                "{again}"
            );
        }
        // Another question answered with our last answer is still an echo.
        assert_eq!(
            stream_after(
                "Oh wait, I meant nine minutes.",
                Some("Set a timer for eight minutes."),
                Some("Timer set for 8 minutes."),
                "Timer set for 8 minutes.",
                5
            ),
            (String::new(), true)
        );
    }
}
