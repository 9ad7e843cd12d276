//! Step tests of a backchannel over our voice judged by its words while or just after it is
//! said (`Inputs::judged` on its partial and final transcripts): we go on, or say the rest
//! of the answer, rather than waiting for the voice detector to confirm its end.

use super::words::judged;
use super::*;

/// A backchannel that outlasts the confirm ("Totally.", 640 ms, the floor model hearing a cut-in
/// in it) stops us; its words come in the quiet at its end, before the voice detector confirms
/// that end. They are the turn's words: a backchannel, so we say the rest of the answer from
/// the sentence it stopped in. (The
/// final was dropped because the voice still counted as speaking, the turn was read as a
/// stray word, and the rest of the answer was never said.)
#[test]
fn a_backchannel_that_stopped_us_resumes_the_answer_when_its_words_come_before_its_end_is_confirmed()
 {
    let mut s = State::default();
    let reply = assistant_speaking(&mut s);
    let a = over_us(&mut s, reply, 2000, 2660, 0.9);
    assert!(
        a.iter().any(|(_, a)| matches!(a, Action::Stop { .. })),
        "{a:?}"
    );
    assert_eq!(s.floor(), Floor::Yielding);
    // Quiet since 2640, the end not confirmed yet: the words come.
    let quiet = VoiceActivity {
        tentative_end_ms: Some(2640),
        ..speaking(2000)
    };
    let mut all = Vec::new();
    for (t, heard) in [
        (
            2700,
            Heard::Final {
                text: "Totally".into(),
            },
        ),
        (2720, partial("Totally")),
    ] {
        let inp = Inputs {
            voice: quiet,
            heard,
            judged: judged("backchannel"),
            final_logprob: Some(-1.1),
            floor: probs(0.0, 0.9, 0.9),
            ..Default::default()
        };
        all.extend(step(&mut s, &inp, t));
    }
    let mut t = 2740;
    while t <= 4600 {
        let inp = Inputs {
            voice: silent(2640),
            floor: probs(0.3, 0.2, 0.9),
            ..Default::default()
        };
        all.extend(step(&mut s, &inp, t));
        t += 20;
    }
    assert!(
        !has(&all, |a| matches!(a, Action::NotAddressed { .. })),
        "{all:?}"
    );
    assert!(
        has(&all, |a| matches!(
            a,
            Action::Speak { text, kind: SpeechKind::Resume } if text.starts_with("Paris is the capital")
        )),
        "{all:?}"
    );
}

/// Speech over us from 2000 ms (the model hearing a cut-in, 0.9) whose partial words at 2300 ms
/// are `partial_words` with the verdict `words`; the speech runs to `end`, its final words come
/// 100 ms later in the quiet before the voice detector confirms the end (just after).
/// Returns every action with its time.
fn backchannel_heard_while_said(
    partial_words: &str,
    words: Option<TextProbs>,
    end: Ms,
) -> Vec<(Ms, Action)> {
    heard_while_said_then_final(partial_words, words, end, partial_words, words)
}

/// As [`backchannel_heard_while_said`], the final words `final_words` with the verdict
/// `final_judged`.
fn heard_while_said_then_final(
    partial_words: &str,
    words: Option<TextProbs>,
    end: Ms,
    final_words: &str,
    final_judged: Option<TextProbs>,
) -> Vec<(Ms, Action)> {
    let mut s = State::default();
    let reply = assistant_speaking(&mut s);
    let mut all = Vec::new();
    let mut t = 2000;
    while t <= end + 600 {
        let (voice, heard, judged) = if t <= end + 100 && t > end {
            // Quiet, the end not confirmed yet.
            let quiet = VoiceActivity {
                tentative_end_ms: Some(end),
                ..speaking(2000)
            };
            let heard = if t == end + 100 {
                Heard::Final {
                    text: final_words.into(),
                }
            } else {
                Heard::Nothing
            };
            (quiet, heard, final_judged.filter(|_| t == end + 100))
        } else if t <= end {
            let heard = if t == 2300 {
                partial(partial_words)
            } else {
                Heard::Nothing
            };
            (speaking(2000), heard, words.filter(|_| t == 2300))
        } else {
            (silent(end), Heard::Nothing, None)
        };
        let inp = Inputs {
            voice,
            own: own(reply, "Paris is the capital"),
            heard,
            judged,
            floor: probs(0.0, 0.9, 0.9),
            ..Default::default()
        };
        all.extend(step(&mut s, &inp, t).into_iter().map(|a| (t, a)));
        t += 20;
    }
    all
}

/// A backchannel recognised while it is still being said lets us go on at once, not when it
/// ends (dev user_backchannel_04: "I see." heard 340 ms into its 590 ms; we had paused for
/// 600 ms); speech that goes on past a backchannel's length pauses us again and the model's
/// verdict stops us.
#[test]
fn a_backchannel_heard_while_it_is_said_lets_us_go_on_before_it_ends() {
    // It goes quiet just before a backchannel's length (700 ms) and its end is confirmed after.
    let all = backchannel_heard_while_said("I see.", judged("backchannel"), 2640);
    let release = all
        .iter()
        .find(|(_, a)| matches!(a, Action::Release))
        .map(|(t, _)| *t);
    assert_eq!(release, Some(2300), "{all:?}");
    assert_eq!(holds(&all).len(), 1, "paused once: {all:?}");
    assert!(
        !all.iter().any(|(_, a)| matches!(a, Action::Stop { .. })),
        "{all:?}"
    );
    // Its final words, come before its end is confirmed, stop us.
    let all = heard_while_said_then_final(
        "I see.",
        judged("backchannel"),
        2640,
        "I see. Stop.",
        judged("interruption"),
    );
    assert_eq!(first_stop(&all), 2740, "{all:?}");
    // Not sure it is one: paused until it ends.
    let mut unsure = judged("backchannel");
    if let Some(w) = unsure.as_mut() {
        w.backchannel = 0.6;
        w.interruption = 0.3;
    }
    let all = backchannel_heard_while_said("I see.", unsure, 2600);
    assert!(
        all.iter()
            .all(|(t, a)| !matches!(a, Action::Release) || *t > 2600),
        "{all:?}"
    );
    // Still speaking when a backchannel would be over: paused again and stopped.
    let all = backchannel_heard_while_said("Okay", judged("backchannel"), 3200);
    let p = Params::default();
    assert_eq!(
        holds(&all),
        vec![
            2000 + u64::from(p.hold_after_ms),
            2000 + u64::from(p.backchannel_max_ms)
        ],
        "{all:?}"
    );
    assert_eq!(first_stop(&all), 2000 + u64::from(p.backchannel_max_ms));
}
