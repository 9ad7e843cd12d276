//! Who is speaking: a run in another voice than the user's (the person the user spoke to
//! answering, a TV) is not a request, and the user's own runs are.

use super::*;

fn voice(start_ms: Ms, end_ms: Ms, similarity: f32) -> Option<RunVoice> {
    Some(RunVoice {
        start_ms,
        end_ms,
        similarity,
    })
}

/// A turn of two runs, 0-1500 ms and 2000-3000 ms, the second in a voice `similarity` like
/// the first's; then silence until the turn is decided. Returns every action.
fn two_runs(s: &mut State, similarity: f32, words: &str) -> Vec<Action> {
    let mut all = user_speaks(s, 0, 1500, "did you feed the cat");
    all.extend(step(
        s,
        &Inputs {
            voice: silent(1500),
            ..Default::default()
        },
        1600,
    ));
    all.extend(user_speaks(s, 1900, 3000, words));
    all.extend(step(
        s,
        &Inputs {
            voice: silent(3000),
            run_voice: voice(2000, 3000, similarity),
            heard: Heard::Final {
                text: format!("Did you feed the cat? {words}"),
            },
            ..Default::default()
        },
        3060,
    ));
    for t in [3200, 3400, 5400] {
        all.extend(step(
            s,
            &Inputs {
                voice: silent(3000),
                end_of_turn: Some(0.95),
                ..Default::default()
            },
            t,
        ));
    }
    all
}

#[test]
fn a_second_voice_answering_the_user_is_not_a_request() {
    let mut s = State::default();
    let a = two_runs(&mut s, 0.41, "Yes, I did.");
    assert_eq!(request_id(&a), None, "{a:?}");
    let why = a.iter().find_map(|a| match a {
        Action::NotAddressed { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        matches!(
            why,
            Some(NotAddressedReason::OtherVoice {
                answered_user: true,
                ..
            })
        ),
        "{why:?}"
    );
    assert_eq!(s.floor(), Floor::Listening);
    // The user was talking to that person: what follows soon is their exchange too.
    let a = user_speaks(&mut s, 6000, 7200, "thanks, that was quick");
    let mut a2 = a;
    a2.extend(step(
        &mut s,
        &Inputs {
            voice: silent(7200),
            heard: Heard::Final {
                text: "Thanks, that was quick.".into(),
            },
            end_of_turn: Some(0.95),
            ..Default::default()
        },
        7400,
    ));
    assert_eq!(request_id(&a2), None, "{a2:?}");
}

#[test]
fn the_users_own_voice_goes_on_to_a_request() {
    let mut s = State::default();
    let a = two_runs(&mut s, 0.74, "and the dog?");
    assert!(request_id(&a).is_some(), "{a:?}");
}

#[test]
fn another_voice_that_names_us_is_still_heard() {
    let mut s = State::default();
    let a = two_runs(&mut s, 0.40, "Tandem, what time is it?");
    assert!(request_id(&a).is_some(), "{a:?}");
}
