//! The floor policy: [`step`].

use std::collections::{HashMap, VecDeque};

use super::types::*;
pub(crate) use super::words::{
    OWN_NAME, burst_lets_us_go_on, dangles_for_sure, has_interrupting_word, is_backchannel,
    is_stray_fragment, normalize, not_addressed, not_addressed_but_level, not_addressed_by_camera,
    resume_from, sounds_unfinished, speaks_to_us,
};

mod overlap;
mod turn_end;
use overlap::{BurstVerdict, BurstWords, burst_verdict, speech_over_us};
use turn_end::end_of_turn_logic;

// What the words say: the text model's verdict when the loop has one (`--policy model`),
// otherwise the word lists (`--policy rules`, or a transcript the model could not judge).

/// The words are a listener's backchannel.
fn sounds_like_backchannel(text: &str, words: Option<TextProbs>) -> bool {
    match words {
        Some(w) => w.is_backchannel(),
        None => is_backchannel(text),
    }
}

/// The thought is not over. The text model's verdict adds to the dangling-word rule, it does
/// not replace it: a sentence embedding blurs a last word ("set an alarm for"), and on the
/// text model's validation split the two together beat either alone (models/text/DATA_CARD.md).
fn sounds_unfinished_words(text: &str, words: Option<TextProbs>) -> bool {
    sounds_unfinished(text) || words.is_some_and(|w| w.is_unfinished())
}

/// A lone short word that asks nothing.
fn stray_word(text: &str, speech_ms: Ms, words: Option<TextProbs>) -> bool {
    match words {
        Some(w) => {
            normalize(text).split_whitespace().count() == 1
                && speech_ms <= 800
                && !text.contains('?')
                && w.asks() < 0.5
        }
        None => is_stray_fragment(text, speech_ms),
    }
}

/// A cut-in of this many words or fewer that the text model hears as only a cut-in asks
/// nothing yet (`bare_cut_in`).
const BARE_CUT_IN_WORDS: usize = 3;

/// Only the cut-in itself, a few words the text model hears as one ("No, wait.", "Hold on."):
/// it asks nothing yet.
fn bare_cut_in(text: &str, words: Option<TextProbs>) -> bool {
    words.is_some_and(|w| w.interruption >= 0.5)
        && normalize(text).split_whitespace().count() <= BARE_CUT_IN_WORDS
}

/// An in-flight reasoner request for the current turn.
#[derive(Debug, Clone)]
struct Pending {
    id: u64,
    /// The turn's words, as asked.
    text: String,
    turn_end_ms: Ms,
    /// When the request was sent: a quick answer gets a moment before "one moment".
    asked_ms: Ms,
    /// The language model answers it (`FromReasoner::SlowAnswer`): no quick answer is coming,
    /// so "one moment" does not wait to see.
    slow_answer: bool,
    acknowledged: bool,
    fillers: u32,
    /// Its answer asks the user to say their words again (they were misheard): the words,
    /// until they are said `ask_again_after_ms` after the turn's end...
    ask_again: Option<String>,
    /// ...and that they are being said. The request stays pending until they have played, so
    /// the user going on continues the turn.
    asked_again: bool,
    /// How long after the turn's end the words are asked for again (`ask_again_after_ms`,
    /// shorter after a cut-in: `cut_in_ask_again_after_ms`).
    ask_again_after_ms: u32,
    /// The turn cut us off: what the user had heard of our reply, and the whole reply. A turn
    /// the user goes on from is still one that cut us off.
    cut_in: Option<(String, String)>,
}

/// A burst over us that we went on over.
#[derive(Debug, Clone, Copy)]
struct Watch {
    onset: Ms,
    end: Ms,
    /// What we knew of its words when we went on.
    words: WatchedWords,
}

/// The words of a burst we went on over, when we went on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WatchedWords {
    /// They let us go on.
    Known,
    /// Not known yet: speech again soon after the burst is its next piece
    /// (`overlap::speech_over_us`).
    Unknown,
    /// Misheard: speech again soon after is its next piece, and a cut-in, as it is while we
    /// hold (`State::misheard`).
    Misheard,
}

