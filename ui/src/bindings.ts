// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs): do not edit by hand.
// Update: TANDEM_UPDATE_BINDINGS=1 cargo test -p tandem-app bindings
//
// Types only: this file compiles to nothing, so pure modules can import it and still run under
// plain Node in the tests. 64-bit integers are numbers (times in ms, ids, counts: all far below
// 2^53).

export type Event = { t_ms: number, } & ({ "kind": "floor", floor: Floor, } | { "kind": "voice_start", onset_ms: number, level_db: number, } | { "kind": "voice_end", end_ms: number, } | { "kind": "partial", text: string, stable: string, 
/**
 * Estimated word times (Whisper runs without timestamps).
 */
words: Array<Word>, compute_ms: number, } | { "kind": "final", text: string, words: Array<Word>, 
/**
 * The text model's verdict on the words (`--policy model`).
 */
judged?: TextProbs, 
/**
 * How sure the recognizer was of the words: the mean log-probability of its tokens.
 */
avg_logprob: number, compute_ms: number, } | { "kind": "end_of_turn", probability: number, compute_ms: number, } | { "kind": "voice", start_ms: number, end_ms: number, similarity: number, } | { "kind": "speak_start", text: string, speech: SpeechKind, } | { "kind": "speak_stop", heard: string, } | { "kind": "barge_in", heard: string, } | { "kind": "backchannel", phrase: string, } | { "kind": "duck" } | { "kind": "unduck" } | { "kind": "hold" } | { "kind": "release" } | { "kind": "reasoning_request", id: number, text: string, speculative: boolean, interrupted: string | null, } | { "kind": "reasoning_cancel", id: number, } | { "kind": "reasoning_result", id: number, text: string, source: string, } | { "kind": "turn_taken", by_ear: number | null, by_words: number | null, } | { "kind": "not_addressed", text: string, 
/**
 * In words, for people reading the log.
 */
reason: string, 
/**
 * The same, typed, for tools.
 */
why: NotAddressedReason, } | { "kind": "visual", present: boolean | null, facing: boolean | null, faces: number | null, yaw_deg: number | null, } | { "kind": "error", stage: string, message: string, });

export type EventKind = { "kind": "floor", floor: Floor, } | { "kind": "voice_start", onset_ms: number, level_db: number, } | { "kind": "voice_end", end_ms: number, } | { "kind": "partial", text: string, stable: string, 
/**
 * Estimated word times (Whisper runs without timestamps).
 */
words: Array<Word>, compute_ms: number, } | { "kind": "final", text: string, words: Array<Word>, 
/**
 * The text model's verdict on the words (`--policy model`).
 */
judged?: TextProbs, 
/**
 * How sure the recognizer was of the words: the mean log-probability of its tokens.
 */
avg_logprob: number, compute_ms: number, } | { "kind": "end_of_turn", probability: number, compute_ms: number, } | { "kind": "voice", start_ms: number, end_ms: number, similarity: number, } | { "kind": "speak_start", text: string, speech: SpeechKind, } | { "kind": "speak_stop", heard: string, } | { "kind": "barge_in", heard: string, } | { "kind": "backchannel", phrase: string, } | { "kind": "duck" } | { "kind": "unduck" } | { "kind": "hold" } | { "kind": "release" } | { "kind": "reasoning_request", id: number, text: string, speculative: boolean, interrupted: string | null, } | { "kind": "reasoning_cancel", id: number, } | { "kind": "reasoning_result", id: number, text: string, source: string, } | { "kind": "turn_taken", by_ear: number | null, by_words: number | null, } | { "kind": "not_addressed", text: string, 
/**
 * In words, for people reading the log.
 */
reason: string, 
/**
 * The same, typed, for tools.
 */
why: NotAddressedReason, } | { "kind": "visual", present: boolean | null, facing: boolean | null, faces: number | null, yaw_deg: number | null, } | { "kind": "error", stage: string, message: string, };

export type Floor = "listening" | "user_speaking" | "thinking" | "speaking" | "yielding";

export type SpeechKind = "answer" | "acknowledgement" | "filler" | "resume" | "announcement";

