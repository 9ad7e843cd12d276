//! Whether the configured LLM server can be reached at all, checked when a conversation starts
//! so that an unreachable server is a banner with the fix instead of a surprise apology in the
//! middle of a conversation. A TCP connection to the endpoint's host and port, nothing more:
//! no request is sent, and nothing is checked when the LLM is off or embedded.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;
use tandem_core::config::{LlmBackendKind, LlmConfig};

/// How long one connection attempt may take: a local server answers in microseconds.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LlmReach {
    /// `llm.enabled` is false: the skills answer alone.
    Off,
    /// The embedded model answers in this process: nothing to reach.
    Embedded,
    Reachable {
        endpoint: String,
    },
    /// `message` names the endpoint, what failed and the fix.
    Unreachable {
        endpoint: String,
        message: String,
    },
}

/// The host and port of an `http://` or `https://` URL (port 80/443 when absent).
fn host_port(endpoint: &str) -> Option<(String, u16)> {
    let (rest, default_port) = if let Some(r) = endpoint.strip_prefix("http://") {
        (r, 80)
    } else if let Some(r) = endpoint.strip_prefix("https://") {
        (r, 443)
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.is_empty() {
        return None;
    }
    // [v6]:port, host:port, or a bare host.
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default_port,
        };
        return Some((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None => Some((authority.to_owned(), default_port)),
    }
}

/// Tries to connect to the configured server.
pub fn check(llm: &LlmConfig) -> LlmReach {
    if !llm.enabled {
        return LlmReach::Off;
    }
    if llm.backend == LlmBackendKind::Embedded {
        return LlmReach::Embedded;
    }
    let endpoint = llm.endpoint.trim().to_owned();
    let fix = "start the server, or change the endpoint or turn the LLM off in Settings \
               (until then Tandem answers from its built-in skills)";
    let unreachable = |what: String| LlmReach::Unreachable {
        endpoint: endpoint.clone(),
        message: format!("the LLM server at `{endpoint}` {what}; {fix}"),
    };
    let Some((host, port)) = host_port(&endpoint) else {
        return unreachable("is not an http:// or https:// URL with a host".into());
    };
    let addrs = match (host.as_str(), port).to_socket_addrs() {
        Ok(a) => a.collect::<Vec<_>>(),
        Err(e) => return unreachable(format!("cannot be found ({host}: {e})")),
    };
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(_) => return LlmReach::Reachable { endpoint },
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(e) => unreachable(format!("does not answer ({e})")),
        None => unreachable(format!("cannot be found ({host} has no address)")),
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    fn llm(endpoint: &str) -> LlmConfig {
        LlmConfig {
            enabled: true,
            backend: LlmBackendKind::Openai,
            endpoint: endpoint.into(),
            ..LlmConfig::default()
        }
    }

    #[test]
    fn endpoints_split_into_host_and_port() {
        assert_eq!(
            host_port("http://127.0.0.1:11434/v1"),
            Some(("127.0.0.1".into(), 11434))
        );
        assert_eq!(
            host_port("https://llm.lan/v1"),
            Some(("llm.lan".into(), 443))
        );
        assert_eq!(host_port("http://[::1]:8080"), Some(("::1".into(), 8080)));
        assert_eq!(host_port("http://user@box:81/"), Some(("box".into(), 81)));
        assert_eq!(host_port("localhost:11434"), None);
        assert_eq!(host_port("http:///v1"), None);
        assert_eq!(host_port("http://host:port/"), None);
    }

    #[test]
    fn a_listening_server_is_reachable_and_a_closed_port_is_not() {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", server.local_addr().unwrap());
        assert_eq!(check(&llm(&url)), LlmReach::Reachable { endpoint: url });

        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let url = format!("http://{closed}/v1");
        let LlmReach::Unreachable { endpoint, message } = check(&llm(&url)) else {
            panic!("a closed port answered");
        };
        assert_eq!(endpoint, url);
        assert!(
            message.contains(&format!("`{url}` does not answer")),
            "{message}"
        );
        assert!(message.contains("Settings"), "{message}");
    }

    #[test]
    fn nothing_is_checked_when_the_llm_is_off() {
        let off = LlmConfig {
            enabled: false,
            endpoint: "http://127.0.0.1:1/v1".into(),
            ..LlmConfig::default()
        };
        assert_eq!(check(&off), LlmReach::Off);
    }

    #[test]
    fn the_embedded_model_needs_no_server() {
        let embedded = LlmConfig {
            endpoint: "http://127.0.0.1:1/v1".into(),
            ..LlmConfig::default()
        };
        assert_eq!(check(&embedded), LlmReach::Embedded);
    }
}
