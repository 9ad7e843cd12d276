//! The embedded language model: llama.cpp (through `llama-cpp-2`) running a GGUF file on a
//! thread of its own, `tandem-llm`, never on the interaction thread or the reasoner's runtime.
//!
//! One generation runs at a time; requests wait in a bounded queue. Text streams back piece
//! by piece on a bounded channel. A generation stops within one token when its
//! [`EmbeddedStream`] is dropped (the reasoner aborts the request's task on a cut-in) or its
//! cancel flag is raised, so a cancelled answer does not keep a core busy.
//!
//! The context keeps the tokens it has evaluated: a new prompt that starts with the same
//! tokens (the system prompt, the conversation so far) re-evaluates only what differs, and a
//! pre-fill (a speculative request on a stable partial transcript) evaluates the prompt
//! without generating, so the real answer starts sooner.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::{KvCacheType, LlamaContextParams};
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use tokio::sync::mpsc;

use super::{ChatMessage, LlmError, StreamItem};
use crate::config::{LlmBackendKind, LlmConfig};
use crate::models::{CacheError, Manifest, ModelCache};

/// Requests waiting for the model beyond the one running.
const QUEUE: usize = 4;
/// Pieces of text in flight to the reasoner.
const PIECES: usize = 64;
/// Tokens evaluated per decode call while reading a prompt.
const BATCH: usize = 256;
/// The context's keys and values in 8 bits (llama.cpp's q8_0; values in a quantized cache need
/// its flash attention, turned on with it): for SmolLM2-135M (30 layers, 3 key-value heads of 64)
/// a 2048-token context holds 47 MB in f16, 25 MB in q8_0, all of it resident from the start
/// (the 1024 tokens of [`EmbeddedOptions::new`], 12 MB).
const KV_CACHE: KvCacheType = KvCacheType::Q8_0;

/// How the embedded model runs.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    pub model: PathBuf,
    /// CPU threads for llama.cpp, for reading prompts and generating alike. ggml's threads
    /// wait for each other by spinning: with the other core busy (listening, speaking, a
    /// build), a second thread made the first word 10-30x later in `tandem bench llm`.
    pub threads: usize,
    /// Context window in tokens; prompts are trimmed (oldest turns first) to fit. 1024 by
    /// default (2048 until 2026-12-07): this model's prompt is its short system prompt, the
    /// last two turns with our answers cut to their first sentences, and the request, a few
    /// hundred tokens, and every token of context is resident from the start.
    pub context: u32,
    /// Longest answer in tokens. Spoken answers are short.
    pub max_tokens: usize,
    /// The answer ends after this many sentences: small models ramble, and a spoken answer
    /// of more than a few sentences is a lecture.
    pub max_sentences: usize,
    /// Sampling seed: the same prompt gives the same answer.
    pub seed: u32,
    pub temperature: f32,
}

impl EmbeddedOptions {
    pub fn new(model: PathBuf) -> Self {
        Self {
            model,
            threads: 1,
            context: 1024,
            max_tokens: 160,
            max_sentences: 3,
            seed: 7,
            temperature: 0.2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "cannot load the language model {path}: {detail} (run `tandem models fetch`, or set llm.model_path to a GGUF file)"
    )]
    Load { path: String, detail: String },
    #[error("cannot start the language model thread: {0}")]
    Thread(std::io::Error),
}

/// Numbers from the last generations, for benchmarks and `tandem doctor`.
#[derive(Debug, Default)]
pub struct EmbeddedStats {
    pub prompt_tokens: AtomicU64,
    pub reused_tokens: AtomicU64,
    pub generated_tokens: AtomicU64,
    pub cancelled: AtomicU64,
}

enum Work {
    Generate {
        messages: Vec<ChatMessage>,
        out: mpsc::Sender<Piece>,
        cancel: Arc<AtomicBool>,
    },
    Prefill {
        messages: Vec<ChatMessage>,
    },
}

#[derive(Debug)]
enum Piece {
    Text(String),
    Done,
    Failed(String),
}

/// The handle the reasoner holds; cheap to clone. Dropping the last one stops the thread
/// after the token or prompt batch it is computing, and waits for it to end.
#[derive(Debug, Clone)]
pub struct EmbeddedLlm {
    worker: Arc<Worker>,
    label: Arc<str>,
    stats: Arc<EmbeddedStats>,
}

