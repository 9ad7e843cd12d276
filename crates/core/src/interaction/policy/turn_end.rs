//! The end of a user's turn: in a pause, decide whether the turn is over (and whom it was
//! for), hold it, or backchannel; after a barge-in, whether it was a real turn.

use super::*;

/// A run that starts this close to the turn's onset is the run the turn opened with.
const SAME_RUN_MS: Ms = 100;
/// The text model this sure the words are for us takes a turn inside a side conversation's
/// window.
const WORDS_SURE_FOR_US: f32 = 0.8;
/// The text model this sure the words are for us overrides the leading-name rule: a leading
/// interjection the recognizer wrote as a name ("Whoa, set a timer", "Ah, turn off the lights":
/// 0.87-0.97). Not 0.8: a name it did not know, before words to a person ("Ranbit, what time is
/// your train?", the development suite), reached 0.79-0.84 across text heads, where our phrase
/// files' name-led side talk stays under 0.7.
const NAME_YIELDS_TO_WORDS: f32 = 0.85;

/// The user is silent inside a turn: end it, hold it, or backchannel.
pub(super) fn end_of_turn_logic(
    s: &mut State,
    inp: &Inputs,
    now: Ms,
    p: &Params,
    out: &mut Vec<Action>,
) {
    let pause_start = inp.voice.last_end_ms.unwrap_or(now);
    s.pause_start = Some(pause_start);
    let silence = now.saturating_sub(pause_start);
    let peak = inp
        .floor
        .map(|f| pause_turn_complete(s, pause_start, f.turn_complete));
    let text = s.with_continued(&s.turn_text);
    // How long a turn with no words yet is held: the longest pause, and longer while its final
    // transcript is still being computed (a slow or busy machine: the words are on their way,
    // and dropping the turn would lose a request, or resume over a real cut-in).
    let hold_ms = if inp.final_pending && !s.turn_final {
        u64::from(p.max_hold_ms) + u64::from(p.final_pending_max_ms)
    } else {
        u64::from(p.max_hold_ms)
    };

    if s.floor == Floor::Yielding {
        // After a barge-in: was it a real turn, or a cough / "mm-hm"?
        // Words that could be a backchannel or noise wait for the final transcript; a real
        // request goes on to the usual end-of-turn logic below.
        let unsure = text.is_empty() || sounds_like_backchannel(&text, s.turn_judged);
        if silence < u64::from(p.min_gap_ms) || unsure && !s.turn_final && silence < hold_ms {
            s.turn_end_due = Some(if silence < u64::from(p.min_gap_ms) {
                pause_start + u64::from(p.min_gap_ms)
            } else {
                pause_start + hold_ms
            });
            if !unsure && s.eot_asked_for != Some(pause_start) {
                s.eot_asked_for = Some(pause_start);
                s.eot = None;
                out.push(Action::CheckEndOfTurn);
            }
            return;
        }
        let short = s
            .turn_start
            .is_some_and(|t| pause_start.saturating_sub(t) <= u64::from(p.backchannel_max_ms));
        if text.is_empty() || (short && sounds_like_backchannel(&text, s.turn_judged)) {
            if let Some((heard, whole)) = s.interrupted.take() {
                let rest = resume_from(&whole, heard.len());
                s.reset_turn();
                if !rest.is_empty() {
                    s.speak(rest, SpeechKind::Resume, out);
                    return;
                }
            }
            s.reset_turn();
            s.set_floor(Floor::Listening, out);
            return;
        }
    }

    // The floor model hears smart-turn's answer as one of its features: ask at every pause,
    // words or not (the rules ask once there are words to judge).
    if inp.floor.is_some() && s.eot_asked_for != Some(pause_start) {
        s.eot_asked_for = Some(pause_start);
        s.eot = None;
        out.push(Action::CheckEndOfTurn);
    }
    if text.is_empty() {
        if silence >= hold_ms {
            s.reset_turn();
            s.set_floor(Floor::Listening, out);
        } else {
            s.turn_end_due = Some(pause_start + hold_ms);
        }
        return;
    }
    if s.eot_asked_for != Some(pause_start) {
        s.eot_asked_for = Some(pause_start);
        s.eot = None;
        out.push(Action::CheckEndOfTurn);
        return;
    }
    // smart-turn (or the floor model) hears prosody; the words can still say the thought is
    // not over. After a cut-in the floor model hears an unfinished turn in nearly every pause
    // (0.2-0.5, where a request's end reaches 0.7-0.85): smart-turn judges those turns' ends,
    // as under the rules.
    let floor = inp.floor.filter(|_| !s.model_cut_in);
    let heard = match floor {
        Some(_) => peak,
        None => s.eot,
    };
    // A dangling last word ("the", "about") is a sure sign, but for a question ending on a
    // preposition ("What did I ask you to remind me about?", held 2.2 s on the rig with
    // smart-turn at 0.95): that one still caps the models' verdict, and waits the unsure gap
    // when smart-turn is sure. The text model's verdict is a learned guess that also calls
    // common complete questions unfinished ("What can you do?" 0.97, "What time is it?" 0.72:
    // their nearest lines in its data are first halves).
    let dangling = dangles_for_sure(&text);
    let unfinished = sounds_unfinished_words(&text, s.turn_judged);
    let prosody_sure = !dangling && s.eot.is_some_and(|e| e >= p.end_of_turn_sure);
    let eot = if unfinished {
        heard.map(|e| e.min(0.2))
    } else {
        heard
    };
    // After a cut-in neither model hears the end of a command well (smart-turn gave 0.02-0.09
    // for "Actually, set a timer for 10 minutes." in the dev suite's voices, the floor model
    // 0.2-0.5), so the loop waited its longest hold: words that make a complete request end
    // such a turn after a short gap (or a shorter one, if prosody is sure).
    // The words of a whole cut-in ("No wait, what time is it?") are the text model's
    // `interruption` as much as its `request` (0.22 and 0.20 for that line in the dev suite,
    // heard as "...what time in it?"): after a cut-in both count, unless the words are only the
    // cut-in itself.
    let after_cut_in = s.interrupted.is_some();
    let only_the_cut_in = bare_cut_in(&text, s.turn_judged);
    let words_request = s.turn_final
        && !unfinished
        && s.turn_judged.is_some_and(|w| {
            let complete = if after_cut_in {
                w.request + w.interruption
            } else {
                w.request
            };
            complete >= p.words_request_complete
        });
    let words_complete = after_cut_in && words_request && !only_the_cut_in;
    let gap = match (floor, eot) {
        (Some(_), Some(e)) if e >= p.model_turn_complete => p.min_gap_ms,
        // The model hears more to come but smart-turn is sure the turn is over: a longer gap,
        // not the longest hold.
        // So does the text model calling the words unfinished, unless a last word dangles: on
        // its word alone the loop held "What can you do?" for its longest hold (2.2 s).
        (Some(_), _) if prosody_sure => p.unsure_gap_ms,
        (Some(_), _) => p.max_hold_ms,
        (None, Some(e)) if e >= p.end_of_turn_sure => p.min_gap_ms,
        // Here too (after a cut-in, or under the rules) the text model's "unfinished" alone
        // does not hold a turn smart-turn is sure is over past the unsure gap.
        (None, _) if prosody_sure => p.unsure_gap_ms,
        (None, Some(e)) if e >= p.end_of_turn_threshold => p.unsure_gap_ms,
        (None, _) => p.max_hold_ms,
    };
    let gap = if words_complete {
        gap.min(p.words_complete_gap_ms)
    } else {
        gap
    };
    // Outside a cut-in too, two of the three agreeing end the turn after the unsure gap, not
    // the longest hold: smart-turn hears the turn complete (if not surely) and the words are a
    // complete request, while the floor model is still unsure (it can stay under its bar for
    // most of the pause in a voice it was not trained on).
    let prosody_complete = !dangling && s.eot.is_some_and(|e| e >= p.end_of_turn_threshold);
    let gap = if words_request && prosody_complete {
        gap.min(p.unsure_gap_ms)
    } else {
        gap
    };
    // Words to us about ourselves as the whole turn ("How are you?") are a whole question,
    // whatever the prosody says: smart-turn gave 0.12 in an espeak-ng voice on the rig, and the
    // turn waited the longest hold (2.1 s).
    let gap = if s.turn_final && !unfinished && speaks_to_us(&text) {
        gap.min(p.unsure_gap_ms)
    } else {
        gap
    };
    // The user stopped us to say something: once they are quiet, we answer soon, unless
    // their words are unfinished or only the cut-in itself ("No, wait.": more may follow).
    let gap = if after_cut_in && !unfinished && !only_the_cut_in {
        gap.min(p.cut_in_max_hold_ms)
    } else {
        gap
    };
    let waited = |ms: u32| silence >= u64::from(ms);
    let have_final = s.turn_final
        || waited(p.final_wait_ms) && (!inp.final_pending || waited(p.final_pending_max_ms));
    let done = (silence >= u64::from(gap) && have_final) || silence >= u64::from(p.max_hold_ms);
    // With nothing new heard, the decision can next change when the gap is over and the
    // final transcript is in (or no longer waited for).
    let final_by = match (s.turn_final, inp.final_pending) {
        (true, _) => 0,
        (false, false) => u64::from(p.final_wait_ms),
        (false, true) => u64::from(p.final_wait_ms.max(p.final_pending_max_ms)),
    };
    s.turn_end_due = Some(pause_start + u64::from(gap).max(final_by).min(u64::from(p.max_hold_ms)));
    tracing::trace!(
        now,
        silence,
        gap,
        ?eot,
        ?peak,
        smart_turn = ?s.eot,
        unfinished,
        have_final,
        done,
        "end of turn?"
    );
    if !done {
        let turn_ms = pause_start.saturating_sub(s.turn_start.unwrap_or(pause_start));
        let mid_thought = eot.is_some_and(|e| e < 0.3);
        let due = s
            .last_backchannel
            .is_none_or(|t| now.saturating_sub(t) >= u64::from(p.backchannel_interval_ms));
        if mid_thought
            && due
            && turn_ms >= u64::from(p.backchannel_min_turn_ms)
            && silence >= u64::from(p.backchannel_min_pause_ms)
            && s.backchannel_pause != Some(pause_start)
            && s.floor == Floor::UserSpeaking
        {
            s.last_backchannel = Some(now);
            s.backchannel_pause = Some(pause_start);
            out.push(Action::Backchannel {
                phrase: "mm-hm".into(),
            });
        }
        return;
    }

    // The turn is over. A cut-in over the answer to the turn we took may be that turn going
    // on: we took it at a pause.
    let text = if s.goes_on_over_the_answer() {
        s.continues = s.taken.take().map(|(words, _)| words);
        s.with_continued(&s.turn_text)
    } else {
        text
    };
    let names_us = normalize(&text).split_whitespace().any(|w| w == OWN_NAME);
    // "Are you there?", "Who are you?": the words alone no longer say it is for someone else.
    let about_us = speaks_to_us(&text);
    let speech_ms = pause_start.saturating_sub(s.turn_start.unwrap_or(pause_start));
    // Inside a conversation with someone else, unless it names us or its words are surely for
    // us: a turn the text model misjudged as for someone else ("Where did I leave my car
    // keys?", 0.14) left the user unheard for every request that followed within the window
    // (on the rig, three in a row). The words alone do not bring out of it a turn too short to
    // tell whose voice it is: the tail of the other person's reply, cut off by a pause ("No
    // idea, | sorry."), reads as for us to the text model ("Sorry", 0.95).
    let surely_for_us = speech_ms >= MIN_VOICE_RUN_MS
        && s.turn_judged
            .is_some_and(|w| w.addressed() >= WORDS_SURE_FOR_US);
    let side = s
        .side_until
        .is_some_and(|t| s.turn_start.is_some_and(|start| start <= t))
        && !names_us
        && !surely_for_us;
    // Another voice (the person the user spoke to answering, a TV) is never a request, unless
    // it names us.
    let other_voice = s
        .turn_voice
        .filter(|v| v.similarity < p.other_voice_below && !names_us);
    // A turn that cut us off in the user's voice is for us, whoever confirmed the cut-in (the
    // floor model, its words, or the safety stop): after a cut-in the floor model's `addressed`
    // falls for real requests ("No wait, what time is it?", heard as "...time in it?", 0.31;
    // "Make a note that the plumber comes on Wednesday." 0.42 in the dev suite), and nobody
    // stops an assistant mid-sentence to talk to someone else without a name. The other voice,
    // a leading name and the camera still tell.
    let cut_us_off = s.model_cut_in || s.interrupted.is_some();
    let by_ear = s.turn_addressed().filter(|_| inp.floor.is_some());
    let reason = if let Some(v) = other_voice {
        // It answered the user when the turn had speech before it: the half we took, or runs
        // before this one in this turn (a run in the user's voice, the voice it opened with).
        let opened_before = s.turn_start.is_some_and(|t| v.start_ms > t + SAME_RUN_MS);
        Some(NotAddressedReason::OtherVoice {
            similarity: v.similarity,
            answered_user: s.continues.is_some() || opened_before,
        })
    } else if s.continues.is_some() {
        // The user went on from a turn we took. Its words are a fragment the text model reads
        // out of context ("in a cup", "for more ways"), so the floor model judges it by ear:
        // heard as not for us, it is the person the user spoke to answering in a voice too like
        // theirs to tell apart, or the user turning to them; neither half was for us. (Until
        // 2026-12-05 the first half's verdict stood: the reply was appended to the user's line
        // and the whole answered.)
        by_ear
            .filter(|&a| a < p.model_addressed && !names_us && !cut_us_off)
            .map(|addressed| NotAddressedReason::Model { addressed })
    } else if side {
        Some(NotAddressedReason::SideConversation)
    } else if stray_word(&text, speech_ms, s.turn_judged) && !names_us && !about_us {
        Some(NotAddressedReason::StrayWord)
    } else {
        // A leading "Name, ..." tells only when the recognizer heard the words clearly: the
        // first word of a misheard line ("SHERTA, timer 44 defined") is no name.
        let heard_clearly = s.turn_logprob.is_none_or(|lp| lp >= UNSURE_LOGPROB);
        let named = |reason: Option<NotAddressedReason>| {
            reason.filter(|r| {
                heard_clearly || !matches!(r, NotAddressedReason::NamedSomeoneElse { .. })
            })
        };
        // With the model, it judges background speech by ear; the camera and a leading
        // name stay rules. Our own name always addresses us.
        match by_ear {
            None => named(not_addressed(&text, &inp.voice, inp.visual, p)),
            Some(addressed) => match s.turn_judged {
                None => named(not_addressed_but_level(&text, inp.visual)).or_else(|| {
                    (addressed < p.model_addressed && !names_us && !cut_us_off)
                        .then_some(NotAddressedReason::Model { addressed })
                }),
                // About us: the words say nothing against it; the camera and the floor
                // model's ear (the TV's "Good evening.") still tell.
                Some(_) if about_us && !names_us => {
                    not_addressed_by_camera(inp.visual).or_else(|| {
                        (addressed < p.model_addressed && !cut_us_off)
                            .then_some(NotAddressedReason::Model { addressed })
                    })
                }
                Some(words) if !names_us => not_addressed_by_camera(inp.visual)
                    .or_else(|| {
                        // A leading name ("John, ...") still tells, unless the words are
                        // surely for us ("Whoa, set a timer").
                        (words.addressed() < NAME_YIELDS_TO_WORDS)
                            .then(|| named(not_addressed_but_level(&text, None)))
                            .flatten()
                    })
                    .or_else(|| by_ear_and_words(addressed, words.addressed(), cut_us_off, p)),
                Some(_) => None,
            },
        }
    };
    if let Some(reason) = reason {
        if reason.starts_side_conversation() {
            s.side_until = Some(now + u64::from(p.side_conversation_ms));
        }
        out.push(Action::NotAddressed { text, reason });
        if let Some((id, _)) = s.speculative.take() {
            out.push(Action::CancelRequest { id });
        }
        s.reset_turn();
        s.interrupted = None;
        s.set_floor(Floor::Listening, out);
        return;
    }
    s.taken = Some((text.clone(), pause_start));
    out.push(Action::TurnTaken {
        by_ear,
        by_words: s.turn_judged.map(|w| w.addressed()),
    });
    let cut_in = s.interrupted.take();
    let interrupted = cut_in.as_ref().map(|(heard, _)| heard.clone());
    let ask_again_after_ms = if interrupted.is_some() {
        p.cut_in_ask_again_after_ms.min(p.cut_in_max_hold_ms)
    } else {
        p.ask_again_after_ms
    };
    // A speculative answer is used only if it is already here and the words agree; otherwise
    // the final transcript is asked afresh (side effects such as timers wait for it).
    let id = match s.speculative.take() {
        Some((id, spec)) if normalize(&spec) == normalize(&text) && s.ready.contains_key(&id) => {
            out.push(Action::FinishRequest {
                id,
                text: text.clone(),
            });
            id
        }
        other => {
            if let Some((old, _)) = other {
                out.push(Action::CancelRequest { id: old });
            }
            let id = s.new_id();
            out.push(Action::Request {
                id,
                text: text.clone(),
                speculative: false,
                interrupted,
            });
            id
        }
    };
    s.reset_turn();
    s.set_floor(Floor::Thinking, out);
    if let Some(reply) = s.ready.remove(&id) {
        s.ready.clear();
        s.speak(reply, SpeechKind::Answer, out);
    } else {
        s.pending = Some(Pending {
            id,
            text,
            turn_end_ms: pause_start,
            asked_ms: now,
            slow_answer: false,
            acknowledged: false,
            fillers: 0,
            ask_again: None,
            asked_again: false,
            ask_again_after_ms,
            cut_in,
        });
    }
}

