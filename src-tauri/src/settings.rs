//! The settings panel's side of the config file: read the fields the panel edits, check new
//! values field by field, and write them into the file without touching anything else in it.
//!
//! Saving edits the file as a TOML document (`toml_edit`), so the user's other settings, their
//! comments and their layout stay as they were; the new text is parsed and validated as a whole
//! with [`Config::parse`] before it replaces the old file, and the replacement is atomic (a
//! temporary file in the same directory, synced, then renamed over it). A file that does not
//! parse is never overwritten: the error names it and says how to fix it. Changes apply to the
//! next conversation.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tandem_core::config::{self, Config, ConfigError, ExecutionProvider, LlmBackendKind};
use tandem_core::reasoning::llm::endpoint;
use toml_edit::{DocumentMut, Item, Table, value};

use crate::error::AppError;

/// The settings the panel edits, as the user typed them: numbers are text so that a value that
/// is not a number gets a message next to its field like any other bad value. A device that is
/// `None` (or empty) means the system default (the first camera).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SettingsForm {
    /// `llm.enabled`: answer what the built-in skills cannot with a language model.
    pub llm_enabled: bool,
    /// `llm.backend`: `embedded` (in this process), `openai` or `ollama` (a server at the
    /// endpoint).
    pub llm_backend: String,
    /// `llm.model_path`: a GGUF model for the embedded backend; `None` (or empty) means the
    /// pinned default.
    pub llm_model_path: Option<String>,
    /// `llm.endpoint`: the server's base URL.
    pub llm_endpoint: String,
    /// `llm.model`.
    pub llm_model: String,
    /// `llm.allow_remote`: the endpoint may be on another computer.
    pub llm_allow_remote: bool,
    /// `interaction.micro_turn_ms`, 80-400.
    pub micro_turn_ms: String,
    /// `runtime.execution_provider`: auto, cpu, cuda, tensorrt, directml or coreml.
    pub execution_provider: String,
    /// `voice.speed`, 0.5-2.0.
    pub voice_speed: String,
    /// `audio.input_device`.
    pub input_device: Option<String>,
    /// `audio.output_device`.
    pub output_device: Option<String>,
    /// `camera.device`.
    pub camera_device: Option<String>,
}

impl SettingsForm {
    /// The form as a config holds it.
    pub fn from_config(c: &Config) -> Self {
        Self {
            llm_enabled: c.llm.enabled,
            llm_backend: c.llm.backend.as_str().to_owned(),
            llm_model_path: c.llm.model_path.as_ref().map(|p| p.display().to_string()),
            llm_endpoint: c.llm.endpoint.clone(),
            llm_model: c.llm.model.clone(),
            llm_allow_remote: c.llm.allow_remote,
            micro_turn_ms: c.interaction.micro_turn_ms.to_string(),
            execution_provider: c.runtime.execution_provider.as_str().to_owned(),
            voice_speed: c.voice.speed.to_string(),
            input_device: c.audio.input_device.clone(),
            output_device: c.audio.output_device.clone(),
            camera_device: c.camera.device.clone(),
        }
    }
}

/// What `get_settings` returns: the values, where they live, and the choices.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SettingsView {
    pub settings: SettingsForm,
    /// The config file (it need not exist yet: then everything is a default).
    pub path: String,
    pub execution_providers: Vec<&'static str>,
    /// The choices for `llm.backend`.
    pub llm_backends: Vec<&'static str>,
    /// What a server backend receives, for the notice shown when the endpoint is remote.
    pub llm_what_is_sent: String,
}

/// A value the panel cannot save, with the config field it belongs to (`voice.speed`) and what
/// is wrong, to show next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// What `save_settings` returns. When `errors` is not empty nothing was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SaveOutcome {
    pub saved: bool,
    pub errors: Vec<FieldError>,
    /// The settings as they are in the file now.
    pub settings: SettingsForm,
    pub path: String,
}

/// Reads the settings from the config file at `path` (defaults when it does not exist).
///
/// # Errors
/// [`AppError::Config`] naming the file when it cannot be read or does not parse.
pub fn load(path: &Path) -> Result<SettingsView, AppError> {
    let config = Config::load_from(path)?;
    Ok(SettingsView {
        settings: SettingsForm::from_config(&config),
        path: path.display().to_string(),
        execution_providers: ExecutionProvider::ALL.iter().map(|p| p.as_str()).collect(),
        llm_backends: LlmBackendKind::ALL.iter().map(|b| b.as_str()).collect(),
        llm_what_is_sent: endpoint::WHAT_IS_SENT.to_owned(),
    })
}

/// Copies one field from the second config into the first.
type CopyField = fn(&mut Config, &Config);

