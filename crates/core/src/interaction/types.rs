//! Inputs, actions and parameters of the interaction core.

use serde::Serialize;

/// Milliseconds of audio time since the session started.
pub type Ms = u64;

/// Who has the conversational floor, as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Floor {
    /// Nobody is speaking; the assistant listens.
    Listening,
    /// The user holds the floor (speaking or pausing inside their turn).
    UserSpeaking,
    /// The user's turn ended; the assistant is working on a reply.
    Thinking,
    /// The assistant is speaking.
    Speaking,
    /// The user cut in; the assistant has faded out and listens.
    Yielding,
}

/// Which floor policy runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Tandem's full-duplex policy with its hand-written rules (timers, levels, word lists).
    #[serde(alias = "tandem")]
    Rules,
    /// The same policy with the learned floor model's probabilities as inputs (the default:
    /// it beats the rules on the held-back scenarios, BENCHMARKS.md).
    #[default]
    Model,
    /// The naive turn-based anchor: 800 ms of silence, answer, never stop.
    Baseline,
}

impl std::str::FromStr for PolicyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            // `tandem` was the rules policy's name before the floor model.
            "rules" | "tandem" => Ok(Self::Rules),
            "model" => Ok(Self::Model),
            "baseline" => Ok(Self::Baseline),
            other => Err(format!(
                "unknown policy `{other}`: use model, rules or baseline"
            )),
        }
    }
}