/// The model thread and its queue, shared by every handle.
#[derive(Debug)]
struct Worker {
    work: std_mpsc::SyncSender<Work>,
    /// Raised when the last handle is dropped: the thread stops what it is computing.
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Worker {
    /// Stops the thread and waits for it. The process may exit right after the last handle is
    /// gone, and llama.cpp's globals are torn down at exit: a pre-fill still computing then
    /// crashed `tandem duplex` at its end (SIGSEGV in ggml's CPU backend, one run in two).
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Close the queue (a sender whose receiver is already gone takes its place), so the
        // thread's wait for work ends.
        let (closed, _) = std_mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.work, closed));
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the embedded model's thread panicked");
        }
    }
}

impl EmbeddedLlm {
    /// Loads the model on a new `tandem-llm` thread and returns once it is ready (or failed).
    pub fn start(options: EmbeddedOptions) -> Result<EmbeddedLlm, EmbeddedError> {
        let (work_tx, work_rx) = std_mpsc::sync_channel::<Work>(QUEUE);
        let (ready_tx, ready_rx) = std_mpsc::sync_channel::<Result<(), EmbeddedError>>(1);
        let stats = Arc::new(EmbeddedStats::default());
        let label: Arc<str> = options
            .model
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| options.model.display().to_string())
            .into();
        let thread_stats = stats.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("tandem-llm".into())
            .spawn(move || serve(options, work_rx, ready_tx, thread_stats, &thread_stop))
            .map_err(EmbeddedError::Thread)?;
        let worker = Worker {
            work: work_tx,
            stop,
            thread: Some(thread),
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(EmbeddedLlm {
                worker: Arc::new(worker),
                label,
                stats,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(EmbeddedError::Load {
                path: label.to_string(),
                detail: "the model thread ended while loading".into(),
            }),
        }
    }

    /// The model's file name, for messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn stats(&self) -> &EmbeddedStats {
        &self.stats
    }

    /// The counters, to keep after the handle is gone.
    pub fn shared_stats(&self) -> Arc<EmbeddedStats> {
        self.stats.clone()
    }

    /// Starts a generation. Fails at once when the queue is full (the reasoner then
    /// apologises) rather than waiting behind other work.
    pub fn stream(&self, messages: &[ChatMessage]) -> Result<EmbeddedStream, LlmError> {
        let (out, rx) = mpsc::channel(PIECES);
        let cancel = Arc::new(AtomicBool::new(false));
        let work = Work::Generate {
            messages: messages.to_vec(),
            out,
            cancel: cancel.clone(),
        };
        self.worker
            .work
            .try_send(work)
            .map_err(|e| LlmError::Server {
                url: self.label.to_string(),
                message: match e {
                    std_mpsc::TrySendError::Full(_) => "the embedded model is busy".into(),
                    std_mpsc::TrySendError::Disconnected(_) => "the embedded model stopped".into(),
                },
            })?;
        Ok(EmbeddedStream {
            rx,
            cancel,
            label: self.label.clone(),
            finished: false,
        })
    }

    /// Evaluates a prompt into the context without generating, so that a request with the
    /// same beginning answers sooner. Dropped when the model is busy: it is only a head start.
    pub fn prefill(&self, messages: &[ChatMessage]) {
        let _ = self.worker.work.try_send(Work::Prefill {
            messages: messages.to_vec(),
        });
    }
}

/// One generation's text. Dropping it stops the generation within one token.
#[derive(Debug)]
pub struct EmbeddedStream {
    rx: mpsc::Receiver<Piece>,
    cancel: Arc<AtomicBool>,
    label: Arc<str>,
    finished: bool,
}

impl EmbeddedStream {
    pub async fn next(&mut self) -> Result<StreamItem, LlmError> {
        if self.finished {
            return Ok(StreamItem::Done);
        }
        match self.rx.recv().await {
            Some(Piece::Text(t)) => Ok(StreamItem::Text(t)),
            Some(Piece::Done) | None => {
                self.finished = true;
                Ok(StreamItem::Done)
            }
            Some(Piece::Failed(message)) => {
                self.finished = true;
                Err(LlmError::Server {
                    url: self.label.to_string(),
                    message,
                })
            }
        }
    }
}