/// The new values, checked one by one, as a config (the current one with the form applied).
fn apply(current: &Config, form: &SettingsForm) -> Result<Config, Vec<FieldError>> {
    fn bad(errors: &mut Vec<FieldError>, field: &str, message: String) {
        errors.push(FieldError {
            field: field.to_owned(),
            message,
        });
    }
    let mut errors = Vec::new();
    let mut next = current.clone();
    next.llm.enabled = form.llm_enabled;
    match LlmBackendKind::ALL
        .into_iter()
        .find(|b| b.as_str() == form.llm_backend.trim())
    {
        Some(b) => next.llm.backend = b,
        None => bad(
            &mut errors,
            "llm.backend",
            format!(
                "`{}` is not a backend; use embedded, openai or ollama",
                form.llm_backend.trim()
            ),
        ),
    }
    next.llm.model_path = form
        .llm_model_path
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    if let Some(p) = &next.llm.model_path
        && next.llm.backend == LlmBackendKind::Embedded
        && !p.is_file()
    {
        bad(
            &mut errors,
            "llm.model_path",
            format!(
                "`{}` is not a file; give the full path of a GGUF model, or leave it empty for the built-in one",
                p.display()
            ),
        );
    }
    next.llm.endpoint = form.llm_endpoint.trim().to_owned();
    next.llm.model = form.llm_model.trim().to_owned();
    next.llm.allow_remote = form.llm_allow_remote;
    match form.micro_turn_ms.trim().parse::<u32>() {
        Ok(ms) => next.interaction.micro_turn_ms = ms,
        Err(_) => bad(
            &mut errors,
            "interaction.micro_turn_ms",
            format!(
                "`{}` is not a whole number of milliseconds; use 80 to 400 (200 is the default)",
                form.micro_turn_ms.trim()
            ),
        ),
    }
    match form.execution_provider.trim().parse::<ExecutionProvider>() {
        Ok(p) => next.runtime.execution_provider = p,
        Err(message) => bad(&mut errors, "runtime.execution_provider", message),
    }
    match form.voice_speed.trim().parse::<f32>() {
        Ok(s) if s.is_finite() => next.voice.speed = s,
        _ => bad(
            &mut errors,
            "voice.speed",
            format!(
                "`{}` is not a number; use 0.5 to 2.0 (1 is normal speed)",
                form.voice_speed.trim()
            ),
        ),
    }
    let device = |d: &Option<String>| {
        d.as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
    };
    next.audio.input_device = device(&form.input_device);
    next.audio.output_device = device(&form.output_device);
    next.camera.device = device(&form.camera_device);

    // The ranges and formats are the config's own (Config::validate), checked per field so that
    // every bad field is reported at once: each new value alone on top of the current config,
    // which passed validation when it was read.
    let fields: [(&str, CopyField); 4] = [
        // The endpoint with the consent that goes with it (and whether it is used at all).
        ("llm.endpoint", |c, n| {
            c.llm.endpoint.clone_from(&n.llm.endpoint);
            c.llm.allow_remote = n.llm.allow_remote;
            c.llm.enabled = n.llm.enabled;
        }),
        ("llm.model", |c, n| c.llm.model.clone_from(&n.llm.model)),
        ("interaction.micro_turn_ms", |c, n| {
            c.interaction.micro_turn_ms = n.interaction.micro_turn_ms;
        }),
        ("voice.speed", |c, n| c.voice.speed = n.voice.speed),
    ];
    for (field, set) in fields {
        if errors.iter().any(|e| e.field == field) {
            continue;
        }
        let mut one = current.clone();
        set(&mut one, &next);
        if let Err(ConfigError::Invalid { problem, .. }) = one.validate(Path::new("")) {
            bad(&mut errors, field, format!("{} {problem}", label(field)));
        }
    }
    if errors.is_empty() {
        // The whole, in case fields only fail together.
        if let Err(err) = next.validate(Path::new("")) {
            let field = match &err {
                ConfigError::Invalid { field, .. } => (*field).to_owned(),
                _ => String::new(),
            };
            bad(&mut errors, &field, err.to_string());
        }
    }
    if errors.is_empty() {
        Ok(next)
    } else {
        Err(errors)
    }
}

/// The panel's name for a field, to start its messages with.
fn label(field: &str) -> &'static str {
    match field {
        "llm.endpoint" => "The LLM endpoint",
        "llm.model" => "The model name",
        "llm.model_path" => "The model file",
        "interaction.micro_turn_ms" => "The micro-turn length",
        "voice.speed" => "The voice speed",
        _ => "The value",
    }
}