/// Tuning of the floor policy. Defaults are set from human conversation timing (FACTS.md):
/// gaps between turns average ~200 ms; a thinking pause can last well over a second.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Probability from smart-turn above which a pause ends the turn.
    pub end_of_turn_threshold: f32,
    /// Silence needed before taking the turn when smart-turn says the turn is complete.
    pub min_gap_ms: u32,
    /// Silence after which the turn is taken even if smart-turn says it is incomplete: longer
    /// than a thinking pause ("I was thinking about... [1.5 s] ...the trip").
    pub max_hold_ms: u32,
    /// Continuous user speech over the assistant after which it pauses in place (holds):
    /// short enough that a real interruption is heard to stop within a micro-turn.
    pub hold_after_ms: u32,
    /// Continuous user speech over the assistant that confirms a barge-in: longer than a
    /// backchannel ("mm-hm" lasts 0.3-0.6 s). The pause then becomes a stop.
    pub barge_in_confirm_ms: u32,
    /// After a burst over the assistant ends, how long to wait for its transcript before
    /// deciding it was noise and resuming.
    pub burst_transcript_wait_ms: u32,
    /// How long our pause (counted from `hold_after_ms` into the burst) may last while a
    /// burst that has ended waits for its words; then we go on and keep an ear on them. A
    /// cut-in's first word said alone ("No, ... wait") is recognized ~80 ms after its end:
    /// going on at once let 40-100 ms of our voice through before the words stopped us. Short
    /// enough that a backchannel's pause stays under half a second.
    pub pause_for_words_ms: u32,
    /// User speech over the assistant shorter than this, with a backchannel transcript, lets
    /// the assistant continue (or resume).
    pub backchannel_max_ms: u32,
    /// If the reply is not ready this long after the turn ends, acknowledge ("one moment").
    pub ack_after_ms: u32,
    /// Longest silence while thinking before a filler.
    pub filler_after_ms: u32,
    /// Our backchannels: only in user turns at least this long...
    pub backchannel_min_turn_ms: u32,
    /// ...in pauses of at least this long (never over speech)...
    pub backchannel_min_pause_ms: u32,
    /// ...and at most this often.
    pub backchannel_interval_ms: u32,
    /// Speech this far below the user's usual level is background (TV, another room).
    pub background_level_db: f32,
    /// smart-turn above this is sure enough to answer after `min_gap_ms`; between
    /// `end_of_turn_threshold` and this, the pause must reach `unsure_gap_ms`.
    pub end_of_turn_sure: f32,
    pub unsure_gap_ms: u32,
    /// How long a partial transcript may stand in for the final one before the turn is
    /// taken anyway (the final covers the words up to the pause; partials lag behind).
    pub final_wait_ms: u32,
    /// ...unless the final is still being computed (a slow or busy machine): then up to this.
    pub final_pending_max_ms: u32,
    /// After speech that was not for the assistant, the following exchange (the other
    /// person answering) is not either, for this long, unless the assistant is named.
    pub side_conversation_ms: u32,
    /// With the floor model: its probabilities at or above these decide a complete turn, a
    /// real interruption (from `barge_in_confirm_ms` into speech over us, or when it ends) and
    /// speech for us.
    pub model_turn_complete: f32,
    pub model_interruption: f32,
    pub model_addressed: f32,
    /// With the text model: a turn is for someone else (talk in the room, a phone call, the
    /// TV) when the mean of the floor model's and the words' addressee probabilities is below
    /// this.
    pub words_addressed: f32,
    /// With the floor model: speech over our voice this long always stops us, whatever the
    /// model says (never talk over the user).
    pub model_max_overlap_ms: u32,
    /// A run of speech whose voice is less like the user's enrolled voice than this (cosine
    /// similarity of speaker embeddings) is someone else's: another person answering the user,
    /// a TV. One voice's runs measure 0.6-0.9 against each other, two voices' 0.4-0.5.
    pub other_voice_below: f32,
    /// The user going on this soon after the end of a turn we took, before any of the answer
    /// was said (at most "one moment"), continues that turn: it was a pause, not its end.
    /// A little longer than the longest pause we hold (`max_hold_ms`); speech after a longer
    /// silence is a new turn ("Sorry, what time is it?" three seconds after a question we are
    /// still thinking about is not the question's end).
    pub continuation_ms: u32,
    /// A reply asking the user to say their words again (they were misheard) waits until this
    /// long after the turn's end: people leave a longer gap before asking "sorry?" than before
    /// an answer, and a user who was only pausing has time to go on.
    pub ask_again_after_ms: u32,
    /// The same after a cut-in (700): the user stopped us to say something and has the floor,
    /// so a misheard cut-in is asked for again after the gap people most often leave before
    /// asking "sorry?" (~700 ms in face-to-face conversation: Kendrick 2015, "The intersection
    /// of turn-taking and repair"). Not for every turn: at 700 ms the development suite's
    /// pauses inside a misheard turn were taken over too (BENCHMARKS.md, "Asking again
    /// sooner").
    pub cut_in_ask_again_after_ms: u32,
    /// After a cut-in, the text model this sure the final transcript is a complete request
    /// ends the turn after `words_complete_gap_ms` of silence, whatever the prosody says
    /// (outside a cut-in, with smart-turn hearing the turn complete, after `unsure_gap_ms`)
    /// (0.4: on the dev suite every cut-in's complete request reached 0.48 or more but one, and
    /// no final before the end of its turn passed 0.26).
    pub words_request_complete: f32,
    pub words_complete_gap_ms: u32,
    /// After a short burst over us whose words were misheard, we hold on this long from its end
    /// before going on: speech again within it is a cut-in said in pieces (350: the gaps
    /// between the pieces of the dev suite's cut-ins were 96-288 ms by the voice detector).
    pub misheard_grace_ms: u32,
    /// After a cut-in, the longest we stay silent once the user has gone quiet (words that are
    /// not unfinished): we answer, or ask for misheard words again, by then. The user stopped
    /// us to say something; neither end-of-turn model hears such a turn's end well, and
    /// waiting `max_hold_ms` (or `ask_again_after_ms`) left them in silence for up to 2.3 s
    /// (the dev suite's "Hang on, what's the date today?", heard as "And long, what's the
    /// gate to be?").
    pub cut_in_max_hold_ms: u32,
}

impl Params {
    /// When our pause for the words of a burst over us that began at `onset` has lasted
    /// `pause_for_words_ms` (counted from `hold_after_ms` into the burst).
    pub fn words_wait_over(&self, onset: Ms) -> Ms {
        onset + u64::from(self.hold_after_ms + self.pause_for_words_ms)
    }
}

