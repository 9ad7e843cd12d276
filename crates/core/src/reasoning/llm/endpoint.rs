//! `llm.endpoint`, parsed once for everyone: config validation, the HTTP client and the
//! desktop app's reachability check all call [`parse`], so they agree on the scheme, the host,
//! the port and whether the server is on this computer.
//!
//! The parser is the one the HTTP client itself uses (the WHATWG URL parser behind
//! `reqwest::Url`). An endpoint is refused when it carries secrets where they would be logged
//! or shown: a user name or password (`https://user:pass@host`) or a query parameter named
//! like a key or token. API keys go in `llm.api_key_env` or `llm.api_key` and travel in the
//! `Authorization` header.

use std::fmt;
use std::net::Ipv6Addr;

use url::{Host, Url};

use crate::config::LlmApi;

/// What a server backend receives, for the messages that ask before anything leaves the
/// computer (config validation, the Settings tab).
pub const WHAT_IS_SENT: &str = "the transcripts of your requests, recent conversation turns, \
notes the model reads, and text the camera reads";

/// Query parameter names (lowercased, any part) that look like credentials.
const SECRET_QUERY_WORDS: [&str; 6] = ["key", "token", "secret", "password", "auth", "sig"];

/// A checked endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
    host: String,
    port: u16,
    loopback: bool,
}

/// Why an endpoint cannot be used. Every message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "is `{0}`; it must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:11434/v1"
    )]
    NotAUrl(String),
    #[error(
        "has a user name or password in it (`{0}`); remove them from the URL and give the API key as llm.api_key_env (the name of an environment variable that holds it) or llm.api_key"
    )]
    Credentials(String),
    #[error(
        "has a key or token in its query string (`{0}`): URLs end up in logs; remove it from the URL and give the API key as llm.api_key_env (the name of an environment variable that holds it) or llm.api_key"
    )]
    SecretInQuery(String),
}

/// Parses and checks an endpoint.
pub fn parse(endpoint: &str) -> Result<Endpoint, EndpointError> {
    let text = endpoint.trim();
    let not_a_url = || EndpointError::NotAUrl(text.to_owned());
    // The URL standard reads `http:///v1` as the host `v1`; a missing host is a mistake here.
    let after_scheme = text.split_once("://").map_or("", |(_, rest)| rest);
    if after_scheme.is_empty() || after_scheme.starts_with('/') {
        return Err(not_a_url());
    }
    let url = Url::parse(text).map_err(|_| not_a_url())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(not_a_url());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::Credentials(redacted(&url)));
    }
    if url.query_pairs().any(|(name, _)| {
        let name = name.to_ascii_lowercase();
        SECRET_QUERY_WORDS.iter().any(|w| name.contains(w))
    }) {
        return Err(EndpointError::SecretInQuery(redacted(&url)));
    }
    let (host, loopback) = match url.host() {
        Some(Host::Domain(d)) if !d.is_empty() => (d.to_owned(), d == "localhost"),
        Some(Host::Ipv4(ip)) => (ip.to_string(), ip.is_loopback()),
        Some(Host::Ipv6(ip)) => (ip.to_string(), is_loopback_v6(ip)),
        _ => return Err(not_a_url()),
    };
    let port = url.port_or_known_default().ok_or_else(not_a_url)?;
    Ok(Endpoint {
        url,
        host,
        port,
        loopback,
    })
}

fn is_loopback_v6(ip: Ipv6Addr) -> bool {
    ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
}

/// The URL with any user name, password and query values replaced by `***`, for messages.
fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() {
        let _ = shown.set_username("***");
    }
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    if shown.query().is_some() {
        let names: Vec<String> = shown.query_pairs().map(|(n, _)| n.into_owned()).collect();
        shown
            .query_pairs_mut()
            .clear()
            .extend_pairs(names.iter().map(|n| (n.as_str(), "***")));
    }
    shown.to_string()
}

impl Endpoint {
    /// The host as written (a name, or an address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, 80 or 443 when the URL gives none.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server is on this computer: `localhost`, 127.0.0.0/8 or ::1.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// The chat URL: `<endpoint>/chat/completions` for OpenAI-compatible servers,
    /// `<endpoint without /v1>/api/chat` for Ollama's native API. The query string, if any
    /// (e.g. `api-version`), is kept.
    pub fn chat_url(&self, api: LlmApi) -> String {
        let mut url = self.url.clone();
        url.set_fragment(None);
        let base = url.path().trim_end_matches('/').to_owned();
        let path = match api {
            LlmApi::Openai if base.ends_with("/chat/completions") => base,
            LlmApi::Openai => format!("{base}/chat/completions"),
            LlmApi::Ollama if base.ends_with("/api/chat") => base,
            LlmApi::Ollama => format!("{}/api/chat", base.trim_end_matches("/v1")),
        };
        url.set_path(&path);
        url.to_string()
    }

