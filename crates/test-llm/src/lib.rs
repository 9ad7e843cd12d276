//! `FakeLlmServer`: a test double for a local LLM server.
//!
//! It is not an LLM. It listens on `127.0.0.1:0`, speaks just enough HTTP/1.1 (plain, or over
//! TLS with a throwaway certificate authority made at start, see
//! [`FakeLlmServer::start_tls`]), and answers
//! each chat request with the next scripted [`FakeReply`], streamed the way real servers do:
//! server-sent events for OpenAI-compatible `/v1/chat/completions`, newline-delimited JSON
//! for Ollama's `/api/chat`. It records request bodies and counts clients that hung up
//! early, and what each request's path and `Authorization` header were, so tests can check
//! tool-call round trips, API keys, malformed streams, servers that never
//! answer, and that cancelling a request really closes its connection. It is a crate of its
//! own (`tandem-test-llm`, not published) that the workspace's crates take only as a
//! dev-dependency, so no shipped library or binary contains it (`scripts/check-release.sh`
//! checks the binaries).

use std::io::{self, BufRead, BufReader, Read, Write};
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
    /// Answers `302 Found` with this `Location`.
    Redirect(String),
    /// A 200 stream whose first line is this many bytes long.
    LongLine(usize),
}

/// What one request carried besides its body.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenRequest {
    /// The request target: path and query.
    pub path: String,
    /// The `Authorization` header, as sent.
    pub authorization: Option<String>,
    pub body: Value,
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
    seen: Mutex<Vec<SeenRequest>>,
    disconnects: AtomicUsize,
    tls_rejected: AtomicUsize,
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// The test double; see the module docs. Stops when dropped.
#[derive(Debug)]
pub struct FakeLlmServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
    /// The test CA's certificate (TLS mode).
    ca_pem: Option<String>,
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
        Self::start_inner(replies, chunk_delay, None)
    }

    /// Starts over TLS: a certificate authority made now (and thrown away with the server)
    /// signs a certificate for `127.0.0.1` and `localhost`. Clients trust it through
    /// [`Self::ca_pem`]; the endpoints are `https://`.
    pub fn start_tls(replies: Vec<FakeReply>) -> std::io::Result<FakeLlmServer> {
        let (config, ca_pem) = tls_config().map_err(io::Error::other)?;
        let mut server = Self::start_inner(replies, Duration::from_millis(5), Some(config))?;
        server.ca_pem = Some(ca_pem);
        Ok(server)
    }

    /// The PEM certificate of the test CA (TLS mode only).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    fn start_inner(
        replies: Vec<FakeReply>,
        chunk_delay: Duration,
        tls: Option<Arc<rustls::ServerConfig>>,
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
            seen: Mutex::new(Vec::new()),
            disconnects: AtomicUsize::new(0),
            tls_rejected: AtomicUsize::new(0),
            tls,
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
                        .spawn(move || accept(conn, &s));
                }
            })?;
        Ok(FakeLlmServer {
            addr,
            shared,
            acceptor: Some(acceptor),
            ca_pem: None,
        })
    }

    fn scheme(&self) -> &'static str {
        if self.shared.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// Base URL for `api = "openai"`.
    pub fn openai_endpoint(&self) -> String {
        format!("{}://{}/v1", self.scheme(), self.addr)
    }

    /// Base URL for `api = "ollama"`.
    pub fn ollama_endpoint(&self) -> String {
        format!("{}://{}", self.scheme(), self.addr)
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
        self.seen().into_iter().map(|r| r.body).collect()
    }

    /// The requests received so far, in order, with their paths and `Authorization` headers.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.shared
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// TLS handshakes that failed (the client did not trust the certificate, say).
    pub fn tls_rejected(&self) -> usize {
        self.shared.tls_rejected.load(Ordering::SeqCst)
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

/// A connection, plain or TLS.
trait Conn: Read + Write {
    fn set_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
}

impl Conn for TcpStream {
    fn set_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.set_read_timeout(timeout)
    }
}

impl Conn for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn set_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }
}

/// Serves one connection, after the TLS handshake in TLS mode.
fn accept(conn: TcpStream, s: &Shared) {
    let Some(config) = &s.tls else {
        let mut conn = conn;
        return serve(&mut conn, s);
    };
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(tls) = rustls::ServerConnection::new(config.clone()) else {
        return;
    };
    let mut stream = rustls::StreamOwned::new(tls, conn);
    while stream.conn.is_handshaking() {
        if stream.conn.complete_io(&mut stream.sock).is_err() {
            s.tls_rejected.fetch_add(1, Ordering::SeqCst);
            return;
        }
    }
    serve(&mut stream, s);
}

/// A server configuration with a certificate for 127.0.0.1 and localhost, and the PEM of the
/// throwaway CA that signed it.
fn tls_config()
-> Result<(Arc<rustls::ServerConfig>, String), Box<dyn std::error::Error + Send + Sync>> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Tandem FakeLlmServer test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf.signed_by(&leaf_key, &ca)?;
    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der())?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone()], key)?;
    Ok((Arc::new(config), ca.pem()))
}

/// Reads one request: its path, `Authorization` header and JSON body.
fn read_request(conn: &mut dyn Conn) -> Option<SeenRequest> {
    conn.set_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut authorization = None;
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            } else if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_owned());
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(SeenRequest {
        path,
        authorization,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}

fn serve(conn: &mut dyn Conn, s: &Shared) {
    let Some(request) = read_request(conn) else {
        return;
    };
    let path = request.path.clone();
    s.seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(request);
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
        FakeReply::Redirect(location) => write!(
            conn,
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .and_then(|()| conn.flush()),
        FakeReply::Silent => {
            hold(conn, s);
            return;
        }
        reply => stream(conn, s, &reply, ndjson),
    };
    if result.is_err() {
        s.disconnects.fetch_add(1, Ordering::SeqCst);
    }
}

/// Keeps the connection open without answering until the client hangs up or the server stops.
fn hold(conn: &mut dyn Conn, s: &Shared) {
    let _ = conn.set_timeout(Some(Duration::from_millis(20)));
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

fn chunk(conn: &mut dyn Conn, data: &str) -> std::io::Result<()> {
    write!(conn, "{:x}\r\n{data}\r\n", data.len())?;
    conn.flush()
}

fn stream(conn: &mut dyn Conn, s: &Shared, reply: &FakeReply, ndjson: bool) -> std::io::Result<()> {
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
        FakeReply::LongLine(n) => {
            let piece = "x".repeat(64 * 1024);
            events.push(format!(
                "data: {{\"pad\": \"{}",
                &piece[..piece.len().min(*n)]
            ));
            let mut sent = piece.len().min(*n);
            while sent < *n {
                let more = piece.len().min(*n - sent);
                events.push(piece[..more].to_owned());
                sent += more;
            }
            events.push("\"}\n\n".to_owned());
        }
        FakeReply::Malformed => {
            events.push(if ndjson {
                "this is not json {\n".to_owned()
            } else {
                "data: {\"choices\": [ this is not json\n\n".to_owned()
            });
        }
        FakeReply::Silent | FakeReply::Status(_) | FakeReply::Redirect(_) => {
            unreachable!("handled by serve")
        }
    }
    for e in &events {
        chunk(conn, e)?;
        std::thread::sleep(s.chunk_delay);
    }
    if then_hold {
        hold(conn, s);
        return Ok(());
    }
    if !matches!(reply, FakeReply::Malformed | FakeReply::LongLine(_)) {
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
