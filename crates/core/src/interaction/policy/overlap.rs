//! Speech over our own voice: pause at once, then decide whether it was a backchannel or
//! noise (go on) or a real cut-in (stop), from the floor model, the burst's words and timers.

use super::*;

/// A short burst over our speech lets us go on (a backchannel, noise, nothing that stops us).
fn lets_us_go_on(text: &str, words: Option<TextProbs>) -> bool {
    match words {
        Some(w) => text.trim().is_empty() || w.lets_us_go_on(),
        None => burst_lets_us_go_on(text),
    }
}

/// Words of a short burst over us that are no evidence of a cut-in, and no clear cut-in: the
/// text model does not call them one, and either the recognizer was unsure of them and the
/// lists find no word that stops us in two words or fewer, or they need more syllables than the
/// burst's sound could hold (`made_up_words`) and no word of them stops us. Most are a
/// listener's backchannel misheard ("uh-hmm" as "and then", "Sure, sure." as "Show it, show
/// it."); the text model's verdict on words nobody said is no evidence of a cut-in.
fn misheard_burst(b: &BurstWords) -> bool {
    let unsure = b.logprob.is_some_and(|lp| lp < UNSURE_LOGPROB) && burst_lets_us_go_on(&b.text);
    let made_up = b
        .speech_ms
        .is_some_and(|ms| made_up_words(&b.text, ms) && !has_interrupting_word(&b.text));
    b.judged.is_none_or(|w| w.interruption < 0.5) && (unsure || made_up)
}

/// Fastest speech we believe a burst holds, in syllables per second (fast conversational
/// English is ~6-7).
const MAX_SYLLABLES_PER_S: usize = 10;

/// Words that need more syllables than `speech_ms` of speech could hold, at least three of
/// them: the recognizer made them up (Whisper heard a 288 ms "Sure, sure." as "Show it,
/// show it.", 14 syllables a second, and a 448 ms "Hm, okay." as "I can look at it.", 11).
fn made_up_words(text: &str, speech_ms: Ms) -> bool {
    let n = crate::text::syllables(text);
    n >= 3 && (n as u64) * 1000 > MAX_SYLLABLES_PER_S as u64 * speech_ms
}

/// The words of a burst over us.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BurstWords {
    /// The final transcript.
    pub text: String,
    /// The text model's verdict on it.
    pub judged: Option<TextProbs>,
    /// How sure the recognizer was.
    pub logprob: Option<f32>,
    /// How long the burst's speech ran, when its end was known as the words came.
    pub speech_ms: Option<Ms>,
}

/// What the words of a burst over us say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BurstVerdict {
    /// A backchannel, noise, nothing that stops us (`lets_us_go_on`).
    GoOn,
    /// Words that would stop us, but misheard (`misheard_burst`).
    Misheard,
    /// A cut-in.
    Stop,
}

pub(super) fn burst_verdict(b: &BurstWords) -> BurstVerdict {
    if lets_us_go_on(&b.text, b.judged) {
        BurstVerdict::GoOn
    } else if misheard_burst(b) {
        BurstVerdict::Misheard
    } else {
        BurstVerdict::Stop
    }
}

