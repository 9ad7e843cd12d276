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

#[test]
fn a_request_is_as_sure_as_the_finals_it_is_made_of() {
    use super::actions::request_logprob;
    let finals: std::collections::VecDeque<(String, f32)> = [
        ("x", -1.77),
        ("Sorry", -0.84),
        ("Explain how the rainbow forms.", -0.47),
        ("Sorry, what did you just say?", -0.14),
        ("Set a timer", -0.3),
        ("for ten minutes.", -0.9),
    ]
    .into_iter()
    .map(|(t, lp)| (t.to_owned(), lp))
    .collect();
    // Its own final, not a short final its words happen to contain.
    assert_eq!(
        request_logprob(&finals, "Explain how the rainbow forms."),
        Some(-0.47)
    );
    assert_eq!(
        request_logprob(&finals, " Sorry, what did you just say? "),
        Some(-0.14)
    );
    // Two finals joined: the less sure.
    assert_eq!(
        request_logprob(&finals, "Set a timer for ten minutes."),
        Some(-0.9)
    );
    assert_eq!(request_logprob(&finals, "Something else"), None);
    assert_eq!(request_logprob(&finals, ""), None);
}
