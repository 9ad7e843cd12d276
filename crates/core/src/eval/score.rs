//! Scoring one scenario: the Full-Duplex-Bench v1/v1.5 rules applied to the analysis of the
//! assistant's channel. Pure functions; the models live in [`super::analyze`].

use std::collections::HashSet;

use super::analyze::{OutputAnalysis, TimedWord};
use super::events::Event;
use super::meta::{Category, Expect, Role, ScenarioMeta, Window};
use crate::models::vad::SpeechSegment;

/// Words spanning less than this ...
pub const BACKCHANNEL_MAX_SPAN_MS: u64 = 1000;
/// ... and no more words than this are a backchannel, not a take-over.
pub const BACKCHANNEL_MAX_WORDS: usize = 3;
/// System speech segments closer than this are one turn (v1.5).
pub const SYSTEM_MERGE_GAP_MS: u64 = 500;
/// After a user backchannel the assistant counts as continuing if it speaks within
/// `[end + CONTINUE_FROM_MS, end + CONTINUE_TO_MS]`.
pub const CONTINUE_FROM_MS: u64 = 500;
pub const CONTINUE_TO_MS: u64 = 2000;

/// Where the course-correction answer was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// In the ASR transcript of the output channel.
    Asr,
    /// In the events file (what the assistant meant to say), not in the ASR transcript.
    Events,
}

/// The result for one scenario. Which fields are set depends on the category.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioScore {
    pub id: String,
    pub category: Option<Category>,
    /// Take-over of the scored span: 1 if the assistant took the turn there (pauses, turn end,
    /// response after an interruption, talking to others, background speech).
    pub take_over: Option<u8>,
    /// Turn-taking and course correction: first word after the turn end (take-overs only).
    /// Interruption: interruption end -> start of the next system segment.
    pub latency_ms: Option<u64>,
    /// Pause handling: take-over by system speech that starts anywhere from the pause to the
    /// end of the user's turn (a slow system that answers the pause only after the user has
    /// resumed talks over them, yet scores 0 in the pause window itself).
    pub take_over_before_end: Option<u8>,
    /// Interruption, when the events file exists: an answer started after the cut-in began.
    pub answered_cut_in: Option<bool>,
    /// Interruption: how long the assistant kept talking after the user cut in.
    pub stop_latency_ms: Option<u64>,
    /// Interruption and backchannel: the assistant was not speaking when the user started.
    pub not_speaking: bool,
    /// Backchannel: the assistant kept talking through it.
    pub continued: Option<bool>,
    /// Course correction: the answer used the corrected value, not the rejected one.
    pub correct: Option<bool>,
    pub correct_source: Option<AnswerSource>,
    /// The words the take-over was computed on.
    pub scored_text: String,
    /// Everything the assistant said, as ASR heard it.
    pub transcript: String,
}

/// Take-over of a set of words: none -> 0; a short burst (< 1 s, <= 3 words) -> 0; else 1.
pub fn take_over<'a>(words: impl IntoIterator<Item = &'a TimedWord>) -> u8 {
    let words: Vec<&TimedWord> = words.into_iter().collect();
    let (Some(first), Some(last)) = (
        words.iter().map(|w| w.start_ms).min(),
        words.iter().map(|w| w.end_ms).max(),
    ) else {
        return 0;
    };
    let span = last.saturating_sub(first);
    if span < BACKCHANNEL_MAX_SPAN_MS && words.len() <= BACKCHANNEL_MAX_WORDS {
        0
    } else {
        1
    }
}

/// Merges segments whose gap is at most `max_gap_ms`; returns the merged spans and, for each
/// input segment, the index of its merged span.
pub fn merge_segments(segments: &[SpeechSegment], max_gap_ms: u64) -> (Vec<Window>, Vec<usize>) {
    let mut merged: Vec<Window> = Vec::new();
    let mut owner = Vec::with_capacity(segments.len());
    for s in segments {
        match merged.last_mut() {
            Some(m) if s.start_ms <= m.end_ms + max_gap_ms => m.end_ms = m.end_ms.max(s.end_ms),
            _ => merged.push(Window::new(s.start_ms, s.end_ms)),
        }
        owner.push(merged.len() - 1);
    }
    (merged, owner)
}

