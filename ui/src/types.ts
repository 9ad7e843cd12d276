// The types of the commands' results, generated from the Rust types (ui/src/bindings.ts, by
// src-tauri/src/bindings.rs; a test fails when they drift).

import type { AppError } from "./bindings";

export type {
  AppError,
  FieldError,
  HistoryPage,
  ModelStatus,
  Problem,
  ProviderStatus,
  Report,
  SaveOutcome,
  SettingsForm,
  SettingsView,
  TurnRecord,
} from "./bindings";

/** A command's error as the app serializes it: `{ kind, message }` (`message` absent for the
 * kinds that need none). */
export function isAppError(value: unknown): value is AppError {
  if (typeof value !== "object" || value === null) return false;
  const { kind, message } = value as { kind?: unknown; message?: unknown };
  return typeof kind === "string" && (message === undefined || typeof message === "string");
}

/** The error's message, fit to show (the kinds without one say what they mean). */
export function errorMessage(e: AppError): string {
  if ("message" in e) return e.message;
  return e.kind === "already_running" ? "a conversation is already running" : "no conversation is running: start one first";
}
