//! Artifacts we derive at fetch time: Whisper tiny.en converted from CTranslate2 weights to ONNX
//! (fp32 and int8) by `models/convert_whisper.py`, and the Resemblyzer voice encoder converted
//! from its PyTorch checkpoint to ONNX by `models/convert_voice_encoder.py`, and the MiniLM
//! sentence encoder converted from its safetensors weights by `models/convert_text_encoder.py`
//! (none needs PyTorch).
//!
//! The converter runs in a private virtual environment installed from a fully locked, hashed
//! requirements file (`models/requirements-convert.txt`: every package and every dependency,
//! `pip install --require-hashes --only-binary=:all: --no-deps`), isolated from the caller's
//! directory and environment like the downloads. It writes into a private directory; each
//! output is checked against its sha256 pinned in the manifest (`[[derived]]`) and only when
//! all of them match are they moved into the cache. A mismatch names the file and installs
//! nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::cache::{ModelCache, hash_file, io_err};
use super::fetch::{FetchError, PIP_LOCKED, PackageIndex, Progress, absolute, tail};
use super::isolate;
use super::manifest::Manifest;

const WHISPER_SCRIPT: &str = include_str!("../../../../models/convert_whisper.py");
const VOICE_SCRIPT: &str = include_str!("../../../../models/convert_voice_encoder.py");
const TEXT_SCRIPT: &str = include_str!("../../../../models/convert_text_encoder.py");
/// The int8 quantization the Whisper and text encoder converters share, written beside each.
const QUANTIZE_MODULE: (&str, &str) = (
    "onnx_quantize.py",
    include_str!("../../../../models/onnx_quantize.py"),
);
/// The converter's packages, locked: `name==version --hash=sha256:...` for every one.
pub const REQUIREMENTS: &str = include_str!("../../../../models/requirements-convert.txt");

/// Inputs (manifest artifacts) of the Whisper conversion.
pub const WHISPER_INPUTS: [&str; 3] = [
    "whisper-tiny.en-ct2/model.bin",
    "whisper-tiny.en-ct2/config.json",
    "whisper-tiny.en-ct2/tokenizer.json",
];
/// Outputs, as cache file names (each pinned in the manifest's `[[derived]]`).
pub const WHISPER_ENCODER_INT8: &str = "whisper/whisper-encoder.int8.onnx";
pub const WHISPER_DECODER_INT8: &str = "whisper/whisper-decoder.int8.onnx";
pub const WHISPER_ENCODER_FP32: &str = "whisper/whisper-encoder.onnx";
pub const WHISPER_DECODER_FP32: &str = "whisper/whisper-decoder.onnx";
pub const WHISPER_TOKENIZER: &str = "whisper/whisper-tokenizer.json";
/// The int8 decoder's token embeddings, which its caller looks up (`asr::embeddings`).
pub const WHISPER_TOKEN_EMBEDDINGS: &str = "whisper/whisper-token-embeddings.int8";
pub const WHISPER_OUTPUTS: [&str; 6] = [
    WHISPER_ENCODER_INT8,
    WHISPER_DECODER_INT8,
    WHISPER_TOKEN_EMBEDDINGS,
    WHISPER_ENCODER_FP32,
    WHISPER_DECODER_FP32,
    WHISPER_TOKENIZER,
];
/// Input and output of the voice encoder's conversion.
pub const VOICE_WEIGHTS: &str = "voice/pretrained.pt";
pub const VOICE_ENCODER: &str = "voice/voice-encoder.onnx";
pub const VOICE_OUTPUTS: [&str; 1] = [VOICE_ENCODER];
/// Input and outputs of the text encoder's conversion.
pub const TEXT_WEIGHTS: &str = "text/minilm-l6-v2.zip";
pub const TEXT_ENCODER: &str = "text/text-encoder.int8.onnx";
pub const TEXT_VOCAB: &str = "text/text-vocab.txt";
pub const TEXT_OUTPUTS: [&str; 2] = [TEXT_ENCODER, TEXT_VOCAB];

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether every pinned derived file among `outputs` is in the cache and verifies.
pub fn outputs_are_current(
    cache: &ModelCache,
    manifest: &Manifest,
    outputs: &[&str],
) -> Result<bool, FetchError> {
    for d in manifest
        .derived
        .iter()
        .filter(|d| outputs.contains(&d.file.as_str()))
    {
        if !cache.check(&d.file, d.size, &d.sha256)?.is_ok() {
            return Ok(false);
        }
    }
    Ok(true)
}