export type NotAddressedReason = { "kind": "side_conversation" } | { "kind": "stray_word" } | { "kind": "background", below_db: number, } | { "kind": "nobody_present" } | { "kind": "turned_away" } | { "kind": "named_someone_else", name: string, } | { "kind": "model", addressed: number, } | { "kind": "words", addressed: number, } | { "kind": "other_voice", similarity: number, answered_user: boolean, };

export type TextProbs = { 
/**
 * A complete request or question for the assistant.
 */
request: number, 
/**
 * A request the user has not finished ("set a timer for").
 */
unfinished: number, 
/**
 * A listener's "mm-hm", "right", "got it".
 */
backchannel: number, 
/**
 * A cut-in: "wait", "no, I meant Tuesday", "stop".
 */
interruption: number, 
/**
 * Talk to someone else in the room (or their reply).
 */
side_talk: number, 
/**
 * One side of a phone call.
 */
phone: number, 
/**
 * The TV, the radio, another room.
 */
background: number, };

export type Word = { text: string, start_ms: number, end_ms: number, };

export type DeviceEvent = { "kind": "lost", direction: Direction, device: string, reason: FailureKind, } | { "kind": "recovered", direction: Direction, device: string, fallback: boolean, } | { "kind": "retry_failed", direction: Direction, attempt: number, message: string, };

export type Direction = "input" | "output";

export type FailureKind = "Unknown" | "DeviceLost" | "HostLost" | "Invalidated";

export type UiMessage = { "type": "event", event: Event, } | { "type": "device", event: DeviceEvent, } | { "type": "phase", phase: Phase, } | { "type": "camera", camera: CameraState, } | { "type": "playback", t_ms: number, speaking: boolean, };

export type Batch = { messages: Array<UiMessage>, 
/**
 * Messages dropped in this conversation so far because the UI fell behind.
 */
dropped_total: number, };

export type Phase = { "phase": "starting", step: string, } | { "phase": "running", input_device: string, output_device: string, micro_turn_ms: number, } | { "phase": "stopped", error: AppError | null, };

export type CameraState = { on: boolean, device: string | null, error: AppError | null, };

export type AppError = { "kind": "config", "message": string } | { "kind": "models_missing", "message": string } | { "kind": "models_fetch", "message": string } | { "kind": "no_audio_device", "message": string } | { "kind": "audio", "message": string } | { "kind": "engine", "message": string } | { "kind": "already_running" } | { "kind": "not_running" } | { "kind": "camera", "message": string } | { "kind": "internal", "message": string };

export type ConversationStatus = { state: RunState, 
/**
 * While starting: what it is doing, for the user.
 */
step: string | null, input_device: string | null, output_device: string | null, micro_turn_ms: number | null, 
/**
 * The floor as of the last floor event.
 */
floor: Floor | null, 
/**
 * Whether the engine hears the microphone (false: muted, or push-to-talk not held).
 */
mic_live: boolean, 
/**
 * Messages delivered to and dropped on the way to the UI in this conversation.
 */
events_sent: number, events_dropped: number, 
/**
 * Why the last conversation ended or failed to start, if it was an error.
 */
last_error: AppError | null, };

export type RunState = "idle" | "starting" | "running" | "stopping";

export type LaunchOptions = { 
/**
 * Start a conversation as soon as the window opens (`TANDEM_AUTOSTART=1`): for kiosks and
 * automated checks.
 */
autostart: boolean, };

export type Report = { version: string, os: string, cpu: string, 
/**
 * The provider the configuration asks for.
 */
configured_provider: string, execution_providers: Array<ProviderStatus>, audio_host: string, audio_inputs: Array<string>, audio_outputs: Array<string>, default_input: string | null, default_output: string | null, cameras: Array<string>, models_dir: string, models: Array<ModelStatus>, 
/**
 * Where the models and the runtime come from and how they are checked, in one line.
 */
supply_chain: string, 
/**
 * What answers open questions: the embedded model and its CPU backend, a server, or
 * nothing (the built-in skills alone), in one line.
 */
language_model: string, config_path: string, problems: Array<Problem>, };

