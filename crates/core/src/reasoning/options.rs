//! The reasoner's tuning, shared by the handle that spawns it and the jobs that run.

use std::sync::Arc;
use std::time::Duration;

use super::TextSource;
use super::clock::WallClock;

/// Tuning; the defaults suit a laptop and a local model.
#[derive(Debug, Clone)]
pub struct ReasonerOptions {
    /// The LLM must start answering (text or a tool call) within this, or the request falls
    /// back to the skills. The bound is 2 s from request to fallback; 1.5 s leaves
    /// room for the apology.
    pub llm_first_output_timeout: Duration,
    /// Longest pause inside a stream before it counts as stalled.
    pub llm_stall_timeout: Duration,
    /// Longest whole LLM answer, tool rounds included.
    pub llm_total_timeout: Duration,
    /// Tool-call rounds before giving up on a model that never answers.
    pub max_tool_rounds: usize,
    /// Room in the event channel. Streamed text beyond it is dropped and counted.
    pub event_capacity: usize,
    /// Turns of history from the store when a request brings none.
    pub history_turns: usize,
    /// Runtime worker threads; one is plenty for HTTP and SQLite.
    pub worker_threads: usize,
    /// Reads text in the camera's view for "read this" (the camera's
    /// [`crate::vision::TextReader`]); `None`: only text already in the request's visual
    /// context is read out.
    pub text_source: Option<Arc<dyn TextSource>>,
    /// The time the skills and the model are told, and timers run on.
    pub clock: WallClock,
}

impl Default for ReasonerOptions {
    fn default() -> Self {
        Self {
            llm_first_output_timeout: Duration::from_millis(1500),
            llm_stall_timeout: Duration::from_millis(1500),
            llm_total_timeout: Duration::from_secs(60),
            max_tool_rounds: 4,
            event_capacity: 256,
            history_turns: 10,
            worker_threads: 1,
            text_source: None,
            clock: WallClock::system(),
        }
    }
}