/// Sets `section.key` in the document, creating the section table if needed; `None` removes
/// the key (back to the default).
fn set(doc: &mut DocumentMut, section: &str, key: &str, new: Option<Item>) {
    if !doc.contains_key(section) {
        if new.is_none() {
            return;
        }
        doc.insert(section, Item::Table(Table::new()));
    }
    let Some(table) = doc[section].as_table_like_mut() else {
        return;
    };
    match new {
        Some(item) => {
            // Keep the key's decoration (its comment) when only the value changes.
            match table.get_mut(key).and_then(Item::as_value_mut) {
                Some(existing) => {
                    let decor = existing.decor().clone();
                    if let Ok(v) = item.into_value() {
                        *existing = v;
                        *existing.decor_mut() = decor;
                    }
                }
                None => {
                    table.insert(key, item);
                }
            }
        }
        None => {
            table.remove(key);
        }
    }
}

/// The document with the panel's fields set to `c`'s values (others untouched).
fn edit(doc: &mut DocumentMut, c: &Config) {
    if !doc.contains_key("schema_version") {
        doc.insert("schema_version", value(i64::from(config::SCHEMA_VERSION)));
    }
    let opt = |s: &Option<String>| s.as_ref().map(|s| value(s.as_str()));
    set(doc, "llm", "enabled", Some(value(c.llm.enabled)));
    set(doc, "llm", "backend", Some(value(c.llm.backend.as_str())));
    // An older file may name the backend `api`: one key only.
    set(doc, "llm", "api", None);
    set(
        doc,
        "llm",
        "model_path",
        c.llm
            .model_path
            .as_ref()
            .map(|p| value(p.display().to_string())),
    );
    set(doc, "llm", "endpoint", Some(value(c.llm.endpoint.as_str())));
    set(doc, "llm", "model", Some(value(c.llm.model.as_str())));
    // Written only while on: the default (off) leaves the file as it was.
    set(
        doc,
        "llm",
        "allow_remote",
        c.llm.allow_remote.then(|| value(true)),
    );
    set(
        doc,
        "interaction",
        "micro_turn_ms",
        Some(value(i64::from(c.interaction.micro_turn_ms))),
    );
    set(
        doc,
        "runtime",
        "execution_provider",
        Some(value(c.runtime.execution_provider.as_str())),
    );
    // Through the decimal text, so 1.1 is written as 1.1 and not 1.100000023841858.
    let speed: f64 = c.voice.speed.to_string().parse().unwrap_or(1.0);
    set(doc, "voice", "speed", Some(value(speed)));
    set(doc, "audio", "input_device", opt(&c.audio.input_device));
    set(doc, "audio", "output_device", opt(&c.audio.output_device));
    set(doc, "camera", "device", opt(&c.camera.device));
}

/// Checks the form and, when every field is good, writes it into the config file at `path`.
///
/// # Errors
/// [`AppError::Config`] when the existing file cannot be read or does not parse (it is left as
/// it is: fix it or move it aside), or the new file cannot be written (the old one stays).
pub fn save(path: &Path, form: &SettingsForm) -> Result<SaveOutcome, AppError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }
            .into());
        }
    };
    let current = match &text {
        Some(t) => Config::parse(t, path).map_err(|e| {
            AppError::Config(format!(
                "{e}\n  the settings were not saved, and the file was left as it is"
            ))
        })?,
        None => Config::default(),
    };
    let next = match apply(&current, form) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(SaveOutcome {
                saved: false,
                errors,
                settings: SettingsForm::from_config(&current),
                path: path.display().to_string(),
            });
        }
    };
    let mut doc: DocumentMut = text
        .as_deref()
        .unwrap_or("")
        .parse()
        .map_err(|e| AppError::Config(format!("config file {}: {e}", path.display())))?;
    edit(&mut doc, &next);
    let new_text = doc.to_string();
    // What is written must load back as exactly what was checked.
    let reread = Config::parse(&new_text, path)?;
    if reread != next {
        return Err(AppError::Internal(format!(
            "the edited config file {} would not read back as the settings saved; nothing was written",
            path.display()
        )));
    }
    write_atomically(path, new_text.as_bytes()).map_err(|source| {
        AppError::from(ConfigError::Write {
            path: path.to_owned(),
            source,
        })
    })?;
    tracing::info!(path = %path.display(), "settings saved");
    Ok(SaveOutcome {
        saved: true,
        errors: Vec::new(),
        settings: SettingsForm::from_config(&reread),
        path: path.display().to_string(),
    })
}

/// Replaces `path` with `bytes` so that a reader sees the old file or the new one, never a
/// part: an unpredictable temporary file beside it, synced and renamed over it. The config is
/// the user's only (mode 0600, Tandem's own config directory 0700), whatever mode the old file
/// had: it may hold a private endpoint.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    tandem_core::private_fs::create_dir(&dir, tandem_core::config::is_own_dir(&dir))?;
    tandem_core::private_fs::write_atomic(path, bytes)
}

#[cfg(test)]
mod tests;
