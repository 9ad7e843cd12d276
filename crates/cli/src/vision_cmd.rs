//! `tandem vision IMAGE|DIR [--json]` and `tandem vision --camera [--device NAME]`: what the
//! camera stage makes of a picture (faces, presence, facing or turned away) or of the live camera.
//! With `--read`, the text in the picture instead (once, for the camera).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use tandem_core::config::Overrides;
use tandem_core::models::{Manifest, ModelCache, runtime};
use tandem_core::vision::camera::{self, CameraSettings, CameraSource};
use tandem_core::vision::source::FileSource;
use tandem_core::vision::{Analysis, Analyzer, Frame, Ocr, Reading, VisionError};

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
    /// Read the text in the image (PP-OCRv4) instead of looking for faces; with `--camera`,
    /// read one frame and stop.
    #[arg(long, visible_alias = "ocr")]
    read: bool,
    /// One JSON object per frame: the context, every face with its box, keypoints and pose
    /// (with `--read`: the text and every line with its box and confidence).
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
    if args.read {
        let ocr = Ocr::load(rt, &cache, &manifest, config.runtime.intra_threads)?;
        return read(ocr, files, &args, &config);
    }
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

    let settings = camera_settings(&args, &config);
    let Some(mut cam) = open_camera(&settings)? else {
        return Ok(ExitCode::from(EXIT_NO_DEVICE));
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

/// The configured (or named) camera at the asked frame rate.
fn camera_settings(args: &VisionArgs, config: &tandem_core::config::Config) -> CameraSettings {
    CameraSettings {
        device: config.camera.device.clone(),
        fps: args.fps.unwrap_or(config.camera.fps).clamp(1, 10),
        ..CameraSettings::default()
    }
}

/// Opens the camera; `None` after saying why when there is none (exit with
/// [`EXIT_NO_DEVICE`]).
fn open_camera(settings: &CameraSettings) -> anyhow::Result<Option<Box<dyn CameraSource>>> {
    match camera::open(settings) {
        Ok(c) => Ok(Some(c)),
        Err(e @ (VisionError::NoCamera(_) | VisionError::Camera { .. })) => {
            eprintln!("error: {e}");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// `--read`: the text in each image, or in one camera frame.
fn read(
    mut ocr: Ocr,
    files: Option<FileSource>,
    args: &VisionArgs,
    config: &tandem_core::config::Config,
) -> anyhow::Result<ExitCode> {
    let mut show = |label: Option<String>, frame: &Frame| -> anyhow::Result<()> {
        let t0 = Instant::now();
        let reading = ocr.read(frame)?;
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "file": label,
                    "width": frame.width,
                    "height": frame.height,
                    "compute_ms": ms,
                    "text": reading.text,
                    "lines": reading.lines,
                })
            );
        } else {
            if let Some(label) = label {
                println!("{label}:");
            }
            println!("{}", shown(&reading));
        }
        Ok(())
    };
    if let Some(mut files) = files {
        for path in files.paths().to_vec() {
            let frame = files
                .next_frame()?
                .context("the image source ended early")?;
            show(Some(path.display().to_string()), &frame)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(mut cam) = open_camera(&camera_settings(args, config))? else {
        return Ok(ExitCode::from(EXIT_NO_DEVICE));
    };
    eprintln!("Camera `{}`: reading one frame.", cam.name());
    let frame = cam.next_frame()?.context("the camera delivered no frame")?;
    show(None, &frame)?;
    Ok(ExitCode::SUCCESS)
}

fn shown(r: &Reading) -> String {
    if r.text.is_empty() {
        "(no text found)".to_owned()
    } else {
        r.text.clone()
    }
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
