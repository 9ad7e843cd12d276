//! Short phrases synthesized once at startup so the interaction loop can say them with no
//! synthesis delay: backchannels ("mm-hm", "okay", "right", "yeah") and acknowledgements
//! ("one moment", "sure", "go ahead", "sorry, go on"). Each has a few variants (wording, pace,
//! pitch) and [`PhraseCache::next`] rotates through them so repeats do not sound canned.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{SynthOptions, Tts, TtsError, trim_silence};

/// The cached phrases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phrase {
    MmHm,
    Okay,
    Right,
    Yeah,
    OneMoment,
    Sure,
    GoAhead,
    SorryGoOn,
}

impl Phrase {
    pub const ALL: [Phrase; 8] = [
        Self::MmHm,
        Self::Okay,
        Self::Right,
        Self::Yeah,
        Self::OneMoment,
        Self::Sure,
        Self::GoAhead,
        Self::SorryGoOn,
    ];

    /// Backchannels are said while the user keeps the floor.
    pub fn is_backchannel(self) -> bool {
        matches!(self, Self::MmHm | Self::Okay | Self::Right | Self::Yeah)
    }

    /// (text, speed, pitch) of each variant.
    fn variants(self) -> &'static [(&'static str, f32, f32)] {
        match self {
            Self::MmHm => &[
                ("Mm-hm.", 1.0, 1.0),
                ("Mm-hmm.", 0.9, 0.96),
                ("Mhm.", 1.05, 1.04),
            ],
            Self::Okay => &[
                ("Okay.", 1.0, 1.0),
                ("Okay.", 1.1, 1.05),
                ("Okay!", 0.95, 0.97),
            ],
            Self::Right => &[
                ("Right.", 1.0, 1.0),
                ("Right.", 0.92, 0.96),
                ("Right!", 1.08, 1.04),
            ],
            Self::Yeah => &[
                ("Yeah.", 1.0, 1.0),
                ("Yeah.", 1.1, 0.97),
                ("Yeah!", 0.95, 1.04),
            ],
            Self::OneMoment => &[
                ("One moment.", 1.0, 1.0),
                ("Just a moment.", 1.0, 1.02),
                ("One moment, please.", 1.05, 0.98),
            ],
            Self::Sure => &[
                ("Sure.", 1.0, 1.0),
                ("Sure!", 1.05, 1.04),
                ("Sure thing.", 1.0, 0.98),
            ],
            Self::GoAhead => &[
                ("Go ahead.", 1.0, 1.0),
                ("Please, go ahead.", 1.0, 0.98),
                ("Go ahead!", 1.05, 1.03),
            ],
            Self::SorryGoOn => &[
                ("Sorry, go on.", 1.0, 1.0),
                ("Sorry, please go on.", 1.0, 0.98),
                ("Oh, sorry. Go on.", 1.05, 1.02),
            ],
        }
    }
}

/// One cached clip.
#[derive(Debug, Clone)]
pub struct Clip {
    pub text: &'static str,
    /// 24 kHz mono, silence trimmed to a few milliseconds at each end.
    pub samples: Arc<[f32]>,
}

/// Every phrase's variants, ready to play.
#[derive(Debug)]
pub struct PhraseCache {
    clips: HashMap<Phrase, Vec<Clip>>,
    turn: AtomicUsize,
}

/// Amplitude below which edge samples count as silence.
const EDGE_THRESHOLD: f32 = 0.01;
/// Kept around the voiced part: 5 ms.
const EDGE_MARGIN: usize = 120;

impl PhraseCache {
    /// Synthesizes all variants (a few hundred milliseconds of CPU once at startup).
    pub fn build(tts: &mut Tts) -> Result<Self, TtsError> {
        let t0 = std::time::Instant::now();
        let mut clips = HashMap::new();
        for (k, phrase) in Phrase::ALL.into_iter().enumerate() {
            let mut v = Vec::new();
            for (j, &(text, speed, pitch)) in phrase.variants().iter().enumerate() {
                let options = SynthOptions {
                    speed,
                    pitch,
                    seed: Some((k * 16 + j) as u64),
                };
                let audio = tts.synthesize(text, &options)?;
                let samples: Arc<[f32]> = trim_silence(&audio, EDGE_THRESHOLD, EDGE_MARGIN).into();
                v.push(Clip { text, samples });
            }
            clips.insert(phrase, v);
        }
        tracing::info!(ms = t0.elapsed().as_millis() as u64, "phrase cache built");
        Ok(Self {
            clips,
            turn: AtomicUsize::new(0),
        })
    }

    /// All variants of a phrase.
    pub fn variants(&self, phrase: Phrase) -> &[Clip] {
        self.clips.get(&phrase).map_or(&[], Vec::as_slice)
    }

    /// The next variant in rotation (cheap: an atomic increment and an `Arc` clone).
    pub fn next(&self, phrase: Phrase) -> Option<Clip> {
        let v = self.variants(phrase);
        if v.is_empty() {
            return None;
        }
        let i = self.turn.fetch_add(1, Ordering::Relaxed);
        Some(v[i % v.len()].clone())
    }
}
