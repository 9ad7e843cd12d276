//! Step-level tests added with the engine: final transcripts, dangling words, side
//! conversations, stray words.

use super::*;

#[test]
fn a_pause_after_a_dangling_word_is_held_even_if_the_prosody_sounds_final() {
    let mut s = State::default();
    user_speaks(&mut s, 0, 1200, "I was thinking about");
    let mut actions = Vec::new();
    for (t, eot) in [(1300, None), (1360, Some(0.9))] {
        actions.extend(step(
            &mut s,
            &Inputs {
                voice: silent(1200),
                heard: Heard::Final {
                    text: "I was thinking about".into(),
                },
                end_of_turn: eot,
                ..Default::default()
            },
            t,
        ));
    }
    for t in (1400..3200).step_by(200) {
        actions.extend(step(
            &mut s,
            &Inputs {
                voice: silent(1200),
                ..Default::default()
            },
            t,
        ));
    }
    assert!(request_id(&actions).is_none(), "{actions:?}");
    assert_eq!(s.floor(), Floor::UserSpeaking);
}

#[test]
fn the_turn_waits_for_the_final_transcript_not_a_stale_partial() {
    let mut s = State::default();
    user_speaks(&mut s, 0, 2000, "set a timer for ten no fifteen");
    let mut a = step(
        &mut s,
        &Inputs {
            voice: silent(2000),
            ..Default::default()
        },
        2200,
    );
    a.extend(step(
        &mut s,
        &Inputs {
            voice: silent(2000),
            end_of_turn: Some(0.95),
            ..Default::default()
        },
        2230,
    ));
    assert!(
        request_id(&a).is_none(),
        "a partial is not enough yet: {a:?}"
    );
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(2000),
            heard: Heard::Final {
                text: "Set a timer for ten, no, fifteen minutes.".into(),
            },
            ..Default::default()
        },
        2260,
    );
    assert!(
        has(
            &a,
            |a| matches!(a, Action::Request { text, .. } if text.contains("fifteen minutes"))
        ),
        "{a:?}"
    );
}

#[test]
fn the_other_persons_answer_belongs_to_the_side_conversation() {
    let mut s = State::default();
    user_speaks(&mut s, 0, 1500, "john can you pass the salt");
    let mut all = Vec::new();
    for (t, eot) in [(1700, None), (1720, Some(0.95))] {
        all.extend(step(
            &mut s,
            &Inputs {
                voice: silent(1500),
                heard: Heard::Final {
                    text: "John, can you pass the salt?".into(),
                },
                end_of_turn: eot,
                ..Default::default()
            },
            t,
        ));
    }
    assert!(has(&all, |a| matches!(a, Action::NotAddressed { .. })));
    user_speaks(&mut s, 2500, 3500, "sure here you go");
    let mut all = Vec::new();
    for (t, eot) in [(3700, None), (3720, Some(0.95))] {
        all.extend(step(
            &mut s,
            &Inputs {
                voice: silent(3500),
                heard: Heard::Final {
                    text: "Sure, here you go.".into(),
                },
                end_of_turn: eot,
                ..Default::default()
            },
            t,
        ));
    }
    assert!(
        has(
            &all,
            |a| matches!(a, Action::NotAddressed { reason, .. } if reason.contains("other side"))
        ),
        "{all:?}"
    );
    assert!(request_id(&all).is_none());
    // Naming the assistant brings it back at once.
    user_speaks(&mut s, 4000, 5200, "tandem what time is it");
    let mut all = Vec::new();
    for (t, eot) in [(5400, None), (5420, Some(0.95))] {
        all.extend(step(
            &mut s,
            &Inputs {
                voice: silent(5200),
                heard: Heard::Final {
                    text: "Tandem, what time is it?".into(),
                },
                end_of_turn: eot,
                ..Default::default()
            },
            t,
        ));
    }
    assert!(request_id(&all).is_some(), "{all:?}");
}

#[test]
fn unfinished_transcripts_and_stray_words_are_recognized() {
    use super::policy::{is_stray_fragment, sounds_unfinished};
    assert!(sounds_unfinished(
        "My favorite thing about the weekend is..."
    ));
    assert!(sounds_unfinished("Could you tell me how many grams are in"));
    assert!(sounds_unfinished("So the thing is, um,"));
    assert!(sounds_unfinished("I was thinking about"));
    assert!(!sounds_unfinished("What can I ask you?"));
    // Prepositions count even before a question mark (a slower answer, not a wrong one).
    assert!(sounds_unfinished(
        "Could you tell me how many grams are in?"
    ));
    assert!(!sounds_unfinished("What time is it?"));
    assert!(!sounds_unfinished("What time is it?"));
    assert!(!sounds_unfinished("Set a timer for five minutes."));
    assert!(is_stray_fragment("Mama", 400));
    assert!(!is_stray_fragment("Stop.", 400));
    assert!(!is_stray_fragment("Hello?", 400));
    assert!(!is_stray_fragment("Mama", 1500));
    assert!(
        not_addressed(
            "Stop, set a timer for two minutes.",
            &silent(0),
            None,
            &Params::default()
        )
        .is_none()
    );
    assert!(
        not_addressed(
            "Hey, Sarah, are you coming tonight?",
            &silent(0),
            None,
            &Params::default()
        )
        .is_some()
    );
}
