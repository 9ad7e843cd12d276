//! `tandem aec`: the engine's echo canceller, offline, on recordings.
//!
//! `--far` is what the loudspeaker played, `--near` what the microphone recorded (echo plus,
//! maybe, someone talking), both on the same timeline; `--out` gets the microphone with the
//! echo removed, as a 16 kHz mono WAV of the same length as `--near`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use tandem_core::audio::aec::{self, AEC_RATE_HZ};
use tandem_core::audio::wav;

#[derive(Debug, clap::Args)]
pub struct AecArgs {
    /// What was played (the far end / loudspeaker signal), 16 kHz mono WAV.
    #[arg(long, value_name = "FAR.wav")]
    far: PathBuf,
    /// What the microphone recorded (echo + near-end speech), 16 kHz mono WAV.
    #[arg(long, value_name = "NEAR.wav")]
    near: PathBuf,
    /// Where to write the echo-cancelled microphone signal.
    #[arg(long, value_name = "OUT.wav")]
    out: PathBuf,
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
    let near = read(&args.near)?;
    if far.len() < near.len() {
        tracing::info!(
            far = far.len(),
            near = near.len(),
            "far end shorter than near end; padding with silence"
        );
    }
    let (out, m) = aec::cancel(&far, &near);
    wav::write_mono_i16(&args.out, &out, AEC_RATE_HZ)
        .with_context(|| format!("writing {}", args.out.display()))?;
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
            args.out.display(),
            out.len() as f64 / f64::from(AEC_RATE_HZ),
            summary.reduction_after_2s_db,
            summary.reduction_db,
            m.delay_ms
        );
    }
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
