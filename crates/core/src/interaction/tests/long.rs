//! Long sessions: thousands of turns through `step` leave no growing state behind.

use super::*;

/// Each turn a speculative request's reply arrives, the final transcript disagrees (so that
/// reply is never used and the final is asked afresh), the answer plays and ends. Replies held
/// for later stay at most one however long the session.
#[test]
fn unused_speculative_replies_do_not_pile_up() {
    let mut s = State::default();
    let stable = |t: &str| Heard::Partial {
        text: t.into(),
        stable: t.into(),
    };
    let mut answered = 0;
    for turn in 0..3_000u64 {
        let t0 = turn * 10_000;
        let end = t0 + 1_200;
        let mut all = user_speaks(&mut s, t0, end, "what time is it");
        for t in [end + 100, end + 140] {
            all.extend(step(
                &mut s,
                &Inputs {
                    voice: silent(end),
                    heard: stable("what time is it"),
                    ..Default::default()
                },
                t,
            ));
        }
        let spec = all.iter().find_map(|a| match a {
            Action::Request {
                id,
                speculative: true,
                ..
            } => Some(*id),
            _ => None,
        });
        let spec = spec.expect("speculative request on a stable partial");
        step(
            &mut s,
            &Inputs {
                voice: silent(end),
                heard: Heard::Final {
                    text: "What time is it in Tokyo?".into(),
                },
                reasoner: vec![FromReasoner::Reply {
                    request: spec,
                    text: "Three o'clock.".into(),
                }],
                ..Default::default()
            },
            end + 200,
        );
        let a = step(
            &mut s,
            &Inputs {
                voice: silent(end),
                end_of_turn: Some(0.9),
                ..Default::default()
            },
            end + 220,
        );
        let id = request_id(&a).expect("the final transcript is asked afresh");
        assert_ne!(id, spec);
        let a = step(
            &mut s,
            &Inputs {
                voice: silent(end),
                reasoner: vec![FromReasoner::Reply {
                    request: id,
                    text: "Eleven at night.".into(),
                }],
                ..Default::default()
            },
            end + 400,
        );
        answered += usize::from(has(&a, |a| matches!(a, Action::Speak { .. })));
        // The answer plays for two seconds, then stops.
        let mut t = end + 400;
        while t < end + 2_400 {
            t += TICK;
            step(
                &mut s,
                &Inputs {
                    voice: silent(end),
                    own: own("Eleven at night.", "Eleven"),
                    ..Default::default()
                },
                t,
            );
        }
        while t < end + 4_000 {
            t += TICK;
            step(
                &mut s,
                &Inputs {
                    voice: silent(end),
                    ..Default::default()
                },
                t,
            );
        }
        assert!(s.ready_len() <= 1, "turn {turn}: {} held", s.ready_len());
    }
    assert_eq!(answered, 3_000);
    assert_eq!(s.floor(), Floor::Listening);
}
