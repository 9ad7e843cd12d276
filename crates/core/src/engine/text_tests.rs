//! Property tests for the engine's text helpers: any transcript or answer text, any cut.

use proptest::prelude::*;

use super::listen::stable_prefix;
use super::speech::{heard_prefix, speakable_prefix};
use super::stages::clean_transcript;
use crate::test_text::{any_text, config};

proptest! {
    #![proptest_config(config())]

    #[test]
    fn transcripts_are_cleaned_whatever_they_hold(text in any_text()) {
        let clean = clean_transcript(&text);
        prop_assert!(!clean.contains("  ") && clean.trim() == clean);
    }

    #[test]
    fn partials_agree_on_a_prefix_of_the_newer(previous in any_text(), current in any_text()) {
        let stable = stable_prefix(&previous, &current);
        let words: Vec<&str> = current.split_whitespace().collect();
        prop_assert!(words.join(" ").starts_with(&stable));
    }

    #[test]
    fn answers_are_cut_on_char_boundaries(text in any_text(), chars in 0usize..300) {
        if let Some(cut) = speakable_prefix(&text) {
            prop_assert!(text.is_char_boundary(cut));
        }
        let heard = heard_prefix(&text, chars);
        prop_assert!(text.starts_with(&heard) || text.contains(heard.as_str()));
    }
}
