//! User configuration: a TOML file in the XDG config directory, with a schema version and defaults.
//!
//! A missing file means "all defaults"; it is never created or rewritten behind the user's back.
//! A malformed file is an error that names the file, the line and the field. Command-line flags
//! override values for one run through [`Overrides`], without saving.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The schema this build reads and writes. Files with a newer schema are refused, not guessed at.
pub const SCHEMA_VERSION: u32 = 1;

/// Environment variable that points at a config file, for tests and for users with several setups.
pub const CONFIG_ENV: &str = "TANDEM_CONFIG";

/// Which ONNX Runtime execution provider sessions should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionProvider {
    /// Try the GPU providers this build and machine support, fall back to CPU.
    #[default]
    Auto,
    Cpu,
    Cuda,
    Tensorrt,
    Directml,
    Coreml,
}

impl ExecutionProvider {
    pub const ALL: [ExecutionProvider; 6] = [
        Self::Auto,
        Self::Cpu,
        Self::Cuda,
        Self::Tensorrt,
        Self::Directml,
        Self::Coreml,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
            Self::Tensorrt => "tensorrt",
            Self::Directml => "directml",
            Self::Coreml => "coreml",
        }
    }
}

impl fmt::Display for ExecutionProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExecutionProvider {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown execution provider `{s}`; expected one of auto, cpu, cuda, tensorrt, directml, coreml")
            })
    }
}

/// Where the language model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LlmBackendKind {
    /// In this process, with llama.cpp, from a GGUF file (`llm.model_path`, else the pinned
    /// default model from the model cache).
    #[default]
    Embedded,
    /// A server speaking OpenAI-compatible chat completions at `llm.endpoint`.
    Openai,
    /// An Ollama server's native /api/chat at `llm.endpoint`.
    Ollama,
}

impl LlmBackendKind {
    pub const ALL: [LlmBackendKind; 3] = [Self::Embedded, Self::Openai, Self::Ollama];

    /// The HTTP API of a server backend; `None` for the embedded model.
    pub fn http_api(self) -> Option<LlmApi> {
        match self {
            Self::Embedded => None,
            Self::Openai => Some(LlmApi::Openai),
            Self::Ollama => Some(LlmApi::Ollama),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::Openai => "openai",
            Self::Ollama => "ollama",
        }
    }
}

/// Which HTTP API a local LLM server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LlmApi {
    /// OpenAI-compatible chat completions (llama.cpp server, LM Studio, vLLM, Ollama's /v1).
    #[default]
    Openai,
    /// Ollama's native /api/chat.
    Ollama,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Which schema the file was written for; see [`SCHEMA_VERSION`].
    pub schema_version: u32,
    pub runtime: RuntimeConfig,
    pub audio: AudioConfig,
    pub interaction: InteractionConfig,
    pub voice: VoiceConfig,
    pub llm: LlmConfig,
    pub camera: CameraConfig,
    pub models: ModelsConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeConfig {
    /// ONNX Runtime execution provider for every model session.
    pub execution_provider: ExecutionProvider,
    /// Threads per model session. Small models on a 2-core laptop are fastest on one thread,
    /// and one thread leaves the other core to audio and the UI.
    pub intra_threads: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AudioConfig {
    /// Microphone by name (`tandem doctor` lists them); the system default when absent.
    pub input_device: Option<String>,
    /// Speaker by name; the system default when absent.
    pub output_device: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InteractionConfig {
    /// Length of one micro-turn of the interaction loop, 80-400 ms. Shorter reacts faster and
    /// costs more CPU; 200 ms is about the human gap between turns.
    pub micro_turn_ms: u32,
    /// Who decides the floor: `model` (the learned floor model, the default) or `rules`
    /// (hand-written timers, levels and word lists); BENCHMARKS.md compares them.
    pub policy: crate::interaction::PolicyKind,
    /// Tell the user's voice from other voices (a speaker embedding of each run of speech,
    /// compared with the voice of your own requests; kept in memory for the session only), so
    /// another person answering you or a TV is not taken as a request.
    pub voice_id: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoiceConfig {
    /// Speaking rate multiplier, 0.5-2.0.
    pub speed: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Use the LLM for requests the built-in skills cannot answer.
    pub enabled: bool,
    /// `embedded` (in this process, the default), `openai` or `ollama` (a server at
    /// `endpoint`). Older files call this `api`.
    #[serde(alias = "api")]
    pub backend: LlmBackendKind,
    /// A GGUF instruct model for the embedded backend; the pinned default when absent.
    pub model_path: Option<PathBuf>,
    /// CPU threads for the embedded model, 1-64. One leaves the other core of a 2-core
    /// laptop to listening and speaking.
    pub threads: usize,
    /// Base URL of the server backends. Nothing leaves the machine unless this points elsewhere.
    pub endpoint: String,
    /// The server's model name (server backends).
    pub model: String,
    /// Replaces the built-in system prompt when set.
    pub system_prompt: Option<String>,
    /// Lets `endpoint` be on another computer. Off, only `localhost`, 127.0.0.0/8 and ::1 are
    /// accepted: a server elsewhere receives the transcripts of requests, recent turns, notes
    /// the model reads and text the camera reads.
    pub allow_remote: bool,
    /// The name of an environment variable that holds the server's API key (sent as
    /// `Authorization: Bearer <key>`). Preferred over `api_key`.
    pub api_key_env: Option<String>,
    /// The API key itself, when it has to live in this file (written mode 0600; a file
    /// others can read is refused while it holds a key).
    pub api_key: Option<ApiKey>,
    /// A PEM file of certificate authorities to trust besides the system's, for a server
    /// with a private CA.
    pub ca_file: Option<PathBuf>,
}

/// An API key: serialized as the plain string, shown as `<redacted>` by `Debug`, so that
/// logging a config never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraConfig {
    /// Start with the camera on. Off means the device is closed, not merely ignored.
    pub enabled: bool,
    /// Camera by name; the first camera when absent.
    pub device: Option<String>,
    /// Frames analyzed per second, 1-10: presence and attention change slowly, and each frame
    /// costs a few ms of CPU.
    pub fps: u32,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            device: None,
            fps: 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsConfig {
    /// Model cache directory; `$TANDEM_MODELS_DIR`, else the XDG cache directory, when absent.
    pub dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            runtime: RuntimeConfig::default(),
            audio: AudioConfig::default(),
            interaction: InteractionConfig::default(),
            voice: VoiceConfig::default(),
            llm: LlmConfig::default(),
            camera: CameraConfig::default(),
            models: ModelsConfig::default(),
        }
    }
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            execution_provider: ExecutionProvider::Auto,
            intra_threads: 1,
        }
    }
}

