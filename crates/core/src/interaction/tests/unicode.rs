//! Any Unicode in a transcript: the word rules and the whole step never panic, whatever the
//! script, combining marks, emoji or byte length of the first word.

use super::super::policy::{burst_lets_us_go_on, is_stray_fragment, normalize, sounds_unfinished};
use super::*;
use crate::test_text::{Lcg, transcripts};

#[test]
fn word_rules_take_any_unicode() {
    let voice = speaking(0);
    let params = Params::default();
    for text in transcripts() {
        let _ = normalize(&text);
        let _ = is_backchannel(&text);
        let _ = sounds_unfinished(&text);
        let _ = is_stray_fragment(&text, 500);
        let _ = burst_lets_us_go_on(&text);
        let _ = not_addressed(&text, &voice, None, &params);
        for heard_len in 0..=text.len() + 1 {
            let rest = resume_from(&text, heard_len);
            assert!(text.contains(rest.as_str()), "{text:?} at {heard_len}");
        }
    }
}

#[test]
fn a_turn_in_any_script_is_handled_whole() {
    let mut rng = Lcg(7);
    let all = transcripts();
    for _ in 0..300 {
        let text = &all[rng.next() % all.len()];
        let mut s = State::default();
        user_speaks(&mut s, 0, 800, text);
        let inp = Inputs {
            voice: silent(800),
            heard: Heard::Final { text: text.clone() },
            end_of_turn: Some(0.9),
            ..Default::default()
        };
        for t in (1000..=4000).step_by(TICK as usize) {
            step(&mut s, &inp, t);
        }
    }
}

proptest::proptest! {
    #![proptest_config(crate::test_text::config())]

    /// Arbitrary text through every word rule: values, never a panic.
    #[test]
    fn word_rules_never_panic(text in crate::test_text::any_text(), heard_len in 0usize..200) {
        let voice = speaking(0);
        let params = Params::default();
        let _ = normalize(&text);
        let _ = is_backchannel(&text);
        let _ = sounds_unfinished(&text);
        let _ = is_stray_fragment(&text, 500);
        let _ = burst_lets_us_go_on(&text);
        let _ = not_addressed(&text, &voice, None, &params);
        let rest = resume_from(&text, heard_len);
        proptest::prop_assert!(text.contains(rest.as_str()));
    }

    /// Arbitrary text as a partial, then a final transcript, through the whole step.
    #[test]
    fn step_takes_any_transcript(
        partial in crate::test_text::any_text(),
        stable in crate::test_text::any_text(),
        text in crate::test_text::any_text(),
    ) {
        let mut s = State::default();
        let inp = Inputs {
            voice: speaking(0),
            heard: Heard::Partial { text: partial, stable },
            ..Default::default()
        };
        step(&mut s, &inp, 200);
        user_speaks(&mut s, 0, 800, &text);
        let inp = Inputs {
            voice: silent(800),
            heard: Heard::Final { text },
            end_of_turn: Some(0.9),
            ..Default::default()
        };
        for t in (1000..=3000).step_by(TICK as usize) {
            step(&mut s, &inp, t);
        }
    }
}