impl Default for Params {
    fn default() -> Self {
        Self {
            end_of_turn_threshold: 0.5,
            min_gap_ms: 160,
            max_hold_ms: 2200,
            hold_after_ms: 120,
            barge_in_confirm_ms: 650,
            burst_transcript_wait_ms: 900,
            pause_for_words_ms: 400,
            backchannel_max_ms: 700,
            ack_after_ms: 250,
            filler_after_ms: 1200,
            backchannel_min_turn_ms: 3000,
            backchannel_min_pause_ms: 300,
            backchannel_interval_ms: 7000,
            background_level_db: -14.0,
            end_of_turn_sure: 0.85,
            unsure_gap_ms: 700,
            final_wait_ms: 700,
            final_pending_max_ms: 2000,
            side_conversation_ms: 6000,
            model_turn_complete: 0.5,
            model_interruption: 0.5,
            model_addressed: 0.5,
            words_addressed: 0.5,
            model_max_overlap_ms: 1500,
            continuation_ms: 2500,
            ask_again_after_ms: 1500,
            cut_in_ask_again_after_ms: 700,
            words_request_complete: 0.4,
            words_complete_gap_ms: 400,
            misheard_grace_ms: 350,
            cut_in_max_hold_ms: 1200,
            other_voice_below: 0.55,
        }
    }
}

/// Voice activity over the last micro-turn (echo-cancelled microphone, fused VAD).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct VoiceActivity {
    /// The user is speaking at the end of the interval.
    pub speaking: bool,
    /// Start of the current speech run (while speaking).
    pub onset_ms: Option<Ms>,
    /// End of the most recent speech run (while silent).
    pub last_end_ms: Option<Ms>,
    /// Level of the current or last speech run relative to the user's usual level, in dB
    /// (0 = as loud as usual; far below = background speech).
    pub level_db: f32,
    /// While speaking: where the speech stopped, if the chunks since then are quiet (the
    /// end is confirmed ~100 ms later).
    pub tentative_end_ms: Option<Ms>,
}

impl VoiceActivity {
    /// Where the speech stopped, confirmed or not: the tentative end while speaking (quiet
    /// since then, not yet confirmed), the last run's end after it.
    pub fn stopped_at_ms(&self) -> Option<Ms> {
        if self.speaking {
            self.tentative_end_ms
        } else {
            self.last_end_ms
        }
    }
}

/// What the recognizer says about the current user utterance.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Heard {
    #[default]
    Nothing,
    /// A partial transcript; `stable` is the prefix consecutive decodes agree on.
    Partial { text: String, stable: String },
    /// The final transcript of the utterance that just ended.
    Final { text: String },
}

/// The assistant's own speech, from the playback accounting.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OwnSpeech {
    /// Audio is playing (or queued) right now: our words or a backchannel.
    pub playing: bool,
    /// One of our utterances (words, not a backchannel) is playing, queued, paused or still being
    /// synthesized.
    pub utterance: bool,
    /// Text the user has heard so far of the current utterance.
    pub heard: String,
    /// The whole text being spoken.
    pub text: String,
}

/// What the camera tells about the user (only while the camera is on).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Visual {
    pub person_present: bool,
    pub facing_screen: bool,
}

/// The floor model's verdict on the last 1.28 s (only under `--policy model`): probabilities
/// that the user's turn is complete, that speech over our voice is a real interruption (not a
/// backchannel or noise), and that the speech is addressed to the assistant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FloorProbs {
    pub turn_complete: f32,
    pub interruption: f32,
    pub addressed: f32,
}

/// The text model's verdict on a final transcript (only under `--policy model`): what kind of
/// utterance its words are, as probabilities that sum to one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TextProbs {
    /// A complete request or question for the assistant.
    pub request: f32,
    /// A request the user has not finished ("set a timer for").
    pub unfinished: f32,
    /// A listener's "mm-hm", "right", "got it".
    pub backchannel: f32,
    /// A cut-in: "wait", "no, I meant Tuesday", "stop".
    pub interruption: f32,
    /// Talk to someone else in the room (or their reply).
    pub side_talk: f32,
    /// One side of a phone call.
    pub phone: f32,
    /// The TV, the radio, another room.
    pub background: f32,
}

impl TextProbs {
    /// The words are for the assistant (a request, finished or not, a cut-in, a backchannel).
    pub fn addressed(&self) -> f32 {
        self.request + self.unfinished + self.backchannel + self.interruption
    }