impl Default for InteractionConfig {
    fn default() -> Self {
        Self {
            micro_turn_ms: 200,
            policy: crate::interaction::PolicyKind::default(),
            voice_id: true,
        }
    }
}

impl Default for VoiceConfig {
    fn default() -> Self {
        Self { speed: 1.0 }
    }
}

impl LlmConfig {
    /// The built-in skills alone, no language model (tests, `tandem reason --skills-only`).
    pub fn skills_only() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            backend: LlmBackendKind::Embedded,
            model_path: None,
            threads: 1,
            endpoint: "http://127.0.0.1:11434/v1".to_owned(),
            model: "llama3.2:3b".to_owned(),
            system_prompt: None,
            allow_remote: false,
            api_key_env: None,
            api_key: None,
            ca_file: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "config file {path} is malformed at line {line}, column {column}: {message}\n  fix the file, or move it aside to start from defaults (`tandem config show --defaults` prints them)"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("config file {path}: `{field}` {problem}")]
    Invalid {
        path: PathBuf,
        field: &'static str,
        problem: String,
    },
    #[error(
        "config file {path} has schema_version {found}, but this Tandem understands up to {SCHEMA_VERSION}; update Tandem or move the file aside"
    )]
    NewerSchema { path: PathBuf, found: u32 },
    #[error("config file {path} already exists; not overwriting it")]
    Exists { path: PathBuf },
    #[error("cannot write config file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no config directory: set $HOME or ${CONFIG_ENV}")]
    NoConfigDir,
}

impl LlmConfig {
    /// The endpoint and the key settings: URL format always; consent for a remote host and no
    /// key over plain http when a server backend is in use.
    fn validate_server(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field, problem: String| ConfigError::Invalid {
            path: path.to_owned(),
            field,
            problem,
        };
        let endpoint = crate::reasoning::llm::endpoint::parse(&self.endpoint)
            .map_err(|e| invalid("llm.endpoint", e.to_string()))?;
        if let Some(name) = &self.api_key_env
            && (name.is_empty() || name.contains(['=', '\0']) || name.trim() != name)
        {
            return Err(invalid(
                "llm.api_key_env",
                format!(
                    "is `{name}`; it must be the name of an environment variable, e.g. TANDEM_LLM_API_KEY"
                ),
            ));
        }
        if self
            .api_key
            .as_ref()
            .is_some_and(|k| k.expose().trim().is_empty())
        {
            return Err(invalid(
                "llm.api_key",
                "is empty; remove it or set the key".into(),
            ));
        }
        if !self.enabled || self.backend.http_api().is_none() {
            return Ok(());
        }
        if let Some(why) = endpoint.remote_refusal(self.allow_remote) {
            return Err(invalid("llm.endpoint", why));
        }
        let has_key = self.api_key.is_some() || self.api_key_env.is_some();
        if has_key && !endpoint.is_https() && !endpoint.is_loopback() {
            return Err(invalid(
                "llm.endpoint",
                format!(
                    "is plain http:// to `{}` and an API key is set: the key and everything said would cross the network unencrypted; use https://",
                    endpoint.host()
                ),
            ));
        }
        Ok(())
    }
}

