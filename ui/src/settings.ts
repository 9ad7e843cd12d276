// The Settings tab: the LLM server, the micro-turn length, the execution provider, the voice
// speed and the devices, read with `get_settings` and written with `save_settings`, which checks
// every field and writes the config file only when all are good. A bad value gets its message
// next to its field; the file is then left as it was.

import { invoke } from "@tauri-apps/api/core";

import { h, replaceChildren } from "./dom";
import { remoteHost, remoteNotice } from "./endpoint";
import { richText } from "./report";
import { errorMessage, type AppError, type FieldError, type Report, type SaveOutcome, type SettingsForm, type SettingsView } from "./types";

/** Form keys by config field (the `field` of a FieldError). */
const FIELD_KEYS: Record<string, keyof SettingsForm> = {
  "llm.enabled": "llm_enabled",
  "llm.backend": "llm_backend",
  "llm.model_path": "llm_model_path",
  "llm.endpoint": "llm_endpoint",
  "llm.model": "llm_model",
  "llm.allow_remote": "llm_allow_remote",
  "interaction.micro_turn_ms": "micro_turn_ms",
  "runtime.execution_provider": "execution_provider",
  "voice.speed": "voice_speed",
  "audio.input_device": "input_device",
  "audio.output_device": "output_device",
  "camera.device": "camera_device",
};

const BACKEND_LABELS: Record<string, string> = {
  embedded: "On this computer (built in)",
  openai: "A server (OpenAI-compatible)",
  ollama: "An Ollama server",
};

const PROVIDER_LABELS: Record<string, string> = {
  auto: "Automatic",
  cpu: "CPU",
  cuda: "CUDA (NVIDIA)",
  tensorrt: "TensorRT (NVIDIA)",
  directml: "DirectML (Windows)",
  coreml: "Core ML (macOS)",
};

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

function input(key: keyof SettingsForm): HTMLInputElement {
  return byId<HTMLInputElement>(`set-${key}`);
}

function select(key: keyof SettingsForm): HTMLSelectElement {
  return byId<HTMLSelectElement>(`set-${key}`);
}

/** Fills a device list: System default first, then what the system check found; a saved
 * device that is not connected stays, marked, so saving does not silently drop it. */
function fillDevices(el: HTMLSelectElement, names: string[], chosen: string | null, none: string): void {
  const options = [h("option", { value: "" }, none), ...names.map((n) => h("option", { value: n }, n))];
  if (chosen && !names.includes(chosen)) options.push(h("option", { value: chosen }, `${chosen} (not connected)`));
  replaceChildren(el, options);
  el.value = chosen ?? "";
}

export class SettingsPanel {
  private view: SettingsView | null = null;
  private devices: Report | null = null;
  private readonly form = byId<HTMLFormElement>("settings-form");
  private readonly status = byId<HTMLElement>("settings-status");
  private readonly banners = byId<HTMLElement>("settings-banners");

