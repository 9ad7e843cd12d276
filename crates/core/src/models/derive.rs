//! Artifacts we derive at fetch time: Whisper tiny.en converted from CTranslate2 weights to ONNX
//! (fp32 and int8) by `models/convert_whisper.py`, run in a private virtual environment with the
//! pinned packages of `models/requirements-convert.txt` (no PyTorch). The outputs are recorded in
//! the cache with their own hashes and the hashes of their inputs, so a changed input or a
//! damaged output triggers a new conversion.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::cache::{ModelCache, io_err};
use super::fetch::{FetchError, Progress};
use super::manifest::Manifest;

const SCRIPT: &str = include_str!("../../../../models/convert_whisper.py");
const REQUIREMENTS: &str = include_str!("../../../../models/requirements-convert.txt");

/// Inputs (manifest artifacts) of the Whisper conversion.
pub const WHISPER_INPUTS: [&str; 3] = [
    "whisper-tiny.en-ct2/model.bin",
    "whisper-tiny.en-ct2/config.json",
    "whisper-tiny.en-ct2/tokenizer.json",
];
/// Outputs, as cache file names.
pub const WHISPER_ENCODER_INT8: &str = "whisper/whisper-encoder.int8.onnx";
pub const WHISPER_DECODER_INT8: &str = "whisper/whisper-decoder.int8.onnx";
pub const WHISPER_ENCODER_FP32: &str = "whisper/whisper-encoder.onnx";
pub const WHISPER_DECODER_FP32: &str = "whisper/whisper-decoder.onnx";
pub const WHISPER_TOKENIZER: &str = "whisper/whisper-tokenizer.json";
pub const WHISPER_OUTPUTS: [&str; 5] = [
    WHISPER_ENCODER_INT8,
    WHISPER_DECODER_INT8,
    WHISPER_ENCODER_FP32,
    WHISPER_DECODER_FP32,
    WHISPER_TOKENIZER,
];

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The converter's identity: script and requirements hashes, and the int8 mode.
fn tool_id() -> String {
    format!(
        "convert_whisper.py {} (requirements {}, int8 per-channel)",
        &sha_hex(SCRIPT.as_bytes())[..12],
        &sha_hex(REQUIREMENTS.as_bytes())[..12]
    )
}

/// Whether the recorded conversion is current and every output verifies.
pub fn whisper_is_current(cache: &ModelCache, manifest: &Manifest) -> Result<bool, FetchError> {
    let derived = cache.derived()?;
    let tool = tool_id();
    for out in WHISPER_OUTPUTS {
        let Some(d) = derived.get(out) else {
            return Ok(false);
        };
        let inputs_match = WHISPER_INPUTS.iter().all(|i| {
            manifest
                .artifact(i)
                .is_some_and(|a| d.inputs.get(*i) == Some(&a.sha256))
        });
        if d.tool != tool || !inputs_match || !cache.check(out, d.size, &d.sha256)?.is_ok() {
            return Ok(false);
        }
    }
    Ok(true)
}

fn run(cmd: &mut Command, what: &str) -> Result<(), FetchError> {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| FetchError::Convert(format!("{what}: cannot start: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    let tail: Vec<&str> = text.lines().rev().take(10).collect();
    Err(FetchError::Convert(format!(
        "{what} failed ({}):\n{}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    )))
}

/// A virtual environment with the pinned conversion packages, reused while the pins hold.
fn ensure_venv(
    cache: &ModelCache,
    progress: &dyn Progress,
) -> Result<std::path::PathBuf, FetchError> {
    let venv = cache.dir().join(".venv-convert");
    let python = venv.join("bin").join("python3");
    let stamp = venv.join(".tandem-requirements");
    let want = sha_hex(REQUIREMENTS.as_bytes());
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == want) {
        return Ok(python);
    }
    progress.step("preparing the Whisper converter (numpy, onnx, onnxruntime in a private venv)");
    if venv.exists() {
        std::fs::remove_dir_all(&venv).map_err(io_err(&venv))?;
    }
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv (install python3-venv)",
    )?;
    let req = venv.join("requirements-convert.txt");
    std::fs::write(&req, REQUIREMENTS).map_err(io_err(&req))?;
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--only-binary=:all:",
                "-r",
            ])
            .arg(&req),
        "installing the converter's Python packages with pip",
    )?;
    std::fs::write(&stamp, &want).map_err(io_err(&stamp))?;
    Ok(python)
}

/// Converts Whisper if the recorded conversion is missing, stale or damaged. Returns the files
/// it (re)wrote.
pub fn ensure_whisper(
    cache: &ModelCache,
    manifest: &Manifest,
    progress: &dyn Progress,
) -> Result<Vec<String>, FetchError> {
    if whisper_is_current(cache, manifest)? {
        return Ok(Vec::new());
    }
    for i in WHISPER_INPUTS {
        cache.verified_path(manifest, i)?;
    }
    let python = ensure_venv(cache, progress)?;
    progress.step("converting Whisper tiny.en to ONNX (fp32 + int8)");
    let work = tempfile::Builder::new()
        .prefix(".convert-")
        .tempdir_in(cache.dir())
        .map_err(io_err(cache.dir()))?;
    let script = work.path().join("convert_whisper.py");
    std::fs::write(&script, SCRIPT).map_err(io_err(&script))?;
    let model_dir = cache.path("whisper-tiny.en-ct2");
    let out_dir = cache.path("whisper");
    run(
        Command::new(&python)
            .arg(&script)
            .arg("--model-dir")
            .arg(&model_dir)
            .arg("--out")
            .arg(&out_dir)
            .args(["--per-channel", "-q"]),
        "the Whisper conversion",
    )?;
    let inputs: BTreeMap<String, String> = WHISPER_INPUTS
        .iter()
        .filter_map(|i| {
            manifest
                .artifact(i)
                .map(|a| ((*i).to_owned(), a.sha256.clone()))
        })
        .collect();
    let tool = tool_id();
    for out in WHISPER_OUTPUTS {
        if !Path::new(&cache.path(out)).exists() {
            return Err(FetchError::Convert(format!(
                "the converter did not write {out}"
            )));
        }
        cache.record_derived(out, &tool, inputs.clone())?;
    }
    Ok(WHISPER_OUTPUTS.iter().map(|s| (*s).to_owned()).collect())
}
