//! The decoder's guard against loops, and what to keep of a looped transcript: tiny.en loops
//! ("5 5 5 ...") in short windows, while people repeat themselves ("Hello? Hello?", "no, no,
//! no") and must keep their words.

use super::super::mel::SAMPLE_RATE_HZ;

/// How many times in a row an n-gram must come for the decoder to be in a loop rather than a
/// person repeating themselves: people say "Hello? Hello?" or "no, no, no", and tiny.en writes
/// a real phone call's opening as "Hello." six times (CTranslate2 too, then goes on), while a
/// loop runs to the end of the decoder's positions. 20 times for one token, 10 for two, 8 for
/// longer n-grams: at most ~64 extra decoder steps before a real loop is cut.
fn loop_times(n: usize) -> usize {
    (20 / n).max(8)
}

/// The length of the tail n-gram (n = 1..=8) that repeats [`loop_times`] in a row at the end
/// of `tokens`, if any: tiny.en's loops ("5 5 5 5 ...").
fn looping_ngram(tokens: &[u32]) -> Option<usize> {
    (1..=8).find(|&n| {
        let times = loop_times(n);
        if tokens.len() < n * times {
            return false;
        }
        let tail = &tokens[tokens.len() - n..];
        (1..times).all(|k| &tokens[tokens.len() - n * (k + 1)..tokens.len() - n * k] == tail)
    })
}

/// Where to cut `tokens` if they end in a loop: everything before it and its n-gram once.
pub(super) fn loop_cut(tokens: &[u32]) -> Option<usize> {
    let n = looping_ngram(tokens)?;
    let tail = &tokens[tokens.len() - n..];
    let mut start = tokens.len() - n;
    while start >= n && &tokens[start - n..start] == tail {
        start -= n;
    }
    Some(start + n)
}

/// Whether a transcript of `samples` of audio is one that a short window got wrong in an
/// obvious way: more words than anyone says in that time (2 plus 5 a second), a phrase of
/// three to five words said twice in a row ("Can you help? Can you help?" for 1 s of audio),
/// or one of two words said three times. A person may say that too; the cost of asking is one
/// decode in the longer window (a final) or the words after the first round (a partial). Two
/// words said twice are what people say when they cut in ("Hold on, hold on, how many minutes
/// are in a day?"): counted as a loop, that final was decoded again in 15 s on the rig, ~1 s
/// of compute before the cut-in was answered, and its partials lost the second "hold on".
pub(super) fn implausible(text: &str, samples: usize) -> bool {
    let words: Vec<String> = crate::text::words(text).collect();
    if words.len() > most_words(samples) {
        return true;
    }
    (0..words.len()).any(|i| (2..=5).any(|n| loops_at(&words, i, n)))
}

/// Whether the `n` words at `i` are a loop: a pair said three times in a row, or a longer
/// phrase said twice (the one rule of [`implausible`] and [`first_round`]).
fn loops_at(words: &[String], i: usize, n: usize) -> bool {
    let times = if n == 2 { 3 } else { 2 };
    i + times * n <= words.len()
        && (1..times).all(|k| words[i..i + n] == words[i + k * n..i + (k + 1) * n])
}

/// The most words anyone says in `samples` of audio: 2 plus 5 a second.
pub(super) fn most_words(samples: usize) -> usize {
    (2.0 + 5.0 * samples as f32 / SAMPLE_RATE_HZ as f32) as usize
}

/// `text` cut after the first round of a loop (a pair said three times, or a phrase of 3 to 8
/// words said twice: [`loops_at`]), and to the words `samples` of audio can hold (2 plus 5 a
/// second): what a looped transcript heard before it looped. ("Hold on, hold on, ..." is what
/// people say when they cut in, not a loop: until 2026-12-06 a partial that looped for another
/// reason was cut at its first "hold on".)
pub(super) fn first_round(text: &str, samples: usize) -> String {
    let raw: Vec<&str> = text.split_whitespace().collect();
    let norm: Vec<String> = raw
        .iter()
        .map(|w| crate::text::words(w).collect::<Vec<_>>().join(" "))
        .collect();
    let most = most_words(samples);
    let end = (0..raw.len())
        .find_map(|i| (2..=8).find(|&n| loops_at(&norm, i, n)).map(|n| i + n))
        .unwrap_or(raw.len());
    raw[..end.min(most)].join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_looped_transcript_keeps_its_first_round() {
        let looped = "Hold on, the right spine, can you? ".repeat(12);
        assert_eq!(
            first_round(&looped, 3 * 16_000),
            "Hold on, the right spine, can you?"
        );
        // No repeat: only as many words as the audio can hold (2 plus 5 a second).
        let long = "one two three four five six seven eight nine ten";
        assert_eq!(
            first_round(long, 16_000),
            "one two three four five six seven"
        );
        assert_eq!(
            first_round("Right in the right in the right", 16_000),
            "Right in the"
        );
        assert_eq!(first_round("", 16_000), "");
        // Two words said twice are a cut-in's "hold on, hold on", not the loop.
        assert_eq!(
            first_round(
                "Hold on, hold on, what time is it? what time is it?",
                3 * 16_000
            ),
            "Hold on, hold on, what time is it?"
        );
        assert_eq!(
            first_round("Yes, yes, yes, yes, yes, yes", 3 * 16_000),
            "Yes, yes,"
        );
    }

    #[test]
    fn repetition_guard_catches_loops_and_keeps_the_first() {
        let mut looped = vec![10, 20];
        looped.extend([5; 20]);
        assert_eq!(loop_cut(&looped), Some(3));
        let mut bigram = vec![1];
        (0..10).for_each(|_| bigram.extend([7, 8]));
        assert_eq!(loop_cut(&bigram), Some(3));
        assert_eq!(loop_cut(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), None);
        assert_eq!(loop_cut(&[5; 19]), None);
    }

    /// What people repeat is not a loop: "Hello. Hello. ..." six times (a real phone call's
    /// opening as tiny.en writes it), "no, no, no, no", a word said over and over.
    #[test]
    fn people_repeating_themselves_is_not_a_loop() {
        let hello = [18435, 13];
        let mut call: Vec<u32> = hello.iter().copied().cycle().take(12).collect();
        assert_eq!(loop_cut(&call), None);
        call.extend([314, 1422, 470]);
        assert_eq!(loop_cut(&call), None);
        let no: Vec<u32> = [645, 11].iter().copied().cycle().take(16).collect();
        assert_eq!(loop_cut(&no), None);
        assert_eq!(loop_cut(&[645; 12]), None);
    }

    #[test]
    fn a_looped_or_overfull_transcript_is_implausible() {
        let second = SAMPLE_RATE_HZ as usize;
        assert!(implausible("Can you help? Can you help?", second));
        assert!(implausible(
            "What's the difference? What's the difference?",
            4 * second
        ));
        assert!(implausible(
            "one two three four five six seven eight",
            second
        ));
        // What people say: single words repeated, a long sentence over enough time.
        assert!(!implausible("Hello? Hello? Hello?", second));
        assert!(!implausible(
            "Wait, wait, what's fifteen percent of eighty?",
            2 * second
        ));
        assert!(!implausible("no, no, no", second));
        // Two words said twice, as people cut in; three times is a loop.
        assert!(!implausible(
            "Hold on, hold on, how many minutes are in a day?",
            4 * second
        ));
        assert!(!implausible("Hang on, hang on.", second));
        assert!(implausible("Can you? Can you? Can you?", second));
        assert!(!implausible(
            "Tell me a bedtime story for a five year old.",
            3 * second
        ));
        assert!(!implausible("", 0));
    }
}