  constructor(private readonly asError: (err: unknown) => AppError) {
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.save();
    });
    for (const key of ["llm_enabled", "llm_endpoint"] as const) {
      input(key).addEventListener("input", () => this.showRemoteNotice());
    }
    select("llm_backend").addEventListener("change", () => this.showRemoteNotice());
    byId<HTMLButtonElement>("settings-revert").addEventListener("click", () => {
      if (this.view) this.fill(this.view.settings);
      this.clearErrors();
      this.status.textContent = "";
    });
  }

  /** Reads the settings and the devices (when the tab is opened). */
  async load(): Promise<void> {
    this.clearErrors();
    replaceChildren(this.banners);
    try {
      this.view = await invoke<SettingsView>("get_settings");
    } catch (err) {
      this.fail(err, "Your settings file could not be read");
      return;
    }
    byId("settings-path").textContent = this.view.path;
    replaceChildren(
      select("execution_provider"),
      this.view.execution_providers.map((p) => h("option", { value: p }, PROVIDER_LABELS[p] ?? p)),
    );
    replaceChildren(
      select("llm_backend"),
      this.view.llm_backends.map((b) => h("option", { value: b }, BACKEND_LABELS[b] ?? b)),
    );
    this.fill(this.view.settings);
    try {
      // The same device lists the system check shows.
      this.devices = await invoke<Report>("doctor");
      this.fill(this.read());
    } catch {
      // The lists stay at the saved choices; the system check says what is wrong.
    }
  }

  private fill(s: SettingsForm): void {
    input("llm_enabled").checked = s.llm_enabled;
    select("llm_backend").value = s.llm_backend;
    input("llm_model_path").value = s.llm_model_path ?? "";
    input("llm_endpoint").value = s.llm_endpoint;
    input("llm_model").value = s.llm_model;
    input("llm_allow_remote").checked = s.llm_allow_remote;
    this.showRemoteNotice();
    input("micro_turn_ms").value = s.micro_turn_ms;
    input("voice_speed").value = s.voice_speed;
    select("execution_provider").value = s.execution_provider;
    const d = this.devices;
    fillDevices(select("input_device"), d?.audio_inputs ?? [], s.input_device, d?.default_input ? `System default (${d.default_input})` : "System default");
    fillDevices(select("output_device"), d?.audio_outputs ?? [], s.output_device, d?.default_output ? `System default (${d.default_output})` : "System default");
    fillDevices(select("camera_device"), d?.cameras ?? [], s.camera_device, "First camera");
  }

  private read(): SettingsForm {
    const device = (key: keyof SettingsForm): string | null => select(key).value || null;
    return {
      llm_enabled: input("llm_enabled").checked,
      llm_backend: select("llm_backend").value,
      llm_model_path: input("llm_model_path").value.trim() || null,
      llm_endpoint: input("llm_endpoint").value,
      llm_model: input("llm_model").value,
      llm_allow_remote: input("llm_allow_remote").checked,
      micro_turn_ms: input("micro_turn_ms").value,
      execution_provider: select("execution_provider").value,
      voice_speed: input("voice_speed").value,
      input_device: device("input_device"),
      output_device: device("output_device"),
      camera_device: device("camera_device"),
    };
  }

  /** One line under the endpoint when it is on another computer and a server backend would
   * use it: where, and what would be sent there. */
  private showRemoteNotice(): void {
    const notice = byId<HTMLElement>("set-llm-remote-notice");
    const view = this.view;
    const host = remoteHost(input("llm_endpoint").value);
    const used = view !== null && select("llm_backend").value !== "embedded" && input("llm_enabled").checked;
    notice.hidden = !(used && host);
    notice.textContent = used && host ? remoteNotice(host, view.llm_what_is_sent) : "";
  }

  private async save(): Promise<void> {
    const button = byId<HTMLButtonElement>("settings-save");
    button.disabled = true;
    this.clearErrors();
    this.status.textContent = "Saving…";
    try {
      const outcome = await invoke<SaveOutcome>("save_settings", { settings: this.read() });
      if (outcome.saved) {
        if (this.view) this.view.settings = outcome.settings;
        this.fill(outcome.settings);
        this.status.dataset["tone"] = "ok";
        this.status.textContent = "Saved. The changes apply to the next conversation.";
      } else {
        this.showErrors(outcome.errors);
        this.status.dataset["tone"] = "bad";
        const n = outcome.errors.length;
        this.status.textContent = `Not saved: ${n} value${n === 1 ? " needs" : "s need"} fixing. The settings file was not changed.`;
      }
    } catch (err) {
      this.status.textContent = "";
      this.fail(err, "The settings were not saved");
    } finally {
      button.disabled = false;
    }
  }

  private showErrors(errors: FieldError[]): void {
    let first: HTMLElement | null = null;
    for (const e of errors) {
      const key = FIELD_KEYS[e.field];
      const message = key ? document.getElementById(`set-${key}-error`) : null;
      if (!key || !message) {
        // A field without a place for messages: say which in a banner.
        this.banner("The settings were not saved", `\`${e.field}\`: ${e.message}`);
        continue;
      }
      message.hidden = false;
      replaceChildren(message, ...richText(e.message));
      const control = byId(`set-${key}`);
      control.setAttribute("aria-invalid", "true");
      first ??= control;
    }
    first?.focus();
  }

  private clearErrors(): void {
    for (const key of Object.values(FIELD_KEYS)) {
      const message = document.getElementById(`set-${key}-error`);
      if (message) {
        message.hidden = true;
        message.textContent = "";
      }
      document.getElementById(`set-${key}`)?.removeAttribute("aria-invalid");
    }
  }

  private fail(err: unknown, title: string): void {
    const e = this.asError(err);
    this.banner(title, errorMessage(e));
  }

  private banner(title: string, message: string): void {
    this.banners.appendChild(
      h(
        "div",
        { class: "banner banner-bad", role: "alert" },
        h("span", { class: "banner-icon", "aria-hidden": "true" }, "!"),
        h("div", { class: "banner-text" }, h("p", { class: "banner-title" }, title), h("p", {}, ...richText(message))),
      ),
    );
  }
}
