//! Step-level tests of the floor policy: each behaviour of the interaction issue, driven tick
//! by tick with the clock injected.

use super::policy::{is_backchannel, not_addressed, resume_from};
use super::*;

const TICK: Ms = 200;

fn speaking(onset: Ms) -> VoiceActivity {
    VoiceActivity {
        speaking: true,
        onset_ms: Some(onset),
        last_end_ms: None,
        level_db: 0.0,
        tentative_end_ms: None,
    }
}

fn silent(last_end: Ms) -> VoiceActivity {
    VoiceActivity {
        speaking: false,
        onset_ms: None,
        last_end_ms: Some(last_end),
        level_db: 0.0,
        tentative_end_ms: None,
    }
}

fn partial(text: &str) -> Heard {
    Heard::Partial {
        text: text.into(),
        stable: String::new(),
    }
}

fn own(text: &str, heard: &str) -> OwnSpeech {
    OwnSpeech {
        playing: true,
        utterance: true,
        heard: heard.into(),
        text: text.into(),
    }
}

fn has(actions: &[Action], f: impl Fn(&Action) -> bool) -> bool {
    actions.iter().any(f)
}

/// Whether `actions` start speech of this kind.
fn says(actions: &[Action], kind: SpeechKind) -> bool {
    has(
        actions,
        |a| matches!(a, Action::Speak { kind: k, .. } if *k == kind),
    )
}

fn request_id(actions: &[Action]) -> Option<u64> {
    actions.iter().find_map(|a| match a {
        Action::Request { id, .. } => Some(*id),
        _ => None,
    })
}

/// The reasoner's reply `text` to request `id` arrives at `t`, nothing else happening.
fn reply_arrives(s: &mut State, id: u64, text: &str, t: Ms) -> Vec<Action> {
    let inp = Inputs {
        reasoner: vec![FromReasoner::Reply {
            request: id,
            text: text.into(),
        }],
        ..Default::default()
    };
    step(s, &inp, t)
}

/// The user says `text` from `from` to `to` (ms); returns all actions up to `to`.
fn user_speaks(s: &mut State, from: Ms, to: Ms, text: &str) -> Vec<Action> {
    speaks_with(s, from, to, text, None)
}

/// [`user_speaks`] with the floor model's verdict `floor` at every step.
fn speaks_with(
    s: &mut State,
    from: Ms,
    to: Ms,
    text: &str,
    floor: Option<FloorProbs>,
) -> Vec<Action> {
    let mut all = Vec::new();
    let mut t = from;
    while t < to {
        t += TICK;
        let inp = Inputs {
            voice: speaking(from),
            heard: partial(text),
            floor,
            ..Default::default()
        };
        all.extend(step(s, &inp, t));
    }
    all
}

#[test]
fn complete_turn_is_answered_fast() {
    let mut s = State::default();
    user_speaks(&mut s, 0, 1600, "what time is it");
    assert_eq!(s.floor(), Floor::UserSpeaking);
    // First silent tick: the loop asks for smart-turn.
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(1600),
            heard: Heard::Final {
                text: "What time is it?".into(),
            },
            ..Default::default()
        },
        1800,
    );
    assert!(has(&a, |a| matches!(a, Action::CheckEndOfTurn)), "{a:?}");
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(1600),
            end_of_turn: Some(0.93),
            ..Default::default()
        },
        1840,
    );
    let id = request_id(&a).expect("request sent at the turn end");
    assert_eq!(s.floor(), Floor::Thinking);
    // The reply arrives at the next tick: speech starts 400 ms after the user stopped.
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(1600),
            reasoner: vec![FromReasoner::Reply {
                request: id,
                text: "It's ten past three.".into(),
            }],
            ..Default::default()
        },
        1900,
    );
    assert!(says(&a, SpeechKind::Answer), "{a:?}");
    assert_eq!(s.floor(), Floor::Speaking);
}

#[test]
fn pause_inside_a_thought_is_not_taken_over() {
    let mut s = State::default();
    let mut all = user_speaks(&mut s, 0, 4000, "I was thinking about");
    // 1.5 s pause; smart-turn says the thought is incomplete.
    let mut t = 4000;
    while t < 5500 {
        t += TICK;
        let eot = (t == 4400).then_some(0.08);
        all.extend(step(
            &mut s,
            &Inputs {
                voice: silent(4000),
                end_of_turn: eot,
                ..Default::default()
            },
            t,
        ));
    }
    all.extend(user_speaks(
        &mut s,
        5500,
        6500,
        "I was thinking about the trip next week",
    ));
    assert!(
        !has(&all, |a| matches!(
            a,
            Action::Request {
                speculative: false,
                ..
            }
        )),
        "{all:?}"
    );
    assert!(!has(&all, |a| matches!(a, Action::Speak { .. })), "{all:?}");
    assert_eq!(s.floor(), Floor::UserSpeaking);
    // One backchannel in the pause, never while the user spoke.
    let n = all
        .iter()
        .filter(|a| matches!(a, Action::Backchannel { .. }))
        .count();
    assert_eq!(n, 1, "{all:?}");
}