/// The median, the 90th or 95th percentile... (linear interpolation; `q` in 0..=1).
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

fn join(words: &[&TimedWord]) -> String {
    let w: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    w.join(" ")
}

fn words_from(out: &OutputAnalysis, from_ms: u64) -> Vec<&TimedWord> {
    out.words.iter().filter(|w| w.start_ms >= from_ms).collect()
}

/// Scores the assistant's channel against the scenario. `events` (from `--events`) only adds a
/// second place to find the course-correction answer.
pub fn score(meta: &ScenarioMeta, out: &OutputAnalysis, events: Option<&[Event]>) -> ScenarioScore {
    let mut s = ScenarioScore {
        id: meta.id.clone(),
        category: Some(meta.category),
        transcript: out.text_from(0),
        ..ScenarioScore::default()
    };
    match &meta.expect {
        Expect::PauseHandling { pauses } => {
            let mut tor = 0;
            let mut scored = Vec::new();
            for p in pauses {
                let words: Vec<&TimedWord> = out
                    .words
                    .iter()
                    .filter(|w| p.contains(w.start_ms))
                    .collect();
                tor = tor.max(take_over(words.iter().copied()));
                scored.extend(words);
            }
            s.take_over = Some(tor);
            s.scored_text = join(&scored);
            if let Some(first) = pauses.iter().map(|p| p.start_ms).min() {
                let user_end = meta
                    .segments
                    .iter()
                    .filter(|g| g.role == Role::User)
                    .map(|g| g.end_ms)
                    .max()
                    .unwrap_or(first);
                let words = words_of_segments_starting_in(out, Window::new(first, user_end));
                s.take_over_before_end = Some(take_over(words));
            }
        }
        Expect::TurnTaking { turn_end_ms } => score_turn(&mut s, out, *turn_end_ms),
        Expect::CourseCorrection {
            turn_end_ms,
            expected,
            rejected,
        } => {
            score_turn(&mut s, out, *turn_end_ms);
            let (correct, source) = correctness(out, events, *turn_end_ms, expected, rejected);
            s.correct = Some(correct);
            s.correct_source = source;
        }
        Expect::TalkingToOthers { onset_ms } | Expect::BackgroundSpeech { onset_ms } => {
            let words = words_from(out, *onset_ms);
            s.take_over = Some(take_over(words.iter().copied()));
            s.scored_text = join(&words);
        }
        Expect::UserInterruption { interruption, .. } => {
            score_interruption(&mut s, out, *interruption);
            s.answered_cut_in = events.map(|ev| {
                ev.iter().any(|e| {
                    e.kind == "speak_start"
                        && e.str("speech") == Some("answer")
                        && e.t_ms >= interruption.start_ms
                })
            });
        }
        Expect::UserBackchannel { backchannel, .. } => score_backchannel(&mut s, out, *backchannel),
    }
    s
}

fn score_turn(s: &mut ScenarioScore, out: &OutputAnalysis, turn_end_ms: u64) {
    let words = words_from(out, turn_end_ms);
    let tor = take_over(words.iter().copied());
    s.take_over = Some(tor);
    if tor == 1 {
        s.latency_ms = words
            .iter()
            .map(|w| w.start_ms.saturating_sub(turn_end_ms))
            .min();
    }
    s.scored_text = join(&words);
}

/// The words of the merged system segments that start inside `w`.
fn words_of_segments_starting_in(out: &OutputAnalysis, w: Window) -> Vec<&TimedWord> {
    let (merged, owner) = merge_segments(&out.segments, SYSTEM_MERGE_GAP_MS);
    out.words
        .iter()
        .filter(|word| {
            owner
                .get(word.segment)
                .is_some_and(|&m| w.contains(merged[m].start_ms))
        })
        .collect()
}