/// With the floor model and the text model: the turn is for someone else when the mean of
/// what the model heard (`by_ear`, over the turn's speech) and what the words say is below
/// `words_addressed` (neither alone drops a request: each misses on its own). The reason names
/// whichever was the surer. A turn that cut us off is ours.
fn by_ear_and_words(
    by_ear: f32,
    words: f32,
    cut_in: bool,
    p: &Params,
) -> Option<NotAddressedReason> {
    if cut_in || (by_ear + words) / 2.0 >= p.words_addressed {
        return None;
    }
    Some(if words <= by_ear {
        NotAddressedReason::Words { addressed: words }
    } else {
        NotAddressedReason::Model { addressed: by_ear }
    })
}

/// What the floor model says of this pause: the highest `turn_complete` it gave since the pause
/// began. It hears a turn's end while the last words are in its 1.28 s window; later it sees
/// only silence and its verdict sinks toward its prior, so the step the final transcript
/// arrives on may hear less than the pause's start did (the dev suite's "Make a note that the
/// plumber comes on Wednesday.": 0.72 as the voice stopped, 0.38 when the words came, taken a
/// step later; in other voices it stayed under 0.5 until the longest hold).
fn pause_turn_complete(s: &mut State, pause_start: Ms, now_value: f32) -> f32 {
    let peak = match s.pause_peak {
        Some((start, peak)) if start == pause_start => peak.max(now_value),
        _ => now_value,
    };
    s.pause_peak = Some((pause_start, peak));
    peak
}
