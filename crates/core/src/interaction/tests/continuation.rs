//! A turn taken too early: the user pauses, we take the turn (and may say "one moment"), and
//! they go on. Their new words continue the turn we took, not a new one.

use super::*;

/// The user says "Convert three hundred and fifty Fahrenheit" (0-1000 ms) and pauses; the turn
/// is taken at 1240. Returns the request's id.
fn turn_taken_at_a_pause(s: &mut State) -> u64 {
    user_speaks(s, 0, 1000, "convert three hundred and fifty");
    step(
        s,
        &Inputs {
            voice: silent(1000),
            heard: Heard::Final {
                text: "Convert three hundred and fifty Fahrenheit".into(),
            },
            ..Default::default()
        },
        1200,
    );
    let a = step(
        s,
        &Inputs {
            voice: silent(1000),
            end_of_turn: Some(0.93),
            ..Default::default()
        },
        1240,
    );
    let id = request_id(&a).expect("the turn was taken");
    assert_eq!(s.floor(), Floor::Thinking);
    id
}

/// The user goes on from `from` to `to` and ends with `rest`; returns every action up to the
/// request that ends the turn.
fn user_goes_on(s: &mut State, from: Ms, to: Ms, rest: &str, playing: bool) -> Vec<Action> {
    let mut all = Vec::new();
    let mut t = from;
    while t < to {
        let own = OwnSpeech {
            playing: playing && t == from,
            utterance: playing && t == from,
            heard: "One".into(),
            text: "One moment.".into(),
        };
        all.extend(step(
            s,
            &Inputs {
                voice: speaking(from),
                heard: partial(rest),
                own,
                ..Default::default()
            },
            t,
        ));
        t += TICK;
    }
    all.extend(step(
        s,
        &Inputs {
            voice: silent(to),
            heard: Heard::Final { text: rest.into() },
            ..Default::default()
        },
        to + 20,
    ));
    all.extend(step(
        s,
        &Inputs {
            voice: silent(to),
            end_of_turn: Some(0.93),
            ..Default::default()
        },
        to + 200,
    ));
    all
}

fn asked(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Request { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn going_on_while_we_think_continues_the_turn() {
    let mut s = State::default();
    let first = turn_taken_at_a_pause(&mut s);
    let a = user_goes_on(&mut s, 1300, 1900, "to Celsius.", false);
    assert!(
        has(
            &a,
            |a| matches!(a, Action::CancelRequest { id } if *id == first)
        ),
        "{a:?}"
    );
    assert_eq!(
        asked(&a),
        ["Convert three hundred and fifty Fahrenheit to Celsius."]
    );
    assert_eq!(s.floor(), Floor::Thinking);
}

#[test]
fn going_on_over_one_moment_quiets_it_at_once_and_continues_the_turn() {
    let mut s = State::default();
    let first = turn_taken_at_a_pause(&mut s);
    // No answer yet: "one moment" (250 ms after the turn's end, 150 ms after the request).
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(1000),
            ..Default::default()
        },
        1400,
    );
    assert!(says(&a, SpeechKind::Acknowledgement), "{a:?}");
    // The user goes on 1.4 s into the pause, over it: it stops in the same step.
    let a = user_goes_on(&mut s, 2400, 3000, "to Celsius.", true);
    let stop = a.iter().position(|a| matches!(a, Action::Stop { .. }));
    let cancel = a
        .iter()
        .position(|a| matches!(a, Action::CancelRequest { id } if *id == first));
    assert!(stop.is_some() && cancel.is_some(), "{a:?}");
    assert!(
        !has(&a, |a| matches!(a, Action::Hold | Action::Duck)),
        "not judged as a barge-in: {a:?}"
    );
    assert!(
        a.iter().any(|a| matches!(
            a,
            Action::Request { text, interrupted: None, .. }
                if text == "Convert three hundred and fifty Fahrenheit to Celsius."
        )),
        "{a:?}"
    );
}

/// The reasoner's answer to `id` asks the user to say it again ("Sorry?"), at `t`.
fn asked_again(s: &mut State, id: u64, t: Ms) -> Vec<Action> {
    let inp = Inputs {
        reasoner: vec![FromReasoner::AskAgain {
            request: id,
            text: "Sorry?".into(),
        }],
        ..Default::default()
    };
    step(s, &inp, t)
}

/// Silent steps from `from` to `to` (ms, inclusive), our own speech playing before
/// `playing_until`.
fn quiet_steps(s: &mut State, from: Ms, to: Ms, playing_until: Ms) -> Vec<Action> {
    let mut all = Vec::new();
    for t in (from..=to).step_by(TICK as usize) {
        let own = OwnSpeech {
            playing: t < playing_until,
            utterance: t < playing_until,
            ..Default::default()
        };
        let inp = Inputs {
            voice: silent(1000),
            own,
            ..Default::default()
        };
        all.extend(step(s, &inp, t));
    }
    all
}

