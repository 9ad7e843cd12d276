//! One revision of one request, start to finish: skills first, then the LLM with the skills
//! as tools, then the apology and fallback if the LLM fails. Runs as a tokio task that the
//! coordinator aborts on update or cancel.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::ZonedDateTime;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::llm::tools;
use super::llm::{ChatMessage, EchoGate, LlmBackend, LlmError, StreamItem};
use super::normalize::Utterance;
use super::options::ReasonerOptions;
use super::skills::{self, CancelToken, Outcome, SkillAnswer, SkillEnv};
use super::timers::TimerTable;
use super::{Control, Message, ReasonerEvent, Request, RequestId, Role, Source};
use crate::config::LlmConfig;
use crate::store::{Store, TurnOutcome, TurnStatus};

/// Events out, bounded: streamed text and progress may be dropped when the loop falls
/// behind (counted), outcomes wait for room.
#[derive(Debug, Clone)]
pub(crate) struct EventSink {
    tx: mpsc::Sender<ReasonerEvent>,
    dropped: Arc<AtomicU64>,
}

impl EventSink {
    pub(crate) fn new(tx: mpsc::Sender<ReasonerEvent>, dropped: Arc<AtomicU64>) -> Self {
        Self { tx, dropped }
    }

    pub(crate) fn lossy(&self, event: ReasonerEvent) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(event) {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n == 1 || n.is_multiple_of(100) {
                tracing::warn!(
                    dropped = n,
                    "reasoner events dropped: the interaction loop is not polling"
                );
            }
        }
    }

    pub(crate) async fn lossless(&self, event: ReasonerEvent) {
        // Err only when the handle is gone, and then nobody is listening.
        let _ = self.tx.send(event).await;
    }
}

/// What the reasoner holds for all requests.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: Store,
    pub timers: Arc<TimerTable>,
    pub llm: Option<LlmBackend>,
    pub config: LlmConfig,
    pub options: ReasonerOptions,
    pub sink: EventSink,
    pub session: String,
}

/// What one revision has said so far, shared with the coordinator so a cancellation can
/// record it.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    pub text: String,
    pub first_output: Option<Duration>,
    /// Where the answer came from, once it is whole: a speculative answer that the final
    /// transcript confirms is recorded with it.
    pub answer: Option<(Source, Option<&'static str>)>,
}

pub(crate) fn lock(p: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
    p.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug)]
pub(crate) struct Job {
    pub id: RequestId,
    pub revision: u32,
    pub request: Request,
    pub turn: Option<i64>,
    pub started: Instant,
    pub progress: Arc<Mutex<Progress>>,
    /// Cancelled with the request (or its revision): side effects check it before they commit.
    pub cancel: CancelToken,
}

/// How a revision ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobEnd {
    /// A final answer for final text: the request is over.
    Finished,
    /// Partial text: answered speculatively or not at all; an update or cancel follows.
    Waiting,
}

impl Job {
    fn chunk(&self, shared: &Shared, text: &str) {
        if text.is_empty() {
            return;
        }
        {
            let mut p = lock(&self.progress);
            if p.first_output.is_none() {
                p.first_output = Some(self.started.elapsed());
            }
            p.text.push_str(text);
        }
        shared.sink.lossy(ReasonerEvent::Chunk {
            id: self.id,
            revision: self.revision,
            text: text.to_owned(),
        });
    }

    fn progress_cue(&self, shared: &Shared, text: &str) {
        shared.sink.lossy(ReasonerEvent::ToolProgress {
            id: self.id,
            revision: self.revision,
            text: text.to_owned(),
        });
    }

