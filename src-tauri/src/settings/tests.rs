//! The settings panel against real config files in a temporary directory.

use std::path::Path;

use tandem_core::config::Config;

use super::*;

const USER_FILE: &str = r#"# My Tandem settings.
schema_version = 1

[llm]
# Off until my server is set up.
enabled = false
endpoint = "http://127.0.0.1:11434/v1"
model = "llama3.2:3b"

[camera]
fps = 2 # slow laptop
"#;

fn form(path: &Path) -> SettingsForm {
    load(path).unwrap().settings
}

#[test]
fn a_valid_save_round_trips_and_keeps_the_rest_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, USER_FILE).unwrap();

    let mut f = form(&path);
    assert_eq!(f.micro_turn_ms, "200");
    assert_eq!(f.voice_speed, "1");
    f.llm_enabled = true;
    f.llm_endpoint = "http://192.168.1.20:8080/v1".into();
    f.llm_model = " qwen2.5:7b ".into();
    f.micro_turn_ms = "160".into();
    f.execution_provider = "cpu".into();
    f.voice_speed = "1.1".into();
    f.input_device = Some("USB Microphone".into());
    f.camera_device = Some(String::new());

    let outcome = save(&path, &f).unwrap();
    assert!(outcome.saved, "{:?}", outcome.errors);
    assert!(outcome.errors.is_empty());

    // Read back through the engine's own loader: what the next conversation gets.
    let c = Config::load_from(&path).unwrap();
    assert!(c.llm.enabled);
    assert_eq!(c.llm.endpoint, "http://192.168.1.20:8080/v1");
    assert_eq!(c.llm.model, "qwen2.5:7b");
    assert_eq!(c.interaction.micro_turn_ms, 160);
    assert_eq!(c.runtime.execution_provider.as_str(), "cpu");
    assert!((c.voice.speed - 1.1).abs() < 1e-6);
    assert_eq!(c.audio.input_device.as_deref(), Some("USB Microphone"));
    assert_eq!(c.camera.device, None, "an empty choice is the default");
    assert_eq!(c.camera.fps, 2, "a setting the panel does not edit is kept");
    assert_eq!(form(&path), outcome.settings);
    #[cfg(unix)]
    assert_eq!(
        tandem_core::private_fs::mode(&path).unwrap(),
        0o600,
        "a saved config is readable by the user only, whatever mode the old file had"
    );

    let text = std::fs::read_to_string(&path).unwrap();
    for kept in [
        "# My Tandem settings.",
        "# Off until my server is set up.",
        "fps = 2 # slow laptop",
    ] {
        assert!(text.contains(kept), "lost `{kept}`:\n{text}");
    }
    assert!(text.contains("speed = 1.1\n"), "{text}");
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["config.toml"]);

    // Saving the same form again changes nothing.
    save(&path, &outcome.settings).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn a_missing_file_is_created_with_only_the_panel_fields_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tandem").join("config.toml");
    let mut f = form(&path);
    assert_eq!(f, SettingsForm::from_config(&Config::default()));
    f.micro_turn_ms = "240".into();
    assert!(save(&path, &f).unwrap().saved);
    let c = Config::load_from(&path).unwrap();
    assert_eq!(c.interaction.micro_turn_ms, 240);
    assert_eq!(
        Config {
            interaction: c.interaction.clone(),
            ..Config::default()
        },
        c
    );
}

#[test]
fn bad_values_are_rejected_by_field_and_the_file_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, USER_FILE).unwrap();

    let mut f = form(&path);
    f.micro_turn_ms = "5000".into();
    f.voice_speed = "fast".into();
    f.llm_endpoint = "localhost:11434".into();
    f.execution_provider = "gpu".into();
    f.llm_model = "  ".into();
    f.llm_enabled = true;
    let outcome = save(&path, &f).unwrap();
    assert!(!outcome.saved);
    let by_field = |field: &str| {
        outcome
            .errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
            .unwrap_or_else(|| panic!("no error for {field}: {:?}", outcome.errors))
    };
    assert_eq!(
        by_field("interaction.micro_turn_ms"),
        "The micro-turn length is 5000; it must be between 80 and 400"
    );
    assert!(by_field("voice.speed").contains("`fast` is not a number"));
    assert!(by_field("llm.endpoint").contains("http:// or https://"));
    assert!(by_field("runtime.execution_provider").contains("`gpu`"));
    assert!(by_field("llm.model").contains("must not be empty"));
    assert_eq!(outcome.errors.len(), 5, "{:?}", outcome.errors);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), USER_FILE);
    // The panel gets the saved values back to show.
    assert_eq!(outcome.settings, form(&path));

    // A value just out of range, alone.
    let mut f = form(&path);
    f.voice_speed = "2.5".into();
    let outcome = save(&path, &f).unwrap();
    assert_eq!(
        outcome.errors,
        [FieldError {
            field: "voice.speed".into(),
            message: "The voice speed is 2.5; it must be between 0.5 and 2.0".into()
        }]
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), USER_FILE);
}