impl Drop for EmbeddedStream {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// The model thread: loads, reports, then serves work until every handle is gone (`stop`).
fn serve(
    options: EmbeddedOptions,
    work: std_mpsc::Receiver<Work>,
    ready: std_mpsc::SyncSender<Result<(), EmbeddedError>>,
    stats: Arc<EmbeddedStats>,
    stop: &AtomicBool,
) {
    let loaded = Loaded::load(&options);
    let (backend, model, template) = match loaded {
        Ok(l) => {
            let _ = ready.send(Ok(()));
            l
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(options.context))
        .with_n_batch(BATCH as u32)
        .with_flash_attention_policy(llama_cpp_sys_2::LLAMA_FLASH_ATTN_TYPE_ENABLED)
        .with_type_k(KV_CACHE)
        .with_type_v(KV_CACHE)
        .with_n_threads(options.threads as i32)
        .with_n_threads_batch(options.threads as i32);
    let ctx = match model.new_context(backend, params) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the embedded model's context cannot be created");
            return;
        }
    };
    let mut session = Session {
        model: &model,
        template: &template,
        ctx,
        evaluated: Vec::new(),
        options: &options,
        stats: &stats,
        stop,
    };
    while let Ok(w) = work.recv() {
        match w {
            Work::Prefill { messages } => {
                let t0 = Instant::now();
                match session.prompt_tokens(&messages) {
                    Ok(tokens) => {
                        let cancel = AtomicBool::new(false);
                        if let Err(e) = session.evaluate(&tokens, &cancel) {
                            tracing::warn!(error = %e, "pre-fill failed");
                        } else {
                            tracing::debug!(
                                tokens = tokens.len(),
                                ms = t0.elapsed().as_millis() as u64,
                                "pre-filled the embedded model"
                            );
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "pre-fill failed"),
                }
            }
            Work::Generate {
                messages,
                out,
                cancel,
            } => {
                if let Err(e) = session.generate(&messages, &out, &cancel) {
                    let _ = out.blocking_send(Piece::Failed(e));
                } else {
                    let _ = out.blocking_send(Piece::Done);
                }
            }
        }
    }
}

struct Loaded;

impl Loaded {
    fn load(
        options: &EmbeddedOptions,
    ) -> Result<(&'static LlamaBackend, LlamaModel, LlamaChatTemplate), EmbeddedError> {
        let fail = |detail: String| EmbeddedError::Load {
            path: options.model.display().to_string(),
            detail,
        };
        check_gguf(&options.model).map_err(fail)?;
        let backend = backend().map_err(fail)?;
        let params = LlamaModelParams::default();
        let model = LlamaModel::load_from_file(backend, &options.model, &params)
            .map_err(|e| fail(e.to_string()))?;
        let template = model.chat_template(None).map_err(|e| {
            fail(format!(
                "it has no chat template ({e}); use an instruct model"
            ))
        })?;
        Ok((backend, model, template))
    }
}

/// llama.cpp's CPU backends, one per instruction set, best first. ggml would pick the one
/// with the highest score itself, but its best on recent Intel CPUs, `sapphirerapids`, uses
/// AMX tile instructions, which some virtual machines advertise and then fault on (seen on
/// this project's CI machines: SIGILL in the first matrix multiply). So we choose: the first
/// variant this CPU supports (ggml refuses the others), AMX only when asked for with
/// `TANDEM_LLM_CPU=sapphirerapids`. Measured on SmolLM2-135M (BENCHMARKS.md): the AVX2 and
/// AVX-512 variants generate ~4x faster than the baseline ones.
const CPU_VARIANTS: [&str; 13] = [
    "zen4",
    "cooperlake",
    "cascadelake",
    "icelake",
    "cannonlake",
    "skylakex",
    "alderlake",
    "haswell",
    "piledriver",
    "ivybridge",
    "sandybridge",
    "sse42",
    "x64",
];

/// Which CPU backend was loaded, once per process.
static CPU_BACKEND: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();

/// The CPU backend llama.cpp runs on (loading it on first use).
pub fn cpu_backend() -> Result<String, String> {
    CPU_BACKEND.get_or_init(load_cpu_backend).clone()
}

fn load_cpu_backend() -> Result<String, String> {
    // Loading prints "load_backend: loaded CPU backend from ..." unless the logs go to tracing
    // first (`tandem doctor` loads the backend without starting llama.cpp).
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
    let dir = llama_cpp_sys_2::BACKENDS_DIR
        .ok_or("this build has no llama.cpp CPU backends directory")?;
    let wanted = std::env::var("TANDEM_LLM_CPU").ok();
    let order: Vec<&str> = match wanted.as_deref() {
        Some(v) => vec![v],
        None => CPU_VARIANTS.to_vec(),
    };
    for variant in order {
        let path = Path::new(dir).join(format!("libggml-cpu-{variant}.so"));
        if !path.exists() {
            continue;
        }
        let Ok(c_path) = std::ffi::CString::new(path.to_string_lossy().into_owned()) else {
            continue;
        };
        // SAFETY: `ggml_backend_load` reads a NUL-terminated path that outlives the call and
        // returns null when the library cannot be loaded or this CPU lacks its instructions.
        #[allow(unsafe_code)]
        let reg = unsafe { llama_cpp_sys_2::ggml_backend_load(c_path.as_ptr()) };
        if !reg.is_null() {
            tracing::info!(variant, "llama.cpp CPU backend loaded");
            return Ok(variant.to_owned());
        }
    }
    Err(match wanted {
        Some(v) => format!("TANDEM_LLM_CPU={v} names no CPU backend this machine runs"),
        None => format!("no llama.cpp CPU backend in {dir} runs on this CPU"),
    })
}

/// llama.cpp's backend, initialised once per process (llama.cpp allows no more) on the CPU
/// backend chosen above, with its logs sent to `tracing` instead of the terminal.
fn backend() -> Result<&'static LlamaBackend, String> {
    static BACKEND: std::sync::OnceLock<Result<LlamaBackend, String>> = std::sync::OnceLock::new();
    BACKEND
        .get_or_init(|| {
            cpu_backend()?;
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A clear error for a file that is not a GGUF model, before llama.cpp reads it.
fn check_gguf(path: &Path) -> Result<(), String> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    f.read_exact(&mut magic)
        .map_err(|_| "the file is too short to be a GGUF model".to_owned())?;
    if &magic != b"GGUF" {
        return Err("the file is not a GGUF model".into());
    }
    Ok(())
}

struct Session<'m> {
    model: &'m LlamaModel,
    template: &'m LlamaChatTemplate,
    ctx: LlamaContext<'m>,
    /// The tokens whose keys and values are in the context, in order.
    evaluated: Vec<LlamaToken>,
    options: &'m EmbeddedOptions,
    stats: &'m EmbeddedStats,
    /// Every handle is gone: stop whatever is being computed.
    stop: &'m AtomicBool,
}

impl Session<'_> {
    /// The chat in the model's own template, trimmed to fit the context with room to answer.
    fn prompt_tokens(&self, messages: &[ChatMessage]) -> Result<Vec<LlamaToken>, String> {
        let budget = (self.options.context as usize).saturating_sub(self.options.max_tokens + 8);
        let mut chat = to_chat(messages);
        loop {
            let msgs: Result<Vec<LlamaChatMessage>, _> = chat
                .iter()
                .map(|(role, text)| LlamaChatMessage::new(role.to_string(), text.clone()))
                .collect();
            let msgs = msgs.map_err(|e| e.to_string())?;
            let prompt = self
                .model
                .apply_chat_template(self.template, &msgs, true)
                .map_err(|e| e.to_string())?;
            let tokens = self.model.vocab().tokenize(prompt.as_bytes(), false, true);
            if tokens.len() <= budget {
                return Ok(tokens);
            }
            // Drop the oldest turn after the system prompt; never the request itself.
            let first = usize::from(chat.first().is_some_and(|(r, _)| *r == "system"));
            if chat.len() <= first + 1 {
                let keep = budget.max(1);
                return Ok(tokens[tokens.len() - keep..].to_vec());
            }
            chat.remove(first);
        }
    }

