//! `tandem aec`: the engine's echo canceller, offline, on recordings.
//!
//! `--far` is what the loudspeaker played, `--near` what the microphone recorded (echo plus,
//! maybe, someone talking), both on the same timeline; `--out` gets the microphone with the
//! echo removed, as a 16 kHz mono WAV of the same length as `--near`.
//!
//! `--rooms USER.wav` scores the canceller instead on the committed set of simulated rooms
//! (`sim::room`): `--far` echoes through each room while `USER.wav` talks over it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use tandem_core::audio::aec::{self, AEC_RATE_HZ};
use tandem_core::audio::wav;
use tandem_core::sim::room;

#[derive(Debug, clap::Args)]
pub struct AecArgs {
    /// What was played (the far end / loudspeaker signal), 16 kHz mono WAV.
    #[arg(long, value_name = "FAR.wav")]
    far: PathBuf,
    /// What the microphone recorded (echo + near-end speech), 16 kHz mono WAV.
    #[arg(long, value_name = "NEAR.wav", required_unless_present = "rooms")]
    near: Option<PathBuf>,
    /// Where to write the echo-cancelled microphone signal.
    #[arg(long, value_name = "OUT.wav", required_unless_present = "rooms")]
    out: Option<PathBuf>,
    /// Score the canceller on the simulated room set instead: the far end echoes through each
    /// room (RT60 0.2-0.6 s, 10-120 ms, echo -6..+6 dB against the user) while this
    /// recording of a user talks over it from 12 s on.
    #[arg(long, value_name = "USER.wav", conflicts_with_all = ["near", "out"])]
    rooms: Option<PathBuf>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, serde::Serialize)]
struct Summary {
    samples: usize,
    sample_rate_hz: u32,
    /// Power removed over the whole file, dB (input over output).
    reduction_db: f64,
    /// Power removed after the first 2 s (convergence), dB.
    reduction_after_2s_db: f64,
    /// AEC3's own estimates at the end.
    aec3_erle_db: f64,
    aec3_erl_db: f64,
    aec3_delay_ms: i32,
}

pub fn run(_global: &crate::GlobalArgs, args: AecArgs) -> anyhow::Result<ExitCode> {
    let far = read(&args.far)?;
    if let Some(user) = &args.rooms {
        return rooms(&far, &read(user)?, args.json);
    }
    let (Some(near_path), Some(out_path)) = (&args.near, &args.out) else {
        anyhow::bail!("--near and --out are needed (or --rooms USER.wav)");
    };
    let near = read(near_path)?;
    if far.len() < near.len() {
        tracing::info!(
            far = far.len(),
            near = near.len(),
            "far end shorter than near end; padding with silence"
        );
    }
    let (out, m) = aec::cancel(&far, &near);
    wav::write_mono_i16(out_path, &out, AEC_RATE_HZ)
        .with_context(|| format!("writing {}", out_path.display()))?;
    let skip = (2 * AEC_RATE_HZ as usize).min(near.len());
    let summary = Summary {
        samples: out.len(),
        sample_rate_hz: AEC_RATE_HZ,
        reduction_db: aec::erle_db(&near, &out),
        reduction_after_2s_db: aec::erle_db(&near[skip..], &out[skip..]),
        aec3_erle_db: m.erle_db,
        aec3_erl_db: m.erl_db,
        aec3_delay_ms: m.delay_ms,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        eprintln!(
            "wrote {} ({:.2} s): echo reduced by {:.1} dB after 2 s ({:.1} dB overall); AEC3 delay estimate {} ms",
            out_path.display(),
            out.len() as f64 / f64::from(AEC_RATE_HZ),
            summary.reduction_after_2s_db,
            summary.reduction_db,
            m.delay_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Scores every room of the set; prints a table (or JSON) and the worst values.
fn rooms(far: &[f32], user: &[f32], json: bool) -> anyhow::Result<ExitCode> {
    if far.len() < AEC_RATE_HZ as usize || user.len() < AEC_RATE_HZ as usize / 2 {
        anyhow::bail!("--far needs at least 1 s and USER.wav at least 0.5 s of speech");
    }
    let rooms = room::room_set();
    let scores: Vec<room::RoomScore> = rooms
        .iter()
        .map(|r| room::score(r, far, user, aec::EchoCanceller::new()))
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&scores)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", room::RoomScore::HEADER);
    for s in &scores {
        println!("{s}");
    }
    let min = |f: fn(&room::RoomScore) -> f64| scores.iter().map(f).fold(f64::MAX, f64::min);
    println!(
        "worst of {} rooms: ERLE {:.1} dB, after double talk {:.1} dB, near end kept {:.3}",
        scores.len(),
        min(|s| s.erle_db),
        min(|s| s.erle_after_double_talk_db),
        min(|s| s.near_corr)
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads a WAV as 16 kHz mono; other rates and channel counts are converted, with a note.
fn read(path: &std::path::Path) -> anyhow::Result<Vec<f32>> {
    let info = wav::read_info(path)?;
    if info.sample_rate_hz != AEC_RATE_HZ || info.channels != 1 {
        eprintln!(
            "note: {} is {} Hz, {} channel(s); converting to 16 kHz mono",
            path.display(),
            info.sample_rate_hz,
            info.channels
        );
    }
    Ok(wav::read_mono(path, AEC_RATE_HZ)?)
}