fn run(cmd: &mut Command, what: &str) -> Result<(), FetchError> {
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| FetchError::Convert(format!("{what}: cannot start: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    Err(FetchError::Convert(format!(
        "{what} failed ({}):\n{}",
        out.status,
        tail(&text, 10)
    )))
}

/// Where the converter's virtual environment lives.
fn venv_dir(cache: &ModelCache) -> Result<PathBuf, FetchError> {
    Ok(absolute(&cache.dir().join(".venv-convert"))?)
}

/// A virtual environment with the locked conversion packages, reused while the lock holds.
fn ensure_venv(
    cache: &ModelCache,
    work: &Path,
    index: &PackageIndex,
    progress: &dyn Progress,
) -> Result<PathBuf, FetchError> {
    let venv = venv_dir(cache)?;
    let python = venv.join("bin").join("python3");
    let stamp = venv.join(".tandem-requirements");
    let want = sha_hex(REQUIREMENTS.as_bytes());
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == want) {
        return Ok(python);
    }
    progress
        .step("preparing the model converters (locked numpy, onnx, onnxruntime in a private venv)");
    if venv.exists() {
        std::fs::remove_dir_all(&venv).map_err(io_err(&venv))?;
    }
    run(
        isolate::python("python3", work)
            .args(["-m", "venv"])
            .arg(&venv),
        "python3 -m venv (install python3-venv)",
    )?;
    let req = work.join("requirements-convert.txt");
    std::fs::write(&req, REQUIREMENTS).map_err(io_err(&req))?;
    let mut pip = isolate::python(&python, work);
    pip.args(["-m", "pip", "install"])
        .args(PIP_LOCKED)
        .args(["-q", "--disable-pip-version-check", "--no-input", "-r"])
        .arg(&req);
    index.pip_args(&mut pip)?;
    run(
        &mut pip,
        "installing the converter's locked Python packages with pip",
    )?;
    std::fs::write(&stamp, &want).map_err(io_err(&stamp))?;
    Ok(python)
}

/// Converts what is missing or damaged: Whisper, then the voice encoder. Returns the files it
/// (re)wrote.
pub fn ensure_derived(
    cache: &ModelCache,
    manifest: &Manifest,
    index: &PackageIndex,
    progress: &dyn Progress,
) -> Result<Vec<String>, FetchError> {
    let mut written = Vec::new();
    for c in [WHISPER, VOICE, TEXT] {
        if !outputs_are_current(cache, manifest, c.outputs)? {
            written.extend(convert(cache, manifest, index, progress, &c)?);
        }
    }
    Ok(written)
}

/// One converter: the script (name, text), its arguments besides `--out` (from verified
/// inputs), and the pinned files it must write.
struct Conversion {
    what: &'static str,
    step: &'static str,
    script: (&'static str, &'static str),
    args: fn(&ModelCache, &Manifest) -> Result<Vec<std::ffi::OsString>, FetchError>,
    outputs: &'static [&'static str],
}

const WHISPER: Conversion = Conversion {
    what: "the Whisper conversion",
    step: "converting Whisper tiny.en to ONNX (fp32 + int8)",
    script: ("convert_whisper.py", WHISPER_SCRIPT),
    args: |cache, manifest| {
        for i in WHISPER_INPUTS {
            cache.verified_path(manifest, i)?;
        }
        let model_dir = absolute(&cache.path("whisper-tiny.en-ct2"))?;
        Ok(vec![
            "--model-dir".into(),
            model_dir.into_os_string(),
            "--per-channel".into(),
            "-q".into(),
        ])
    },
    outputs: &WHISPER_OUTPUTS,
};

const VOICE: Conversion = Conversion {
    what: "the voice encoder conversion",
    step: "converting the Resemblyzer voice encoder to ONNX",
    script: ("convert_voice_encoder.py", VOICE_SCRIPT),
    args: |cache, manifest| {
        let weights = absolute(&cache.verified_path(manifest, VOICE_WEIGHTS)?)?;
        Ok(vec!["--weights".into(), weights.into_os_string()])
    },
    outputs: &VOICE_OUTPUTS,
};