#[test]
fn a_malformed_file_is_a_clear_error_and_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let broken = "[interaction]\nmicro_turn_ms = \"fast\"\n";
    std::fs::write(&path, broken).unwrap();

    let err = load(&path).unwrap_err();
    let AppError::Config(message) = &err else {
        panic!("{err:?}");
    };
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("line 2"), "{message}");

    let err = save(&path, &SettingsForm::from_config(&Config::default())).unwrap_err();
    let AppError::Config(message) = &err else {
        panic!("{err:?}");
    };
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("not saved"), "{message}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn a_remote_server_is_saved_only_with_consent_and_a_key_in_the_file_stays_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[llm]\nbackend = \"openai\"\napi_key = \"sk-in-the-file\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let view = load(&path).unwrap();
    assert_eq!(view.settings.llm_backend, "openai");
    assert!(view.llm_what_is_sent.contains("camera"));
    let mut f = view.settings;
    f.llm_enabled = true;
    f.llm_endpoint = "https://gpu.example.org/v1".into();
    let before = std::fs::read_to_string(&path).unwrap();

    let outcome = save(&path, &f).unwrap();
    assert!(!outcome.saved);
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    assert_eq!(outcome.errors[0].field, "llm.endpoint");
    let message = &outcome.errors[0].message;
    assert!(
        message.starts_with("The LLM endpoint points at `gpu.example.org`")
            && message.contains("transcripts")
            && message.contains("allow_remote"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);

    f.llm_allow_remote = true;
    let outcome = save(&path, &f).unwrap();
    assert!(outcome.saved, "{:?}", outcome.errors);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("allow_remote = true"), "{text}");
    assert!(text.contains("api_key = \"sk-in-the-file\""), "{text}");
    #[cfg(unix)]
    assert_eq!(tandem_core::private_fs::mode(&path).unwrap(), 0o600);
    let c = Config::load_from(&path).unwrap();
    assert!(c.llm.allow_remote);
    assert_eq!(c.llm.api_key.unwrap().expose(), "sk-in-the-file");

    // Back to a local server: the consent is removed from the file.
    f.llm_endpoint = "http://127.0.0.1:8080/v1".into();
    f.llm_allow_remote = false;
    assert!(save(&path, &f).unwrap().saved);
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains("allow_remote")
    );
}

#[test]
fn the_backend_and_a_model_file_are_saved_and_a_missing_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[llm]\napi = \"ollama\"\nenabled = true\n").unwrap();
    let view = load(&path).unwrap();
    assert_eq!(
        view.settings.llm_backend, "ollama",
        "the older key `api` is read"
    );
    assert_eq!(view.llm_backends, ["embedded", "openai", "ollama"]);

    let mut f = view.settings;
    f.llm_backend = "embedded".into();
    f.llm_model_path = Some(dir.path().join("nope.gguf").display().to_string());
    let refused = save(&path, &f).unwrap();
    assert!(!refused.saved);
    assert_eq!(refused.errors.len(), 1, "{:?}", refused.errors);
    assert_eq!(refused.errors[0].field, "llm.model_path");
    assert!(refused.errors[0].message.contains("nope.gguf"));

    let model = dir.path().join("my-model.gguf");
    std::fs::write(&model, b"GGUF").unwrap();
    f.llm_model_path = Some(format!("  {}  ", model.display()));
    let outcome = save(&path, &f).unwrap();
    assert!(outcome.saved, "{:?}", outcome.errors);
    let c = Config::load_from(&path).unwrap();
    assert_eq!(c.llm.backend.as_str(), "embedded");
    assert_eq!(c.llm.model_path.as_deref(), Some(model.as_path()));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("api ="), "one key for the backend: {text}");

    // Back to the built-in model: the key goes away.
    f.llm_model_path = Some(String::new());
    assert!(save(&path, &f).unwrap().saved);
    assert_eq!(Config::load_from(&path).unwrap().llm.model_path, None);

    f.llm_backend = "gpt".into();
    let bad = save(&path, &f).unwrap();
    assert_eq!(bad.errors[0].field, "llm.backend");
}