    /// Records the answer (final text only), then hands over the `Final` event.
    async fn finish(
        &self,
        shared: &Arc<Shared>,
        source: Source,
        skill: Option<&'static str>,
    ) -> JobEnd {
        let (text, first_output) = {
            let mut p = lock(&self.progress);
            p.answer = Some((source, skill));
            (p.text.clone(), p.first_output)
        };
        let total = self.started.elapsed();
        let first_output_ms = first_output.map(|d| d.as_millis() as u64);
        if self.request.user_final
            && let Some(turn) = self.turn
        {
            let store = shared.store.clone();
            let text = text.clone();
            let write = tokio::task::spawn_blocking(move || {
                store.finish_turn(
                    turn,
                    TurnOutcome {
                        assistant_text: &text,
                        status: TurnStatus::Answered,
                        source: Some(source.as_str()),
                        skill,
                        first_output_ms,
                        total_ms: total.as_millis() as u64,
                    },
                )
            });
            match write.await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "answer not recorded"),
                Err(e) => tracing::warn!(error = %e, "answer not recorded"),
            }
        }
        shared
            .sink
            .lossless(ReasonerEvent::Final {
                id: self.id,
                revision: self.revision,
                text,
                source,
                skill: skill.map(str::to_owned),
                first_output_ms,
                total_ms: total.as_millis() as u64,
            })
            .await;
        if self.request.user_final {
            JobEnd::Finished
        } else {
            JobEnd::Waiting
        }
    }
}

/// Runs one revision.
pub(crate) async fn run(shared: Arc<Shared>, job: Job) -> JobEnd {
    let history = history(&shared, &job).await;
    let outcome = {
        let shared = shared.clone();
        let request = job.request.clone();
        let history = history.clone();
        let cancel = job.cancel.clone();
        tokio::task::spawn_blocking(move || {
            let utterance = Utterance::parse(&request.user_text);
            let now = shared.options.clock.now();
            let env = SkillEnv {
                now: &now,
                store: &shared.store,
                timers: &shared.timers,
                visual: request.visual.as_ref(),
                text_source: shared.options.text_source.as_deref(),
                history: &history,
                assistant: request.assistant.as_ref(),
                commit: request.user_final,
                llm_enabled: shared.llm.is_some(),
                cancel: &cancel,
            };
            skills::answer(&utterance, &env)
        })
        .await
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "a skill panicked");
            return fail(&shared, &job).await;
        }
    };
    match outcome {
        Outcome::Answer(answer) => deliver_skill(&shared, &job, answer).await,
        // A cancellation won the race with a side effect: the coordinator has the request.
        Outcome::Cancelled => JobEnd::Finished,
        Outcome::NeedsFinal => needs_final(&shared, &job).await,
        Outcome::Unknown if !job.request.user_final => {
            // The model will likely get this text (or the final that extends it): reading the
            // prompt now means the real answer starts sooner (embedded model only).
            if let Some(llm) = &shared.llm {
                llm.prefill(&llm_messages(&shared, &job, llm, &history));
            }
            needs_final(&shared, &job).await
        }
        // No skill made sense of the words and the recognizer was unsure of them: a model
        // would answer a guess at misheard words (SmolLM2-135M repeated them back or made
        // something up), so ask again.
        Outcome::Unknown if job.request.misheard() => {
            deliver_skill(&shared, &job, ask_again()).await
        }
        Outcome::Unknown => match shared.llm.clone() {
            Some(llm) => {
                shared.sink.lossy(ReasonerEvent::SlowAnswer {
                    id: job.id,
                    revision: job.revision,
                });
                ask_llm(&shared, &job, &llm, history).await
            }
            None => {
                job.chunk(&shared, &skills::unknown_text(false));
                job.finish(&shared, Source::Skill, Some("unknown")).await
            }
        },
    }
}

/// A partial transcript with no speculative answer: says so, so the loop need not wait.
async fn needs_final(shared: &Arc<Shared>, job: &Job) -> JobEnd {
    shared
        .sink
        .lossless(ReasonerEvent::NeedsFinal {
            id: job.id,
            revision: job.revision,
        })
        .await;
    JobEnd::Waiting
}

async fn fail(shared: &Arc<Shared>, job: &Job) -> JobEnd {
    if let Some(turn) = job.turn {
        let store = shared.store.clone();
        let total_ms = job.started.elapsed().as_millis() as u64;
        let _ = tokio::task::spawn_blocking(move || {
            store.finish_turn(
                turn,
                TurnOutcome {
                    assistant_text: "",
                    status: TurnStatus::Failed,
                    source: None,
                    skill: None,
                    first_output_ms: None,
                    total_ms,
                },
            )
        })
        .await;
    }
    shared
        .sink
        .lossless(ReasonerEvent::Failed {
            id: job.id,
            revision: job.revision,
            message: "Sorry, something went wrong there.".to_owned(),
        })
        .await;
    JobEnd::Finished
}

