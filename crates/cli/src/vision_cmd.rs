//! `tandem vision IMAGE|DIR [--json]` and `tandem vision --camera [--device NAME]`: what the
//! camera stage makes of a picture (faces, presence, facing or turned away) or of the live camera.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use tandem_core::config::Overrides;
use tandem_core::models::{Manifest, ModelCache, runtime};
use tandem_core::vision::camera::{self, CameraSettings, CameraSource};
use tandem_core::vision::source::FileSource;
use tandem_core::vision::{Analysis, Analyzer, VisionError};

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Args)]
pub struct VisionArgs {
    /// A PNG or JPEG image, or a directory of them.
    #[arg(
        value_name = "IMAGE",
        required_unless_present = "camera",
        conflicts_with = "camera"
    )]
    image: Option<PathBuf>,
    /// Analyze the live camera instead, printing the context a few times per second.
    #[arg(long)]
    camera: bool,
    /// Camera by name (`tandem doctor` lists them); default: the configured one, else the first.
    #[arg(long, value_name = "NAME", requires = "camera")]
    device: Option<String>,
    /// Frames per second from the camera (default: camera.fps in the config, 4).
    #[arg(long, value_name = "N", requires = "camera")]
    fps: Option<u32>,
    /// Stop the live view after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "S", requires = "camera")]
    seconds: Option<f64>,
    /// One JSON object per frame: the context, every face with its box, keypoints and pose.
    #[arg(long)]
    json: bool,
}

/// Exit code for "no camera", as `tandem run` uses for "no audio device".
const EXIT_NO_DEVICE: u8 = 3;

pub fn run(global: &GlobalArgs, args: VisionArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(
        global,
        Overrides {
            camera_device: args.device.clone(),
            ..Default::default()
        },
    )?;
    // The input first: a missing file should fail before the model loads.
    let mut files = match &args.image {
        Some(path) => Some(FileSource::open(path, 0)?),
        None => None,
    };
    let cache = ModelCache::locate(&config)?;
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)
        .context("starting ONNX Runtime")?;
    let mut analyzer = Analyzer::load(rt, &cache, &manifest, config.runtime.intra_threads)?;

    if let Some(files) = files.as_mut() {
        let paths = files.paths().to_vec();
        for path in paths {
            let frame = files
                .next_frame()?
                .context("the image source ended early")?;
            let t0 = Instant::now();
            let analysis = analyzer.analyze(&frame)?;
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "file": path,
                        "width": frame.width,
                        "height": frame.height,
                        "compute_ms": ms,
                        "context": analysis.context,
                        "faces": analysis.faces,
                        "best_score": analysis.best_score,
                    })
                );
            } else {
                println!("{}: {}", path.display(), describe(&analysis));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    let settings = CameraSettings {
        device: config.camera.device.clone(),
        fps: args.fps.unwrap_or(config.camera.fps).clamp(1, 10),
        ..CameraSettings::default()
    };
    let mut cam = match camera::open(&settings) {
        Ok(c) => c,
        Err(e @ (VisionError::NoCamera(_) | VisionError::Camera { .. })) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_NO_DEVICE));
        }
        Err(e) => return Err(e.into()),
    };
    eprintln!(
        "Camera `{}` at {} fps; Ctrl-C stops.",
        cam.name(),
        settings.fps
    );
    let start = Instant::now();
    while let Some(frame) = cam.next_frame()? {
        let analysis = analyzer.analyze(&frame)?;
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "context": analysis.context,
                    "faces": analysis.faces,
                    "best_score": analysis.best_score,
                })
            );
        } else {
            println!(
                "{:7.2}s  {}",
                frame.t_ms as f64 / 1000.0,
                describe(&analysis)
            );
        }
        if args
            .seconds
            .is_some_and(|s| start.elapsed().as_secs_f64() >= s)
        {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(a: &Analysis) -> String {
    let mut line = a.context.summary();
    if !a.context.present && a.best_score >= tandem_core::vision::face::CANDIDATE_SCORE {
        line.push_str(&format!(
            " (a face-like candidate scored {:.2}, below {:.2})",
            a.best_score,
            tandem_core::vision::face::MIN_FACE_SCORE
        ));
    }
    line
}