/// The loop's memory between steps.
#[derive(Debug, Clone)]
pub struct State {
    pub params: Params,
    floor: Floor,
    /// Onset of the current user turn.
    turn_start: Option<Ms>,
    /// Latest transcript of the current turn (partial or final).
    turn_text: String,
    /// Whether `turn_text` is final.
    turn_final: bool,
    /// The quiet the final came in: the run's tentative end when it arrived (the recognizer
    /// starts a final there, before the end is confirmed), `None` after the end.
    final_quiet_from: Option<Ms>,
    /// The text model's verdict on the final `turn_text` (`None`: the word lists judge it).
    turn_judged: Option<TextProbs>,
    /// How sure the recognizer was of the final `turn_text` (`None`: not known).
    turn_logprob: Option<f32>,
    /// The words of a turn we took too early: the user went on after it (see
    /// `Params::continuation_ms`), and `turn_text` continues it.
    continues: Option<String>,
    /// The words of the last turn we took, and when it ended: a cut-in over its answer may go
    /// on from it (`goes_on_over_the_answer`).
    taken: Option<(String, Ms)>,
    /// The pause (by its start) that smart-turn was asked about, and its answer.
    eot_asked_for: Option<Ms>,
    eot: Option<f32>,
    last_backchannel: Option<Ms>,
    backchannel_pause: Option<Ms>,
    /// A request sent on a stable partial, before the turn ended.
    speculative: Option<(u64, String)>,
    last_stable: String,
    pending: Option<Pending>,
    /// Replies that arrived before we needed them (speculation), by request id.
    ready: HashMap<u64, String>,
    next_id: u64,
    /// User speech over the assistant, by onset, and whether we ducked or paused for it.
    overlap_onset: Option<Ms>,
    ducked: bool,
    held: bool,
    /// When a paused-for burst ended (we wait for its transcript), and that transcript with the
    /// text model's verdict on it.
    burst_end: Option<Ms>,
    burst_text: Option<BurstWords>,
    /// We hold on after a misheard burst (`misheard_burst`) for `misheard_grace_ms`: speech
    /// again in that time is a cut-in said in pieces; quiet, and we go on.
    misheard: bool,
    /// A burst whose words, heard while it was still being said, are a backchannel: we went
    /// on over it until this time (its onset + `backchannel_max_ms`); speech still going then
    /// pauses us again.
    let_go_until: Option<Ms>,
    /// Start of the current pause inside a user turn.
    pause_start: Option<Ms>,
    /// When the pause's end-of-turn decision can next change with nothing new heard: the
    /// gap chosen for it is over, or the wait for its final transcript (see
    /// `turn_end::end_of_turn_logic`). A deadline, so the turn is taken when the gap ends,
    /// not at the next micro-turn.
    turn_end_due: Option<Ms>,
    /// The floor model's highest `turn_complete` in that pause (by its start): see
    /// `turn_end::pause_turn_complete`.
    pause_peak: Option<(Ms, f32)>,
    /// A burst we went on over: its transcript may still turn out to be a real interruption
    /// ("stop").
    watch: Option<Watch>,
    /// Speech until this time belongs to a side conversation (see `side_conversation_ms`).
    side_until: Option<Ms>,
    /// What the user had heard of our reply when they cut in, and the whole reply.
    interrupted: Option<(String, String)>,
    /// The last thing the assistant said or started saying.
    last_spoken: String,
    /// When the assistant's audio last played, for dead-air accounting.
    last_own_audio_ms: Option<Ms>,
    announcements: VecDeque<String>,
    /// When we last asked for speech that has not started playing yet.
    awaiting_playback: Option<Ms>,
    /// The floor model's addressee probabilities over the current turn (sum, count).
    turn_addressed: (f32, u32),
    /// The voice of the turn's latest run that was told (`RunVoice`).
    turn_voice: Option<RunVoice>,
    /// The current turn began by cutting us off, and the floor model called it a cut-in (not a
    /// backchannel, another voice or the TV): it is for us, whatever `addressed` says later.
    model_cut_in: bool,
    /// The time of the current step.
    now: Ms,
}

/// However late the turn was taken, a request gets this long to answer before the
/// acknowledgement: skills answer in a few milliseconds, and "one moment" right before a
/// quick answer only delays it. Not for a request the language model answers.
const ACK_GRACE_MS: Ms = 150;

