//! Step tests of the text model's verdict on the words (`Inputs::judged`): under the floor model
//! it decides what a burst over us was, whether a thought is finished and whether the words are
//! for us, where the rules policy reads word lists. Each case is one the lists get wrong.

use super::*;

/// A verdict sure of `kind` (0.9), the rest spread evenly.
pub(super) fn judged(kind: &str) -> Option<TextProbs> {
    let p = |k: &str| if k == kind { 0.9 } else { 0.1 / 6.0 };
    Some(TextProbs {
        request: p("request"),
        unfinished: p("unfinished"),
        backchannel: p("backchannel"),
        interruption: p("interruption"),
        side_talk: p("side_talk"),
        phone: p("phone"),
        background: p("background"),
    })
}

/// The assistant is talking; a burst over it from 2000 to 2400 ms pauses it and ends (we wait
/// `pause_for_words_ms` for its words, then go on and keep an ear on them); then its final
/// transcript `text` comes with the verdict `words`. Returns the actions after the burst.
fn burst_then_words(text: &str, words: Option<TextProbs>) -> (Vec<Action>, Floor) {
    burst_then_heard(text, words, None)
}

/// As [`burst_then_words`], the recognizer's average log-probability `logprob` on the words.
fn burst_then_heard(
    text: &str,
    words: Option<TextProbs>,
    logprob: Option<f32>,
) -> (Vec<Action>, Floor) {
    let mut s = State::default();
    let reply = assistant_speaking(&mut s);
    let a = over_us(&mut s, reply, 2000, 2400, 0.9);
    assert!(a.iter().any(|(_, a)| matches!(a, Action::Hold)), "{a:?}");
    let own = || own(reply, "Paris is the capital");
    let p = Params::default();
    let mut all = step(
        &mut s,
        &Inputs {
            voice: silent(2400),
            own: own(),
            floor: probs(0.0, 0.9, 0.9),
            ..Default::default()
        },
        p.words_wait_over(2000),
    );
    all.extend(step(
        &mut s,
        &Inputs {
            voice: silent(2400),
            own: own(),
            heard: Heard::Final { text: text.into() },
            judged: words,
            final_logprob: logprob,
            floor: probs(0.0, 0.5, 0.9),
            ..Default::default()
        },
        2600,
    ));
    (all, s.floor())
}