    /// Brings the context to `tokens`, re-using the longest evaluated prefix. The logits of
    /// the last token are left ready for sampling.
    fn evaluate(&mut self, tokens: &[LlamaToken], cancel: &AtomicBool) -> Result<(), String> {
        let mut common = self
            .evaluated
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count();
        // The last token is always evaluated again: its logits are what we sample from.
        common = common.min(tokens.len().saturating_sub(1));
        if common < self.evaluated.len() {
            let removed = self
                .ctx
                .clear_kv_cache_seq(Some(0), Some(common as u32), None)
                .map_err(|e| e.to_string())?;
            if removed {
                self.evaluated.truncate(common);
            } else {
                // Some architectures cannot drop a tail: start over.
                self.ctx.clear_kv_cache();
                self.evaluated.clear();
                common = 0;
            }
        }
        self.stats
            .prompt_tokens
            .fetch_add(tokens.len() as u64, Ordering::Relaxed);
        self.stats
            .reused_tokens
            .fetch_add(common as u64, Ordering::Relaxed);
        let mut batch = LlamaBatch::new(BATCH, 1);
        for chunk_start in (common..tokens.len()).step_by(BATCH) {
            if cancel.load(Ordering::Relaxed) || self.stop.load(Ordering::Relaxed) {
                return Ok(());
            }
            let end = (chunk_start + BATCH).min(tokens.len());
            batch.clear();
            for (i, t) in tokens[chunk_start..end].iter().enumerate() {
                let pos = chunk_start + i;
                batch
                    .add(*t, pos as i32, &[0], pos + 1 == tokens.len())
                    .map_err(|e| e.to_string())?;
            }
            self.ctx.decode(&mut batch).map_err(|e| e.to_string())?;
            self.evaluated.extend_from_slice(&tokens[chunk_start..end]);
        }
        Ok(())
    }

