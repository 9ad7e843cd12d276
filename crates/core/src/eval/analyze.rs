//! Reading the assistant's channel: where it speaks (Silero VAD fused with the WebRTC gate) and
//! what it says (Whisper tiny.en on each speech segment, words timed within the segment).

use super::{EvalError, ms_to_samples, samples_to_ms};
use crate::models::asr::{FULL_WINDOW_FRAMES, MIN_WINDOW_FRAMES, Whisper};
use crate::models::vad::{self, SegmentParams, SpeechSegment, StreamingVad};

/// A recognized output word, in milliseconds from the start of the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TimedWord {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Index of the speech segment (in [`OutputAnalysis::segments`]) it was heard in.
    pub segment: usize,
}

/// What the assistant's channel contains.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutputAnalysis {
    pub duration_ms: u64,
    /// System speech, as the VAD segments it (not merged).
    pub segments: Vec<SpeechSegment>,
    /// Every recognized word, in time order.
    pub words: Vec<TimedWord>,
}

impl OutputAnalysis {
    /// The transcript of the words starting at or after `from_ms`.
    pub fn text_from(&self, from_ms: u64) -> String {
        let words: Vec<&str> = self
            .words
            .iter()
            .filter(|w| w.start_ms >= from_ms)
            .map(|w| w.text.as_str())
            .collect();
        words.join(" ")
    }
}

/// The scoring models, loaded once and reused for every output file.
#[derive(Debug)]
pub struct Analyzer {
    vad: StreamingVad,
    whisper: Whisper,
    params: SegmentParams,
}

impl Analyzer {
    /// `vad` must be built on the thread that uses the analyzer (the WebRTC gate is not `Send`).
    pub fn new(vad: StreamingVad, whisper: Whisper) -> Analyzer {
        Analyzer {
            vad,
            whisper,
            params: SegmentParams::default(),
        }
    }

    /// Speech segments of 16 kHz audio.
    pub fn speech_segments(&mut self, samples: &[f32]) -> Result<Vec<SpeechSegment>, EvalError> {
        Ok(vad::detect_speech(
            &mut self.vad,
            samples,
            &self.params,
            |_| {},
        )?)
    }

    /// Segments and timed words of 16 kHz audio.
    pub fn analyze(&mut self, samples: &[f32]) -> Result<OutputAnalysis, EvalError> {
        let segments = self.speech_segments(samples)?;
        let mut words = Vec::new();
        for (i, seg) in segments.iter().enumerate() {
            let a = ms_to_samples(seg.start_ms).min(samples.len());
            let b = ms_to_samples(seg.end_ms).min(samples.len());
            if b <= a {
                continue;
            }
            let audio = &samples[a..b];
            // Windows of >= 15 s keep tiny.en from looping; longer segments take full windows.
            let needed = audio.len().div_ceil(160);
            let transcript = if needed <= FULL_WINDOW_FRAMES {
                self.whisper
                    .transcribe_window(audio, needed.max(MIN_WINDOW_FRAMES))?
            } else {
                self.whisper.transcribe(audio)?
            };
            words.extend(transcript.words.into_iter().map(|w| TimedWord {
                text: w.text,
                start_ms: seg.start_ms + u64::from(w.start_ms),
                end_ms: seg.start_ms + u64::from(w.end_ms),
                segment: i,
            }));
        }
        Ok(OutputAnalysis {
            duration_ms: samples_to_ms(samples.len()),
            segments,
            words,
        })
    }
}