export type ProviderStatus = { name: string, available: boolean, note: string, };

export type ModelStatus = { 
/**
 * File name in the cache.
 */
name: string, role: string, 
/**
 * ok, missing, partial or corrupt.
 */
status: string, };

export type Problem = { what: string, fix: string, };

export type SettingsForm = { 
/**
 * `llm.enabled`: answer what the built-in skills cannot with a language model.
 */
llm_enabled: boolean, 
/**
 * `llm.backend`: `embedded` (in this process), `openai` or `ollama` (a server at the
 * endpoint).
 */
llm_backend: string, 
/**
 * `llm.model_path`: a GGUF model for the embedded backend; `None` (or empty) means the
 * pinned default.
 */
llm_model_path: string | null, 
/**
 * `llm.endpoint`: the server's base URL.
 */
llm_endpoint: string, 
/**
 * `llm.model`.
 */
llm_model: string, 
/**
 * `llm.allow_remote`: the endpoint may be on another computer.
 */
llm_allow_remote: boolean, 
/**
 * `interaction.micro_turn_ms`, 80-400.
 */
micro_turn_ms: string, 
/**
 * `runtime.execution_provider`: auto, cpu, cuda, tensorrt, directml or coreml.
 */
execution_provider: string, 
/**
 * `voice.speed`, 0.5-2.0.
 */
voice_speed: string, 
/**
 * `audio.input_device`.
 */
input_device: string | null, 
/**
 * `audio.output_device`.
 */
output_device: string | null, 
/**
 * `camera.device`.
 */
camera_device: string | null, };

export type SettingsView = { settings: SettingsForm, 
/**
 * The config file (it need not exist yet: then everything is a default).
 */
path: string, execution_providers: Array<string>, 
/**
 * The choices for `llm.backend`.
 */
llm_backends: Array<string>, 
/**
 * What a server backend receives, for the notice shown when the endpoint is remote.
 */
llm_what_is_sent: string, };

export type FieldError = { field: string, message: string, };

export type SaveOutcome = { saved: boolean, errors: Array<FieldError>, 
/**
 * The settings as they are in the file now.
 */
settings: SettingsForm, path: string, };

export type HistoryPage = { 
/**
 * Newest first.
 */
turns: Array<TurnRecord>, 
/**
 * Pass as `before` for the next (older) page; `None` when this was the last.
 */
next_before: number | null, 
/**
 * The store's file, to show where history lives.
 */
path: string, };

export type TurnRecord = { id: number, session: string, 
/**
 * Wall clock when the request arrived, unix milliseconds.
 */
started_at_ms: number, user_text: string, 
/**
 * False while the text was a partial transcript.
 */
user_final: boolean, assistant_text: string, status: TurnStatus, 
/**
 * `skill`, `llm` or `fallback`.
 */
source: string | null, skill: string | null, 
/**
 * Characters of `assistant_text` the user heard before cutting in.
 */
interrupted_at_char: number | null, heard_text: string | null, 
/**
 * Request to first streamed text.
 */
first_output_ms: number | null, 
/**
 * Request to final answer.
 */
total_ms: number | null, };

export type TurnStatus = "pending" | "answered" | "cancelled" | "failed";

export type LlmReach = { "state": "off" } | { "state": "embedded" } | { "state": "reachable", endpoint: string, } | { "state": "unreachable", endpoint: string, message: string, };

export type ModelsState = { 
/**
 * Every model a conversation needs is in the cache with its pinned size (a cheap check;
 * each file's hash is checked when it is loaded).
 */
ready: boolean, 
/**
 * What is missing or damaged, as the cache check words it (empty when ready).
 */
problem: string | null, 
/**
 * The model cache directory.
 */
dir: string, };

export type FetchProgress = { "kind": "step", text: string, } | { "kind": "bytes", done: number, total: number, };

export type FetchSummary = { 
/**
 * Files that were already there and verified.
 */
verified: number, 
/**
 * Files written now.
 */
installed: number, dir: string, };