impl Pending {
    /// When "one moment" is due: `ack_after_ms` after the turn's end, and not before the
    /// request had `ACK_GRACE_MS` to be answered by a skill. When the model answers it, no
    /// quick answer is coming, but the user still gets as long after the turn's end as for a
    /// turn taken at once (`min_gap_ms` and the grace): a user who was only pausing has the
    /// same moment to go on before they hear us (on the probe suite a pause of 256 ms was one).
    fn ack_due(&self, p: &Params) -> Ms {
        let after_end = self.turn_end_ms + u64::from(p.ack_after_ms);
        let graced = self.asked_ms + ACK_GRACE_MS;
        if self.slow_answer {
            let as_if_taken_at_once = self.turn_end_ms + u64::from(p.min_gap_ms) + ACK_GRACE_MS;
            after_end
                .max(graced.min(as_if_taken_at_once))
                .max(self.asked_ms)
        } else {
            after_end.max(graced)
        }
    }
}

/// How long speech may take to start playing before the loop stops waiting for it (a TTS
/// failure must not leave the floor stuck on "speaking").
const PLAYBACK_START_GRACE_MS: Ms = 2000;

impl State {
    pub fn new(params: Params) -> Self {
        Self {
            params,
            floor: Floor::Listening,
            turn_start: None,
            turn_text: String::new(),
            turn_final: false,
            final_quiet_from: None,
            turn_judged: None,
            turn_logprob: None,
            continues: None,
            taken: None,
            eot_asked_for: None,
            eot: None,
            last_backchannel: None,
            backchannel_pause: None,
            speculative: None,
            last_stable: String::new(),
            pending: None,
            ready: HashMap::new(),
            next_id: 1,
            overlap_onset: None,
            ducked: false,
            held: false,
            burst_end: None,
            burst_text: None,
            misheard: false,
            let_go_until: None,
            pause_start: None,
            turn_end_due: None,
            pause_peak: None,
            watch: None,
            side_until: None,
            interrupted: None,
            last_spoken: String::new(),
            last_own_audio_ms: None,
            announcements: VecDeque::new(),
            awaiting_playback: None,
            turn_addressed: (0.0, 0),
            turn_voice: None,
            model_cut_in: false,
            now: 0,
        }
    }

    pub fn floor(&self) -> Floor {
        self.floor
    }

    /// Replies held for later use (at most the speculative request's).
    #[cfg(test)]
    pub(super) fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// When the driver should call [`step`] before the next micro-turn boundary: the moments
    /// user speech over the assistant would pause, stop or resume it, a pause becomes long
    /// enough to end the turn (the gap its end-of-turn decision chose), or an acknowledgement
    /// or a request to say misheard words again falls due. A timer that runs out between two
    /// micro-turns acts when it runs out, not up to a micro-turn later.
    pub fn next_deadline(&self) -> Option<Ms> {
        let p = &self.params;
        let ms = |v: u32| u64::from(v);
        let mut due: Vec<Ms> = Vec::new();
        if let Some(onset) = self.overlap_onset
            && self.burst_end.is_none()
        {
            if !self.held {
                due.push(onset + ms(p.hold_after_ms));
            }
            due.push(onset + ms(p.barge_in_confirm_ms));
            due.push(onset + ms(p.model_max_overlap_ms));
        }
        // Speech still going when a backchannel we went on over should be over pauses us.
        due.extend(self.let_go_until);
        if let Some(end) = self.burst_end {
            due.push(end + ms(p.burst_transcript_wait_ms));
            if self.misheard {
                due.push(end + ms(p.misheard_grace_ms));
            }
            if let (Some(onset), true) = (self.overlap_onset, self.held) {
                due.push(p.words_wait_over(onset));
            }
        }
        if let Some(w) = self.watch {
            due.push(w.end + ms(p.burst_transcript_wait_ms));
        }
        if let Some(pause) = self.pause_start
            && self.turn_start.is_some()
        {
            if self.eot.is_some_and(|e| e >= p.end_of_turn_threshold) {
                due.push(pause + ms(p.min_gap_ms));
            }
            due.push(pause + ms(p.max_hold_ms));
            due.extend(self.turn_end_due);
        }
        if let Some(pd) = &self.pending {
            if !pd.acknowledged {
                due.push(pd.ack_due(p));
            }
            if pd.ask_again.is_some() {
                due.push(pd.turn_end_ms + ms(pd.ask_again_after_ms));
            }
        }
        due.into_iter().filter(|&t| t > self.now).min()
    }

