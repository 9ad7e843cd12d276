//! Step-level tests added with the engine: final transcripts, dangling words, side
//! conversations, stray words.

use super::*;

/// The turn that ended at `end` gets its final transcript `text` 200 ms later and smart-turn's
/// "complete" (0.95) a step after that; `with` is the rest of each step's inputs. Returns all
/// actions.
fn final_then_complete(s: &mut State, end: Ms, text: &str, with: &Inputs) -> Vec<Action> {
    let mut all = Vec::new();
    for (t, eot) in [(end + 200, None), (end + 220, Some(0.95))] {
        let inp = Inputs {
            voice: silent(end),
            heard: Heard::Final { text: text.into() },
            end_of_turn: eot,
            ..with.clone()
        };
        all.extend(step(s, &inp, t));
    }
    all
}

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
    let all = final_then_complete(
        &mut s,
        1500,
        "John, can you pass the salt?",
        &Inputs::default(),
    );
    assert!(has(&all, |a| matches!(a, Action::NotAddressed { .. })));
    user_speaks(&mut s, 2500, 3500, "sure here you go");
    let all = final_then_complete(&mut s, 3500, "Sure, here you go.", &Inputs::default());
    assert!(
        has(
            &all,
            |a| matches!(a, Action::NotAddressed { reason, .. } if *reason == NotAddressedReason::SideConversation)
        ),
        "{all:?}"
    );
    assert!(request_id(&all).is_none());
    // Naming the assistant brings it back at once.
    user_speaks(&mut s, 4000, 5200, "tandem what time is it");
    let all = final_then_complete(&mut s, 5200, "Tandem, what time is it?", &Inputs::default());
    assert!(request_id(&all).is_some(), "{all:?}");
}

/// Inputs whose words the text model judges a request for us with probability `for_us` (the
/// rest side talk).
fn words_for_us(for_us: f32) -> Inputs {
    Inputs {
        judged: Some(TextProbs {
            request: for_us,
            unfinished: 0.0,
            backchannel: 0.0,
            interruption: 0.0,
            side_talk: 1.0 - for_us,
            phone: 0.0,
            background: 0.0,
        }),
        ..Default::default()
    }
}

/// A state just after "John, can you pass the salt?" (0-1500 ms) opened a side conversation.
fn after_named_side_talk() -> State {
    let mut s = State::default();
    user_speaks(&mut s, 0, 1500, "john can you pass the salt");
    final_then_complete(
        &mut s,
        1500,
        "John, can you pass the salt?",
        &Inputs::default(),
    );
    s
}

#[test]
fn a_request_surely_for_us_ends_a_side_conversation_and_a_dropped_turn_does_not_renew_it() {
    let request_after_side_talk = |judged: &Inputs| {
        let mut s = after_named_side_talk();
        user_speaks(&mut s, 2500, 3500, "how long is left on the pasta");
        let all = final_then_complete(&mut s, 3500, "How long is left on the pasta?", judged);
        (s, all)
    };
    // Words the text model is sure are for us are taken inside the window...
    let (_, all) = request_after_side_talk(&words_for_us(0.9));
    assert!(request_id(&all).is_some(), "{all:?}");
    // ... words it is unsure of are not.
    let (mut s, all) = request_after_side_talk(&words_for_us(0.6));
    assert!(
        has(
            &all,
            |a| matches!(a, Action::NotAddressed { reason, .. } if *reason == NotAddressedReason::SideConversation)
        ),
        "{all:?}"
    );
    // That drop did not renew the window (it ran 6 s from the first turn's end): a turn
    // starting after it is judged again, not dropped for the window.
    user_speaks(&mut s, 7900, 9000, "what time is it");
    let all = final_then_complete(&mut s, 9000, "What time is it?", &words_for_us(0.6));
    assert!(request_id(&all).is_some(), "{all:?}");
}

#[test]
fn a_turn_too_short_to_tell_its_voice_stays_in_a_side_conversation_whatever_its_words() {
    // "Sorry" read as surely for us (the tail of the other person's "No idea, sorry."): said in
    // 380 ms, inside the side conversation, it is not taken; the same words over 1.1 s (long
    // enough for the voice stage to tell whose they are) are.
    let sure = words_for_us(0.95);
    let after_side_talk = |len: Ms| {
        let mut s = after_named_side_talk();
        user_speaks(&mut s, 2500, 2500 + len, "sorry");
        final_then_complete(&mut s, 2500 + len, "Sorry", &sure)
    };
    let all = after_side_talk(380);
    assert!(
        has(
            &all,
            |a| matches!(a, Action::NotAddressed { reason, .. } if *reason == NotAddressedReason::SideConversation)
        ),
        "{all:?}"
    );
    assert!(request_id(&all).is_none(), "{all:?}");
    let all = after_side_talk(1100);
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

/// Silence after the user's turn, with what the recognizer is doing; the actions of each step.
fn wait_for_final(final_pending: bool, until: Ms) -> (State, Vec<(Ms, Vec<Action>)>) {
    let mut s = State::default();
    user_speaks(&mut s, 0, 2000, "what time is it");
    let mut steps = Vec::new();
    for t in (2030..=until).step_by(100) {
        let a = step(
            &mut s,
            &Inputs {
                voice: silent(2000),
                end_of_turn: (t == 2130).then_some(0.95),
                final_pending,
                ..Default::default()
            },
            t,
        );
        steps.push((t, a));
    }
    (s, steps)
}

fn first_request_at(steps: &[(Ms, Vec<Action>)]) -> Option<Ms> {
    steps
        .iter()
        .find(|(_, a)| request_id(a).is_some())
        .map(|(t, _)| *t)
}

#[test]
fn a_final_still_being_computed_is_waited_for_longer_than_a_missing_one() {
    // Nothing coming: the partial stands in once the final wait is over.
    let (_, idle) = wait_for_final(false, 4000);
    let idle_at = first_request_at(&idle).expect("the partial stood in");
    assert!((2700..=2800).contains(&idle_at), "{idle_at}");
    // The recognizer is still on the final (a busy machine): keep waiting for it...
    let (mut s, busy) = wait_for_final(true, 3900);
    assert_eq!(first_request_at(&busy), None, "{busy:?}");
    // ...and answer its words when it comes.
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(2000),
            heard: Heard::Final {
                text: "What time is it in Tokyo?".into(),
            },
            final_pending: false,
            ..Default::default()
        },
        3950,
    );
    let asked = a.iter().find_map(|x| match x {
        Action::Request { text, .. } => Some(text.clone()),
        _ => None,
    });
    assert_eq!(asked.as_deref(), Some("What time is it in Tokyo?"), "{a:?}");
    // A final that never comes does not hold the turn forever.
    let (_, stuck) = wait_for_final(true, 5000);
    let stuck_at = first_request_at(&stuck).expect("the partial stood in at last");
    assert!((4000..=4100).contains(&stuck_at), "{stuck_at}");
}