#[test]
fn unsure_turn_is_taken_after_the_hold_limit() {
    let mut s = State::default();
    user_speaks(&mut s, 0, 1000, "tell me a joke");
    let mut all = Vec::new();
    let mut t = 1000;
    while t < 1000 + u64::from(s.params.max_hold_ms) + TICK {
        t += TICK;
        all.extend(step(
            &mut s,
            &Inputs {
                voice: silent(1000),
                end_of_turn: (t == 1200).then_some(0.3),
                ..Default::default()
            },
            t,
        ));
    }
    assert!(request_id(&all).is_some(), "{all:?}");
}

#[test]
fn speech_to_someone_else_gets_no_response() {
    for (text, voice, visual) in [
        ("John, can you pass the salt?", silent(1500), None),
        ("Hey Sarah, are you coming tonight?", silent(1500), None),
        (
            "What time is it?",
            silent(1500),
            Some(Visual {
                person_present: true,
                facing_screen: false,
            }),
        ),
        (
            "And now the weather for the weekend",
            VoiceActivity {
                level_db: -22.0,
                ..silent(1500)
            },
            None,
        ),
    ] {
        let mut s = State::default();
        user_speaks(&mut s, 0, 1500, text);
        let mut all = Vec::new();
        for (t, eot) in [(1700, None), (1720, Some(0.95))] {
            all.extend(step(
                &mut s,
                &Inputs {
                    voice,
                    heard: Heard::Final { text: text.into() },
                    end_of_turn: eot,
                    visual,
                    ..Default::default()
                },
                t,
            ));
        }
        assert!(
            has(&all, |a| matches!(a, Action::NotAddressed { .. })),
            "{text}: {all:?}"
        );
        assert!(request_id(&all).is_none(), "{text}: {all:?}");
        assert_eq!(s.floor(), Floor::Listening);
    }
}

#[test]
fn naming_the_assistant_overrides_other_cues() {
    let v = silent(0);
    let turned = Some(Visual {
        person_present: true,
        facing_screen: false,
    });
    assert!(not_addressed("Tandem, what time is it?", &v, turned, &Params::default()).is_none());
    assert!(not_addressed("Okay, what's next?", &v, None, &Params::default()).is_none());
    assert!(not_addressed("Set a timer for ten minutes", &v, None, &Params::default()).is_none());
}

#[test]
fn slow_reply_gets_an_acknowledgement_then_a_filler() {
    let mut s = State::default();
    user_speaks(&mut s, 0, 1000, "what's the capital of Peru");
    step(
        &mut s,
        &Inputs {
            voice: silent(1000),
            heard: Heard::Final {
                text: "What's the capital of Peru?".into(),
            },
            ..Default::default()
        },
        1200,
    );
    step(
        &mut s,
        &Inputs {
            voice: silent(1000),
            end_of_turn: Some(0.9),
            ..Default::default()
        },
        1220,
    );
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(1000),
            ..Default::default()
        },
        1400,
    );
    assert!(says(&a, SpeechKind::Acknowledgement), "{a:?}");
    // The acknowledgement plays until 1800, then silence.
    let mut all = Vec::new();
    for t in (1600..=3400).step_by(200) {
        let playing = t <= 1800;
        all.extend(step(
            &mut s,
            &Inputs {
                voice: silent(1000),
                own: OwnSpeech {
                    playing,
                    utterance: playing,
                    ..Default::default()
                },
                ..Default::default()
            },
            t,
        ));
    }
    let filler_at = all.iter().position(|a| {
        matches!(
            a,
            Action::Speak {
                kind: SpeechKind::Filler,
                ..
            }
        )
    });
    assert!(filler_at.is_some(), "{all:?}");
    assert_eq!(s.floor(), Floor::Speaking);
}

/// When "one moment" is said for a turn that ends at 1000 ms with smart-turn's `eot`: the
/// request first gets `ACK_GRACE_MS` for a skill's quick answer, unless the reasoner says the
/// language model answers it (`FromReasoner::SlowAnswer`, the step after the request).
fn acknowledged_at(eot: f32, slow_answer: bool) -> (Ms, Ms) {
    let mut s = State::default();
    user_speaks(&mut s, 0, 1000, "what's the capital of peru");
    let heard = Heard::Final {
        text: "What's the capital of Peru?".into(),
    };
    let mut t = 1020;
    let mut asked: Option<(u64, Ms)> = None;
    loop {
        let reasoner = match asked {
            Some((request, at)) if slow_answer && t == at + 20 => {
                vec![FromReasoner::SlowAnswer { request }]
            }
            _ => Vec::new(),
        };
        let inp = Inputs {
            voice: silent(1000),
            heard: if t == 1020 {
                heard.clone()
            } else {
                Heard::Nothing
            },
            end_of_turn: (t == 1140).then_some(eot),
            reasoner,
            ..Default::default()
        };
        let a = step(&mut s, &inp, t);
        asked = asked.or(request_id(&a).map(|id| (id, t)));
        if says(&a, SpeechKind::Acknowledgement) {
            let (_, at) = asked.expect("asked before acknowledging");
            return (at, t);
        }
        assert!(t < 3000, "never acknowledged");
        t += 20;
    }
}