    /// Where the user's current utterance began: the turn in progress, or speech over the
    /// assistant being judged. The driver transcribes from here.
    pub fn utterance_start(&self) -> Option<Ms> {
        self.turn_start
            .or(self.overlap_onset)
            .or(self.watch.map(|w| w.onset))
    }

    /// Whether the assistant is paused in place for the user's burst.
    pub fn is_held(&self) -> bool {
        self.held
    }

    fn set_floor(&mut self, floor: Floor, out: &mut Vec<Action>) {
        if self.floor != floor {
            self.floor = floor;
            out.push(Action::Floor { floor });
        }
    }

    fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn reset_turn(&mut self) {
        self.turn_start = None;
        self.turn_text.clear();
        self.turn_final = false;
        self.final_quiet_from = None;
        self.turn_judged = None;
        self.turn_logprob = None;
        self.continues = None;
        self.eot_asked_for = None;
        self.eot = None;
        self.backchannel_pause = None;
        self.last_stable.clear();
        self.pause_start = None;
        self.turn_end_due = None;
        self.pause_peak = None;
        self.turn_addressed = (0.0, 0);
        self.turn_voice = None;
        self.model_cut_in = false;
    }

    /// `words` of the current turn, after the words of the turn it continues (if any).
    fn with_continued(&self, words: &str) -> String {
        let words = words.trim();
        match self.continues.as_deref().map(str::trim) {
            Some(first) if words.is_empty() => first.to_owned(),
            Some(first) => format!("{first} {words}"),
            None => words.to_owned(),
        }
    }

    /// Whether speech from `onset` is soon enough after a turn that ended at `turn_end` to
    /// go on from it (`continuation_ms`).
    fn within_continuation(&self, onset: Ms, turn_end: Ms) -> bool {
        onset.saturating_sub(turn_end) <= u64::from(self.params.continuation_ms)
    }

