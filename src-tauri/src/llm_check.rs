//! Whether the configured LLM server can be reached at all, checked when a conversation starts
//! so that an unreachable server is a banner with the fix instead of a surprise apology in the
//! middle of a conversation. A TCP connection to the endpoint's host and port, nothing more:
//! no request is sent, and nothing is checked when the LLM is off or embedded.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;
use tandem_core::config::{LlmBackendKind, LlmConfig};
use tandem_core::reasoning::llm::endpoint;

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

/// The host and port of the endpoint, read by the same parser as the client and the config
/// (port 80/443 when absent); `Err` says what is wrong with it.
fn host_port(endpoint: &str, allow_remote: bool) -> Result<(String, u16), String> {
    let parsed = endpoint::parse(endpoint).map_err(|e| format!("llm.endpoint {e}"))?;
    // Not even a connection to another computer without the user's consent.
    if let Some(problem) = parsed.remote_refusal(allow_remote) {
        return Err(format!("llm.endpoint {problem}"));
    }
    Ok((parsed.host().to_owned(), parsed.port()))
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
    let (host, port) = match host_port(&endpoint, llm.allow_remote) {
        Ok(hp) => hp,
        Err(message) => {
            return LlmReach::Unreachable {
                endpoint: endpoint.clone(),
                message,
            };
        }
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
            host_port("http://127.0.0.1:11434/v1", false),
            Ok(("127.0.0.1".into(), 11434))
        );
        assert_eq!(
            host_port("https://llm.lan/v1", true),
            Ok(("llm.lan".into(), 443))
        );
        assert_eq!(
            host_port("http://[::1]:8080", false),
            Ok(("::1".into(), 8080))
        );
        assert!(host_port("localhost:11434", true).is_err());
        assert!(host_port("http:///v1", true).is_err());
        assert!(host_port("http://host:port/", true).is_err());
        // Credentials are refused here as in the config and the client, without repeating them.
        let err = host_port("http://user:pw@box:81/", true).unwrap_err();
        assert!(
            err.contains("llm.api_key_env") && !err.contains("pw"),
            "{err}"
        );
    }

    #[test]
    fn a_remote_server_is_not_contacted_without_consent() {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = server.local_addr().unwrap().port();
        // Refused before any lookup or connection.
        let LlmReach::Unreachable { message, .. } =
            check(&llm(&format!("http://gpu.example.org:{port}/v1")))
        else {
            panic!("a remote endpoint was checked without consent");
        };
        assert!(
            message.contains("gpu.example.org") && message.contains("allow_remote"),
            "{message}"
        );
        assert_eq!(
            host_port("https://llm.lan/v1", false).unwrap_err(),
            format!(
                "llm.endpoint {}",
                endpoint::parse("https://llm.lan/v1")
                    .unwrap()
                    .remote_refusal(false)
                    .unwrap()
            )
        );
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
