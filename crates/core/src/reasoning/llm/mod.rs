//! LLM backends over HTTP: OpenAI-compatible chat completions (llama.cpp server, LM Studio,
//! vLLM, Ollama's `/v1`) streamed as server-sent events, and Ollama's native `/api/chat`
//! streamed as newline-delimited JSON. Both stream text and tool calls.
//!
//! Nothing here waits without a bound: the request and the first output must arrive within
//! [`Timeouts::first_output`], and a running stream may go quiet for at most
//! [`Timeouts::stall`]. Dropping a [`ChatStream`] (or aborting the task holding it) closes
//! the connection, so a cancelled request stops the server's work too.
//!
//! Private by default: the endpoint is parsed by [`endpoint::parse`], a host other than this
//! computer needs `llm.allow_remote`, and the API key (`llm.api_key_env` or `llm.api_key`)
//! travels only in the `Authorization` header, never in a URL or a log line. `https://`
//! goes through rustls with the system's root certificates plus `llm.ca_file`; redirects are
//! not followed, no proxy is used, and every line or body read is capped at
//! [`MAX_LINE_BYTES`].

mod echo;
pub mod embedded;
pub mod endpoint;
mod stream;
pub mod tools;

use std::time::Duration;

use serde_json::{Value, json};

pub(crate) use echo::EchoGate;

use crate::config::{ApiKey, LlmApi, LlmConfig};

pub use embedded::{EmbeddedLlm, EmbeddedOptions, EmbeddedStream};
pub use stream::{ChatStream, StreamItem};

/// Where answers come from: the embedded model in this process, or a server over HTTP.
#[derive(Debug, Clone)]
pub enum LlmBackend {
    Embedded(EmbeddedLlm),
    Http(LlmClient),
}

/// One streamed answer from either backend. Dropping it stops the generation (embedded) or
/// closes the connection (HTTP).
#[derive(Debug)]
pub enum BackendStream {
    Embedded {
        stream: EmbeddedStream,
        first_deadline: tokio::time::Instant,
        got_output: bool,
        label: String,
    },
    Http(Box<ChatStream>),
}

impl LlmBackend {
    /// The model file or the server's URL, for messages and logs.
    pub fn label(&self) -> &str {
        match self {
            Self::Embedded(m) => m.label(),
            Self::Http(c) => c.url(),
        }
    }

    /// Whether the model is offered the skills as tools. The small embedded models answer in
    /// plain text; the skills have already had their turn before a request reaches them.
    pub fn offers_tools(&self) -> bool {
        matches!(self, Self::Http(_))
    }

    pub async fn stream(
        &self,
        messages: &[ChatMessage],
        tools: &Value,
    ) -> Result<BackendStream, LlmError> {
        match self {
            Self::Embedded(m) => Ok(BackendStream::Embedded {
                stream: m.stream(messages)?,
                first_deadline: tokio::time::Instant::now() + embedded::FIRST_OUTPUT,
                got_output: false,
                label: m.label().to_owned(),
            }),
            Self::Http(c) => Ok(BackendStream::Http(Box::new(
                c.stream(messages, tools).await?,
            ))),
        }
    }

    /// A head start for a request that is likely to come (embedded only: it evaluates the
    /// prompt into the model's cache).
    pub fn prefill(&self, messages: &[ChatMessage]) {
        if let Self::Embedded(m) = self {
            m.prefill(messages);
        }
    }
}

impl BackendStream {
    pub async fn next(&mut self) -> Result<StreamItem, LlmError> {
        match self {
            Self::Http(s) => s.next().await,
            Self::Embedded {
                stream,
                first_deadline,
                got_output,
                label,
            } => {
                if *got_output {
                    return stream.next().await;
                }
                match tokio::time::timeout_at(*first_deadline, stream.next()).await {
                    Ok(item) => {
                        *got_output = true;
                        item
                    }
                    Err(_) => Err(LlmError::FirstOutputTimeout {
                        url: label.clone(),
                        ms: embedded::FIRST_OUTPUT.as_millis() as u64,
                    }),
                }
            }
        }
    }
}