#[test]
fn one_moment_comes_at_once_when_the_language_model_answers_a_turn_taken_late() {
    // Smart-turn unsure: taken after the unsure gap.
    let p = Params::default();
    let (asked, ack) = acknowledged_at(0.6, false);
    assert_eq!(asked, 1000 + u64::from(p.unsure_gap_ms));
    assert_eq!(ack, asked + 160, "a skill's quick answer is waited for");
    assert_eq!(acknowledged_at(0.6, true), (asked, asked + 20));
    // Smart-turn sure: taken at once; the user who was only pausing gets as long as ever.
    let (asked, ack) = acknowledged_at(0.95, false);
    assert!(asked < 1000 + u64::from(p.ack_after_ms), "{asked}");
    assert_eq!(acknowledged_at(0.95, true), (asked, ack));
}

#[test]
fn speculative_request_is_used_when_the_final_agrees() {
    let mut s = State::default();
    user_speaks(&mut s, 0, 1200, "what time is it");
    let stable = |t: &str| Heard::Partial {
        text: t.into(),
        stable: t.into(),
    };
    let mut all = Vec::new();
    all.extend(step(
        &mut s,
        &Inputs {
            voice: silent(1200),
            heard: stable("what time is it"),
            ..Default::default()
        },
        1300,
    ));
    all.extend(step(
        &mut s,
        &Inputs {
            voice: silent(1200),
            heard: stable("what time is it"),
            ..Default::default()
        },
        1340,
    ));
    let spec = all.iter().find_map(|a| match a {
        Action::Request {
            id,
            speculative: true,
            ..
        } => Some(*id),
        _ => None,
    });
    let spec = spec.expect("speculative request on a stable partial");
    // Its reply arrives before the turn is over.
    all.extend(step(
        &mut s,
        &Inputs {
            voice: silent(1200),
            heard: Heard::Final {
                text: "What time is it?".into(),
            },
            reasoner: vec![FromReasoner::Reply {
                request: spec,
                text: "Three o'clock.".into(),
            }],
            ..Default::default()
        },
        1400,
    ));
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(1200),
            end_of_turn: Some(0.9),
            ..Default::default()
        },
        1420,
    );
    assert!(request_id(&a).is_none(), "no second request: {a:?}");
    assert!(
        has(
            &a,
            |a| matches!(a, Action::FinishRequest { id, text } if *id == spec && text == "What time is it?")
        ),
        "the speculative request is finished with the final text: {a:?}"
    );
    assert!(
        has(
            &a,
            |a| matches!(a, Action::Speak { text, .. } if text == "Three o'clock.")
        ),
        "{a:?}"
    );
}

#[test]
fn speculation_is_discarded_when_the_final_differs() {
    let mut s = State::default();
    user_speaks(&mut s, 0, 1200, "set a timer for ten");
    let stable = |t: &str| Heard::Partial {
        text: t.into(),
        stable: t.into(),
    };
    step(
        &mut s,
        &Inputs {
            voice: silent(1200),
            heard: stable("set a timer for ten"),
            ..Default::default()
        },
        1300,
    );
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(1200),
            heard: stable("set a timer for ten"),
            ..Default::default()
        },
        1340,
    );
    let spec = request_id(&a).unwrap();
    user_speaks(&mut s, 1400, 2400, "set a timer for ten no fifteen minutes");
    step(
        &mut s,
        &Inputs {
            voice: silent(2400),
            heard: Heard::Final {
                text: "Set a timer for ten, no, fifteen minutes.".into(),
            },
            ..Default::default()
        },
        2600,
    );
    let a = step(
        &mut s,
        &Inputs {
            voice: silent(2400),
            end_of_turn: Some(0.9),
            ..Default::default()
        },
        2620,
    );
    assert!(
        has(
            &a,
            |a| matches!(a, Action::CancelRequest { id } if *id == spec)
        ),
        "{a:?}"
    );
    assert!(
        has(
            &a,
            |a| matches!(a, Action::Request { text, speculative: false, .. } if text.contains("fifteen"))
        ),
        "{a:?}"
    );
}

#[test]
fn helpers() {
    assert!(is_backchannel("Mm-hm."));
    assert!(is_backchannel("yeah okay"));
    assert!(is_backchannel("Right."));
    assert!(!is_backchannel("wait, stop"));
    assert!(!is_backchannel("yeah but what about tomorrow"));
    assert_eq!(resume_from("One. Two three. Four.", 9), "Two three. Four.");
    assert_eq!(resume_from("No punctuation here", 5), "No punctuation here");
}

mod barge_in;
mod continuation;
mod long;
mod model;
mod turns;
mod unicode;
mod voices;