/// Where the config file lives: `$TANDEM_CONFIG`, else `$XDG_CONFIG_HOME/tandem/config.toml`.
pub fn default_path() -> Result<PathBuf, ConfigError> {
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    dirs::config_dir()
        .map(|d| d.join("tandem").join("config.toml"))
        .ok_or(ConfigError::NoConfigDir)
}

impl Config {
    /// Loads the config from [`default_path`]; all defaults when the file does not exist.
    pub fn load() -> Result<(Config, PathBuf), ConfigError> {
        let path = default_path()?;
        let config = Self::load_from(&path)?;
        Ok((config, path))
    }

    /// Loads and validates one file; all defaults when it does not exist.
    pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let config = Self::parse(&text, path)?;
        if config.llm.api_key.is_some() {
            check_private(path)?;
        }
        Ok(config)
    }

    /// Parses and validates config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            ConfigError::Parse {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Checks ranges and formats that serde cannot.
    pub fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field, problem: String| ConfigError::Invalid {
            path: path.to_owned(),
            field,
            problem,
        };
        if self.schema_version > SCHEMA_VERSION {
            return Err(ConfigError::NewerSchema {
                path: path.to_owned(),
                found: self.schema_version,
            });
        }
        if self.schema_version == 0 {
            return Err(invalid("schema_version", "must be 1 or more".into()));
        }
        if !(80..=400).contains(&self.interaction.micro_turn_ms) {
            return Err(invalid(
                "interaction.micro_turn_ms",
                format!(
                    "is {}; it must be between 80 and 400",
                    self.interaction.micro_turn_ms
                ),
            ));
        }
        if !(0.5..=2.0).contains(&self.voice.speed) {
            return Err(invalid(
                "voice.speed",
                format!("is {}; it must be between 0.5 and 2.0", self.voice.speed),
            ));
        }
        if !(1..=64).contains(&self.runtime.intra_threads) {
            return Err(invalid(
                "runtime.intra_threads",
                format!(
                    "is {}; it must be between 1 and 64",
                    self.runtime.intra_threads
                ),
            ));
        }
        self.llm.validate_server(path)?;
        if !(1..=10).contains(&self.camera.fps) {
            return Err(invalid(
                "camera.fps",
                format!("is {}; it must be between 1 and 10", self.camera.fps),
            ));
        }
        if self.llm.model.trim().is_empty() {
            return Err(invalid("llm.model", "must not be empty".into()));
        }
        if !(1..=64).contains(&self.llm.threads) {
            return Err(invalid(
                "llm.threads",
                format!("is {}; it must be between 1 and 64", self.llm.threads),
            ));
        }
        Ok(())
    }

    /// The config as TOML, as `tandem config show` prints it and `config init` writes it.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("config always serializes")
    }

    /// Writes the defaults to `path` if no file is there; never overwrites. The file is
    /// private to the user (mode 0600, its directory 0700; see [`crate::private_fs`]) and
    /// appears whole or not at all.
    pub fn write_new(&self, path: &Path) -> Result<(), ConfigError> {
        let write_err = |source| ConfigError::Write {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private_fs::create_dir(dir, is_own_dir(dir)).map_err(write_err)?;
        }
        crate::private_fs::write_new_atomic(path, self.to_toml().as_bytes()).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                ConfigError::Exists {
                    path: path.to_owned(),
                }
            } else {
                write_err(source)
            }
        })
    }
}

