//! From raw ASR text to tokens the skills can match.
//!
//! Speech recognition gives lowercase or oddly cased text with or without punctuation, with
//! fillers ("um", "uh", "like"), stutters ("set set a timer") and course corrections ("ten no
//! fifteen minutes", "no wait", "I mean", "actually"). [`Utterance::parse`] lowercases,
//! splits, expands contractions, drops fillers, turns spelled-out numbers into digits and
//! applies corrections, so "um set a timer for like ten no wait fifteen minutes" reads as
//! "set a timer for 15 minutes".

use super::numbers::{is_number, words_to_digits};
use super::unit_words::is_unit_word;

/// One user utterance, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    /// Lowercase tokens, numbers as digits, fillers and corrected-away words removed.
    pub tokens: Vec<String>,
}

impl Utterance {
    pub fn parse(raw: &str) -> Utterance {
        let tokens = drop_fillers(split(raw));
        let tokens = words_to_digits(&tokens);
        let tokens = apply_corrections(tokens);
        Utterance { tokens }
    }

    /// Every word as said, fillers and corrections kept ("yes, paris is in france" keeps its
    /// "yes"): lowercased, contractions expanded, spelled-out numbers as digits.
    pub fn words(raw: &str) -> Vec<String> {
        words_to_digits(&split(raw))
    }

    pub fn text(&self) -> String {
        self.tokens.join(" ")
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// Lowercase words without punctuation, contractions expanded.
fn split(raw: &str) -> Vec<String> {
    let spaced = space_symbols(&currency_words(&raw.to_lowercase()));
    let mut tokens: Vec<String> = Vec::new();
    for word in spaced.split_whitespace() {
        let word =
            word.trim_matches(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-' || c == ':'));
        let word = word.trim_end_matches(['.', ':']);
        let word = word.trim_start_matches('-');
        if word.is_empty() {
            continue;
        }
        expand_contraction(word, &mut tokens);
    }
    tokens
}

/// "$45.50" -> "45.50 dollars" (and pounds, euros): the recognizer writes amounts with the
/// symbol first, which the words lose.
fn currency_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let word = match c {
            '$' => "dollars",
            '£' => "pounds",
            '€' => "euros",
            _ => {
                out.push(c);
                continue;
            }
        };
        if !chars.peek().is_some_and(char::is_ascii_digit) {
            out.push(c);
            continue;
        }
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '.' || d == ',' {
                out.push(d);
                chars.next();
            } else {
                break;
            }
        }
        // "$45." at a sentence's end: the full stop is not the amount's.
        let stop = out.ends_with('.');
        if stop {
            out.pop();
        }
        out.push(' ');
        out.push_str(word);
        if stop {
            out.push('.');
        }
    }
    out
}

