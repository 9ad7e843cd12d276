//! `FakeLlmServer`: a test double for a local LLM server.
//!
//! It is not an LLM. It listens on `127.0.0.1:0`, speaks just enough HTTP/1.1, and answers
//! each chat request with the next scripted [`FakeReply`], streamed the way real servers do:
//! server-sent events for OpenAI-compatible `/v1/chat/completions`, newline-delimited JSON
//! for Ollama's `/api/chat`. It records request bodies and counts clients that hung up
//! early, so tests can check tool-call round trips, malformed streams, servers that never
//! answer, and that cancelling a request really closes its connection. It is compiled only
//! for tests and with the `test-support` feature (the integration tests' dev-dependency), so
//! no shipped library or binary contains it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One scripted answer.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeReply {
    /// Streams these pieces of text, then ends the completion.
    Text(Vec<String>),
    /// Asks for one tool call, its arguments split across two events as OpenAI servers do.
    ToolCall { name: String, arguments: Value },
    /// A 200 response whose stream is not valid JSON.
    Malformed,
    /// Reads the request and never answers, holding the connection open.
    Silent,
    /// Streams these pieces, then goes quiet without closing.
    Stall(Vec<String>),
    /// Answers with this HTTP status and a JSON error body.
    Status(u16),
}

impl FakeReply {
    /// `Text` from one string split into words (with their spaces), for natural chunks.
    pub fn words(text: &str) -> FakeReply {
        let mut pieces = Vec::new();
        let mut current = String::new();
        for c in text.chars() {
            current.push(c);
            if c == ' ' {
                pieces.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            pieces.push(current);
        }
        FakeReply::Text(pieces)
    }
}

#[derive(Debug)]
struct Shared {
    replies: Vec<FakeReply>,
    chunk_delay: Duration,
    next: AtomicUsize,
    stop: AtomicBool,
    bodies: Mutex<Vec<Value>>,
    disconnects: AtomicUsize,
}

/// The test double; see the module docs. Stops when dropped.
#[derive(Debug)]
pub struct FakeLlmServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeLlmServer {
    /// Starts with a short pause (5 ms) between streamed events.
    pub fn start(replies: Vec<FakeReply>) -> std::io::Result<FakeLlmServer> {
        Self::start_with_delay(replies, Duration::from_millis(5))
    }

    /// Starts with `chunk_delay` between streamed events. Request `n` gets `replies[n]`;
    /// the last reply repeats.
    pub fn start_with_delay(
        replies: Vec<FakeReply>,
        chunk_delay: Duration,
    ) -> std::io::Result<FakeLlmServer> {
        assert!(
            !replies.is_empty(),
            "the test double needs at least one reply"
        );
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            replies,
            chunk_delay,
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            bodies: Mutex::new(Vec::new()),
            disconnects: AtomicUsize::new(0),
        });
        let s = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name("fake-llm-accept".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if s.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let s = s.clone();
                    let _ = std::thread::Builder::new()
                        .name("fake-llm-conn".into())
                        .spawn(move || serve(conn, &s));
                }
            })?;
        Ok(FakeLlmServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// Base URL for `api = "openai"`.
    pub fn openai_endpoint(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Base URL for `api = "ollama"`.
    pub fn ollama_endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An endpoint on which nothing listens, so connections are refused.
    pub fn refused_endpoint() -> String {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_or(9, |a| a.port());
        format!("http://127.0.0.1:{port}/v1")
    }

    /// The JSON bodies received so far, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.shared
            .bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits until `n` requests have arrived; false on timeout.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        wait(timeout, || self.requests().len() >= n)
    }

    /// Streams the client closed before the server was done with them.
    pub fn disconnects(&self) -> usize {
        self.shared.disconnects.load(Ordering::SeqCst)
    }

    /// Waits until `n` clients have hung up early; false on timeout.
    pub fn wait_for_disconnects(&self, n: usize, timeout: Duration) -> bool {
        wait(timeout, || self.disconnects() >= n)
    }
}

impl Drop for FakeLlmServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor.
        let _ = TcpStream::connect(self.addr);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }
}

fn wait(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done()
}