/// Time limits for one streamed completion.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From sending the request to the first text or tool call.
    pub first_output: Duration,
    /// Longest silence inside a stream once output has started.
    pub stall: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("cannot connect to the language model at {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("the language model at {url} did not start answering within {ms} ms")]
    FirstOutputTimeout { url: String, ms: u64 },
    #[error("the language model at {url} stopped streaming for {ms} ms")]
    Stalled { url: String, ms: u64 },
    #[error("the language model at {url} took longer than {ms} ms in all")]
    TotalTimeout { url: String, ms: u64 },
    #[error("the language model at {url} answered HTTP {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("the language model at {url} sent a malformed stream: {detail}")]
    Malformed { url: String, detail: String },
    #[error("the language model at {url} reported an error: {message}")]
    Server { url: String, message: String },
    #[error("the language model kept calling tools for {0} rounds without answering")]
    TooManyToolRounds(usize),
    #[error("`{field}` {problem}")]
    Config {
        field: &'static str,
        problem: String,
    },
    #[error(
        "the language model at {url} answered with a redirect (HTTP {status}) to `{location}`; Tandem does not follow redirects: set llm.endpoint to the server's own address"
    )]
    Redirect {
        url: String,
        status: u16,
        location: String,
    },
}

impl LlmError {
    /// A short spoken apology for this failure.
    pub fn apology(&self) -> &'static str {
        match self {
            Self::Connect { .. } | Self::Config { .. } | Self::Redirect { .. } => {
                "Sorry, I can't reach the language model right now."
            }
            Self::FirstOutputTimeout { .. } | Self::TotalTimeout { .. } | Self::Stalled { .. } => {
                "Sorry, the language model is taking too long."
            }
            Self::Status { .. } | Self::Server { .. } => {
                "Sorry, the language model ran into an error."
            }
            Self::Malformed { .. } | Self::TooManyToolRounds(_) => {
                "Sorry, I couldn't make sense of the language model's reply."
            }
        }
    }
}

/// A tool call the model asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// Parsed arguments; a string when the model sent JSON that does not parse.
    pub arguments: Value,
}

/// One message of a chat, in the form both APIs share.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatMessage {
    System(String),
    User(String),
    Assistant {
        text: String,
        tool_calls: Vec<ToolCall>,
    },
    Tool {
        call_id: String,
        name: String,
        content: String,
    },
}

impl ChatMessage {
    fn to_json(&self, api: LlmApi) -> Value {
        match self {
            Self::System(text) => json!({"role": "system", "content": text}),
            Self::User(text) => json!({"role": "user", "content": text}),
            Self::Assistant { text, tool_calls } if tool_calls.is_empty() => {
                json!({"role": "assistant", "content": text})
            }
            Self::Assistant { text, tool_calls } => {
                let calls: Vec<Value> = tool_calls
                    .iter()
                    .map(|c| match api {
                        LlmApi::Openai => json!({
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": arguments_string(&c.arguments)},
                        }),
                        LlmApi::Ollama => json!({
                            "function": {"name": c.name, "arguments": c.arguments},
                        }),
                    })
                    .collect();
                json!({"role": "assistant", "content": text, "tool_calls": calls})
            }
            Self::Tool {
                call_id,
                name,
                content,
            } => match api {
                LlmApi::Openai => {
                    json!({"role": "tool", "tool_call_id": call_id, "content": content})
                }
                LlmApi::Ollama => json!({"role": "tool", "tool_name": name, "content": content}),
            },
        }
    }
}

fn arguments_string(v: &Value) -> String {
    match v {
        Value::String(raw) => raw.clone(),
        other => other.to_string(),
    }
}

/// Longest line of a stream, and longest whole body, read from a server: past it the reply is
/// refused as malformed rather than buffered without end.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A configured backend: where to send chats and how. Its `Debug` shows the API key as
/// `<redacted>`.
#[derive(Debug, Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    url: String,
    api: LlmApi,
    model: String,
    timeouts: Timeouts,
    api_key: Option<ApiKey>,
}

/// The chat URL for an endpoint (see [`endpoint::Endpoint::chat_url`]); the trimmed text
/// when it does not parse.
pub fn chat_url(endpoint: &str, api: LlmApi) -> String {
    endpoint::parse(endpoint).map_or_else(|_| endpoint.trim().to_owned(), |e| e.chat_url(api))
}

/// rustls's `ring` provider for every TLS connection of this process, installed once (a
/// provider some other part of the process installed first is kept).
fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The API key: the variable `llm.api_key_env` names, else `llm.api_key`.
fn api_key(config: &LlmConfig) -> Result<Option<ApiKey>, LlmError> {
    if let Some(name) = &config.api_key_env {
        match std::env::var(name) {
            Ok(key) if !key.trim().is_empty() => return Ok(Some(ApiKey::new(key.trim()))),
            _ if config.api_key.is_some() => {}
            _ => {
                return Err(LlmError::Config {
                    field: "llm.api_key_env",
                    problem: format!(
                        "names the environment variable `{name}`, but it is not set (or empty); set it to the server's API key before starting Tandem, or remove llm.api_key_env"
                    ),
                });
            }
        }
    }
    Ok(config.api_key.clone())
}

