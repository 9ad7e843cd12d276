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
