//! Reading a streamed chat: server-sent events (OpenAI-compatible) or newline-delimited
//! JSON (Ollama), with deadlines on every read.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;
use tokio::time::Instant;

use super::{LlmError, MAX_LINE_BYTES, Timeouts, ToolCall};
use crate::config::LlmApi;

/// What a stream yields.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    Text(String),
    /// Tool calls, complete with their arguments.
    ToolCalls(Vec<ToolCall>),
    /// The model finished this completion.
    Done,
}

/// OpenAI streams a tool call in pieces keyed by index: id and name first, then the
/// arguments string in fragments.
#[derive(Debug, Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// One streamed completion. Dropping it closes the connection.
#[derive(Debug)]
pub struct ChatStream {
    response: reqwest::Response,
    api: LlmApi,
    url: String,
    timeouts: Timeouts,
    first_deadline: Instant,
    buf: Vec<u8>,
    queue: VecDeque<StreamItem>,
    partial_calls: BTreeMap<u64, PartialCall>,
    calls_seen: usize,
    got_output: bool,
    finished: bool,
    /// The server sent a whole JSON document instead of a stream.
    whole_json: bool,
}

impl ChatStream {
    pub(super) fn new(
        response: reqwest::Response,
        api: LlmApi,
        url: String,
        first_deadline: Instant,
        timeouts: Timeouts,
    ) -> ChatStream {
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        ChatStream {
            response,
            api,
            url,
            timeouts,
            first_deadline,
            buf: Vec::new(),
            queue: VecDeque::new(),
            partial_calls: BTreeMap::new(),
            calls_seen: 0,
            got_output: false,
            finished: false,
            whole_json: api == LlmApi::Openai && content_type.starts_with("application/json"),
        }
    }

    fn malformed(&self, detail: impl Into<String>) -> LlmError {
        LlmError::Malformed {
            url: self.url.clone(),
            detail: detail.into(),
        }
    }