/// The words were misheard ("then the bedroom lights" for "Dim the bedroom lights"), so the
/// answer asks for them again; it comes at once but waits 1.5 s after the turn's end, with no
/// "one moment" before it. The user was only pausing: going on before it continues the turn.
#[test]
fn going_on_before_we_ask_again_continues_the_turn() {
    let mut s = State::default();
    let first = turn_taken_at_a_pause(&mut s);
    let mut a = asked_again(&mut s, first, 1280);
    a.extend(quiet_steps(&mut s, 1400, 2400, 0));
    assert!(
        a.iter().all(|a| !matches!(a, Action::Speak { .. })),
        "{a:?}"
    );
    assert_eq!(s.floor(), Floor::Thinking);
    let a = user_goes_on(&mut s, 2400, 3000, "to Celsius.", false);
    assert!(
        has(
            &a,
            |a| matches!(a, Action::CancelRequest { id } if *id == first)
        ),
        "{a:?}"
    );
    assert_eq!(
        asked(&a),
        ["Convert three hundred and fifty Fahrenheit to Celsius."]
    );
}

/// ...and going on over it quiets it at once and continues the turn, as over "one moment".
#[test]
fn going_on_over_a_request_to_say_it_again_continues_the_turn() {
    let mut s = State::default();
    let first = turn_taken_at_a_pause(&mut s);
    asked_again(&mut s, first, 1280);
    let a = quiet_steps(&mut s, 1400, 2600, 0);
    assert!(
        says(&a, SpeechKind::Answer),
        "said 1.5 s after the turn's end: {a:?}"
    );
    let a = user_goes_on(&mut s, 2800, 3400, "to Celsius.", true);
    let stop = a.iter().position(|a| matches!(a, Action::Stop { .. }));
    let cancel = a
        .iter()
        .position(|a| matches!(a, Action::CancelRequest { id } if *id == first));
    assert!(stop.is_some() && cancel.is_some(), "{a:?}");
    assert_eq!(
        asked(&a),
        ["Convert three hundred and fifty Fahrenheit to Celsius."]
    );
}

/// Asked to say it again, the user does not go on: once that has played the floor is free
/// (no "still working on it"), and what they say next is a turn of its own.
#[test]
fn after_asking_again_the_next_words_are_a_new_turn() {
    let mut s = State::default();
    let first = turn_taken_at_a_pause(&mut s);
    asked_again(&mut s, first, 1280);
    let mut a = quiet_steps(&mut s, 1400, 2600, 0);
    assert!(says(&a, SpeechKind::Answer), "{a:?}");
    a.extend(quiet_steps(&mut s, 2800, 3800, 3600));
    assert_eq!(s.floor(), Floor::Listening);
    let again = user_goes_on(&mut s, 4000, 4800, "Convert three fifty Fahrenheit.", false);
    a.extend(again.iter().cloned());
    assert!(!says(&a, SpeechKind::Filler), "{a:?}");
    assert!(!says(&a, SpeechKind::Acknowledgement), "{a:?}");
    assert!(
        !has(&a, |a| matches!(a, Action::CancelRequest { .. })),
        "{a:?}"
    );
    assert_eq!(asked(&again), ["Convert three fifty Fahrenheit."]);
}

#[test]
fn speech_long_after_the_turn_is_a_new_turn() {
    let mut s = State::default();
    let first = turn_taken_at_a_pause(&mut s);
    let late = 1000 + u64::from(s.params.continuation_ms) + 400;
    let a = user_goes_on(&mut s, late, late + 800, "What time is it?", false);
    assert!(
        has(
            &a,
            |a| matches!(a, Action::CancelRequest { id } if *id == first)
        ),
        "{a:?}"
    );
    assert_eq!(asked(&a), ["What time is it?"]);
}

#[test]
fn another_voice_going_on_from_a_turn_we_took_drops_it() {
    let mut s = State::default();
    let first = turn_taken_at_a_pause(&mut s);
    // "Are you coming?" ... "Yes, one sec." from someone else, 500 ms later.
    let mut a = user_speaks(&mut s, 1500, 1900, "yes one sec");
    a.extend(step(
        &mut s,
        &Inputs {
            voice: silent(2000),
            heard: Heard::Final {
                text: "Yes, one sec.".into(),
            },
            run_voice: Some(RunVoice {
                start_ms: 1500,
                end_ms: 2000,
                similarity: 0.44,
            }),
            ..Default::default()
        },
        2040,
    ));
    a.extend(step(
        &mut s,
        &Inputs {
            voice: silent(2000),
            end_of_turn: Some(0.93),
            ..Default::default()
        },
        2240,
    ));
    assert!(
        has(
            &a,
            |a| matches!(a, Action::CancelRequest { id } if *id == first)
        ),
        "{a:?}"
    );
    assert!(asked(&a).is_empty(), "{a:?}");
    assert!(
        has(&a, |a| matches!(
            a,
            Action::NotAddressed {
                reason: NotAddressedReason::OtherVoice {
                    answered_user: true,
                    ..
                },
                ..
            }
        )),
        "{a:?}"
    );
    assert_eq!(s.floor(), Floor::Listening);
}