    fn generate(
        &mut self,
        messages: &[ChatMessage],
        out: &mpsc::Sender<Piece>,
        cancel: &AtomicBool,
    ) -> Result<(), String> {
        let tokens = self.prompt_tokens(messages)?;
        self.evaluate(&tokens, cancel)?;
        if self.stopped(out, cancel) {
            self.stats.cancelled.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let mut sampler = LlamaSampler::chain_simple([
            LlamaSampler::penalties(self.model.n_vocab(), 64, 1.15, 0.0, 0.0),
            LlamaSampler::top_k(40),
            LlamaSampler::top_p(0.9, 1),
            LlamaSampler::temp(self.options.temperature),
            LlamaSampler::dist(self.options.seed),
        ]);
        let vocab = self.model.vocab();
        let mut bytes: Vec<u8> = Vec::new();
        let mut batch = LlamaBatch::new(1, 1);
        let mut sentences = SentenceCount::default();
        for _ in 0..self.options.max_tokens {
            if self.stopped(out, cancel) {
                self.stats.cancelled.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            // -1: the logits of the last token evaluated.
            let token = sampler.sample(&self.ctx, -1);
            sampler.accept(token);
            if vocab.is_eog(token) {
                break;
            }
            bytes.extend(vocab.token_to_piece(token, false, None));
            let valid = match std::str::from_utf8(&bytes) {
                Ok(s) => s.len(),
                Err(e) => e.valid_up_to(),
            };
            if valid > 0 {
                let text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
                bytes.drain(..valid);
                let enough = sentences.feed(&text) >= self.options.max_sentences;
                if out.blocking_send(Piece::Text(text)).is_err() {
                    self.stats.cancelled.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                if enough {
                    break;
                }
            }
            self.stats.generated_tokens.fetch_add(1, Ordering::Relaxed);
            let pos = self.evaluated.len();
            if pos + 1 >= self.options.context as usize {
                break;
            }
            batch.clear();
            batch
                .add(token, pos as i32, &[0], true)
                .map_err(|e| e.to_string())?;
            self.ctx.decode(&mut batch).map_err(|e| e.to_string())?;
            self.evaluated.push(token);
        }
        Ok(())
    }
}

impl Session<'_> {
    /// The generation is to stop: cancelled, its reader gone, or every handle gone.
    fn stopped(&self, out: &mpsc::Sender<Piece>, cancel: &AtomicBool) -> bool {
        cancel.load(Ordering::Relaxed) || out.is_closed() || self.stop.load(Ordering::Relaxed)
    }
}

/// Counts the sentences a stream of text has finished: a `.`, `!` or `?` followed by white
/// space (so "3.5" and "e.g." inside a sentence do not end it, most of the time).
#[derive(Debug, Default)]
struct SentenceCount {
    count: usize,
    pending_end: bool,
}

impl SentenceCount {
    /// Feeds more text; returns the sentences finished so far. A sentence whose end mark is
    /// the last character so far counts too: the answer may stop right there.
    fn feed(&mut self, text: &str) -> usize {
        for c in text.chars() {
            if self.pending_end && c.is_whitespace() {
                self.count += 1;
                self.pending_end = false;
            } else {
                self.pending_end = matches!(c, '.' | '!' | '?');
            }
        }
        self.count + usize::from(self.pending_end)
    }
}

/// The chat as (role, text) pairs for the model's template. Tool traffic never reaches the
/// embedded model (it is offered no tools), so only system, user and assistant turns remain.
fn to_chat(messages: &[ChatMessage]) -> Vec<(&'static str, String)> {
    messages
        .iter()
        .filter_map(|m| match m {
            ChatMessage::System(t) => Some(("system", no_nul(t))),
            ChatMessage::User(t) => Some(("user", no_nul(t))),
            ChatMessage::Assistant { text, .. } if !text.is_empty() => {
                Some(("assistant", no_nul(text)))
            }
            _ => None,
        })
        .collect()
}

/// Text for the C API: a NUL would end it early (and is refused), so it is dropped.
fn no_nul(text: &str) -> String {
    text.replace('\0', "")
}

/// The default model, pinned in the manifest and fetched with the others.
pub const DEFAULT_MODEL_FILE: &str = "llm/SmolLM2-135M-Instruct.Q4_1.gguf";

/// The GGUF the embedded backend runs: `llm.model_path` as given, else the pinned default
/// from the cache (hash checked). `None` when the language model is off or on a server.
pub fn embedded_model_path(
    llm: &LlmConfig,
    cache: &ModelCache,
    manifest: &Manifest,
) -> Result<Option<PathBuf>, CacheError> {
    if !llm.enabled || llm.backend != LlmBackendKind::Embedded {
        return Ok(None);
    }
    match &llm.model_path {
        Some(p) => Ok(Some(p.clone())),
        None => cache.verified_path(manifest, DEFAULT_MODEL_FILE).map(Some),
    }
}

/// How long a generation may run before the reasoner gives up on it.
pub const FIRST_OUTPUT: Duration = Duration::from_secs(20);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_counted_across_pieces() {
        let mut s = SentenceCount::default();
        assert_eq!(s.feed("Pi is 3.14"), 0);
        assert_eq!(s.feed(" or so. It"), 1);
        assert_eq!(s.feed(" never ends!"), 2);
        assert_eq!(s.feed(" Really?"), 3);
    }

    #[test]
    fn a_file_that_is_not_gguf_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.gguf");
        std::fs::write(&path, "plain text, not a model").unwrap();
        let err = EmbeddedLlm::start(EmbeddedOptions::new(path)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("notes.gguf"), "{text}");
        assert!(text.contains("not a GGUF model"), "{text}");
        assert!(text.contains("llm.model_path"), "{text}");
        let missing = EmbeddedLlm::start(EmbeddedOptions::new(dir.path().join("gone.gguf")));
        assert!(missing.unwrap_err().to_string().contains("gone.gguf"));
    }