const TEXT: Conversion = Conversion {
    what: "the text encoder conversion",
    step: "converting the MiniLM sentence encoder to ONNX",
    script: ("convert_text_encoder.py", TEXT_SCRIPT),
    args: |cache, manifest| {
        let weights = absolute(&cache.verified_path(manifest, TEXT_WEIGHTS)?)?;
        Ok(vec!["--zip".into(), weights.into_os_string()])
    },
    outputs: &TEXT_OUTPUTS,
};

fn convert(
    cache: &ModelCache,
    manifest: &Manifest,
    index: &PackageIndex,
    progress: &dyn Progress,
    c: &Conversion,
) -> Result<Vec<String>, FetchError> {
    let args = (c.args)(cache, manifest)?;
    // Private (0700): the converter's working directory, the lock and script, its output.
    let tmp = tempfile::Builder::new()
        .prefix(".convert-")
        .tempdir_in(cache.dir())
        .map_err(io_err(cache.dir()))?;
    let tmp_dir = absolute(tmp.path())?;
    let (work, out_dir) = (tmp_dir.join("work"), tmp_dir.join("out"));
    std::fs::create_dir(&work).map_err(io_err(&work))?;
    let python = ensure_venv(cache, &work, index, progress)?;
    progress.step(c.step);
    let script = tmp_dir.join(c.script.0);
    std::fs::write(&script, c.script.1).map_err(io_err(&script))?;
    let module = tmp_dir.join(QUANTIZE_MODULE.0);
    std::fs::write(&module, QUANTIZE_MODULE.1).map_err(io_err(&module))?;
    run(
        isolate::python(&python, &work)
            .arg(&script)
            .args(&args)
            .arg("--out")
            .arg(&out_dir),
        c.what,
    )?;
    install_converted(cache, manifest, &out_dir, c.outputs)
}