    /// Whether speech from `onset` goes on from the turn we took (`pending`, none of its
    /// answer said yet) within `continuation_ms` of its end.
    fn goes_on_from_taken_turn(&self, onset: Ms) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|pd| self.within_continuation(onset, pd.turn_end_ms))
    }

    /// Whether the current turn, which cut off our answer, is the turn we answered going on:
    /// it began within `continuation_ms` of that turn's end, and the text model reads its words
    /// as no request of their own (under `words_request_complete`), no backchannel, and for us
    /// (`words_addressed`). "What's the weather going to be like | on Saturday?" taken at the
    /// pause: "on Saturday?" over the answer is the question's end, not a new request. Without
    /// the text model's verdict (the rules), a cut-in is a turn of its own.
    fn goes_on_over_the_answer(&self) -> bool {
        let p = &self.params;
        self.continues.is_none()
            && self.interrupted.is_some()
            && self.taken.as_ref().is_some_and(|(_, end)| {
                self.turn_start
                    .is_some_and(|onset| self.within_continuation(onset, *end))
            })
            && self.turn_judged.is_some_and(|w| {
                w.request + w.interruption < p.words_request_complete
                    && !w.is_backchannel()
                    && w.addressed() >= p.words_addressed
            })
    }

    /// The user speaks (from `onset`) while we have taken their turn but said none of the
    /// answer yet: its request is cancelled, and if they went on within `continuation_ms` of
    /// its end, the turn goes on with its words.
    fn take_back_turn(&mut self, onset: Ms, out: &mut Vec<Action>) {
        let goes_on = self.goes_on_from_taken_turn(onset);
        let Some(pd) = self.pending.take() else {
            return;
        };
        out.push(Action::CancelRequest { id: pd.id });
        if goes_on {
            self.continues = Some(pd.text);
            self.interrupted = self.interrupted.take().or(pd.cut_in);
        }
    }

    /// The floor model's mean addressee probability over the current turn.
    fn turn_addressed(&self) -> Option<f32> {
        let (sum, n) = self.turn_addressed;
        (n > 0).then(|| sum / n as f32)
    }

    /// Ends the judging of a burst over our speech.
    fn clear_overlap(&mut self, out: &mut Vec<Action>) {
        self.voice_back(out);
        self.overlap_onset = None;
        self.burst_end = None;
        self.burst_text = None;
        self.misheard = false;
        self.let_go_until = None;
    }

    /// Our voice back as it was: released if we paused it, at full level if we ducked it.
    fn voice_back(&mut self, out: &mut Vec<Action>) {
        if self.held {
            out.push(Action::Release);
        }
        if self.ducked {
            out.push(Action::Unduck);
        }
        self.held = false;
        self.ducked = false;
    }

    /// The user cut in: stop for good, remember what they heard, and make their words the
    /// start of a new turn (`by_model`: the floor model called it a cut-in).
    fn commit_barge_in(
        &mut self,
        own: &OwnSpeech,
        onset: Ms,
        by_model: bool,
        out: &mut Vec<Action>,
    ) {
        let text = self.burst_text.take();
        let ended = self.burst_end.take();
        self.misheard = false;
        self.let_go_until = None;
        self.interrupted = Some((own.heard.clone(), own.text.clone()));
        out.push(Action::Stop {
            heard: own.heard.clone(),
        });
        self.held = false;
        self.ducked = false;
        self.overlap_onset = None;
        self.reset_turn();
        self.turn_start = Some(onset);
        self.model_cut_in = by_model;
        if let Some(words) = text {
            self.turn_text = words.text;
            self.turn_final = true;
            self.turn_judged = words.judged;
        }
        self.pause_start = ended;
        self.set_floor(Floor::Yielding, out);
    }

    fn speak(&mut self, text: String, kind: SpeechKind, out: &mut Vec<Action>) {
        self.side_until = None;
        self.last_spoken.clone_from(&text);
        self.awaiting_playback = Some(self.now);
        out.push(Action::Speak { text, kind });
        self.set_floor(Floor::Speaking, out);
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new(Params::default())
    }
}