/// A file that holds an API key must be the user's only, as `ssh` insists for its keys.
fn check_private(path: &Path) -> Result<(), ConfigError> {
    #[cfg(unix)]
    {
        let mode = crate::private_fs::mode(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        if mode & 0o077 != 0 {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                field: "llm.api_key",
                problem: format!(
                    "is in a file other users can read (mode {mode:04o}); run `chmod 600 {}`, or move the key to an environment variable named by llm.api_key_env",
                    path.display()
                ),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Whether `dir` is Tandem's own config directory (`<config dir>/tandem`), which may be
/// tightened to mode 0700; a directory named by `$TANDEM_CONFIG` keeps its mode.
pub fn is_own_dir(dir: &Path) -> bool {
    crate::private_fs::is_own_dir(dir, dirs::config_dir())
}

/// Flags that override the config for one run without saving.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub execution_provider: Option<ExecutionProvider>,
    pub micro_turn_ms: Option<u32>,
    pub policy: Option<crate::interaction::PolicyKind>,
    pub models_dir: Option<PathBuf>,
    pub input_device: Option<String>,
    pub output_device: Option<String>,
    pub camera: Option<bool>,
    pub camera_device: Option<String>,
}

impl Overrides {
    /// Applies the overrides and re-validates, so a bad flag gets the same clear message.
    pub fn apply(&self, mut config: Config) -> Result<Config, ConfigError> {
        if let Some(p) = self.execution_provider {
            config.runtime.execution_provider = p;
        }
        if let Some(ms) = self.micro_turn_ms {
            config.interaction.micro_turn_ms = ms;
        }
        if let Some(p) = self.policy {
            config.interaction.policy = p;
        }
        if let Some(d) = &self.models_dir {
            config.models.dir = Some(d.clone());
        }
        if let Some(d) = &self.input_device {
            config.audio.input_device = Some(d.clone());
        }
        if let Some(d) = &self.output_device {
            config.audio.output_device = Some(d.clone());
        }
        if let Some(c) = self.camera {
            config.camera.enabled = c;
        }
        if let Some(d) = &self.camera_device {
            config.camera.device = Some(d.clone());
        }
        config.validate(Path::new("(command-line flags)"))?;
        Ok(config)
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn defaults_round_trip_through_toml() {
        let c = Config::default();
        assert_eq!(parse(&c.to_toml()).unwrap(), c);
    }

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn partial_file_keeps_other_defaults() {
        let c = parse("[runtime]\nexecution_provider = \"cpu\"\n").unwrap();
        assert_eq!(c.runtime.execution_provider, ExecutionProvider::Cpu);
        assert_eq!(c.interaction.micro_turn_ms, 200);
    }

    #[test]
    fn unknown_field_names_line_and_field() {
        let err = parse("schema_version = 1\n\n[interaction]\nmicro_turn = 200\n").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ConfigError::Parse { line: 4, .. }), "{msg}");
        assert!(
            msg.contains("micro_turn") && msg.contains("test.toml"),
            "{msg}"
        );
    }

    #[test]
    fn wrong_type_names_line() {
        let err = parse("[voice]\nspeed = \"fast\"\n").unwrap_err();
        assert!(matches!(err, ConfigError::Parse { line: 2, .. }), "{err}");
    }

    #[test]
    fn out_of_range_values_name_the_field() {
        let err = parse("[interaction]\nmicro_turn_ms = 50\n").unwrap_err();
        assert!(
            err.to_string().contains("interaction.micro_turn_ms"),
            "{err}"
        );
        let err = parse("[camera]\nfps = 30\n").unwrap_err();
        assert!(err.to_string().contains("camera.fps"), "{err}");
        let err = parse("[llm]\nendpoint = \"localhost:8080\"\n").unwrap_err();
        assert!(err.to_string().contains("llm.endpoint"), "{err}");
    }

    #[test]
    fn newer_schema_is_refused() {
        let err = parse("schema_version = 99\n").unwrap_err();
        assert!(matches!(err, ConfigError::NewerSchema { found: 99, .. }));
    }

    #[test]
    fn overrides_apply_and_validate() {
        let o = Overrides {
            execution_provider: Some(ExecutionProvider::Cpu),
            micro_turn_ms: Some(120),
            ..Default::default()
        };
        let c = o.apply(Config::default()).unwrap();
        assert_eq!(c.runtime.execution_provider, ExecutionProvider::Cpu);
        assert_eq!(c.interaction.micro_turn_ms, 120);
        let bad = Overrides {
            micro_turn_ms: Some(1000),
            ..Default::default()
        };
        assert!(bad.apply(Config::default()).is_err());
    }

    #[test]
    fn write_new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        Config::default().write_new(&path).unwrap();
        #[cfg(unix)]
        {
            use crate::private_fs::mode;
            assert_eq!(
                mode(&path).unwrap(),
                0o600,
                "the config file is the user's only"
            );
            assert_eq!(mode(path.parent().unwrap()).unwrap(), 0o700);
        }
        std::fs::write(&path, "[voice]\nspeed = 1.5\n").unwrap();
        assert!(matches!(
            Config::default().write_new(&path),
            Err(ConfigError::Exists { .. })
        ));
        assert_eq!(Config::load_from(&path).unwrap().voice.speed, 1.5);
    }

    #[test]
    fn provider_parses_case_insensitively() {
        assert_eq!(
            "CUDA".parse::<ExecutionProvider>().unwrap(),
            ExecutionProvider::Cuda
        );
        assert!("npu".parse::<ExecutionProvider>().is_err());
    }
}

#[cfg(test)]
mod llm_tests;