/// The certificate authorities in `llm.ca_file`.
fn ca_certificates(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, LlmError> {
    let bad = |problem: String| LlmError::Config {
        field: "llm.ca_file",
        problem,
    };
    let pem = std::fs::read(path).map_err(|e| {
        bad(format!(
            "is `{}`, which cannot be read: {e}",
            path.display()
        ))
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| bad(format!("is `{}`, which is not PEM: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(bad(format!(
            "is `{}`, which holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certs)
}

impl LlmClient {
    /// A client for `config`'s endpoint, after the same checks as [`crate::config::Config::validate`]
    /// (a remote host needs `llm.allow_remote`), with the API key resolved and `llm.ca_file`
    /// trusted.
    pub fn new(config: &LlmConfig, api: LlmApi, timeouts: Timeouts) -> Result<LlmClient, LlmError> {
        let endpoint = endpoint::parse(&config.endpoint).map_err(|e| LlmError::Config {
            field: "llm.endpoint",
            problem: e.to_string(),
        })?;
        if let Some(problem) = endpoint.remote_refusal(config.allow_remote) {
            return Err(LlmError::Config {
                field: "llm.endpoint",
                problem,
            });
        }
        let api_key = api_key(config)?;
        if api_key.is_some() && !endpoint.is_https() && !endpoint.is_loopback() {
            return Err(LlmError::Config {
                field: "llm.endpoint",
                problem: format!(
                    "is plain http:// to `{}` and an API key is set; use https://",
                    endpoint.host()
                ),
            });
        }
        let url = endpoint.chat_url(api);
        install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(timeouts.first_output)
            // Never route chats through a proxy from the environment: local stays local.
            .no_proxy()
            // A redirect could take the key and the conversation to another host.
            .redirect(reqwest::redirect::Policy::none());
        let extra_roots = match &config.ca_file {
            Some(path) => ca_certificates(path)?,
            None => Vec::new(),
        };
        builder = if endpoint.is_https() {
            // The system's roots (rustls-platform-verifier) and the private CA, if any.
            builder.tls_certs_merge(extra_roots)
        } else {
            // No TLS is spoken, so no system roots are needed: a machine without any still
            // reaches a local server.
            builder.tls_certs_only(Vec::new())
        };
        let http = builder.build().map_err(|e| LlmError::Connect {
            url: url.clone(),
            detail: connect_detail(&e),
        })?;
        Ok(LlmClient {
            http,
            url,
            api,
            model: config.model.clone(),
            timeouts,
            api_key,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn api(&self) -> LlmApi {
        self.api
    }

    /// The request body for a streamed chat.
    pub fn body(&self, messages: &[ChatMessage], tools: &Value) -> Value {
        let messages: Vec<Value> = messages.iter().map(|m| m.to_json(self.api)).collect();
        let mut body = json!({"model": self.model, "messages": messages, "stream": true});
        if tools.as_array().is_some_and(|t| !t.is_empty()) {
            body["tools"] = tools.clone();
        }
        body
    }

    /// Sends a chat and returns its stream once the server has answered with a status.
    pub async fn stream(
        &self,
        messages: &[ChatMessage],
        tools: &Value,
    ) -> Result<ChatStream, LlmError> {
        let started = tokio::time::Instant::now();
        let first_deadline = started + self.timeouts.first_output;
        let body =
            serde_json::to_vec(&self.body(messages, tools)).expect("a JSON value serializes");
        let mut post = self.http.post(&self.url);
        if let Some(key) = &self.api_key {
            let mut value =
                reqwest::header::HeaderValue::try_from(format!("Bearer {}", key.expose()))
                    .map_err(|_| LlmError::Config {
                        field: "llm.api_key",
                        problem: "holds characters that cannot go in an HTTP header".into(),
                    })?;
            value.set_sensitive(true);
            post = post.header(reqwest::header::AUTHORIZATION, value);
        }
        let send = post
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                reqwest::header::ACCEPT,
                "text/event-stream, application/x-ndjson, application/json",
            )
            .body(body)
            .send();
        let response = match tokio::time::timeout_at(first_deadline, send).await {
            Err(_) => return Err(self.first_output_timeout()),
            Ok(Err(e)) if e.is_timeout() => return Err(self.first_output_timeout()),
            Ok(Err(e)) => {
                return Err(LlmError::Connect {
                    url: self.url.clone(),
                    detail: connect_detail(&e),
                });
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            return Err(LlmError::Redirect {
                url: self.url.clone(),
                status: status.as_u16(),
                location,
            });
        }
        if !status.is_success() {
            let deadline =
                first_deadline.max(tokio::time::Instant::now() + Duration::from_millis(200));
            let body = error_body(response, deadline).await;
            return Err(LlmError::Status {
                url: self.url.clone(),
                status: status.as_u16(),
                body: body.chars().take(300).collect::<String>().trim().to_owned(),
            });
        }
        Ok(ChatStream::new(
            response,
            self.api,
            self.url.clone(),
            first_deadline,
            self.timeouts,
        ))
    }

    fn first_output_timeout(&self) -> LlmError {
        LlmError::FirstOutputTimeout {
            url: self.url.clone(),
            ms: self.timeouts.first_output.as_millis() as u64,
        }
    }
}

/// The start of an error response's body (at most 4 KiB, read until `deadline`).
async fn error_body(mut response: reqwest::Response, deadline: tokio::time::Instant) -> String {
    const MAX: usize = 4096;
    let mut body = Vec::new();
    while body.len() < MAX {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(bytes))) => body.extend_from_slice(&bytes),
            _ => break,
        }
    }
    body.truncate(MAX);
    String::from_utf8_lossy(&body).into_owned()
}

/// Why a connection failed, with the fix when it is a certificate the system does not trust.
fn connect_detail(e: &reqwest::Error) -> String {
    let detail = error_chain(e);
    if detail.contains("UnknownIssuer")
        || detail.contains("unknown issuer")
        || detail.contains("No CA certificates")
    {
        format!(
            "{detail} (the server's certificate is signed by an authority this computer does not trust; for a private CA, set llm.ca_file to its PEM certificate)"
        )
    } else {
        detail
    }
}

/// An error and its causes on one line ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_messages_follow_each_api() {
        let call = ToolCall {
            id: "call_1".into(),
            name: "calculate".into(),
            arguments: json!({"expression": "2 plus 2"}),
        };
        let asked = ChatMessage::Assistant {
            text: String::new(),
            tool_calls: vec![call],
        };
        let openai = asked.to_json(LlmApi::Openai);
        assert_eq!(
            openai["tool_calls"][0]["function"]["arguments"],
            "{\"expression\":\"2 plus 2\"}"
        );
        let ollama = asked.to_json(LlmApi::Ollama);
        assert_eq!(
            ollama["tool_calls"][0]["function"]["arguments"]["expression"],
            "2 plus 2"
        );
        let result = ChatMessage::Tool {
            call_id: "call_1".into(),
            name: "calculate".into(),
            content: "4".into(),
        };
        assert_eq!(result.to_json(LlmApi::Openai)["tool_call_id"], "call_1");
        assert_eq!(result.to_json(LlmApi::Ollama)["tool_name"], "calculate");
    }

    fn timeouts() -> Timeouts {
        Timeouts {
            first_output: Duration::from_secs(1),
            stall: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_remote_endpoint_is_refused_without_allow_remote() {
        let mut config = LlmConfig {
            endpoint: "https://gpu.example.org/v1".into(),
            ..LlmConfig::default()
        };
        let err = LlmClient::new(&config, LlmApi::Openai, timeouts()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("gpu.example.org") && msg.contains("allow_remote"),
            "{msg}"
        );
        config.allow_remote = true;
        let client = LlmClient::new(&config, LlmApi::Openai, timeouts()).unwrap();
        assert_eq!(client.url(), "https://gpu.example.org/v1/chat/completions");
    }

    #[test]
    fn the_client_debug_output_never_shows_the_api_key() {
        let config = LlmConfig {
            endpoint: "https://gpu.example.org/v1".into(),
            allow_remote: true,
            api_key: Some(ApiKey::new("sk-debug-secret-7")),
            ..LlmConfig::default()
        };
        let client = LlmClient::new(&config, LlmApi::Openai, timeouts()).unwrap();
        let shown = format!("{client:?} {:?}", LlmBackend::Http(client.clone()));
        assert!(!shown.contains("sk-debug-secret-7"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn a_missing_key_variable_or_ca_file_is_a_clear_error() {
        let config = LlmConfig {
            api_key_env: Some("TANDEM_TEST_SURELY_UNSET_KEY_VAR".into()),
            ..LlmConfig::default()
        };
        let err = LlmClient::new(&config, LlmApi::Openai, timeouts()).unwrap_err();
        assert!(
            err.to_string().contains("TANDEM_TEST_SURELY_UNSET_KEY_VAR"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        for ca in [dir.path().join("missing.pem"), not_pem] {
            let config = LlmConfig {
                ca_file: Some(ca),
                ..LlmConfig::default()
            };
            let err = LlmClient::new(&config, LlmApi::Openai, timeouts()).unwrap_err();
            assert!(err.to_string().contains("llm.ca_file"), "{err}");
        }
    }
}