/// Our voice is playing (or paused for a burst) and the user's channel has speech, or had it.
pub(super) fn speech_over_us(
    s: &mut State,
    inp: &Inputs,
    now: Ms,
    p: &Params,
    out: &mut Vec<Action>,
) {
    let v = inp.voice;
    let loud_enough = v.level_db >= p.background_level_db;
    let facing = inp
        .visual
        .is_none_or(|vis| vis.person_present && vis.facing_screen);
    // Speech at the user's level counts; quieter speech (the TV, another room) only
    // if the model hears a cut-in in it.
    let model_hears_cut_in = inp
        .floor
        .is_some_and(|f| f.interruption >= p.model_interruption);
    let counts = (loud_enough || model_hears_cut_in) && facing;
    // A held burst that has gone quiet (not yet confirmed as ended) and is short enough
    // to be a backchannel: its words, if they are here, decide now.
    let quiet_short = s.held
        && v.tentative_end_ms.is_some_and(|end| {
            s.overlap_onset
                .is_some_and(|onset| end <= onset + u64::from(p.barge_in_confirm_ms))
        });
    let onset = v.onset_ms.unwrap_or(now);
    // Only "one moment" (or a filler) of a turn we took has played, and the user goes
    // on: we took a pause for the turn's end. Quiet at once; their words continue it.
    if v.speaking && counts && s.goes_on_from_taken_turn(onset) && s.overlap_onset.is_none() {
        out.push(Action::Stop {
            heard: inp.own.heard.clone(),
        });
        s.take_back_turn(onset, out);
        s.turn_start = Some(onset);
        s.set_floor(Floor::UserSpeaking, out);
    } else if v.speaking && quiet_short {
        if let Some(onset) = s.overlap_onset {
            match s.burst_text.as_ref().map(burst_verdict) {
                // Misheard words: hold on until the burst is over (below).
                Some(BurstVerdict::Misheard) => {}
                // Its words came with its end ("Stop."): they decide now, as the
                // watch would from the next step.
                Some(BurstVerdict::Stop) => {
                    s.commit_barge_in(&inp.own, onset, false, out);
                }
                // No words yet: stay paused until the voice detector confirms the
                // end (below). Going on at the first quiet step played our voice into
                // the dips of a cut-in said in pieces ("Wait, ... wait, what's"), and
                // the user heard it go on for a moment before it stopped.
                None => {}
                Some(BurstVerdict::GoOn) => {
                    let end = v.tentative_end_ms.unwrap_or(now);
                    s.clear_overlap(out);
                    s.watch = Some(Watch {
                        onset,
                        end,
                        words: WatchedWords::Known,
                    });
                }
            }
        }
    } else if v.speaking && s.misheard && counts {
        // Speech again while we held on after misheard words: a cut-in in pieces.
        if let Some(onset) = s.overlap_onset {
            s.commit_barge_in(&inp.own, onset, model_hears_cut_in, out);
        }
    } else if v.speaking
        && s.overlap_onset.is_none()
        && s.watch.is_some_and(|w| v.tentative_end_ms == Some(w.end))
    {
        // The quiet tail of a burst whose words let us go on (its end not yet
        // confirmed): not a new burst. Pausing again here flapped every step (hold,
        // release, hold...), our voice in 20 ms shreds; speech that resumes in the run
        // moves its end and pauses us again.
    } else if v.speaking {
        let run_onset = v.onset_ms.unwrap_or(now);
        // Speech again right after a burst we went on over: the next piece of a cut-in said in
        // pieces ("No, ... wait, ... what time is it?"), not a new burst, whatever the first
        // piece's words were (a cut-in opening with a hesitation, "Um, | actually, ...", has a
        // first piece that reads as a backchannel). It keeps the first piece's onset, so we
        // pause at once and the confirm and safety timers run from the first piece (a fresh
        // onset for every piece had let us talk on between them for ~2 s; after an "Um" we went
        // on for the 120 ms before the next piece paused us).
        if s.overlap_onset.is_none()
            && let Some(w) = s.watch
            && run_onset >= w.end
            && run_onset <= w.end + u64::from(p.misheard_grace_ms)
        {
            s.watch = None;
            s.overlap_onset = Some(w.onset);
            s.misheard = w.words == WatchedWords::Misheard;
        }
        let onset = *s.overlap_onset.get_or_insert(run_onset);
        // The final words of a backchannel we went on over, come in its quiet before the end is
        // confirmed: they may still stop us ("I see. Stop.").
        if s.let_go_until.is_some()
            && s.burst_text.as_ref().map(burst_verdict) == Some(BurstVerdict::Stop)
        {
            s.commit_barge_in(&inp.own, onset, false, out);
            return;
        }
        s.burst_end = None;
        s.burst_text = None;
        // Paused, and its words so far are a listener's backchannel ("I see", "oh, nice" heard
        // while still being said): go on now, not when it ends (our pause had lasted as long as
        // the backchannel, ~0.5 s, and the user heard us stop for their "mm-hm"). Speech that
        // goes on past a backchannel's length pauses us again, its onset and timers unchanged;
        // speech that went quiet before then is the backchannel's end being confirmed.
        let backchannel_limit = onset + u64::from(p.backchannel_max_ms);
        // Only a burst of one run: the next piece of a cut-in said in pieces ("Um, | actually,
        // ...") reads as its first piece did, and we already went on over that one.
        let one_run = run_onset == onset;
        if s.held && one_run && now < backchannel_limit && backchannel_heard_so_far(inp) {
            s.let_go_until = Some(backchannel_limit);
            s.voice_back(out);
        }
        // A backchannel that went quiet before its limit is over, its end not yet confirmed.
        let letting_go = s
            .let_go_until
            .is_some_and(|until| now < until || v.tentative_end_ms.is_some_and(|end| end <= until));
        if !letting_go {
            s.let_go_until = None;
        }
        // Speech that does not count (far below the user's level, the model hears no cut-in, the
        // user turned away) leaves our voice alone: the TV, our own echo in a canceller that has
        // lost its filter (a duck for every leaked syllable dipped an announcement).
        if counts && !s.ducked && !letting_go {
            s.ducked = true;
            out.push(Action::Duck);
        }
        if counts && !s.held && !letting_go && now >= onset + u64::from(p.hold_after_ms) {
            s.held = true;
            out.push(Action::Hold);
        }
        // Paused at `hold_after_ms`, the user already hears silence; whether to stop
        // for good waits until a backchannel would be over (the model cannot tell
        // "mm-hm" from "wait" in its first 200 ms).
        let since = |ms: u32| now >= onset + u64::from(ms);
        let model_confirms = model_hears_cut_in && since(p.barge_in_confirm_ms);
        let confirmed = match inp.floor {
            Some(_) => model_confirms || since(p.model_max_overlap_ms),
            None => since(p.barge_in_confirm_ms),
        };
        if counts && confirmed && !letting_go {
            s.commit_barge_in(&inp.own, onset, model_confirms, out);
        }
    } else if let Some(onset) = s.overlap_onset {
        if s.let_go_until.is_some() {
            // The backchannel we went on over has ended: its final words may still stop us.
            let end = v.last_end_ms.unwrap_or(now);
            go_on_listening(s, onset, end, WatchedWords::Unknown, out);
        } else if !s.held {
            // A short or quiet burst (a cough, "mm", the TV) that never paused us.
            s.clear_overlap(out);
            s.reset_turn();
        } else {
            // Paused for a burst that has ended: a backchannel or noise lets us go on
            // from where we paused; anything else is the user taking the floor. (The
            // floor model is not asked here: as a short burst ends it still hears
            // speech over us, a backchannel as much as a cut-in; its words decide.)
            let end = *s.burst_end.get_or_insert(v.last_end_ms.unwrap_or(now));
            // Our pause for a burst that has ended lasts `pause_for_words_ms` at most, unless
            // its words stop us: a backchannel's silence stays short whatever its words.
            let paused_long = now >= p.words_wait_over(onset);
            match s.burst_text.as_ref().map(burst_verdict) {
                Some(BurstVerdict::Misheard) if now >= end + u64::from(p.misheard_grace_ms) => {
                    // Nothing more came: it was not for us; go on.
                    s.clear_overlap(out);
                    s.reset_turn();
                }
                // Go on, but speech again within the grace is still the next piece of a
                // cut-in ("Wait, ... wait", its first word misheard).
                Some(BurstVerdict::Misheard) if paused_long => {
                    go_on_listening(s, onset, end, WatchedWords::Misheard, out);
                }
                Some(BurstVerdict::Misheard) => s.misheard = true,
                Some(BurstVerdict::Stop) => {
                    s.commit_barge_in(&inp.own, onset, false, out);
                }
                // Go on, and watch for its next piece.
                Some(BurstVerdict::GoOn) => {
                    go_on_listening(s, onset, end, WatchedWords::Known, out);
                }
                // No words yet, and our pause is still short: wait for them (a cut-in's
                // first word said alone is recognized just after its end).
                None if !paused_long => {}
                // Go on (a backchannel is over before its words are known) and keep an ear
                // on the transcript.
                None => go_on_listening(s, onset, end, WatchedWords::Unknown, out),
            }
        }
    }
}

/// The recognizer's words so far in a burst still being said, judged by the text model while we
/// are paused for it, are a backchannel it is sure of.
fn backchannel_heard_so_far(inp: &Inputs) -> bool {
    matches!(inp.heard, Heard::Partial { .. })
        && inp
            .judged
            .is_some_and(|w| w.backchannel >= SURE_BACKCHANNEL && w.lets_us_go_on())
}

/// How sure the text model must be that a burst's words so far are a backchannel for us to go on
/// before the burst ends.
const SURE_BACKCHANNEL: f32 = 0.8;

/// Goes on over a burst (`onset`..`end`) and watches for its next piece, and for its words
/// when they are not known yet or were misheard (`words`).
fn go_on_listening(s: &mut State, onset: Ms, end: Ms, words: WatchedWords, out: &mut Vec<Action>) {
    s.clear_overlap(out);
    s.reset_turn();
    s.watch = Some(Watch { onset, end, words });
}
