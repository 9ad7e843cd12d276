//! LLM backends over HTTP: OpenAI-compatible chat completions (llama.cpp server, LM Studio,
//! vLLM, Ollama's `/v1`) streamed as server-sent events, and Ollama's native `/api/chat`
//! streamed as newline-delimited JSON. Both stream text and tool calls.
//!
//! Nothing here waits without a bound: the request and the first output must arrive within
//! [`Timeouts::first_output`], and a running stream may go quiet for at most
//! [`Timeouts::stall`]. Dropping a [`ChatStream`] (or aborting the task holding it) closes
//! the connection, so a cancelled request stops the server's work too. Only plain `http://`
//! endpoints are supported: local servers speak it, and this build carries no TLS stack.

pub mod embedded;
mod stream;
pub mod tools;

use std::time::Duration;

use serde_json::{Value, json};

use crate::config::{LlmApi, LlmConfig};

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
    #[error(
        "llm.endpoint `{0}` is not supported: use an http:// URL (local servers such as Ollama, llama.cpp, LM Studio and vLLM speak plain HTTP)"
    )]
    UnsupportedEndpoint(String),
}

impl LlmError {
    /// A short spoken apology for this failure.
    pub fn apology(&self) -> &'static str {
        match self {
            Self::Connect { .. } | Self::UnsupportedEndpoint(_) => {
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

/// A configured backend: where to send chats and how.
#[derive(Debug, Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    url: String,
    api: LlmApi,
    model: String,
    timeouts: Timeouts,
}

/// The chat URL for an endpoint: `<endpoint>/chat/completions` for OpenAI-compatible servers,
/// `<endpoint without /v1>/api/chat` for Ollama's native API.
pub fn chat_url(endpoint: &str, api: LlmApi) -> String {
    let base = endpoint.trim().trim_end_matches('/');
    match api {
        LlmApi::Openai if base.ends_with("/chat/completions") => base.to_owned(),
        LlmApi::Openai => format!("{base}/chat/completions"),
        LlmApi::Ollama if base.ends_with("/api/chat") => base.to_owned(),
        LlmApi::Ollama => format!("{}/api/chat", base.trim_end_matches("/v1")),
    }
}

impl LlmClient {
    pub fn new(config: &LlmConfig, api: LlmApi, timeouts: Timeouts) -> Result<LlmClient, LlmError> {
        let url = chat_url(&config.endpoint, api);
        if !url.starts_with("http://") {
            return Err(LlmError::UnsupportedEndpoint(config.endpoint.clone()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.first_output)
            // Never route chats through a proxy from the environment: local stays local.
            .no_proxy()
            .build()
            .map_err(|e| LlmError::Connect {
                url: url.clone(),
                detail: e.to_string(),
            })?;
        Ok(LlmClient {
            http,
            url,
            api,
            model: config.model.clone(),
            timeouts,
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
        let send = self
            .http
            .post(&self.url)
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
                    detail: error_chain(&e),
                });
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if !status.is_success() {
            let body = tokio::time::timeout_at(
                first_deadline.max(tokio::time::Instant::now() + Duration::from_millis(200)),
                response.text(),
            )
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
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
    fn chat_urls() {
        assert_eq!(
            chat_url("http://127.0.0.1:11434/v1", LlmApi::Openai),
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        assert_eq!(
            chat_url("http://127.0.0.1:11434/v1/", LlmApi::Ollama),
            "http://127.0.0.1:11434/api/chat"
        );
        assert_eq!(
            chat_url("http://localhost:11434", LlmApi::Ollama),
            "http://localhost:11434/api/chat"
        );
        assert_eq!(
            chat_url("http://h:8080/v1/chat/completions", LlmApi::Openai),
            "http://h:8080/v1/chat/completions"
        );
    }

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

    #[test]
    fn https_endpoints_are_refused_with_a_clear_message() {
        let config = LlmConfig {
            endpoint: "https://example.invalid/v1".into(),
            ..LlmConfig::default()
        };
        let t = Timeouts {
            first_output: Duration::from_secs(1),
            stall: Duration::from_secs(1),
        };
        let err = LlmClient::new(&config, LlmApi::Openai, t).unwrap_err();
        assert!(err.to_string().contains("http://"), "{err}");
    }
}
