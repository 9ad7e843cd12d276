// Mirrors of what the conversation sends over its Tauri channel. Keep in step with
// crates/core/src/engine/mod.rs (Event, the `tandem duplex --events` contract) and
// src-tauri/src/conversation/ (UiMessage, Phase, Batch, ConversationStatus).
//
// Types only: this file compiles to nothing, so pure modules can import it and still run
// under plain Node in the tests.

/** Who has the floor (crates/core/src/interaction/types.rs `Floor`). */
export type FloorState = "listening" | "user_speaking" | "thinking" | "speaking" | "yielding";

/** Why the assistant speaks. */
export type SpeechKind = "answer" | "acknowledgement" | "filler" | "resume" | "announcement";

type EventBody =
  | { kind: "floor"; floor: FloorState }
  | { kind: "voice_start"; onset_ms: number; level_db: number }
  | { kind: "voice_end"; end_ms: number }
  | { kind: "partial"; text: string; stable: string; compute_ms: number }
  | { kind: "final"; text: string; compute_ms: number }
  | { kind: "end_of_turn"; probability: number; compute_ms: number }
  | { kind: "speak_start"; text: string; speech: SpeechKind }
  | { kind: "speak_stop"; heard: string }
  | { kind: "barge_in"; heard: string }
  | { kind: "backchannel"; phrase: string }
  | { kind: "duck" }
  | { kind: "unduck" }
  | { kind: "hold" }
  | { kind: "release" }
  | { kind: "reasoning_request"; id: number; text: string; speculative: boolean; interrupted: string | null }
  | { kind: "reasoning_cancel"; id: number }
  | { kind: "reasoning_result"; id: number; text: string; source: string }
  | { kind: "not_addressed"; text: string; reason: string }
  | { kind: "visual"; present: boolean | null; facing: boolean | null; faces: number | null; yaw_deg: number | null }
  | { kind: "error"; stage: string; message: string };

/** One thing the engine did, at `t_ms` of audio time since the conversation started. */
export type EngineEvent = { t_ms: number } & EventBody;

export type Direction = "input" | "output";

/** A device lost or recovered (crates/core/src/audio/stream.rs `DeviceEvent`). */
export type DeviceEvent =
  | { kind: "lost"; direction: Direction; device: string; reason: string }
  | { kind: "recovered"; direction: Direction; device: string; fallback: boolean }
  | { kind: "retry_failed"; direction: Direction; attempt: number; message: string };

/** A command's error, `{ kind, message }` (src-tauri/src/error.rs). */
export interface ConversationError {
  kind: string;
  message?: string;
}

export type Phase =
  | { phase: "starting"; step: string }
  | { phase: "running"; input_device: string; output_device: string; micro_turn_ms: number }
  | { phase: "stopped"; error: ConversationError | null };

/** The camera switch's outcome (src-tauri/src/conversation/forward.rs `CameraState`). */
export interface CameraState {
  on: boolean;
  device: string | null;
  error: ConversationError | null;
}

export type UiMessage =
  | { type: "event"; event: EngineEvent }
  | { type: "device"; event: DeviceEvent }
  | { type: "phase"; phase: Phase }
  | { type: "camera"; camera: CameraState }
  | { type: "playback"; t_ms: number; speaking: boolean };

/** One channel message: events in order, and how many were dropped so far. */
export interface Batch {
  messages: UiMessage[];
  dropped_total: number;
}

export type RunState = "idle" | "starting" | "running" | "stopping";

/** What `conversation_status` and the start/stop commands return. */
export interface ConversationStatus {
  state: RunState;
  step: string | null;
  input_device: string | null;
  output_device: string | null;
  micro_turn_ms: number | null;
  floor: FloorState | null;
  /** Whether the engine hears the microphone (false: muted, or push-to-talk not held). */
  mic_live: boolean;
  events_sent: number;
  events_dropped: number;
  last_error: ConversationError | null;
}

/** What `check_llm` found (src-tauri/src/llm_check.rs `LlmReach`). */
export type LlmReach =
  | { state: "off" }
  | { state: "reachable"; endpoint: string }
  | { state: "unreachable"; endpoint: string; message: string };

export interface LaunchOptions {
  autostart: boolean;
}