    /// A listener's backchannel rather than anything that asks or stops.
    pub fn is_backchannel(&self) -> bool {
        self.backchannel >= 0.5
    }

    /// A short burst over our speech lets us go on: it is more likely a backchannel than
    /// anything that wants the floor.
    pub fn lets_us_go_on(&self) -> bool {
        self.backchannel > self.request + self.unfinished + self.interruption
    }

    /// The thought is not over (0.6: chosen on the text model's validation split, where it
    /// holds no more complete requests than the dangling-word rule it is combined with).
    pub fn is_unfinished(&self) -> bool {
        self.unfinished >= 0.6
    }

    /// A request or a cut-in: worth an answer even as one word.
    pub fn asks(&self) -> f32 {
        self.request + self.interruption
    }
}

/// Whose voice a finished run of speech was: its speaker embedding against the user's voice,
/// learned from their requests (sent once the user's voice is known and the run is long enough
/// to tell).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunVoice {
    pub start_ms: Ms,
    pub end_ms: Ms,
    /// Cosine similarity to the user's voice.
    pub similarity: f32,
}

/// Why words were not taken as a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotAddressedReason {
    /// The other side of an exchange with someone else (after speech that was not for us).
    SideConversation,
    /// A stray word, too short to be a request.
    StrayWord,
    /// Speech far below the user's usual level (TV, another room).
    Background { below_db: f32 },
    /// The camera sees nobody.
    NobodyPresent,
    /// The camera sees the user turned away.
    TurnedAway,
    /// The words open with another person's name ("Anna, ...").
    NamedSomeoneElse { name: String },
    /// The floor model's addressee probability was low.
    Model { addressed: f32 },
    /// The text model heard talk to someone else, a phone call or the TV in the words.
    Words { addressed: f32 },
    /// The voice is not the user's: someone else in the room, a TV. `answered_user`: it
    /// answered the user (the user was talking to them, not to us).
    OtherVoice {
        similarity: f32,
        answered_user: bool,
    },
}

impl NotAddressedReason {
    /// Whether the user is in a conversation with someone else: the reply that follows is
    /// not for us either. A turn dropped only for falling in that window does not renew it
    /// (what renews it is evidence: a name, another voice answering, the models), or one
    /// misjudged turn kept every request after it unheard while they came within the window.
    pub fn starts_side_conversation(&self) -> bool {
        matches!(
            self,
            Self::TurnedAway
                | Self::NamedSomeoneElse { .. }
                | Self::Model { .. }
                | Self::Words { .. }
                | Self::OtherVoice {
                    answered_user: true,
                    ..
                }
        )
    }
}

impl std::fmt::Display for NotAddressedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SideConversation => {
                f.write_str("the other side of a conversation with someone else")
            }
            Self::StrayWord => f.write_str("a stray word, not a request"),
            Self::Background { below_db } => write!(
                f,
                "background speech ({below_db:.0} dB below the user's usual level)"
            ),
            Self::NobodyPresent => f.write_str("nobody is in front of the camera"),
            Self::TurnedAway => f.write_str("the user is turned away"),
            Self::NamedSomeoneElse { name } => write!(f, "addressed to {name}"),
            Self::Model { addressed } => write!(
                f,
                "the floor model heard speech for someone else (addressed {addressed:.2})"
            ),
            Self::Words { addressed } => write!(
                f,
                "the words are for someone else (addressed {addressed:.2})"
            ),
            Self::OtherVoice {
                similarity,
                answered_user,
            } => write!(
                f,
                "{} (voice similarity {similarity:.2} to the user's)",
                if *answered_user {
                    "another person answering the user"
                } else {
                    "another person's voice"
                }
            ),
        }
    }
}

/// What the reasoner handed back since the last step.
#[derive(Debug, Clone, PartialEq)]
pub enum FromReasoner {
    /// The reply to a request, or a first speakable chunk of it.
    Reply {
        request: u64,
        text: String,
    },
    Failed {
        request: u64,
        message: String,
    },
    /// The reply to a request whose words were misheard: it asks the user to say them again.
    /// It waits `ask_again_after_ms` after the turn's end, and until it has played the user
    /// going on continues the turn, as during "one moment".
    AskAgain {
        request: u64,
        text: String,
    },
    /// The language model answers the request: its first words take a while, so "one moment"
    /// need not wait `ACK_GRACE_MS` to see whether a quick answer comes.
    SlowAnswer {
        request: u64,
    },
    /// A timer or reminder fell due; announce it when the floor is free.
    Announcement {
        text: String,
    },
}

