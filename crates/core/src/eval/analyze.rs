//! Reading the assistant's channel: where it speaks (Silero VAD fused with the WebRTC gate) and
//! what it says (Whisper tiny.en on each speech segment, words timed within the segment).

use super::{EvalError, ms_to_samples, samples_to_ms};
use crate::models::asr::{FULL_WINDOW_FRAMES, Whisper};
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

    /// Gives the Whisper model back (to reuse it with another VAD, on another thread).
    pub fn into_whisper(self) -> Whisper {
        self.whisper
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
        let mut segments = self.speech_segments(samples)?;
        // Silero starts a little late and ends late: look 100 ms either side (not into a
        // neighbour), then keep only the span that carries energy.
        let total_ms = samples_to_ms(samples.len());
        for i in 0..segments.len() {
            let lo = if i == 0 { 0 } else { segments[i - 1].end_ms };
            let hi = segments.get(i + 1).map_or(total_ms, |n| n.start_ms);
            let seg = &mut segments[i];
            seg.start_ms = seg.start_ms.saturating_sub(SEARCH_MS).max(lo);
            seg.end_ms = (seg.end_ms + SEARCH_MS).min(hi).max(seg.start_ms);
            tighten(seg, samples);
        }
        let mut words = Vec::new();
        for (i, seg) in segments.iter().enumerate() {
            let a = ms_to_samples(seg.start_ms).min(samples.len());
            let b = ms_to_samples(seg.end_ms).min(samples.len());
            if b <= a {
                continue;
            }
            let audio = &samples[a..b];
            // The loop's window for it; segments longer than 30 s take full windows.
            let needed = audio.len().div_ceil(160);
            let transcript = if needed <= FULL_WINDOW_FRAMES {
                self.whisper.transcribe_window(
                    audio,
                    Whisper::window_frames(audio.len()),
                    &|| true,
                )?
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

/// How far beyond a VAD segment its speech may really start or end.
const SEARCH_MS: u64 = 100;

/// Frames quieter than this, relative to the loudest frame of a segment, are not speech.
const TIGHTEN_FLOOR_DB: f32 = -40.0;

/// Narrows a VAD segment to the span whose 10 ms frames carry energy (within
/// [`TIGHTEN_FLOOR_DB`] of its loudest): the VAD's padding and its lag at the end of speech
/// would otherwise add tens of milliseconds to stop and response latencies. Never widens.
pub fn tighten(seg: &mut SpeechSegment, samples: &[f32]) {
    const FRAME: usize = 160;
    let a = ms_to_samples(seg.start_ms).min(samples.len());
    let b = ms_to_samples(seg.end_ms).min(samples.len());
    let energies: Vec<f32> = samples[a..b]
        .chunks(FRAME)
        .map(|c| c.iter().map(|x| x * x).sum::<f32>() / c.len() as f32)
        .collect();
    let max = energies.iter().copied().fold(0.0f32, f32::max);
    if max <= 1e-12 {
        return;
    }
    let floor = max * 10f32.powf(TIGHTEN_FLOOR_DB / 10.0);
    let (Some(first), Some(last)) = (
        energies.iter().position(|&e| e >= floor),
        energies.iter().rposition(|&e| e >= floor),
    ) else {
        return;
    };
    let start = seg.start_ms + (first * 10) as u64;
    let end = (seg.start_ms + ((last + 1) * 10) as u64).min(seg.end_ms);
    if start < end {
        seg.start_ms = start;
        seg.end_ms = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tighten_trims_padding_to_the_energy() {
        let mut x = vec![0.0f32; 16_000];
        for (i, v) in x[4_800..9_600].iter_mut().enumerate() {
            *v = 0.3 * (i as f32 * 0.07).sin();
        }
        let mut seg = SpeechSegment {
            start_ms: 200,
            end_ms: 700,
        };
        tighten(&mut seg, &x);
        assert_eq!((seg.start_ms, seg.end_ms), (300, 600));
        let mut silent = SpeechSegment {
            start_ms: 0,
            end_ms: 100,
        };
        tighten(&mut silent, &x);
        assert_eq!((silent.start_ms, silent.end_ms), (0, 100));
    }
}