/// Separates symbols that ASR writes for operators and glued units: "17x23", "5km", "3+4",
/// "20%", "6×7", "½".
fn space_symbols(text: &str) -> String {
    let text = text
        .replace(['\u{2019}', '\u{2018}', '`'], "'")
        .replace('×', " times ")
        .replace('÷', " divided by ")
        .replace('+', " plus ")
        .replace('*', " times ")
        .replace('=', " ")
        .replace('%', " percent ")
        .replace('½', " and a half ")
        .replace('^', " to the power of ");
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let prev_digit = prev.is_some_and(|p| p.is_ascii_digit());
        let next_digit = next.is_some_and(|n| n.is_ascii_digit());
        // Look past spaces for operators written between numbers: "17 x 23", "10 / 4", "9 - 3".
        let prev_nonspace = chars[..i].iter().rev().find(|c| **c != ' ').copied();
        let next_nonspace = chars[i + 1..].iter().find(|c| **c != ' ').copied();
        let between_numbers = prev_nonspace.is_some_and(|p| p.is_ascii_digit())
            && next_nonspace.is_some_and(|n| n.is_ascii_digit());
        match c {
            'x' if between_numbers && !next.is_some_and(|n| n.is_alphabetic()) => {
                out.push_str(" times ")
            }
            '/' if between_numbers => out.push_str(" divided by "),
            '-' if between_numbers && (prev == Some(' ') || next == Some(' ')) => {
                out.push_str(" minus ")
            }
            '-' if prev_digit && next.is_some_and(|n| n.is_alphabetic()) => out.push(' '),
            '-' if next_digit && !prev.is_some_and(|p| p.is_alphanumeric()) => {
                out.push_str(" minus ")
            }
            '-' if prev.is_some_and(char::is_alphabetic)
                && next.is_some_and(char::is_alphabetic) =>
            {
                // "twenty-five", "set-up": hyphenated words are separate words.
                out.push(' ')
            }
            ',' if prev_digit && next_digit => {} // "1,200"
            ',' | '?' | '!' | ';' | '"' | '(' | ')' => out.push(' '),
            c if c.is_alphabetic() && prev_digit => {
                // "5km", "10am": split digits from a glued unit.
                out.push(' ');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn expand_contraction(word: &str, out: &mut Vec<String>) {
    let expanded: &[&str] = match word {
        "what's" | "whats" => &["what", "is"],
        "it's" => &["it", "is"],
        "that's" => &["that", "is"],
        "there's" => &["there", "is"],
        "where's" | "wheres" => &["where", "is"],
        "who's" => &["who", "is"],
        "how's" => &["how", "is"],
        "here's" => &["here", "is"],
        "when's" => &["when", "is"],
        // "What time's it?" went to the language model, which made a time up.
        "time's" => &["time", "is"],
        "let's" => &["let", "us"],
        "i'm" | "im" => &["i", "am"],
        "i've" => &["i", "have"],
        "i'd" => &["i", "would"],
        "i'll" => &["i", "will"],
        "you're" => &["you", "are"],
        "you've" => &["you", "have"],
        "we're" => &["we", "are"],
        "they're" => &["they", "are"],
        "don't" | "dont" => &["do", "not"],
        "doesn't" => &["does", "not"],
        "didn't" => &["did", "not"],
        "can't" | "cant" => &["can", "not"],
        "won't" => &["will", "not"],
        "isn't" => &["is", "not"],
        "aren't" => &["are", "not"],
        "wasn't" => &["was", "not"],
        "o'clock" | "oclock" => &["o'clock"],
        "gonna" => &["going", "to"],
        "wanna" => &["want", "to"],
        "gimme" => &["give", "me"],
        "nevermind" => &["never", "mind"],
        "a.m" | "a.m." => &["am"],
        "p.m" | "p.m." => &["pm"],
        _ => {
            out.push(word.to_owned());
            return;
        }
    };
    out.extend(expanded.iter().map(|s| (*s).to_owned()));
}

/// Words that carry no meaning anywhere in an utterance.
const FILLERS: &[&str] = &[
    "um", "umm", "ummm", "uh", "uhh", "uhm", "er", "erm", "ah", "ahh", "eh", "hmm", "hm", "mm",
    "mmm", "mhm", "please", "pls",
];

/// Words that carry no meaning at the start of an utterance.
const LEADING: &[&str] = &[
    "so", "okay", "ok", "well", "alright", "hey", "oh", "now", "tandem", "right", "and", "but",
    "actually", "wait", "sorry", "no", "yeah", "yes",
];

/// Phrases that carry no meaning at the start of an utterance: a listener taking the floor
/// ("Hang on, what's 17 times 12?" was answered by the language model, wrongly, instead of the
/// calculator).
const LEADING_PHRASES: &[&[&str]] = &[
    &["i", "mean"],
    &["no", "wait"],
    &["hey", "tandem"],
    &["scratch", "that"],
    &["hang", "on"],
    &["hold", "on"],
    &["excuse", "me"],
    &["one", "sec"],
    &["one", "second"],
    &["just", "a", "sec"],
    &["just", "a", "second"],
    &["quick", "question"],
    &["by", "the", "way"],
];

/// Words after which "like" is a verb or a comparison, not a filler.
const LIKE_KEEPERS: &[&str] = &[
    "i",
    "you",
    "we",
    "they",
    "would",
    "do",
    "does",
    "did",
    "not",
    "look",
    "looks",
    "looked",
    "feel",
    "feels",
    "sound",
    "sounds",
    "seem",
    "seems",
    "is",
    "it",
    "things",
    "something",
    "anything",
    "nothing",
    "really",
    "actually",
    "just",
    "also",
    "still",
    "totally",
    "would",
    "definitely",
    "kinda",
    "dont",
];

fn drop_fillers(tokens: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        if FILLERS.contains(&t.as_str()) {
            continue;
        }
        let prev = out.last().map(String::as_str);
        if t == "like" && !prev.is_some_and(|p| LIKE_KEEPERS.contains(&p)) && i + 1 < tokens.len() {
            continue;
        }
        if t == "know"
            && prev == Some("you")
            && !matches!(
                out.iter().rev().nth(1).map(String::as_str),
                Some("do" | "did" | "does" | "would" | "if" | "not" | "let")
            )
        {
            out.pop();
            continue;
        }
        // Stutters: "set set a timer". Numbers may repeat on purpose.
        if prev == Some(t.as_str()) && !is_number(t) && t != "no" {
            continue;
        }
        out.push(t.clone());
    }
    // Leading discourse markers, but never the whole utterance ("okay" alone stays "okay").
    let mut start = 0;
    while start + 1 < out.len() {
        let w = out[start].as_str();
        if let Some(phrase) = LEADING_PHRASES.iter().find(|p| {
            // "hold on to that note" is a request, not a marker and "to that note".
            starts_with_at(&out, start, p)
                && out.get(start + p.len()).is_some_and(|next| next != "to")
        }) {
            start += phrase.len();
        } else if LEADING.contains(&w) {
            start += 1;
        } else {
            break;
        }
    }
    // "... thanks" / "... thank you" at the end of a request.
    let mut end = out.len();
    if end >= start + 3 && out[end - 2] == "thank" && out[end - 1] == "you" {
        end -= 2;
    } else if end >= start + 2 && matches!(out[end - 1].as_str(), "thanks" | "thx") {
        end -= 1;
    }
    out[start..end].to_vec()
}

/// Words that start a new request after a correction marker ("what time is it, no, actually
/// what's the date"): the request restarts instead of patching the old one.
const COMMAND_STARTS: &[&str] = &[
    "what",
    "set",
    "start",
    "remind",
    "how",
    "when",
    "who",
    "where",
    "convert",
    "cancel",
    "tell",
    "remember",
    "stop",
    "repeat",
    "is",
    "can",
    "could",
    "make",
    "take",
    "note",
    "calculate",
    "forget",
    "read",
    "do",
    "add",
    "subtract",
    "multiply",
    "divide",
    "which",
];

/// Corrections whatever follows them.
const STRONG_MARKERS: &[&[&str]] = &[
    &["no", "i", "mean"],
    &["no", "scratch", "that"],
    &["no", "wait"],
    &["no", "sorry"],
    &["no", "no"],
    &["no", "actually"],
    &["scratch", "that"],
    &["or", "rather"],
];

/// Corrections only when what follows could replace something said before them.
const WEAK_MARKERS: &[&[&str]] = &[
    &["no", "make", "that"],
    &["no", "make", "it"],
    &["make", "that"],
    &["make", "it"],
    &["i", "mean"],
    &["no"],
    &["actually"],
    &["sorry"],
    &["rather"],
    &["wait"],
];

fn starts_with_at(tokens: &[String], i: usize, phrase: &[&str]) -> bool {
    tokens.len() >= i + phrase.len()
        && tokens[i..i + phrase.len()]
            .iter()
            .zip(phrase)
            .all(|(t, p)| t == p)
}

/// Is there a correction marker at `i`, and how many tokens long is it?
fn marker_at(tokens: &[String], i: usize) -> Option<usize> {
    if let Some(m) = STRONG_MARKERS.iter().find(|m| starts_with_at(tokens, i, m)) {
        return Some(m.len());
    }
    WEAK_MARKERS
        .iter()
        .find(|m| starts_with_at(tokens, i, m) && follows_as_replacement(tokens, i, m.len()))
        .map(|m| m.len())
}

/// Does the text after a weak marker look like a replacement for something before it?
fn follows_as_replacement(tokens: &[String], i: usize, len: usize) -> bool {
    let Some(next) = tokens.get(i + len) else {
        return false;
    };
    let before = &tokens[..i];
    is_number(next)
        || is_unit_word(next)
        || COMMAND_STARTS.contains(&next.as_str())
        || (before.iter().any(|b| b == next) && !matches!(next.as_str(), "a" | "the" | "is" | "i"))
        || before.last().is_some_and(|p| is_number(p))
}

/// Applies every course correction, last first, until none is left.
fn apply_corrections(mut tokens: Vec<String>) -> Vec<String> {
    for _ in 0..8 {
        // Scan forward so that "no wait" is one marker, not "no" plus "wait"; fix the last.
        let mut found = None;
        let mut i = 1;
        while i < tokens.len() {
            match marker_at(&tokens, i) {
                Some(len) => {
                    found = Some((i, len));
                    i += len;
                }
                None => i += 1,
            }
        }
        let Some((i, len)) = found else {
            break;
        };
        let left = tokens[..i].to_vec();
        let right = tokens[i + len..].to_vec();
        tokens = repair(left, right);
    }
    tokens
}

/// Patches `left` with the replacement `right`.
fn repair(left: Vec<String>, right: Vec<String>) -> Vec<String> {
    let Some(first) = right.first() else {
        return left; // "... no wait" with nothing after it.
    };
    if COMMAND_STARTS.contains(&first.as_str()) {
        return right;
    }
    let is_slot = |t: &String| is_number(t) || is_unit_word(t);
    if is_number(first) {
        // A restated expression ("6 plus 3") replaces from the first number; a single number
        // replaces the last one.
        let restated = right.iter().filter(|t| is_number(t)).count() > 1;
        let j = if restated {
            left.iter().position(|t| is_number(t))
        } else {
            left.iter().rposition(|t| is_number(t))
        };
        if restated && let Some(j) = j {
            let mut out = left[..j].to_vec();
            out.extend(right);
            return out;
        }
        if let Some(j) = j {
            let lm = left[j..].iter().take_while(|t| is_slot(t)).count();
            let rm = right.iter().take_while(|t| is_slot(t)).count();
            let mut out = left[..j].to_vec();
            out.extend_from_slice(&right[..rm]);
            // Keep a unit the correction did not restate: "ten minutes no fifteen".
            if rm == 1 && lm > 1 {
                out.extend_from_slice(&left[j + 1..j + lm]);
            }
            out.extend_from_slice(&left[j + lm..]);
            out.extend_from_slice(&right[rm..]);
            return out;
        }
    }
    if is_unit_word(first)
        && let Some(j) = left.iter().rposition(|t| is_unit_word(t))
    {
        let mut out = left[..j].to_vec();
        out.extend(right);
        out.extend_from_slice(&left[j + 1..]);
        return out;
    }
    if let Some(j) = left.iter().rposition(|t| t == first) {
        let mut out = left[..j].to_vec();
        out.extend(right);
        return out;
    }
    // Replace as many trailing words as the correction has: "my car is blue no red".
    let keep = left.len().saturating_sub(right.len().min(2));
    let mut out = left[..keep].to_vec();
    out.extend(right);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Utterance::parse(s).text()
    }

    #[test]
    fn normalizes_asr_text() {
        let cases = [
            (
                "What's seventeen times twenty-three?",
                "what is 17 times 23",
            ),
            ("um what is uh 17x23", "what is 17 times 23"),
            ("17 × 23", "17 times 23"),
            ("what's 10 / 4", "what is 10 divided by 4"),
            ("what is 9 - 3", "what is 9 minus 3"),
            ("convert 5km to miles", "convert 5 km to miles"),
            ("remind me at 5pm", "remind me at 5 pm"),
            (
                "set set a timer for like ten minutes",
                "set a timer for 10 minutes",
            ),
            ("So, um, what time is it?", "what time is it"),
            ("okay", "okay"),
            ("what time is it thanks", "what time is it"),
            ("thank you", "thank you"),
            ("I'd like a timer", "i would like a timer"),
            ("what does it look like", "what does it look like"),
            ("Hey Tandem, what's the date", "what is the date"),
            ("Hang on, what's 17 times 12?", "what is 17 times 12"),
            ("Hold on. Sorry, what's 17 times 12?", "what is 17 times 12"),
            (
                "Just a second, by the way, what time is it",
                "what time is it",
            ),
            ("hang on", "hang on"),
            ("hold on to that note", "hold on to that note"),
            ("you know what time it is", "what time it is"),
            ("do you know what time it is", "do you know what time it is"),
            ("1,200 grams in pounds", "1200 grams in pounds"),
            ("20% of 80", "20 percent of 80"),
            ("a tip for $62.50.", "a tip for 62.5 dollars"),
            ("£1,200 or €3", "1200 pounds or 3 euros"),
            ("a hundred and ten plus five", "110 plus 5"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "input: {input}");
        }
    }

    #[test]
    fn applies_course_corrections() {
        let cases = [
            (
                "set a timer for ten no fifteen minutes",
                "set a timer for 15 minutes",
            ),
            (
                "set a timer for ten minutes no fifteen",
                "set a timer for 15 minutes",
            ),
            (
                "set a timer for ten minutes no wait fifteen seconds",
                "set a timer for 15 seconds",
            ),
            (
                "set a timer for ten I mean fifteen minutes",
                "set a timer for 15 minutes",
            ),
            (
                "set a timer for ten minutes actually twenty",
                "set a timer for 20 minutes",
            ),
            (
                "set a timer for 10 minutes sorry 12",
                "set a timer for 12 minutes",
            ),
            (
                "set a timer for ten no fifteen no twenty minutes",
                "set a timer for 20 minutes",
            ),
            (
                "set a timer for five minutes no seconds",
                "set a timer for 5 seconds",
            ),
            (
                "remind me in 5 minutes to call mom no 10 minutes",
                "remind me in 10 minutes to call mom",
            ),
            ("remind me to call mom no call dad", "remind me to call dad"),
            (
                "convert 5 miles to kilometers no to meters",
                "convert 5 miles to meters",
            ),
            (
                "what time is it no wait what is the date",
                "what is the date",
            ),
            ("what is 5 plus 3 scratch that 6 plus 3", "what is 6 plus 3"),
            (
                "set a timer for ten make that fifteen minutes",
                "set a timer for 15 minutes",
            ),
            (
                "what's seven times eight or rather nine",
                "what is 7 times 9",
            ),
            (
                "no wait set a timer for 5 minutes",
                "set a timer for 5 minutes",
            ),
            ("actually what time is it", "what time is it"),
            // Not corrections.
            (
                "remember there is no milk in the fridge",
                "remember there is no milk in the fridge",
            ),
            ("i actually like jazz", "i actually like jazz"),
            ("i have no idea", "i have no idea"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "input: {input}");
        }
    }
}
