// Mirrors of the Rust types that cross the IPC boundary. Keep in step with
// crates/core/src/doctor.rs (Report) and src-tauri/src/error.rs (AppError).

export interface ProviderStatus {
  name: string;
  available: boolean;
  note: string;
}

export interface ModelStatus {
  name: string;
  role: string;
  status: string;
}

export interface Problem {
  what: string;
  fix: string;
}

/** What `doctor` found on this machine. */
export interface Report {
  /** The engine's version. */
  version: string;
  os: string;
  cpu: string;
  /** The provider the settings ask for: auto, cpu, cuda, tensorrt, directml or coreml. */
  configured_provider: string;
  /** Empty when ONNX Runtime could not be loaded (a problem then says why). */
  execution_providers: ProviderStatus[];
  /** The audio system the devices come from (ALSA on Linux). */
  audio_host: string;
  audio_inputs: string[];
  audio_outputs: string[];
  default_input: string | null;
  default_output: string | null;
  cameras: string[];
  models_dir: string;
  /** `status` is ok, missing, partial, corrupt, or "unreadable: ...". */
  models: ModelStatus[];
  config_path: string;
  problems: Problem[];
}

/** A command's error: `{ kind, message }`, with `message` fit to show as is. */
export interface AppError {
  kind:
    | "config"
    | "models_missing"
    | "no_audio_device"
    | "audio"
    | "engine"
    | "already_running"
    | "not_running"
    | "camera"
    | "internal";
  message: string;
}

export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/** The settings the panel edits, as typed (src-tauri/src/settings.rs `SettingsForm`). */
export interface SettingsForm {
  llm_enabled: boolean;
  llm_endpoint: string;
  llm_model: string;
  micro_turn_ms: string;
  execution_provider: string;
  voice_speed: string;
  input_device: string | null;
  output_device: string | null;
  camera_device: string | null;
}

/** What `get_settings` returns. */
export interface SettingsView {
  settings: SettingsForm;
  path: string;
  execution_providers: string[];
}

/** A value that cannot be saved: its config field (`voice.speed`) and what is wrong. */
export interface FieldError {
  field: string;
  message: string;
}

/** What `save_settings` returns; nothing was written when `errors` is not empty. */
export interface SaveOutcome {
  saved: boolean;
  errors: FieldError[];
  settings: SettingsForm;
  path: string;
}

/** One past turn (crates/core/src/store `TurnRecord`). */
export interface TurnRecord {
  id: number;
  session: string;
  started_at_ms: number;
  user_text: string;
  user_final: boolean;
  assistant_text: string;
  status: "pending" | "answered" | "cancelled" | "failed";
  source: string | null;
  skill: string | null;
  interrupted_at_char: number | null;
  heard_text: string | null;
  first_output_ms: number | null;
  total_ms: number | null;
}

/** What `history` returns: newest first; `next_before` fetches the next (older) page. */
export interface HistoryPage {
  turns: TurnRecord[];
  next_before: number | null;
  path: string;
}
