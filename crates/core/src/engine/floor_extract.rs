//! Offline floor features: `tandem floor features` runs the live loop's own front end (echo
//! canceller, voice detector, smart-turn at pauses, [`FloorFeatures`]) over generated episodes
//! (`mic.wav`, `far.wav`, `episode.json`; see `scripts/floor/README.md`) and writes
//! `feats.f32` + `feats.json` beside them, the floor model's training input.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::floor_features::{
    FEATURE_VERSION, FRAME_MS, FRAME_SAMPLES, FloorFeatures, FrameContext, N_FEATURES,
    feature_names,
};
use super::listen::{History, VoiceTracker, samples_to_ms};
use crate::audio::aec;
use crate::audio::wav::{self, WavError};
use crate::interaction::Ms;
use crate::models::turn::{TurnDetector, TurnError, WINDOW_SAMPLES};
use crate::models::vad::{SAMPLE_RATE_HZ, StreamingVad, VadError};

/// smart-turn's answer reaches the loop this long after a pause is detected (its run time
/// on this machine, ~75 ms, plus a step).
const EOT_LATENCY_MS: Ms = 100;
/// Our voice counts as playing from an assistant event's start to its end (or, where the
/// episode's assistant held for a cut-in, `held_until_ms`) and this long after: the live
/// loop's player is busy through the gaps between sentences and while it holds, and drains
/// its trailing silence after the last word.
const PLAYING_HANGOVER_MS: Ms = 120;

#[derive(Debug, thiserror::Error)]
pub enum FloorDataError {
    #[error("{path}: {source}")]
    Wav {
        path: PathBuf,
        #[source]
        source: WavError,
    },
    #[error("{path}: {message}")]
    Episode { path: PathBuf, message: String },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Vad(#[from] VadError),
    #[error(transparent)]
    Turn(#[from] TurnError),
}

/// The front end, loaded once and reused for every episode.
pub struct FloorExtractor {
    vad: Option<StreamingVad>,
    turn: TurnDetector,
}

impl std::fmt::Debug for FloorExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloorExtractor").finish_non_exhaustive()
    }
}

impl FloorExtractor {
    pub fn new(vad: StreamingVad, turn: TurnDetector) -> Self {
        Self {
            vad: Some(vad),
            turn,
        }
    }

    /// Feature rows for one episode: `mic` as recorded, `far` as played (same timeline,
    /// 16 kHz), the user's usual level in dBFS, and the spans (ms) in which our voice counts
    /// as playing.
    pub fn rows(
        &mut self,
        mic: &[f32],
        far: &[f32],
        usual_db: f32,
        playing: &[(Ms, Ms)],
    ) -> Result<Vec<[f32; N_FEATURES]>, FloorDataError> {
        let (clean, _) = aec::cancel(far, mic);
        let vad = self.vad.take().expect("the extractor owns its detector");
        let mut tracker = VoiceTracker::new(vad)?;
        tracker.set_usual_db(usual_db);
        let result = self.rows_with(&mut tracker, &clean, playing);
        self.vad = Some(tracker.into_vad());
        result
    }

    fn rows_with(
        &mut self,
        tracker: &mut VoiceTracker,
        clean: &[f32],
        playing: &[(Ms, Ms)],
    ) -> Result<Vec<[f32; N_FEATURES]>, FloorDataError> {
        let mut history = History::default();
        let mut features = FloorFeatures::new();
        let mut rows = Vec::with_capacity(clean.len() / FRAME_SAMPLES + 1);
        // smart-turn answers waiting for their latency: (due, pause start, probability).
        let mut pending_eot: Option<(Ms, Ms, f32)> = None;
        for block in clean.chunks(FRAME_SAMPLES) {
            if block.len() < FRAME_SAMPLES {
                break;
            }
            history.push(block);
            tracker.push(block, &history)?;
            let now = samples_to_ms(history.end());
            if tracker.take_changes() && !tracker.speaking() {
                let a = tracker.activity();
                let end = a.last_end_ms.unwrap_or(now);
                let from = history.end().saturating_sub(WINDOW_SAMPLES as u64);
                let audio = history.slice(from, history.end());
                let p = self.turn.predict(&audio)?;
                pending_eot = Some((now + EOT_LATENCY_MS, end, p));
            }
            if let Some((due, start, p)) = pending_eot
                && now >= due
            {
                features.set_end_of_turn(start, p);
                pending_eot = None;
            }
            let own_playing = playing
                .iter()
                .any(|&(start, end)| start <= now && now <= end + PLAYING_HANGOVER_MS);
            let ctx = FrameContext::from_tracker(tracker, own_playing);
            features.push(block, || ctx, |r| rows.push(*r));
        }
        Ok(rows)
    }

