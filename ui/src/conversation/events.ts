// The conversation's types under the names the UI uses. They are generated from the Rust types
// (ui/src/bindings.ts, by src-tauri/src/bindings.rs; a test fails when they drift): the engine's
// Event (the `tandem duplex --events` contract) and what src-tauri/src/conversation/ sends.
//
// Types only: this file compiles to nothing, so pure modules can import it and still run under
// plain Node in the tests.

import type { AppError, Event, Floor } from "../bindings";

export type {
  Batch,
  CameraState,
  ConversationStatus,
  DeviceEvent,
  Direction,
  LaunchOptions,
  LlmReach,
  Phase,
  RunState,
  SpeechKind,
  UiMessage,
} from "../bindings";

/** Who has the floor. */
export type FloorState = Floor;

/** One thing the engine did, at `t_ms` of audio time since the conversation started. */
export type EngineEvent = Event;

/** A command's or the conversation's error, `{ kind, message }`. */
export type ConversationError = AppError;