    /// Why this endpoint may not be used without `llm.allow_remote = true`: `None` when it is
    /// on this computer or remote use is allowed.
    pub fn remote_refusal(&self, allow_remote: bool) -> Option<String> {
        if self.loopback || allow_remote {
            return None;
        }
        Some(format!(
            "points at `{}`, which is not this computer: Tandem would send it {WHAT_IS_SENT}. \
             To allow that, set `allow_remote = true` under [llm] in the config file (or tick \
             \"Allow a server on another computer\" in Settings); to keep everything here, use \
             a server on 127.0.0.1 or localhost, or backend = \"embedded\"",
            self.host
        ))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_ports_and_loopback() {
        let cases = [
            ("http://127.0.0.1:11434/v1", "127.0.0.1", 11434, true),
            ("http://127.8.9.10/v1", "127.8.9.10", 80, true),
            ("http://localhost:8080", "localhost", 8080, true),
            ("http://LOCALHOST:8080", "localhost", 8080, true),
            ("http://[::1]:8080/v1", "::1", 8080, true),
            ("https://llm.lan/v1", "llm.lan", 443, false),
            ("http://192.168.1.5:11434", "192.168.1.5", 11434, false),
            (
                "http://localhost.evil.example/v1",
                "localhost.evil.example",
                80,
                false,
            ),
            ("http://[2001:db8::1]/v1", "2001:db8::1", 80, false),
            ("  http://127.0.0.1:1/v1  ", "127.0.0.1", 1, true),
        ];
        for (text, host, port, loopback) in cases {
            let e = parse(text).unwrap_or_else(|err| panic!("{text}: {err}"));
            assert_eq!(
                (e.host(), e.port(), e.is_loopback()),
                (host, port, loopback),
                "{text}"
            );
        }
    }

    #[test]
    fn non_urls_are_refused() {
        for text in [
            "localhost:11434",
            "http:///v1",
            "http://host:port/",
            "ftp://h/",
            "",
        ] {
            assert!(
                matches!(parse(text), Err(EndpointError::NotAUrl(_))),
                "{text}: {:?}",
                parse(text)
            );
        }
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_repeating_them() {
        let err = parse("https://alice:hunter2@llm.example/v1").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, EndpointError::Credentials(_)), "{msg}");
        assert!(!msg.contains("hunter2") && !msg.contains("alice"), "{msg}");
        assert!(msg.contains("llm.api_key_env"), "{msg}");

        let err = parse("https://llm.example/v1?api_key=sk-12345").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, EndpointError::SecretInQuery(_)), "{msg}");
        assert!(
            !msg.contains("sk-12345") && msg.contains("api_key=***"),
            "{msg}"
        );
        for q in ["token=x", "access_token=x", "KEY=x", "auth=x"] {
            assert!(parse(&format!("https://h/v1?{q}")).is_err(), "{q}");
        }
        // An ordinary query parameter stays and travels with the chat URL.
        let e = parse("https://h/openai/v1?api-version=2024-06-01").unwrap();
        assert_eq!(
            e.chat_url(LlmApi::Openai),
            "https://h/openai/v1/chat/completions?api-version=2024-06-01"
        );
    }

    #[test]
    fn chat_urls() {
        let url = |e: &str, api| parse(e).unwrap().chat_url(api);
        assert_eq!(
            url("http://127.0.0.1:11434/v1", LlmApi::Openai),
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        assert_eq!(
            url("http://127.0.0.1:11434/v1/", LlmApi::Ollama),
            "http://127.0.0.1:11434/api/chat"
        );
        assert_eq!(
            url("http://localhost:11434", LlmApi::Ollama),
            "http://localhost:11434/api/chat"
        );
        assert_eq!(
            url("http://h:8080/v1/chat/completions", LlmApi::Openai),
            "http://h:8080/v1/chat/completions"
        );
        assert_eq!(
            url("https://h/v1", LlmApi::Openai),
            "https://h/v1/chat/completions"
        );
    }

    #[test]
    fn remote_hosts_need_consent_and_the_refusal_says_what_is_sent() {
        let local = parse("http://127.0.0.1:11434/v1").unwrap();
        assert_eq!(local.remote_refusal(false), None);
        let remote = parse("https://gpu.example.org/v1").unwrap();
        assert_eq!(remote.remote_refusal(true), None);
        let msg = remote.remote_refusal(false).unwrap();
        for part in [
            "gpu.example.org",
            "transcripts",
            "conversation",
            "notes",
            "camera",
            "allow_remote = true",
        ] {
            assert!(msg.contains(part), "{part}: {msg}");
        }
    }
}