    #[test]
    fn dropping_the_last_handle_stops_and_waits_for_the_model_thread() {
        let cache = ModelCache::locate(&crate::config::Config::default()).unwrap();
        let path = cache
            .verified_path(&Manifest::builtin(), DEFAULT_MODEL_FILE)
            .expect(
                "the default language model is fetched (`tandem models fetch`; `make test` does)",
            );
        let llm = EmbeddedLlm::start(EmbeddedOptions::new(path)).unwrap();
        let stats = llm.shared_stats();
        // A long prompt to read: the thread is busy with it when the handle goes.
        llm.prefill(&[
            ChatMessage::System("You are Tandem, a voice assistant.".into()),
            ChatMessage::User("Tell me about the weather this week. ".repeat(80)),
        ]);
        let t0 = Instant::now();
        drop(llm);
        // The thread holds the counters until it ends: it has ended (a pre-fill still
        // computing when the process exited crashed in ggml's teardown).
        assert_eq!(Arc::strong_count(&stats), 1);
        // It stopped reading the prompt rather than finishing it.
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    }

    #[test]
    fn nul_bytes_never_reach_the_c_api() {
        let chat = to_chat(&[ChatMessage::User("a\0b ✓ 日本".into())]);
        assert_eq!(chat, vec![("user", "ab ✓ 日本".to_owned())]);
    }
}