    /// Extracts one episode directory and writes `feats.f32` and `feats.json` into it.
    /// Returns the number of rows.
    pub fn episode(&mut self, dir: &Path) -> Result<usize, FloorDataError> {
        let meta_path = dir.join("episode.json");
        let meta: serde_json::Value = std::fs::read_to_string(&meta_path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|message| FloorDataError::Episode {
                path: meta_path.clone(),
                message,
            })?;
        let usual_db = meta
            .get("user_level_dbfs")
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| FloorDataError::Episode {
                path: meta_path.clone(),
                message: "no number `user_level_dbfs`".into(),
            })? as f32;
        let read = |name: &str| {
            let path = dir.join(name);
            wav::read_mono(&path, SAMPLE_RATE_HZ)
                .map_err(|source| FloorDataError::Wav { path, source })
        };
        let mic = read("mic.wav")?;
        let far = read("far.wav")?;
        if far.len() != mic.len() {
            return Err(FloorDataError::Episode {
                path: dir.to_owned(),
                message: format!(
                    "far.wav has {} samples, mic.wav {}: they must share one timeline",
                    far.len(),
                    mic.len()
                ),
            });
        }
        let playing = assistant_spans(&meta).map_err(|message| FloorDataError::Episode {
            path: meta_path.clone(),
            message,
        })?;
        let rows = self.rows(&mic, &far, usual_db, &playing)?;
        write_rows(dir, &rows)?;
        Ok(rows.len())
    }
}

/// Where the episode's assistant counts as playing: each `assistant` event from its start to
/// the later of its end and `held_until_ms`.
fn assistant_spans(meta: &serde_json::Value) -> Result<Vec<(Ms, Ms)>, String> {
    let events = meta
        .get("events")
        .and_then(serde_json::Value::as_array)
        .ok_or("no list `events`")?;
    let ms = |e: &serde_json::Value, key: &str| e.get(key).and_then(serde_json::Value::as_u64);
    let mut spans = Vec::new();
    for e in events {
        if e.get("kind").and_then(serde_json::Value::as_str) != Some("assistant") {
            continue;
        }
        let (Some(start), Some(end)) = (ms(e, "start_ms"), ms(e, "end_ms")) else {
            return Err(format!(
                "an assistant event without whole `start_ms`/`end_ms`: {e}"
            ));
        };
        spans.push((start, end.max(ms(e, "held_until_ms").unwrap_or(0))));
    }
    Ok(spans)
}

fn write_rows(dir: &Path, rows: &[[f32; N_FEATURES]]) -> Result<(), FloorDataError> {
    let bin = dir.join("feats.f32");
    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| FloorDataError::Write { path, source }
    };
    let mut bytes = Vec::with_capacity(rows.len() * N_FEATURES * 4);
    for row in rows {
        for x in row {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
    }
    std::fs::write(&bin, &bytes).map_err(write_err(&bin))?;
    let meta = serde_json::json!({
        "frame_ms": FRAME_MS,
        "n_frames": rows.len(),
        "n_features": N_FEATURES,
        "names": feature_names(),
        "version": FEATURE_VERSION,
    });
    let json = dir.join("feats.json");
    let mut f = std::fs::File::create(&json).map_err(write_err(&json))?;
    writeln!(f, "{meta}").map_err(write_err(&json))?;
    Ok(())
}
