//! One way to compare text word by word, for the whole engine: the floor policy's word rules,
//! the stable prefix of partial transcripts, and the scorer's "did the answer mention it".
//!
//! A word is a run of letters, digits and apostrophes, in lower case; everything else (spaces,
//! punctuation, hyphens, symbols) separates words. Typographic apostrophes (U+2019, U+2018, as
//! ASR and LLMs write them) count as `'`, so "it’s" and "it's" are the same word.
//!
//! The reasoner's [`crate::reasoning::Utterance`] is not a second normalizer: it parses a request
//! (numbers to digits, contractions expanded, fillers and corrected-away words dropped) and keeps
//! what a comparison throws away ("3.5", "10:30").

/// The lower-case words of `text`.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .flat_map(char::to_lowercase)
                .map(|c| if is_apostrophe(c) { '\'' } else { c })
                .collect()
        })
}

/// The words of `text` joined by single spaces: "Set a timer, for TEN!" -> "set a timer for ten".
pub fn normalize(text: &str) -> String {
    words(text).collect::<Vec<_>>().join(" ")
}

/// Whether `text` has `phrase`'s words in a row (whole words; an empty phrase never matches).
pub fn contains_words(text: &str, phrase: &str) -> bool {
    let phrase = normalize(phrase);
    !phrase.is_empty() && format!(" {} ", normalize(text)).contains(&format!(" {phrase} "))
}

/// About how many syllables `text` has when spoken in English: the vowel groups of each word
/// ("y" counts as a vowel), less a silent final "e" ("make", not "table"), at least one per
/// word; a number counts one per digit. An estimate for plausibility checks (how much speech
/// words need), not for pronunciation.
pub fn syllables(text: &str) -> usize {
    words(text).map(|w| word_syllables(&w)).sum()
}

fn word_syllables(word: &str) -> usize {
    if word.chars().all(|c| c.is_ascii_digit()) {
        return word.len();
    }
    let vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut groups = 0;
    let mut in_vowels = false;
    for c in word.chars() {
        let v = vowel(c);
        if v && !in_vowels {
            groups += 1;
        }
        in_vowels = v;
    }
    let silent_e = word.ends_with('e')
        && !word.ends_with("le")
        && !word.ends_with("ee")
        && !word.ends_with("ye")
        && groups > 1;
    (groups - usize::from(silent_e)).max(1)
}

/// Levenshtein distance between two sequences (substitutions, insertions and deletions each
/// cost one): word error counts for the ASR tests and experiments.
pub fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(x != y))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_apostrophe(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_runs_of_letters_digits_and_apostrophes() {
        assert_eq!(normalize("Set a timer, for TEN!"), "set a timer for ten");
        assert_eq!(normalize("It’s 2 o'clock."), "it's 2 o'clock");
        assert_eq!(normalize("mm-hm"), "mm hm");
        assert_eq!(normalize("  ...  "), "");
        assert_eq!(normalize("Ünïcödé ΑΒΓ 東京"), "ünïcödé αβγ 東京");
        assert_eq!(words("a,b").collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn syllables_are_estimated_from_vowel_groups() {
        assert_eq!(syllables("Show it, show it."), 4);
        assert_eq!(syllables("I can look at it."), 5);
        assert_eq!(syllables("Make a table, see?"), 5);
        assert_eq!(syllables("mm-hm"), 2);
        assert_eq!(syllables("Set it for 10"), 5);
        assert_eq!(syllables("東京 Ünïcödé"), 2);
        assert_eq!(syllables(" ... "), 0);
    }

    #[test]
    fn edit_distance_counts_substitutions_insertions_and_deletions() {
        let w = |s: &str| words(s).collect::<Vec<_>>();
        assert_eq!(edit_distance(&w("set a timer"), &w("set a timer")), 0);
        assert_eq!(edit_distance(&w("set a timer"), &w("set the timer")), 1);
        assert_eq!(edit_distance(&w("set a timer"), &w("set timer")), 1);
        assert_eq!(
            edit_distance(&w("set a timer"), &w("set a new timer now")),
            2
        );
        assert_eq!(edit_distance(&w(""), &w("three words here")), 3);
        assert_eq!(edit_distance(&w("kitten"), &w("")), 1);
        assert_eq!(edit_distance(b"kitten", b"sitting"), 3);
    }

    #[test]
    fn contains_words_matches_whole_words_in_a_row() {
        assert!(contains_words("It's 84, I think.", "84"));
        assert!(!contains_words("It's 840.", "84"));
        assert!(contains_words("Paris, France", "paris france"));
        assert!(!contains_words("France, Paris", "paris france"));
        assert!(!contains_words("anything", " ... "));
    }
}