async fn deliver_skill(shared: &Arc<Shared>, job: &Job, answer: SkillAnswer) -> JobEnd {
    if let Some(cue) = answer.progress {
        job.progress_cue(shared, cue);
    }
    if let Some(control) = answer.control {
        shared
            .sink
            .lossless(ReasonerEvent::Control {
                id: job.id,
                revision: job.revision,
                control,
            })
            .await;
    }
    job.chunk(shared, &answer.text);
    job.finish(shared, Source::Skill, Some(answer.skill)).await
}

/// "Sorry, I didn't catch that.", asking the user to say it again.
fn ask_again() -> SkillAnswer {
    SkillAnswer {
        skill: skills::MISHEARD_SKILL,
        text: skills::MISHEARD_TEXT.to_owned(),
        control: Some(Control::AskAgain),
        progress: None,
    }
}

/// The conversation so far: the request's, else the store's latest turns.
async fn history(shared: &Arc<Shared>, job: &Job) -> Vec<Message> {
    if !job.request.history.is_empty() {
        return job.request.history.clone();
    }
    let store = shared.store.clone();
    let (limit, exclude) = (shared.options.history_turns, job.turn);
    let turns = tokio::task::spawn_blocking(move || store.recent_turns(limit, exclude)).await;
    match turns {
        Ok(Ok(turns)) => turns
            .into_iter()
            .flat_map(|t| {
                let mut m = vec![Message::user(t.user_text)];
                let said = t
                    .heard_text
                    .filter(|h| !h.is_empty())
                    .unwrap_or(t.assistant_text);
                if !said.is_empty() {
                    m.push(Message::assistant(said));
                }
                m
            })
            .collect(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot read recent turns");
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}

pub(crate) const DEFAULT_SYSTEM_PROMPT: &str = "You are Tandem, a voice assistant running on the user's own computer. \
Everything you write is spoken aloud, so answer in one to three short, plain sentences: no markdown, lists, code or emoji. \
Use the tools for the time, timers, reminders, arithmetic, unit conversions, notes, what was said earlier and what the camera sees, \
rather than guessing. If you don't know something, say so briefly.";

/// For a model offered no tools (the small embedded one): shorter, as every token of it is
/// read before the first word of the answer.
pub const PLAIN_SYSTEM_PROMPT: &str = "You are Tandem, a helpful voice assistant on the user's own computer. \
Everything you write is spoken aloud: answer in one to three short, plain sentences, without lists or markdown.";

/// The system prompt: the configured one (else the built-in one for a model with or without
/// tools), the date and time, and for a model with tools what the user heard of a reply they
/// cut into and that the camera is off.
fn system_prompt(
    configured: Option<&str>,
    request: &Request,
    now: &ZonedDateTime,
    tools: bool,
) -> String {
    let builtin = if tools {
        DEFAULT_SYSTEM_PROMPT
    } else {
        PLAIN_SYSTEM_PROMPT
    };
    let mut prompt = configured
        .filter(|p| !p.trim().is_empty())
        .unwrap_or(builtin)
        .to_owned();
    prompt.push_str(&format!(
        "\n\nIt is {} at {} local time.",
        skills::speak_date(now),
        skills::speak_clock(now)
    ));
    // A small model offered no tools spoke this line back as its answer ("The user cut into
    // your last reply; they may be correcting or redirecting you.", 3 of 4 runs of the dev
    // suite's user_interruption_08): it sees what the user heard as our last message in its
    // history instead.
    if let Some(a) = &request.assistant
        && !a.unheard().is_empty()
        && tools
    {
        prompt.push_str(&format!(
            "\nThe user cut into your last reply; they heard only: \"{}\". They may be correcting or redirecting you.",
            a.heard.trim()
        ));
    }
    // Only a model that can call the camera tool needs to know it is off (the vision skills
    // answer "what do you see" before any model). A small model offered no tools repeated this
    // line, the last of its prompt, as the answer to requests it could not make sense of.
    if tools && request.visual.is_none() {
        prompt.push_str("\nThe camera is off.");
    }
    prompt
}

/// The chat the model gets for this request: the system prompt, recent turns, the request.
fn llm_messages(
    shared: &Shared,
    job: &Job,
    llm: &LlmBackend,
    history: &[Message],
) -> Vec<ChatMessage> {
    let now = shared.options.clock.now();
    let mut messages = vec![ChatMessage::System(system_prompt(
        shared.config.system_prompt.as_deref(),
        &job.request,
        &now,
        llm.offers_tools(),
    ))];
    // A small model offered no tools copies the shape of whatever earlier answers it sees
    // (measured: with ten turns of history, later answers on the probe set repeated an old
    // one's opening), and every token of history delays its first word: it gets the last two
    // turns, each of our answers cut to its first sentences.
    let (turns, keep_chars) = if llm.offers_tools() {
        (shared.options.history_turns, usize::MAX)
    } else {
        (
            shared.options.history_turns.min(SMALL_MODEL_TURNS),
            SMALL_MODEL_ANSWER_CHARS,
        )
    };
    let start = history.len().saturating_sub(turns * 2);
    for m in &history[start..] {
        messages.push(match m.role {
            Role::User => ChatMessage::User(m.text.clone()),
            Role::Assistant => ChatMessage::Assistant {
                text: first_chars(&m.text, keep_chars),
                tool_calls: Vec::new(),
            },
        });
    }
    messages.push(ChatMessage::User(job.request.user_text.clone()));
    messages
}

/// Turns of history a small model (no tools) sees.
const SMALL_MODEL_TURNS: usize = 2;
/// How much of each of our earlier answers a small model sees.
const SMALL_MODEL_ANSWER_CHARS: usize = 200;

/// The text up to `max` characters, cut after the last sentence end within them when there is
/// one (else at a word boundary).
fn first_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let end = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    let cut = head
        .rfind(['.', '!', '?'])
        .map(|i| i + 1)
        .or_else(|| head.rfind(' '))
        .unwrap_or(end);
    head[..cut].trim_end().to_owned()
}

async fn ask_llm(
    shared: &Arc<Shared>,
    job: &Job,
    llm: &LlmBackend,
    history: Vec<Message>,
) -> JobEnd {
    let messages = llm_messages(shared, job, llm, &history);
    let total = shared.options.llm_total_timeout;
    let result =
        match tokio::time::timeout(total, converse(shared, job, llm, messages, &history)).await {
            Ok(r) => r,
            Err(_) => Err(LlmError::TotalTimeout {
                url: llm.label().to_owned(),
                ms: total.as_millis() as u64,
            }),
        };
    match result {
        Ok(Reply::Said) => job.finish(shared, Source::Llm, None).await,
        Ok(Reply::Echoed) => {
            tracing::info!(
                "the language model's reply was no answer (the words said back, or condolences \
                 for no loss); asking again"
            );
            deliver_skill(shared, job, ask_again()).await
        }
        Err(e) => {
            tracing::warn!(error = %e, "language model failed; falling back to the skills");
            let said_something = !lock(&job.progress).text.is_empty();
            let text = if said_something {
                format!(" {}", e.apology())
            } else {
                format!("{} {}", e.apology(), skills::unknown_text(true))
            };
            job.chunk(shared, &text);
            job.finish(shared, Source::Fallback, None).await
        }
    }
}

/// How a model's reply ended.
enum Reply {
    Said,
    /// It only said the user's words or our last answer back: nothing was passed on.
    Echoed,
}

/// Streams the model's answer, running tools between rounds. The answer is held back while it
/// only repeats what was said ([`EchoGate`]).
async fn converse(
    shared: &Arc<Shared>,
    job: &Job,
    llm: &LlmBackend,
    mut messages: Vec<ChatMessage>,
    history: &[Message],
) -> Result<Reply, LlmError> {
    let last = |role: Role| {
        history
            .iter()
            .rev()
            .find(|m| m.role == role)
            .map(|m| m.text.as_str())
    };
    let mut gate = EchoGate::new(
        &job.request.user_text,
        last(Role::User),
        last(Role::Assistant),
    );
    let specs = if llm.offers_tools() {
        tools::specs()
    } else {
        serde_json::Value::Array(Vec::new())
    };
    for round in 0..shared.options.max_tool_rounds {
        let mut stream = llm.stream(&messages, &specs).await?;
        let mut text = String::new();
        let mut calls = Vec::new();
        loop {
            match stream.next().await? {
                StreamItem::Text(t) => {
                    if let Some(pass) = gate.push(&t) {
                        job.chunk(shared, &pass);
                    }
                    text.push_str(&t);
                }
                StreamItem::ToolCalls(c) => calls.extend(c),
                StreamItem::Done => break,
            }
        }
        drop(stream);
        if calls.is_empty() {
            return Ok(match gate.finish() {
                Ok(held) => {
                    job.chunk(shared, &held);
                    Reply::Said
                }
                Err(()) => Reply::Echoed,
            });
        }
        job.chunk(shared, &gate.open());
        tracing::debug!(
            round,
            calls = calls.len(),
            "running tools for the language model"
        );
        messages.push(ChatMessage::Assistant {
            text,
            tool_calls: calls.clone(),
        });
        for call in calls {
            let output = {
                let shared = shared.clone();
                let request = job.request.clone();
                let history = history.to_vec();
                let call = call.clone();
                let cancel = job.cancel.clone();
                tokio::task::spawn_blocking(move || {
                    let now = shared.options.clock.now();
                    let env = SkillEnv {
                        now: &now,
                        store: &shared.store,
                        timers: &shared.timers,
                        visual: request.visual.as_ref(),
                        text_source: shared.options.text_source.as_deref(),
                        history: &history,
                        assistant: request.assistant.as_ref(),
                        commit: true,
                        llm_enabled: true,
                        cancel: &cancel,
                    };
                    tools::call_for_user(&request.user_text, &call.name, &call.arguments, &env)
                })
            };
            // Cue first: the tool may take a moment.
            job.progress_cue(shared, tools::progress_for(&call.name));
            let output = output.await.map_err(|e| LlmError::Malformed {
                url: llm.label().to_owned(),
                detail: format!("tool `{}` failed: {e}", call.name),
            })?;
            messages.push(ChatMessage::Tool {
                call_id: call.id.clone(),
                name: call.name.clone(),
                content: output.content,
            });
        }
    }
    Err(LlmError::TooManyToolRounds(shared.options.max_tool_rounds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reasoning::AssistantContext;

    #[test]
    fn earlier_answers_are_cut_at_a_sentence_for_small_models() {
        let long = "Paris is the capital. It has the Louvre, which is large and ✓ famous for art.";
        assert_eq!(first_chars(long, 200), long);
        assert_eq!(first_chars(long, 30), "Paris is the capital.");
        assert_eq!(first_chars("one two three four", 9), "one two");
        assert_eq!(first_chars("日本語のテキスト", 3), "日本語");
    }

    #[test]
    fn default_prompt_asks_for_speakable_text() {
        assert!(DEFAULT_SYSTEM_PROMPT.contains("spoken aloud"));
    }

    #[test]
    fn only_a_model_with_tools_is_told_the_camera_is_off_or_what_was_heard_of_a_cut_off_reply() {
        let now = ZonedDateTime::now();
        let camera_off = Request::new("Divine that honry and 20 minute.");
        assert!(camera_off.visual.is_none());
        let with_tools = system_prompt(None, &camera_off, &now, true);
        assert!(with_tools.starts_with(DEFAULT_SYSTEM_PROMPT));
        assert!(with_tools.ends_with("The camera is off."));
        // SmolLM2-135M answered "The camera is off." to misheard requests: the last line of
        // its prompt. It has no camera tool, and the vision skills answer "what do you see".
        let plain = system_prompt(None, &camera_off, &now, false);
        assert!(plain.starts_with(PLAIN_SYSTEM_PROMPT));
        assert!(!plain.contains("camera"), "{plain}");
        // Nor what the user heard of a reply they cut into (it sees that in its history).
        let cut_in = Request::new("No, the short version.").with_assistant(AssistantContext {
            said: "Lighthouses guide ships. The first one was built".into(),
            heard: "Lighthouses guide ships.".into(),
            request: None,
        });
        assert!(system_prompt(None, &cut_in, &now, true).contains("they heard only"));
        let plain_cut_in = system_prompt(None, &cut_in, &now, false);
        assert!(!plain_cut_in.contains("cut into"), "{plain_cut_in}");
        let own = system_prompt(Some("Be brief."), &camera_off, &now, false);
        assert!(own.starts_with("Be brief.\n\nIt is "), "{own}");
        assert_eq!(system_prompt(Some("  "), &camera_off, &now, false), plain);
    }
}