/// The user spoke, no words are known yet, and the recognizer is still on the final (a busy
/// machine): the turn is held past the longest pause until its words come, not dropped.
#[test]
fn a_turn_without_words_is_held_while_its_final_is_computed() {
    let mut s = State::default();
    speaks_with(&mut s, 0, 1000, "", None);
    let p = Params::default();
    let late = 1000 + u64::from(p.max_hold_ms) + 600;
    let mut asked = None;
    let mut t = 1000;
    while t < late + 400 && asked.is_none() {
        t += TICK;
        let heard = if t >= late {
            Heard::Final {
                text: "What can you do?".into(),
            }
        } else {
            Heard::Nothing
        };
        let a = step(
            &mut s,
            &Inputs {
                voice: silent(1000),
                heard,
                end_of_turn: Some(0.95),
                final_pending: t < late,
                ..Default::default()
            },
            t,
        );
        assert!(
            t >= late || s.floor() == Floor::UserSpeaking,
            "dropped at {t}: {a:?}"
        );
        asked = a.iter().find_map(|x| match x {
            Action::Request { text, .. } => Some(text.clone()),
            _ => None,
        });
    }
    assert_eq!(asked.as_deref(), Some("What can you do?"));
}

/// A leading "Name, ..." sends a line to someone else only when the recognizer heard it
/// clearly: a misheard request ("SHERTA, timer 44 defined" for "Set a timer for forty five
/// seconds" in a held-back voice) is taken, and the reasoner asks for it again.
#[test]
fn a_misheard_first_word_is_no_name() {
    let turn = |logprob: f32| {
        let mut s = State::default();
        user_speaks(&mut s, 0, 1500, "sherta timer 44 defined");
        let with = Inputs {
            final_logprob: Some(logprob),
            ..Default::default()
        };
        final_then_complete(&mut s, 1500, "SHERTA, timer 44 defined, SHERCANS", &with)
    };
    let clear = turn(UNSURE_LOGPROB + 0.3);
    assert!(
        has(&clear, |a| matches!(
            a,
            Action::NotAddressed {
                reason: NotAddressedReason::NamedSomeoneElse { .. },
                ..
            }
        )),
        "{clear:?}"
    );
    let misheard = turn(UNSURE_LOGPROB - 0.3);
    assert!(request_id(&misheard).is_some(), "{misheard:?}");
}

/// A turn whose end waits out a gap (smart-turn hears it complete but is not sure: the unsure
/// gap) is due when the gap is over, not at the next micro-turn after it; so is a misheard
/// turn's "Sorry?".
#[test]
fn a_turn_end_and_an_ask_again_are_due_when_their_gap_is_over() {
    let mut s = State::default();
    let p = s.params.clone();
    user_speaks(&mut s, 0, 1600, "what time is it");
    let quiet = |heard: Heard, end_of_turn: Option<f32>| Inputs {
        voice: silent(1600),
        heard,
        end_of_turn,
        ..Default::default()
    };
    let final_text = || Heard::Final {
        text: "What time is it?".into(),
    };
    step(&mut s, &quiet(final_text(), None), 1620);
    step(&mut s, &quiet(Heard::Nothing, Some(0.6)), 1660);
    let due = 1600 + u64::from(p.unsure_gap_ms);
    // The first deadline is the shortest gap (taken if smart-turn grows sure); past it, the
    // unsure gap's end.
    let first = s.next_deadline().expect("a deadline");
    assert!(first < due, "{first}");
    assert!(request_id(&step(&mut s, &quiet(Heard::Nothing, None), first)).is_none());
    assert_eq!(s.next_deadline(), Some(due));
    let a = step(&mut s, &quiet(Heard::Nothing, None), due);
    let id = request_id(&a).expect("the turn is taken when the gap is over");
    // The words were misheard: asked for again `ask_again_after_ms` after the turn's end.
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(1600),
            reasoner: vec![FromReasoner::AskAgain {
                request: id,
                text: "Sorry, I didn't catch that.".into(),
            }],
            ..Default::default()
        },
        due + 20,
    );
    assert!(!says(&a, SpeechKind::Answer), "{a:?}");
    let again = 1600 + u64::from(p.ask_again_after_ms);
    assert_eq!(s.next_deadline(), Some(again));
    let a = step(&mut s, &quiet(Heard::Nothing, None), again);
    assert!(says(&a, SpeechKind::Answer), "{a:?}");
}