/// Moves a converter's outputs (flat in `out_dir`) into the cache, but only once every pinned
/// derived file among `outputs` is there and matches its sha256: one mismatch installs
/// nothing, and the converter's environment is removed so the next fetch rebuilds it from the
/// lock.
pub(crate) fn install_converted(
    cache: &ModelCache,
    manifest: &Manifest,
    out_dir: &Path,
    outputs: &[&str],
) -> Result<Vec<String>, FetchError> {
    let mut verified = Vec::new();
    let derived: Vec<_> = manifest
        .derived
        .iter()
        .filter(|d| outputs.contains(&d.file.as_str()))
        .collect();
    for d in &derived {
        let name = Path::new(&d.file)
            .file_name()
            .expect("manifest files are relative paths with a name");
        let from = out_dir.join(name);
        if !from.is_file() {
            return Err(FetchError::Convert(format!(
                "the converter did not write {}",
                d.file
            )));
        }
        let (found, _) = hash_file(&from).map_err(io_err(&from))?;
        if found != d.sha256 {
            let venv = venv_dir(cache)?;
            if venv.exists() {
                std::fs::remove_dir_all(&venv).map_err(io_err(&venv))?;
            }
            return Err(FetchError::DerivedHash {
                file: d.file.clone(),
                expected: d.sha256.clone(),
                found,
                venv,
            });
        }
        verified.push((from, cache.path(&d.file)));
    }
    for (from, to) in &verified {
        let dir = to.parent().expect("cache paths have a parent");
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        std::fs::rename(from, to).map_err(io_err(to))?;
    }
    Ok(derived.iter().map(|d| d.file.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTS: [&str; 2] = ["w/a.onnx", "w/b.json"];

    /// A manifest with one input artifact and two derived files of the given contents.
    fn manifest_for(a: &[u8], b: &[u8]) -> Manifest {
        let derived = |file: &str, bytes: &[u8]| {
            format!(
                "[[derived]]\nfile = \"{file}\"\nrole = \"test\"\ninputs = [\"in.bin\"]\nsha256 = \"{}\"\nsize = {}\nlicense = \"MIT\"\n",
                sha_hex(bytes),
                bytes.len()
            )
        };
        let text = format!(
            "schema = 1\n[[package]]\nid = \"p\"\nsource = \"pypi\"\nname = \"p\"\nversion = \"1\"\nsha256 = \"{zero}\"\ngroup = \"core\"\n[[artifact]]\nfile = \"in.bin\"\nrole = \"r\"\npackage = \"p==1\"\npath = \"in.bin\"\nsha256 = \"{zero}\"\nsize = 1\nlicense = \"MIT\"\n{}{}",
            derived("w/a.onnx", a),
            derived("w/b.json", b),
            zero = "0".repeat(64),
        );
        Manifest::parse(&text).unwrap()
    }

    /// A converter whose output is not the pinned bytes (a tampered package in its venv, or a
    /// tampered converter) gets nothing into the cache, and the error names the file.
    #[test]
    fn a_tampered_conversion_output_is_refused_and_nothing_is_installed() {
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = ModelCache::new(cache_dir.path());
        let venv = cache.dir().join(".venv-convert");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        let manifest = manifest_for(b"encoder", b"tokenizer");
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("a.onnx"), b"encoder").unwrap();
        std::fs::write(out.path().join("b.json"), b"tokenizer, with a payload").unwrap();

        let err = install_converted(&cache, &manifest, out.path(), &OUTS).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, FetchError::DerivedHash { .. }), "{msg}");
        assert!(msg.contains("w/b.json"), "names the file: {msg}");
        assert!(msg.contains(&sha_hex(b"tokenizer")), "{msg}");
        assert!(
            !cache.path("w/a.onnx").exists(),
            "the good file was not installed either"
        );
        assert!(!cache.path("w/b.json").exists());
        assert!(
            !venv.exists(),
            "the converter's environment is rebuilt next time"
        );
        assert!(!outputs_are_current(&cache, &manifest, &OUTS).unwrap());
    }

    #[test]
    fn pinned_conversion_outputs_are_installed() {
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = ModelCache::new(cache_dir.path());
        let manifest = manifest_for(b"encoder", b"tokenizer");
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("a.onnx"), b"encoder").unwrap();
        std::fs::write(out.path().join("b.json"), b"tokenizer").unwrap();
        // Something else the converter wrote is not pinned, so it stays out of the cache.
        std::fs::write(out.path().join("extra.onnx"), b"?").unwrap();
        let installed = install_converted(&cache, &manifest, out.path(), &OUTS).unwrap();
        assert_eq!(installed, vec!["w/a.onnx", "w/b.json"]);
        assert!(outputs_are_current(&cache, &manifest, &OUTS).unwrap());
        assert_eq!(
            cache.verified_path(&manifest, "w/b.json").unwrap(),
            cache.path("w/b.json")
        );
        assert!(!cache.path("w/extra.onnx").exists());
        assert!(!cache.path("extra.onnx").exists());
    }

    /// The converter's environment is fully locked: every requirement is pinned to one version
    /// and one sha256, the four direct ones and everything they depend on.
    #[test]
    fn the_conversion_lock_pins_every_package_by_hash() {
        let mut names = Vec::new();
        let joined = REQUIREMENTS.replace("\\\n", " ");
        for line in joined.lines() {
            let line = line.split('#').next().unwrap().trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let pin = parts.next().unwrap();
            let (name, version) = pin.split_once("==").unwrap_or_else(|| panic!("{pin}"));
            assert!(!version.is_empty() && !version.contains('*'), "{pin}");
            let hashes: Vec<&str> = parts
                .map(|h| {
                    h.strip_prefix("--hash=sha256:")
                        .unwrap_or_else(|| panic!("{h}"))
                })
                .collect();
            assert!(!hashes.is_empty(), "{pin} has a hash");
            for h in hashes {
                assert!(
                    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{h}"
                );
            }
            names.push(name.to_ascii_lowercase().replace('_', "-"));
        }
        for needed in [
            "numpy",
            "onnx",
            "onnxruntime",
            "protobuf",
            // What they depend on.
            "ml-dtypes",
            "typing-extensions",
            "flatbuffers",
            "packaging",
        ] {
            assert!(names.iter().any(|n| n == needed), "{needed} is locked");
        }
        // The ONNX Runtime wheel in the lock is the one the manifest pins.
        let m = Manifest::builtin();
        let ort = m.packages.iter().find(|p| p.name == "onnxruntime").unwrap();
        assert!(REQUIREMENTS.contains(&ort.sha256));
    }
}