/// Reads one request: its path and JSON body.
fn read_request(conn: &TcpStream) -> Option<(String, Value)> {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((path, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

fn serve(mut conn: TcpStream, s: &Shared) {
    let Some((path, body)) = read_request(&conn) else {
        return;
    };
    s.bodies
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(body);
    let n = s.next.fetch_add(1, Ordering::SeqCst);
    let reply = s.replies[n.min(s.replies.len() - 1)].clone();
    let ndjson = path.contains("/api/chat");
    let result = match reply {
        FakeReply::Status(code) => {
            let body = json!({"error": {"message": format!("the test double answers {code}")}})
                .to_string();
            write!(
                conn,
                "HTTP/1.1 {code} Test Double\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        }
        FakeReply::Silent => {
            hold(&mut conn, s);
            return;
        }
        reply => stream(&mut conn, s, &reply, ndjson),
    };
    if result.is_err() {
        s.disconnects.fetch_add(1, Ordering::SeqCst);
    }
}

/// Keeps the connection open without answering until the client hangs up or the server stops.
fn hold(conn: &mut TcpStream, s: &Shared) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(20)));
    let mut buf = [0u8; 256];
    while !s.stop.load(Ordering::SeqCst) {
        match conn.read(&mut buf) {
            Ok(0) => {
                s.disconnects.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                s.disconnects.fetch_add(1, Ordering::SeqCst);
                return;
            }
        }
    }
}

fn chunk(conn: &mut TcpStream, data: &str) -> std::io::Result<()> {
    write!(conn, "{:x}\r\n{data}\r\n", data.len())?;
    conn.flush()
}

fn stream(
    conn: &mut TcpStream,
    s: &Shared,
    reply: &FakeReply,
    ndjson: bool,
) -> std::io::Result<()> {
    let content_type = if ndjson {
        "application/x-ndjson"
    } else {
        "text/event-stream"
    };
    write!(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )?;
    let event = |v: Value| {
        if ndjson {
            format!("{v}\n")
        } else {
            format!("data: {v}\n\n")
        }
    };
    let text_event = |piece: &str| {
        if ndjson {
            event(
                json!({"model": "fake", "message": {"role": "assistant", "content": piece}, "done": false}),
            )
        } else {
            event(
                json!({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]}),
            )
        }
    };
    let mut events: Vec<String> = Vec::new();
    let mut then_hold = false;
    match reply {
        FakeReply::Text(pieces) | FakeReply::Stall(pieces) => {
            events.extend(pieces.iter().map(|p| text_event(p)));
            then_hold = matches!(reply, FakeReply::Stall(_));
        }
        FakeReply::ToolCall { name, arguments } => {
            if ndjson {
                events.push(event(json!({"model": "fake", "message": {
                    "role": "assistant", "content": "",
                    "tool_calls": [{"function": {"name": name, "arguments": arguments}}]
                }, "done": false})));
            } else {
                let args = arguments.to_string();
                let mid = args
                    .char_indices()
                    .nth(args.chars().count() / 2)
                    .map_or(0, |(i, _)| i);
                events.push(event(json!({"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [
                    {"index": 0, "id": "call_fake_1", "type": "function", "function": {"name": name, "arguments": ""}}
                ]}}]})));
                for part in [&args[..mid], &args[mid..]] {
                    events.push(event(
                        json!({"choices": [{"index": 0, "delta": {"tool_calls": [
                            {"index": 0, "function": {"arguments": part}}
                        ]}}]}),
                    ));
                }
                events.push(event(
                    json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
                ));
            }
        }
        FakeReply::Malformed => {
            events.push(if ndjson {
                "this is not json {\n".to_owned()
            } else {
                "data: {\"choices\": [ this is not json\n\n".to_owned()
            });
        }
        FakeReply::Silent | FakeReply::Status(_) => unreachable!("handled by serve"),
    }
    for e in &events {
        chunk(conn, e)?;
        std::thread::sleep(s.chunk_delay);
    }
    if then_hold {
        hold(conn, s);
        return Ok(());
    }
    if !matches!(reply, FakeReply::Malformed) {
        let end = if ndjson {
            event(
                json!({"model": "fake", "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop"}),
            )
        } else {
            format!(
                "{}data: [DONE]\n\n",
                event(json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
            )
        };
        chunk(conn, &end)?;
    }
    chunk(conn, "")?; // "0\r\n\r\n": the end of the chunked body
    Ok(())
}
