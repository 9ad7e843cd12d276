//! The `[llm]` settings that decide what leaves the computer: remote hosts, API keys, secrets
//! in URLs.

use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("test.toml"))
}

fn server(endpoint: &str, extra: &str) -> Result<Config, ConfigError> {
    parse(&format!(
        "[llm]\nbackend = \"openai\"\nendpoint = \"{endpoint}\"\n{extra}"
    ))
}

#[test]
fn a_remote_server_needs_allow_remote_and_the_refusal_says_what_is_sent() {
    let err = server("https://gpu.example.org/v1", "").unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                field: "llm.endpoint",
                ..
            }
        ),
        "{msg}"
    );
    for part in [
        "gpu.example.org",
        "transcripts",
        "conversation turns",
        "notes",
        "camera",
        "allow_remote = true",
    ] {
        assert!(msg.contains(part), "{part}: {msg}");
    }
    server("https://gpu.example.org/v1", "allow_remote = true").unwrap();
    for local in [
        "http://127.0.0.1:8080/v1",
        "http://localhost:1/v1",
        "http://[::1]:2/v1",
    ] {
        server(local, "").unwrap();
    }
    // Nothing is sent while the embedded model answers or the LLM is off.
    parse("[llm]\nendpoint = \"https://gpu.example.org/v1\"\n").unwrap();
    server("https://gpu.example.org/v1", "enabled = false").unwrap();
}

#[test]
fn secrets_in_the_endpoint_and_keys_over_plain_http_are_refused() {
    let err = server("https://me:pw@gpu.example.org/v1", "allow_remote = true").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("llm.endpoint") && msg.contains("llm.api_key_env"),
        "{msg}"
    );
    assert!(!msg.contains("pw@"), "{msg}");
    let err = server(
        "https://gpu.example.org/v1?token=abc",
        "allow_remote = true",
    )
    .unwrap_err();
    assert!(!err.to_string().contains("abc"), "{err}");
    let err = server(
        "http://gpu.example.org/v1",
        "allow_remote = true\napi_key_env = \"GPU_KEY\"",
    )
    .unwrap_err();
    assert!(err.to_string().contains("https://"), "{err}");
    server("http://127.0.0.1:8080/v1", "api_key = \"sk-local\"").unwrap();
    let err = server("http://127.0.0.1:8080/v1", "api_key_env = \"A=B\"").unwrap_err();
    assert!(err.to_string().contains("llm.api_key_env"), "{err}");
}

#[test]
fn debug_output_never_shows_the_api_key() {
    let c = server(
        "https://gpu.example.org/v1",
        "allow_remote = true\napi_key = \"sk-very-secret-42\"",
    )
    .unwrap();
    assert_eq!(
        c.llm.api_key.as_ref().unwrap().expose(),
        "sk-very-secret-42"
    );
    for shown in [format!("{c:?}"), format!("{:?}", c.llm), format!("{c:#?}")] {
        assert!(!shown.contains("sk-very-secret-42"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}

#[cfg(unix)]
#[test]
fn a_key_in_a_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[llm]\napi_key = \"sk-1\"\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Config::load_from(&path).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("llm.api_key") && msg.contains("chmod 600"),
        "{msg}"
    );
    assert!(!msg.contains("sk-1"), "{msg}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(Config::load_from(&path).unwrap().llm.api_key.is_some());
    // `config init` writes new files 0600 (see write_new_never_overwrites).
}