/// One micro-turn of the floor policy.
pub fn step(s: &mut State, inp: &Inputs, now: Ms) -> Vec<Action> {
    let mut out = Vec::new();
    let p = s.params.clone();
    s.now = now;

    // 1. What the reasoner sent.
    for ev in &inp.reasoner {
        match ev {
            FromReasoner::Reply { request, text } if text.trim().is_empty() => {
                // Nothing to say ("stop", "okay"): the floor is free again.
                if s.pending.as_ref().is_some_and(|pd| pd.id == *request) {
                    s.pending = None;
                    if s.floor == Floor::Thinking {
                        s.set_floor(Floor::Listening, &mut out);
                    }
                }
            }
            FromReasoner::Reply { request, text } => {
                if s.pending.as_ref().is_some_and(|pd| pd.id == *request)
                    && s.floor == Floor::Thinking
                {
                    s.pending = None;
                    s.speak(text.clone(), SpeechKind::Answer, &mut out);
                } else if s.pending.as_ref().is_some_and(|pd| pd.id == *request)
                    && s.floor == Floor::Speaking
                {
                    // The acknowledgement is still playing: the answer follows it.
                    s.pending = None;
                    s.last_spoken.clone_from(text);
                    s.awaiting_playback = Some(now);
                    out.push(Action::Speak {
                        text: text.clone(),
                        kind: SpeechKind::Answer,
                    });
                } else if s.speculative.as_ref().is_some_and(|(id, _)| id == request) {
                    // Only the current speculative request's reply can still be used (when
                    // the turn ends); replies to superseded or cancelled requests are dropped,
                    // so a long session keeps at most one.
                    s.ready.retain(|id, _| id == request);
                    s.ready.insert(*request, text.clone());
                }
            }
            FromReasoner::AskAgain { request, text }
                if s.pending.as_ref().is_some_and(|pd| pd.id == *request) =>
            {
                // Said while thinking (step 5), no "one moment" before it.
                if let Some(pd) = s.pending.as_mut() {
                    pd.ask_again = Some(text.clone());
                    pd.acknowledged = true;
                }
            }
            FromReasoner::AskAgain { .. } => {}
            FromReasoner::SlowAnswer { request } => {
                if let Some(pd) = s.pending.as_mut().filter(|pd| pd.id == *request) {
                    pd.slow_answer = true;
                }
            }
            FromReasoner::Failed { request, message } => {
                if s.pending.as_ref().is_some_and(|pd| pd.id == *request) {
                    s.pending = None;
                    let text = if message.is_empty() {
                        "Sorry, I couldn't work that out.".to_owned()
                    } else {
                        message.clone()
                    };
                    s.speak(text, SpeechKind::Answer, &mut out);
                }
            }
            FromReasoner::Announcement { text } => s.announcements.push_back(text.clone()),
        }
    }

    // 2. Our own speech.
    if inp.own.playing {
        s.last_own_audio_ms = Some(now);
        s.awaiting_playback = None;
        // Our words play while the floor says otherwise: the next sentence of a streamed
        // answer came after the last had played out and the loop had gone back to listening.
        // The floor is ours again, so speech over it is judged as speech over us (it pauses
        // and stops us) instead of being talked over.
        if inp.own.utterance
            && matches!(
                s.floor,
                Floor::Listening | Floor::UserSpeaking | Floor::Thinking
            )
        {
            s.set_floor(Floor::Speaking, &mut out);
        }
    } else if s.floor == Floor::Speaking
        && s.overlap_onset.is_none()
        && !s.held
        && s.awaiting_playback
            .is_none_or(|t| now.saturating_sub(t) > PLAYBACK_START_GRACE_MS)
    {
        s.awaiting_playback = None;
        if s.pending.as_ref().is_some_and(|pd| pd.asked_again) {
            // We asked them to say it again and they did not go on: a new turn follows.
            s.pending = None;
        }
        s.set_floor(
            if s.pending.is_some() {
                Floor::Thinking
            } else {
                Floor::Listening
            },
            &mut out,
        );
    }

    // 3. What the recognizer heard.
    match &inp.heard {
        Heard::Nothing => {}
        Heard::Partial { text, stable } => {
            if !s.turn_final {
                s.turn_text.clone_from(text);
                s.turn_judged = None;
                s.turn_logprob = None;
            }
            if !stable.is_empty() && *stable == s.last_stable && !inp.voice.speaking {
                let asked = s.with_continued(stable);
                let differs = s
                    .speculative
                    .as_ref()
                    .is_none_or(|(_, t)| normalize(t) != normalize(&asked));
                if differs && matches!(s.floor, Floor::UserSpeaking) {
                    if let Some((old, _)) = s.speculative.take() {
                        out.push(Action::CancelRequest { id: old });
                    }
                    let id = s.new_id();
                    s.speculative = Some((id, asked.clone()));
                    out.push(Action::Request {
                        id,
                        text: asked,
                        speculative: true,
                        interrupted: s.interrupted.as_ref().map(|(h, _)| h.clone()),
                    });
                }
            }
            s.last_stable.clone_from(stable);
        }
        Heard::Final { text } => {
            if let Some(onset) = s.overlap_onset {
                s.burst_text = Some(BurstWords {
                    text: text.clone(),
                    judged: inp.judged,
                    logprob: inp.final_logprob,
                    speech_ms: inp.voice.stopped_at_ms().map(|e| e.saturating_sub(onset)),
                });
            }
            s.turn_text.clone_from(text);
            s.turn_final = true;
            s.final_quiet_from = inp.voice.tentative_end_ms;
            s.turn_judged = inp.judged;
            s.turn_logprob = inp.final_logprob;
        }
    }
    if let Some(e) = inp.end_of_turn {
        s.eot = Some(e);
    }

    // A burst we went on over: its words may still say "stop". Words Whisper was unsure of
    // and that are no clear cut-in (`misheard_burst`) do not stop us: we are already going on,
    // and speech again would pause us anew.
    if let Some(Watch { onset, end, .. }) = s.watch {
        if let Heard::Final { text } = &inp.heard {
            s.watch = None;
            let words = BurstWords {
                text: text.clone(),
                judged: inp.judged,
                logprob: inp.final_logprob,
                speech_ms: Some(end.saturating_sub(onset)),
            };
            if burst_verdict(&words) == BurstVerdict::Stop && s.floor == Floor::Speaking {
                s.burst_text = Some(words);
                s.burst_end = Some(end);
                s.commit_barge_in(&inp.own, onset, false, &mut out);
            } else if s.turn_start.is_none() {
                s.reset_turn();
            }
        } else if now >= end + u64::from(p.burst_transcript_wait_ms)
            && (!inp.final_pending || now >= end + u64::from(p.final_pending_max_ms))
        {
            // Its words are still being recognized on a busy or slow machine: "stop" must not
            // be lost because the recognizer was late.
            s.watch = None;
        }
    }

    // The model's addressee verdicts while the user speaks in a turn (it was trained on the
    // speech and the second after it, not on the silence a turn may end with).
    if let (Some(f), Some(_), true) = (inp.floor, s.turn_start, inp.voice.speaking) {
        s.turn_addressed.0 += f.addressed;
        s.turn_addressed.1 += 1;
    }

    // Whose voice the run that just ended was, when it is part of the current turn.
    if let (Some(rv), Some(start)) = (inp.run_voice, s.turn_start)
        && rv.end_ms > start
    {
        s.turn_voice = Some(rv);
    }

    // 4. Voice activity.
    let v = inp.voice;
    match s.floor {
        Floor::Speaking if inp.own.playing || s.held => speech_over_us(s, inp, now, &p, &mut out),
        _ => {
            if v.speaking {
                if s.turn_start.is_none() {
                    s.turn_start = Some(v.onset_ms.unwrap_or(now));
                }
                s.eot = None;
                s.eot_asked_for = None;
                // A final that came in the quiet at the run's end, before the voice detector
                // confirmed it, is the turn's words unless the speech goes on: dropping it left
                // the turn without a final (none is started again for the same end), its
                // verdict lost ("Totally", a backchannel that had stopped us, read as a stray
                // word and the answer never resumed).
                let final_covers_run = s.turn_final
                    && v.tentative_end_ms.is_some()
                    && v.tentative_end_ms == s.final_quiet_from;
                if !final_covers_run {
                    s.turn_final = false;
                }
                s.pause_start = None;
                if s.floor == Floor::Thinking {
                    // The user went on after we took the turn: their thought was not finished.
                    s.take_back_turn(v.onset_ms.unwrap_or(now), &mut out);
                }
                if s.floor != Floor::Yielding {
                    s.set_floor(Floor::UserSpeaking, &mut out);
                }
            } else if s.turn_start.is_some() {
                end_of_turn_logic(s, inp, now, &p, &mut out);
            }
        }
    }

    // 5. While thinking: acknowledge, then fill dead air; or ask for misheard words again.
    if s.floor == Floor::Thinking
        && let Some(pd) = s.pending.as_mut()
    {
        let since_end = now.saturating_sub(pd.turn_end_ms);
        if pd.ask_again.is_some() || pd.asked_again {
            if since_end >= u64::from(pd.ask_again_after_ms)
                && let Some(text) = pd.ask_again.take()
            {
                pd.asked_again = true;
                s.speak(text, SpeechKind::Answer, &mut out);
            }
        } else {
            let quiet_since = s
                .last_own_audio_ms
                .map_or(pd.turn_end_ms, |t| t.max(pd.turn_end_ms));
            if !pd.acknowledged && now >= pd.ack_due(&p) {
                pd.acknowledged = true;
                s.speak("One moment.".into(), SpeechKind::Acknowledgement, &mut out);
            } else if pd.acknowledged
                && pd.fillers < 2
                && !inp.own.playing
                && now.saturating_sub(quiet_since) >= u64::from(p.filler_after_ms)
            {
                pd.fillers += 1;
                let text = if pd.fillers == 1 {
                    "Still working on it."
                } else {
                    "Almost there."
                };
                s.speak(text.into(), SpeechKind::Filler, &mut out);
            }
        }
    }

    // 6. Announcements when the floor is free.
    if s.floor == Floor::Listening
        && !v.speaking
        && !inp.own.playing
        && let Some(text) = s.announcements.pop_front()
    {
        s.speak(text, SpeechKind::Announcement, &mut out);
    }
    out
}