/// The merged system segment that is speaking at `t_ms`.
fn speaking_at(merged: &[Window], t_ms: u64) -> Option<Window> {
    merged.iter().copied().find(|m| m.contains(t_ms))
}

fn score_interruption(s: &mut ScenarioScore, out: &OutputAnalysis, cut_in: Window) {
    let (merged, owner) = merge_segments(&out.segments, SYSTEM_MERGE_GAP_MS);
    match speaking_at(&merged, cut_in.start_ms) {
        Some(m) => s.stop_latency_ms = Some(m.end_ms - cut_in.start_ms),
        None => s.not_speaking = true,
    }
    // The response: system speech that starts after the interruption ends.
    let after: HashSet<usize> = merged
        .iter()
        .enumerate()
        .filter(|(_, m)| m.start_ms >= cut_in.end_ms)
        .map(|(i, _)| i)
        .collect();
    let words: Vec<&TimedWord> = out
        .words
        .iter()
        .filter(|w| owner.get(w.segment).is_some_and(|m| after.contains(m)))
        .collect();
    s.take_over = Some(take_over(words.iter().copied()));
    s.scored_text = join(&words);
    s.latency_ms = merged
        .iter()
        .find(|m| m.start_ms >= cut_in.end_ms)
        .map(|m| m.start_ms - cut_in.end_ms);
}

fn score_backchannel(s: &mut ScenarioScore, out: &OutputAnalysis, bc: Window) {
    let (merged, _) = merge_segments(&out.segments, SYSTEM_MERGE_GAP_MS);
    let Some(around) = speaking_at(&merged, bc.start_ms) else {
        s.not_speaking = true;
        return;
    };
    let probe = Window::new(bc.end_ms + CONTINUE_FROM_MS, bc.end_ms + CONTINUE_TO_MS);
    let speaks_after = out
        .segments
        .iter()
        .any(|seg| seg.start_ms < probe.end_ms && seg.end_ms > probe.start_ms);
    s.continued = Some(speaks_after && around.end_ms > bc.end_ms);
    let words: Vec<&TimedWord> = out
        .words
        .iter()
        .filter(|w| probe.contains(w.start_ms))
        .collect();
    s.scored_text = join(&words);
}

/// Whether any of `values` occurs in `text` as whole words.
pub fn mentions(text: &str, values: &[String]) -> bool {
    values.iter().any(|v| crate::text::contains_words(text, v))
}

/// What the events say the assistant said (or was going to say as its answer).
fn event_texts(events: &[Event]) -> String {
    let speculative: HashSet<String> = events
        .iter()
        .filter(|e| e.kind == "reasoning_request")
        .filter(|e| e.fields.get("speculative").and_then(|v| v.as_bool()) == Some(true))
        .filter_map(|e| e.fields.get("id").map(|v| v.to_string()))
        .collect();
    let texts: Vec<&str> = events
        .iter()
        .filter(|e| match e.kind.as_str() {
            "speak_start" => true,
            "reasoning_result" => !e
                .fields
                .get("id")
                .is_some_and(|id| speculative.contains(&id.to_string())),
            _ => false,
        })
        .filter_map(|e| e.str("text"))
        .collect();
    texts.join(" ")
}

fn correctness(
    out: &OutputAnalysis,
    events: Option<&[Event]>,
    turn_end_ms: u64,
    expected: &[String],
    rejected: &[String],
) -> (bool, Option<AnswerSource>) {
    let heard = out.text_from(turn_end_ms);
    if mentions(&heard, expected) {
        return (!mentions(&heard, rejected), Some(AnswerSource::Asr));
    }
    if let Some(events) = events {
        let said = event_texts(events);
        if mentions(&said, expected) {
            return (!mentions(&said, rejected), Some(AnswerSource::Events));
        }
    }
    (false, None)
}

#[cfg(test)]
#[path = "score_tests.rs"]
mod tests;