/// Below this mean token log-probability a transcript is more likely misheard than not. Chosen
/// on the development suite (never the held-back one): of the final transcripts in its loop
/// runs (`tandem eval --only pause_handling,turn_taking,user_interruption`), every one below
/// -0.65 had a third or more of its words wrong or a number changed, and the lowest right one
/// was at -0.63; of its and the probe suite's user lines alone (`tandem transcribe`), none
/// with at most a quarter of its words wrong was below -0.58.
pub const UNSURE_LOGPROB: f32 = -0.65;

/// Speech shorter than this is too short to tell whose voice it is: the voice stage embeds no
/// run shorter ("mm-hm", a cough, the last word of someone else's reply), so such a turn has
/// no voice verdict of its own.
pub const MIN_VOICE_RUN_MS: Ms = 400;

/// Everything one step sees.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inputs {
    pub voice: VoiceActivity,
    pub heard: Heard,
    /// smart-turn's probability that the user's turn is complete, when it was run for this step.
    pub end_of_turn: Option<f32>,
    pub own: OwnSpeech,
    pub visual: Option<Visual>,
    pub reasoner: Vec<FromReasoner>,
    /// The recognizer is computing the final transcript of the utterance that just ended: a
    /// partial should not stand in for it yet.
    pub final_pending: bool,
    /// The floor model's probabilities (`None`: the rules decide alone).
    pub floor: Option<FloorProbs>,
    /// Whose voice the run that just ended was (when it is known).
    pub run_voice: Option<RunVoice>,
    /// The text model's verdict on the transcript in `heard`: a final (`None`: the word lists
    /// judge the words), or a partial of a burst over our voice while we are paused for it.
    pub judged: Option<TextProbs>,
    /// How sure the recognizer was of the final transcript in `heard`: the mean log-probability
    /// of its tokens (see [`UNSURE_LOGPROB`]).
    pub final_logprob: Option<f32>,
}

/// Why the assistant speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SpeechKind {
    Answer,
    /// "one moment": the reply is on its way.
    Acknowledgement,
    /// Keeps dead air short while the reasoner works.
    Filler,
    /// Picks up again after a false interruption.
    Resume,
    Announcement,
}

/// One decision of a step, carried out by the driver.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Floor {
        floor: Floor,
    },
    /// Run smart-turn on the current utterance and pass the result in the next step.
    CheckEndOfTurn,
    /// A short "mm-hm" while the user talks.
    Backchannel {
        phrase: String,
    },
    Speak {
        text: String,
        kind: SpeechKind,
    },
    /// Lower our voice by 12 dB while we find out whether the user is cutting in.
    Duck,
    Unduck,
    /// Pause in place (fade to silence, keep the position) while the user's burst is judged.
    Hold,
    /// Go on from where the hold paused: the burst was a backchannel or noise.
    Release,
    /// Fade out now (within 20 ms). `heard` is what the user heard before the cut.
    Stop {
        heard: String,
    },
    /// Ask the reasoner. `interrupted` carries what the user heard of our last reply when they
    /// cut in; `speculative` requests start before the turn ends, on a stable partial.
    Request {
        id: u64,
        text: String,
        speculative: bool,
        interrupted: Option<String>,
    },
    CancelRequest {
        id: u64,
    },
    /// The speculative request `id` answered what the final transcript `text` says: its
    /// answer stands and the request is over.
    FinishRequest {
        id: u64,
        text: String,
    },
    /// The user's turn is ours to answer. What told us it was for us, where the loop had it:
    /// the floor model's addressee probability over the turn's speech and the text model's on
    /// its words (for the log, and for choosing how they are weighed).
    TurnTaken {
        by_ear: Option<f32>,
        by_words: Option<f32>,
    },
    /// The user's words were not for us (another person, background speech).
    NotAddressed {
        text: String,
        reason: NotAddressedReason,
    },
}