    /// The next item; [`StreamItem::Done`] once the completion has ended.
    pub async fn next(&mut self) -> Result<StreamItem, LlmError> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Ok(item);
            }
            if self.finished {
                return Ok(StreamItem::Done);
            }
            let deadline = if self.got_output {
                Instant::now() + self.timeouts.stall
            } else {
                self.first_deadline
            };
            let chunk = match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) if self.got_output => {
                    return Err(LlmError::Stalled {
                        url: self.url.clone(),
                        ms: self.timeouts.stall.as_millis() as u64,
                    });
                }
                Err(_) => {
                    return Err(LlmError::FirstOutputTimeout {
                        url: self.url.clone(),
                        ms: self.timeouts.first_output.as_millis() as u64,
                    });
                }
                Ok(Err(e)) => return Err(self.malformed(format!("the connection broke: {e}"))),
                Ok(Ok(chunk)) => chunk,
            };
            match chunk {
                Some(bytes) => {
                    self.buf.extend_from_slice(&bytes);
                    if !self.whole_json {
                        self.drain_lines()?;
                    }
                    if self.buf.len() > MAX_LINE_BYTES {
                        let what = if self.whole_json {
                            "the reply"
                        } else {
                            "a line"
                        };
                        return Err(self.malformed(format!(
                            "{what} is longer than {} KiB; a chat stream never is",
                            MAX_LINE_BYTES / 1024
                        )));
                    }
                }
                None => self.end_of_body()?,
            }
        }
    }

    fn drain_lines(&mut self) -> Result<(), LlmError> {
        while let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
            if pos > MAX_LINE_BYTES {
                return Err(self.malformed(format!(
                    "a line is longer than {} KiB; a chat stream never is",
                    MAX_LINE_BYTES / 1024
                )));
            }
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            self.line(&line)?;
            if self.finished {
                break;
            }
        }
        Ok(())
    }

    fn end_of_body(&mut self) -> Result<(), LlmError> {
        if self.whole_json {
            let doc: Value = serde_json::from_slice(&self.buf)
                .map_err(|e| self.malformed(format!("the reply is not JSON: {e}")))?;
            self.openai_message(&doc)?;
            self.finish();
            return Ok(());
        }
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.line(&rest)?;
        }
        if !self.finished {
            if !self.got_output {
                return Err(self.malformed("the stream ended before any answer"));
            }
            self.finish();
        }
        Ok(())
    }

    /// Ends the completion, handing over any tool calls still being assembled.
    fn finish(&mut self) {
        self.flush_calls();
        self.finished = true;
    }

    fn flush_calls(&mut self) {
        if self.partial_calls.is_empty() {
            return;
        }
        let calls = std::mem::take(&mut self.partial_calls)
            .into_values()
            .map(|p| ToolCall {
                arguments: parse_arguments(&p.arguments),
                id: p.id,
                name: p.name,
            })
            .collect();
        self.queue.push_back(StreamItem::ToolCalls(calls));
    }

    fn line(&mut self, raw: &[u8]) -> Result<(), LlmError> {
        let text = std::str::from_utf8(raw).map_err(|_| self.malformed("a line is not UTF-8"))?;
        let line = text.trim_end_matches(['\n', '\r']);
        match self.api {
            LlmApi::Openai => self.sse_line(line),
            LlmApi::Ollama => self.ndjson_line(line),
        }
    }

    fn sse_line(&mut self, line: &str) -> Result<(), LlmError> {
        // Blank lines end events, ':' lines are comments (keep-alives), other fields
        // (event, id, retry) carry nothing we need.
        let Some(data) = line.strip_prefix("data:") else {
            return Ok(());
        };
        let data = data.trim();
        if data.is_empty() {
            return Ok(());
        }
        if data == "[DONE]" {
            if !self.got_output {
                return Err(self.malformed("the stream ended before any answer"));
            }
            self.finish();
            return Ok(());
        }
        let v: Value = serde_json::from_str(data)
            .map_err(|e| self.malformed(format!("an event is not JSON ({e}): {}", clip(data))))?;
        if let Some(err) = v.get("error") {
            return Err(self.server_error(err));
        }
        let Some(choice) = v.get("choices").and_then(|c| c.get(0)) else {
            // Usage-only events and the like.
            return Ok(());
        };
        if let Some(delta) = choice.get("delta") {
            if let Some(text) = delta
                .get("content")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                self.got_output = true;
                self.queue.push_back(StreamItem::Text(text.to_owned()));
            }
            if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
                self.got_output = true;
                for call in calls {
                    let index = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                    let p = self.partial_calls.entry(index).or_default();
                    if let Some(id) = call.get("id").and_then(Value::as_str) {
                        p.id = id.to_owned();
                    }
                    if let Some(f) = call.get("function") {
                        if let Some(name) = f.get("name").and_then(Value::as_str) {
                            p.name.push_str(name);
                        }
                        if let Some(args) = f.get("arguments").and_then(Value::as_str) {
                            p.arguments.push_str(args);
                        }
                    }
                }
            }
        } else if let Some(message) = choice.get("message") {
            self.openai_message(&serde_json::json!({"choices": [{"message": message}]}))?;
        }
        if choice.get("finish_reason").is_some_and(|r| !r.is_null()) {
            self.flush_calls();
        }
        Ok(())
    }

    /// A whole, non-streamed OpenAI completion.
    fn openai_message(&mut self, doc: &Value) -> Result<(), LlmError> {
        if let Some(err) = doc.get("error") {
            return Err(self.server_error(err));
        }
        let message = doc
            .pointer("/choices/0/message")
            .ok_or_else(|| self.malformed("the reply has no choices[0].message"))?;
        if let Some(text) = message
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            self.got_output = true;
            self.queue.push_back(StreamItem::Text(text.to_owned()));
        }
        for (i, call) in message
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            self.got_output = true;
            let p = self.partial_calls.entry(i as u64).or_default();
            p.id = call
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            p.name = call
                .pointer("/function/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            p.arguments = match call.pointer("/function/arguments") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
        }
        Ok(())
    }

    fn ndjson_line(&mut self, line: &str) -> Result<(), LlmError> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| self.malformed(format!("a line is not JSON ({e}): {}", clip(line))))?;
        if let Some(err) = v.get("error") {
            return Err(self.server_error(err));
        }
        if let Some(message) = v.get("message") {
            if let Some(text) = message
                .get("content")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                self.got_output = true;
                self.queue.push_back(StreamItem::Text(text.to_owned()));
            }
            if let Some(calls) = message
                .get("tool_calls")
                .and_then(Value::as_array)
                .filter(|c| !c.is_empty())
            {
                self.got_output = true;
                let calls = calls
                    .iter()
                    .map(|c| {
                        self.calls_seen += 1;
                        ToolCall {
                            id: c
                                .get("id")
                                .and_then(Value::as_str)
                                .map_or_else(|| format!("call_{}", self.calls_seen), str::to_owned),
                            name: c
                                .pointer("/function/name")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_owned(),
                            arguments: match c.pointer("/function/arguments") {
                                Some(Value::String(s)) => parse_arguments(s),
                                Some(other) => other.clone(),
                                None => Value::Object(Default::default()),
                            },
                        }
                    })
                    .collect();
                self.queue.push_back(StreamItem::ToolCalls(calls));
            }
        } else if v.get("done").is_none() {
            return Err(self.malformed(format!("a line has no message: {}", clip(line))));
        }
        if v.get("done").and_then(Value::as_bool) == Some(true) {
            if !self.got_output {
                return Err(self.malformed("the stream ended before any answer"));
            }
            self.finish();
        }
        Ok(())
    }

    fn server_error(&self, err: &Value) -> LlmError {
        let message = err
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| err.as_str())
            .map_or_else(|| err.to_string(), str::to_owned);
        LlmError::Server {
            url: self.url.clone(),
            message,
        }
    }
}

fn parse_arguments(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return Value::Object(Default::default());
    }
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if out.len() < s.len() {
        out.push_str("...");
    }
    out
}