/// Misheard words ("Mm, sure." heard as "and then", Whisper unsure) that come after we went on
/// do not stop us, as they would not have while we held (held-back user_backchannel_07 and _10
/// stopped or not by which came first, the burst's end or its words). Heard clearly, the same
/// verdict stops us; so does a misheard "stop".
#[test]
fn misheard_words_after_we_went_on_do_not_stop_us() {
    let (a, floor) = burst_then_heard("and then", judged("unfinished"), Some(-1.6));
    assert!(has(&a, |a| matches!(a, Action::Release)), "{a:?}");
    assert!(!has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
    assert_eq!(floor, Floor::Speaking);
    let (a, floor) = burst_then_heard("and then", judged("unfinished"), Some(-0.3));
    assert!(has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
    assert_eq!(floor, Floor::Yielding);
    let (a, _) = burst_then_heard("Stop.", judged("unfinished"), Some(-1.6));
    assert!(has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
}

#[test]
fn the_words_verdict_says_whether_a_burst_over_us_stops_us() {
    // Three words and no "stop" word: the lists call it a cut-in; the model hears "my bad".
    let (a, floor) = burst_then_words("Uh, my bad.", judged("backchannel"));
    assert!(!has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
    assert_eq!(floor, Floor::Speaking);
    // Two words and no "stop" word: the lists let us talk on; the model hears a cut-in.
    let (a, _) = burst_then_words("Skip that.", judged("interruption"));
    assert!(has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
    // Without a verdict (the rules, or a transcript the model could not judge) the lists decide.
    let (a, _) = burst_then_words("Skip that.", None);
    assert!(!has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
}

/// Speech over us from 2000 ms to `end` (the model unsure, 0.4), its words `text` heard
/// confidently in the quiet after it with a verdict of a request; stepped to `end` + 1 s.
fn burst_to_then_heard(end: Ms, text: &str) -> (Vec<Action>, Floor) {
    let mut s = State::default();
    let reply = assistant_speaking(&mut s);
    over_us(&mut s, reply, 2000, end, 0.4);
    let mut all = Vec::new();
    let mut t = end + 20;
    while t <= end + 1000 {
        let heard = if t == end + 100 {
            Heard::Final { text: text.into() }
        } else {
            Heard::Nothing
        };
        let inp = Inputs {
            voice: silent(end),
            own: own(reply, "Paris is the capital"),
            heard,
            judged: judged("request"),
            final_logprob: Some(-0.3),
            floor: probs(0.0, 0.4, 0.9),
            ..Default::default()
        };
        all.extend(step(&mut s, &inp, t));
        t += 20;
    }
    (all, s.floor())
}

/// Words with more syllables than the burst could hold are made up, however sure the
/// recognizer was: a 300 ms "Sure, sure." heard as "Show it, show it." (dev
/// user_backchannel_07) lets us go on. The same words over 600 ms of speech stop us.
#[test]
fn words_too_many_for_the_burst_they_came_from_do_not_stop_us() {
    let (a, floor) = burst_to_then_heard(2300, "Show it, show it.");
    assert!(!has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
    assert!(has(&a, |a| matches!(a, Action::Release)), "{a:?}");
    assert_eq!(floor, Floor::Speaking);
    let (a, _) = burst_to_then_heard(2600, "Show it, show it.");
    assert!(has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
    assert!(request_id(&a).is_some(), "the cut-in is answered: {a:?}");
    // A word that stops us stops us, however fast.
    let (a, _) = burst_to_then_heard(2300, "Wait, show it, show it.");
    assert!(has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
}

/// A turn `text` (the model sure it is complete and for us), then the pause with the words'
/// verdict `words`.
pub(super) fn turn_with_words(text: &str, words: Option<TextProbs>) -> Vec<(Ms, Action)> {
    let mut s = State::default();
    speaks_with(&mut s, 0, 1600, text, probs(0.1, 0.0, 0.9));
    let pause = Pause {
        words,
        eot: None,
        floor: probs(0.9, 0.0, 0.9),
    };
    pause_after(&mut s, 1600, 5000, text, pause)
}

/// What the pause after a turn brings: the words' verdict (with the final transcript, at once),
/// smart-turn's answer (120 ms after the turn's end), the floor model (throughout).
pub(super) struct Pause {
    pub words: Option<TextProbs>,
    pub eot: Option<f32>,
    pub floor: Option<FloorProbs>,
}

/// The steps of a pause from `end` (the turn's end) to `until`, the final `text` heard at once.
pub(super) fn pause_after(
    s: &mut State,
    end: Ms,
    until: Ms,
    text: &str,
    pause: Pause,
) -> Vec<(Ms, Action)> {
    let mut all = Vec::new();
    let mut heard = Heard::Final { text: text.into() };
    let mut t = end + 40;
    while t <= until {
        let inp = Inputs {
            voice: silent(end),
            heard: std::mem::take(&mut heard),
            judged: if t == end + 40 { pause.words } else { None },
            end_of_turn: pause.eot.filter(|_| t == end + 120),
            floor: pause.floor,
            ..Default::default()
        };
        all.extend(step(s, &inp, t).into_iter().map(|a| (t, a)));
        t += 40;
    }
    all
}

#[test]
fn words_for_someone_else_are_no_request_unless_they_name_us() {
    let a = turn_with_words("Could you grab the milk?", judged("side_talk"));
    let reason = a.iter().find_map(|(_, a)| match a {
        Action::NotAddressed { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        matches!(reason, Some(NotAddressedReason::Words { addressed }) if addressed < 0.2),
        "{a:?}"
    );
    assert!(first_request(&a).is_none(), "{a:?}");
    // The same verdict on words that name us: ours.
    let a = turn_with_words("Tandem, could you grab the milk?", judged("side_talk"));
    assert!(first_request(&a).is_some(), "{a:?}");
    // A leading name still tells when the words are not surely for us...
    let unsure = judged("request").map(|w| TextProbs {
        request: 0.6,
        side_talk: 0.3,
        ..w
    });
    let a = turn_with_words("John, can you pass me the salt?", unsure);
    assert!(first_request(&a).is_none(), "{a:?}");
    // ...nor fairly sure (a name the text model did not know, 0.81 for us).
    let fairly = judged("request").map(|w| TextProbs {
        request: 0.58,
        unfinished: 0.2,
        side_talk: 0.19,
        ..w
    });
    let a = turn_with_words("Ranbit, what time is your train?", fairly);
    assert!(first_request(&a).is_none(), "{a:?}");
    // ...but a leading word the lists would take for a name ("talk to Whoa") is not one when
    // the words are surely a request.
    let a = turn_with_words("Whoa, set a timer for ten minutes.", judged("request"));
    assert!(first_request(&a).is_some(), "{a:?}");
    // What told us it was ours goes with the request.
    let taken = a.iter().find_map(|(_, a)| match a {
        Action::TurnTaken { by_ear, by_words } => Some((*by_ear, *by_words)),
        _ => None,
    });
    assert!(
        matches!(taken, Some((Some(ear), Some(words))) if ear > 0.8 && words > 0.8),
        "{a:?}"
    );
}

#[test]
fn the_words_verdict_holds_an_unfinished_thought_and_takes_a_finished_one() {
    // "convert" is no word the lists hold a turn on; the model hears the thought go on.
    let a = turn_with_words("I would like to convert", judged("unfinished"));
    let t = first_request(&a).expect("taken at the longest hold");
    assert!(t - 1600 >= u64::from(Params::default().max_hold_ms), "{t}");
    // A finished request is taken at once.
    let a = turn_with_words("What is the capital of Peru?", judged("request"));
    let t = first_request(&a).expect("taken");
    assert!(t - 1600 <= 400, "taken {} ms after the end", t - 1600);
    // The dangling-word rule still holds a turn the words' verdict calls finished.
    let a = turn_with_words("Set an alarm for", judged("request"));
    let t = first_request(&a).expect("taken at the longest hold");
    assert!(t - 1600 >= u64::from(Params::default().max_hold_ms), "{t}");
}

/// A turn of `text` (0-1600 ms), the words' verdict `words`, smart-turn's `eot` for the pause
/// and the floor model unsure of the end (0.2). Returns when the turn was taken, after its end.
fn taken_with_smart_turn(text: &str, words: Option<TextProbs>, eot: f32) -> Option<Ms> {
    let mut s = State::default();
    speaks_with(&mut s, 0, 1600, text, probs(0.1, 0.0, 0.9));
    let pause = Pause {
        words,
        eot: Some(eot),
        floor: probs(0.2, 0.0, 0.9),
    };
    first_request(&pause_after(&mut s, 1600, 5000, text, pause)).map(|t| t - 1600)
}

#[test]
fn the_words_verdict_alone_does_not_hold_a_turn_smart_turn_hears_end() {
    let p = Params::default();
    let at_unsure_gap = |t: Option<Ms>| {
        t.is_some_and(|t| t >= u64::from(p.unsure_gap_ms) && t < u64::from(p.max_hold_ms))
    };
    let held_longest = |t: Option<Ms>| t.is_some_and(|t| t >= u64::from(p.max_hold_ms));
    // The text model called "What can you do?" unfinished (0.97); smart-turn was sure (0.98).
    let taken = taken_with_smart_turn("What can you do?", judged("unfinished"), 0.98);
    assert!(at_unsure_gap(taken), "{taken:?}");
    // Unsure prosody leaves the words' verdict to hold the turn ...
    let taken = taken_with_smart_turn("What can you do?", judged("unfinished"), 0.5);
    assert!(held_longest(taken), "{taken:?}");
    // ... and a dangling last word holds it whatever prosody says ...
    let taken = taken_with_smart_turn("Set an alarm for", judged("unfinished"), 0.98);
    assert!(held_longest(taken), "{taken:?}");
    // ... but for a question ending on a preposition: prosody's verdict, as for any question
    // the words call unfinished.
    let question = "What did I ask you to remind me about?";
    let taken = taken_with_smart_turn(question, judged("request"), 0.95);
    assert!(at_unsure_gap(taken), "{taken:?}");
    let taken = taken_with_smart_turn(question, judged("request"), 0.5);
    assert!(held_longest(taken), "{taken:?}");
    let taken = taken_with_smart_turn("How many grams are in?", judged("unfinished"), 0.5);
    assert!(held_longest(taken), "{taken:?}");
    // A complete request with smart-turn on the complete side but not sure, the floor model
    // unsure: the unsure gap (it was the longest hold); smart-turn hearing more holds it.
    let taken = taken_with_smart_turn("Er, what time is it?", judged("request"), 0.7);
    assert!(at_unsure_gap(taken), "{taken:?}");
    let taken = taken_with_smart_turn("Er, what time is it?", judged("request"), 0.3);
    assert!(held_longest(taken), "{taken:?}");
    // The same after a cut-in (on the rig, the question cut off a timer's announcement and
    // waited 2.2 s): the unsure gap, not the longest hold.
    let taken = after_a_cut_in_with("What can you do?", judged("unfinished"), 0.98);
    assert!(at_unsure_gap(taken), "{taken:?}");
    let taken = after_a_cut_in_with("What can you do?", judged("unfinished"), 0.5);
    assert!(held_longest(taken), "{taken:?}");
}

/// The model confirms a cut-in over the assistant (2000-3200 ms); then the pause after it with
/// the final `text`, the words' verdict `words`, the floor model's usual unsure turn head after
/// a cut-in (0.3) and smart-turn unsure too (0.05). Returns when the turn was taken.
fn after_a_cut_in(text: &str, words: Option<TextProbs>) -> Option<Ms> {
    after_a_cut_in_with(text, words, 0.05)
}

/// As [`after_a_cut_in`], smart-turn giving `eot` for the pause.
fn after_a_cut_in_with(text: &str, words: Option<TextProbs>, eot: f32) -> Option<Ms> {
    let mut s = State::default();
    let reply = assistant_speaking(&mut s);
    over_us_with(&mut s, reply, speaking(2000), 3200, probs(0.0, 0.9, 0.9));
    assert_eq!(s.floor(), Floor::Yielding);
    let pause = Pause {
        words,
        eot: Some(eot),
        floor: probs(0.3, 0.0, 0.9),
    };
    first_request(&pause_after(&mut s, 3200, 6000, text, pause)).map(|t| t - 3200)
}

#[test]
fn after_a_cut_in_a_complete_request_is_taken_though_prosody_hears_more() {
    // A complete request, or a whole cut-in (the text model's `interruption`: a correction).
    let gap = u64::from(Params::default().words_complete_gap_ms);
    for (text, kind) in [
        ("Actually, set a timer for ten minutes.", "request"),
        ("No, I meant Tuesday.", "interruption"),
    ] {
        let after = after_a_cut_in(text, judged(kind)).expect("taken");
        assert!(
            after >= gap && after <= gap + 80,
            "{text}: taken {after} ms after its end"
        );
    }
    // Words that are only the cut-in ("No, wait.") or an unfinished thought still wait for
    // the longest hold.
    let longest = u64::from(Params::default().max_hold_ms);
    for (text, kind) in [("No, wait.", "interruption"), ("Set it for", "unfinished")] {
        let after = after_a_cut_in(text, judged(kind)).expect("taken at the longest hold");
        assert!(after >= longest, "{text}: taken {after} ms after its end");
    }
    // Anything else (misheard words) is answered, or asked for again, once the user has been
    // quiet `cut_in_max_hold_ms`: they stopped us to say something.
    let cap = u64::from(Params::default().cut_in_max_hold_ms);
    let text = "And long, what's the gate to be?";
    let after = after_a_cut_in(text, judged("background")).expect("taken");
    assert!(
        after >= cap && after <= cap + 80,
        "{text}: taken {after} ms after its end"
    );
}

/// A cut-in over our reply (2000-3200 ms) whose words were misheard, smart-turn saying `eot`
/// for its pause: how long after its end we ask for the words again.
fn asked_again_after_a_cut_in(eot: f32) -> u64 {
    let mut s = State::default();
    let reply = assistant_speaking(&mut s);
    over_us_with(&mut s, reply, speaking(2000), 3200, probs(0.0, 0.9, 0.9));
    let mut heard = Heard::Final {
        text: "And long, what's the gate to be?".into(),
    };
    let mut asked = None;
    let mut said = None;
    for t in (3240..=6000).step_by(40) {
        let reasoner = match asked {
            Some(id) if said.is_none() => vec![FromReasoner::AskAgain {
                request: id,
                text: "Sorry, I didn't catch that.".into(),
            }],
            _ => Vec::new(),
        };
        let inp = Inputs {
            voice: silent(3200),
            heard: std::mem::take(&mut heard),
            judged: if t == 3240 {
                judged("background")
            } else {
                None
            },
            end_of_turn: (t == 3320).then_some(eot),
            floor: probs(0.3, 0.0, 0.9),
            reasoner,
            ..Default::default()
        };
        let a = step(&mut s, &inp, t);
        asked = asked.or_else(|| request_id(&a));
        if said.is_none() && says(&a, SpeechKind::Answer) {
            said = Some(t - 3200);
        }
    }
    said.expect("asked again")
}

#[test]
fn misheard_words_after_a_cut_in_are_asked_for_again_sooner() {
    let p = Params::default();
    // Smart-turn unsure: the turn is taken at the cut-in's longest hold, and asked at once.
    let said = asked_again_after_a_cut_in(0.05);
    assert!(
        said >= u64::from(p.cut_in_max_hold_ms) && said < u64::from(p.ask_again_after_ms),
        "asked again {said} ms after the cut-in's end"
    );
    // Smart-turn sure: the turn is taken at once, and the words asked for after the gap people
    // leave before "sorry?", not the longer wait of a turn that did not cut us off.
    let said = asked_again_after_a_cut_in(0.95);
    assert!(
        said >= u64::from(p.cut_in_ask_again_after_ms)
            && said <= u64::from(p.cut_in_ask_again_after_ms) + 80,
        "asked again {said} ms after the cut-in's end"
    );
}

/// The assistant is talking; a burst over it from 2000 to 2400 ms pauses it; its words come
/// with its end, misheard ("and then", the recognizer unsure, the text model hearing an unfinished
/// request); then `voice(t)` from 2440 to 3200. Returns the actions from the words on.
fn misheard_then(voice: impl Fn(Ms) -> VoiceActivity) -> (Vec<(Ms, Action)>, State) {
    let mut s = State::default();
    let reply = assistant_speaking(&mut s);
    over_us(&mut s, reply, 2000, 2400, 0.9);
    let mut all = Vec::new();
    let mut at = |s: &mut State, t: Ms, voice: VoiceActivity, heard: Heard| {
        let misheard = !matches!(heard, Heard::Nothing);
        let inp = Inputs {
            voice,
            heard,
            judged: judged("unfinished").filter(|_| misheard),
            final_logprob: Some(-1.6).filter(|_| misheard),
            own: own(reply, "Paris is the capital"),
            floor: probs(0.0, 0.9, 0.9),
            ..Default::default()
        };
        all.extend(step(s, &inp, t).into_iter().map(|a| (t, a)));
    };
    let words = Heard::Final {
        text: "and then".into(),
    };
    at(&mut s, 2420, silent(2400), words);
    for t in (2440..=3200).step_by(20) {
        at(&mut s, t, voice(t), Heard::Nothing);
    }
    (all, s)
}

/// Misheard words of a burst over us (2000-2400 ms) hold us a moment: until the grace after
/// its end or the end of our pause for words (`pause_for_words_ms` from the hold), whichever
/// comes first (most are a listener's backchannel misheard: the silence stays short).
#[test]
fn misheard_words_over_us_hold_us_a_moment_and_then_we_go_on() {
    let p = Params::default();
    let went_on = (2400 + u64::from(p.misheard_grace_ms)).min(p.words_wait_over(2000));
    let (all, s) = misheard_then(|_| silent(2400));
    assert!(!has_stop(&all), "{all:?}");
    let released = all
        .iter()
        .find(|(_, a)| matches!(a, Action::Release))
        .expect("we go on")
        .0;
    assert!(
        released >= went_on && released <= went_on + 40,
        "went on at {released}"
    );
    assert_eq!(s.floor(), Floor::Speaking);
    // The user speaking again while we hold is a cut-in said in pieces: we stop at once.
    let (all, s) = misheard_then(|t| {
        if t < 2480 {
            silent(2400)
        } else {
            speaking(2480)
        }
    });
    let stop = all
        .iter()
        .find(|(_, a)| matches!(a, Action::Stop { .. }))
        .expect("stopped");
    assert_eq!(stop.0, 2480, "{all:?}");
    assert!(
        !all.iter().any(|(_, a)| matches!(a, Action::Release)),
        "{all:?}"
    );
    assert_eq!(s.floor(), Floor::Yielding);
    // Speaking again after we went on, within the grace: paused at once, and stopped at the
    // next step.
    let again = went_on + 60;
    assert!(again < 2400 + u64::from(p.misheard_grace_ms));
    let (all, s) = misheard_then(|t| {
        if t < again {
            silent(2400)
        } else {
            speaking(again)
        }
    });
    let at = |f: fn(&Action) -> bool| all.iter().find(|(_, a)| f(a)).map(|(t, _)| *t);
    assert_eq!(at(|a| matches!(a, Action::Hold)), Some(again), "{all:?}");
    assert_eq!(
        at(|a| matches!(a, Action::Stop { .. })),
        Some(again + 20),
        "{all:?}"
    );
    assert_eq!(s.floor(), Floor::Yielding);
    // The same words heard clearly are the text model's to judge: an unfinished cut-in stops us.
    let (a, _) = burst_then_words("and then", judged("unfinished"));
    assert!(has(&a, |a| matches!(a, Action::Stop { .. })), "{a:?}");
}

fn has_stop(all: &[(Ms, Action)]) -> bool {
    all.iter().any(|(_, a)| matches!(a, Action::Stop { .. }))
}

/// A cut-in that opens with a hesitation said alone ("Um, | actually, what day is it?", dev
/// user_interruption_08): the first piece's words read as a backchannel and let us go on, but
/// the next piece, 100 ms after it, pauses us at the step it is heard (not 120 ms into it) and
/// the cut-in is confirmed from the first piece's onset, not afresh.
#[test]
fn a_cut_in_opening_with_a_hesitation_is_one_burst() {
    let mut s = State::default();
    let reply = assistant_speaking(&mut s);
    let own = || own(reply, "Paris is the capital");
    let mut a = over_us_with(&mut s, reply, speaking(2000), 2260, probs(0.0, 0.5, 0.9));
    // Its end confirmed and its words here: "Um", a backchannel to the text model.
    a.extend(
        step(
            &mut s,
            &Inputs {
                voice: silent(2260),
                own: own(),
                heard: Heard::Final { text: "Um".into() },
                judged: judged("backchannel"),
                floor: probs(0.0, 0.5, 0.9),
                ..Default::default()
            },
            2340,
        )
        .into_iter()
        .map(|x| (2340, x)),
    );
    assert!(!s.is_held(), "the first piece alone lets us go on: {a:?}");
    // The second piece is heard as "um" again while it is said: it does not let us go on.
    let mut t = 2360;
    while t <= 3000 {
        let (heard, judged) = if t == 2400 {
            (partial("um"), judged("backchannel"))
        } else {
            (Heard::Nothing, None)
        };
        let inp = Inputs {
            voice: speaking(2360),
            own: own(),
            heard,
            judged,
            floor: probs(0.0, 0.5, 0.9),
            ..Default::default()
        };
        a.extend(step(&mut s, &inp, t).into_iter().map(|x| (t, x)));
        t += 20;
    }
    assert_eq!(
        holds(&a),
        [2120, 2360],
        "the second piece pauses us at once, and we stay paused: {a:?}"
    );
    let stop = first_stop(&a);
    let confirm = 2000 + u64::from(Params::default().barge_in_confirm_ms);
    assert!(
        (confirm..=confirm + 20).contains(&stop),
        "confirmed from the first piece's onset: stopped at {stop}"
    );
}

/// "Tell me about Paris" was taken at 600 ms and is being answered; the user cuts in from
/// `onset` to `onset + 1200` (the floor model sure of a cut-in), then pauses with the final
/// `text` and the words' verdict `words`. Returns the texts asked in that pause.
fn cut_in_over_the_answer(onset: Ms, text: &str, words: Option<TextProbs>) -> Vec<String> {
    let mut s = State::default();
    let reply = assistant_speaking(&mut s);
    let end = onset + 1200;
    over_us_with(&mut s, reply, speaking(onset), end, probs(0.0, 0.9, 0.9));
    assert_eq!(s.floor(), Floor::Yielding);
    let pause = Pause {
        words,
        eot: Some(0.95),
        floor: probs(0.3, 0.0, 0.9),
    };
    pause_after(&mut s, end, end + 3000, text, pause)
        .into_iter()
        .filter_map(|(_, a)| match a {
            Action::Request { text, .. } => Some(text),
            _ => None,
        })
        .collect()
}

/// A turn taken at a pause ("Tell me about Paris | in the spring?") whose rest cuts in over
/// the answer: the rest alone is no request, so the turn goes on (dev pause_handling_01, 10:
/// the rest was asked on its own, or dropped as a stray word). A request of its own, words a
/// backchannel or for someone else, or a cut-in long after the turn, stay turns of their own.
#[test]
fn the_rest_of_a_turn_taken_too_early_said_over_the_answer_continues_it() {
    // The text model on a second half: mostly unfinished, little request.
    let rest = judged("unfinished").map(|w| TextProbs {
        request: 0.2,
        unfinished: 0.6,
        ..w
    });
    // 1400 ms after the turn's end (600).
    assert_eq!(
        cut_in_over_the_answer(2000, "in the spring?", rest),
        ["Tell me about Paris. in the spring?"]
    );
    assert_eq!(
        cut_in_over_the_answer(2000, "What time is it?", judged("request")),
        ["What time is it?"]
    );
    assert_eq!(
        cut_in_over_the_answer(2000, "Honey, the door.", judged("side_talk")),
        Vec::<String>::new()
    );
    let late = 600 + u64::from(Params::default().continuation_ms) + 100;
    assert_eq!(
        cut_in_over_the_answer(late, "in the spring?", rest),
        ["in the spring?"]
    );
}
