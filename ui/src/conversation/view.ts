// The conversation view: the floor indicator, the Start/Stop button, the latency readout,
// banners, and the live transcript. Event logic is in transcript.ts; this file only draws.

import { Channel, invoke } from "@tauri-apps/api/core";
import { modelDownload } from "../models";

import { h, replaceChildren, type Child } from "../dom";
import type { FailureKind } from "../bindings";
import { errorMessage } from "../types";
import { TimelineView } from "./timeline-view";
import { richText } from "../report";
import type { Batch, CameraState, ConversationError, ConversationStatus, DeviceEvent, LlmReach, Phase, UiMessage } from "./events";
import { countRestart, noRestarts, restartsText, type StreamRestarts } from "./streams";
import {
  applyEvent,
  clock,
  createTranscript,
  floorLabel,
  latencySummary,
  shownFloor,
  splitHeard,
  type Line,
  type Transcript,
} from "./transcript";

type ViewState = "offline" | "starting" | "running" | "stopping";
type Tone = "ok" | "warn" | "bad";

/** The elements of index.html this view drives. */
export interface ConversationElements {
  floor: HTMLElement;
  floorLabel: HTMLElement;
  floorSub: HTMLElement;
  button: HTMLButtonElement;
  latencyLast: HTMLElement;
  latencyMedian: HTMLElement;
  dropped: HTMLElement;
  banners: HTMLElement;
  transcript: HTMLOListElement;
  empty: HTMLElement;
  clear: HTMLButtonElement;
  /** The camera switch and what the camera sees. */
  camera: HTMLButtonElement;
  cameraState: HTMLElement;
  /** The two-lane voice activity timeline. */
  timeline: HTMLCanvasElement;
}

const SPEECH_TAGS: Record<string, string> = {
  acknowledgement: "holding on",
  filler: "filler",
  resume: "picking up",
  announcement: "announcement",
};

/** Why a device stopped, in words. */
const LOSS_REASONS: Record<FailureKind, string> = {
  Unknown: "no reason given",
  DeviceLost: "it went away",
  HostLost: "the sound server went away",
  Invalidated: "its configuration changed",
};

const IDLE_HINT = "Press Start, then talk. Tandem listens while it speaks, so you can cut in at any time.";

/** A banner for a command or conversation error: title, the engine's message, and the fix. */
export function describeError(err: ConversationError): { title: string; fix: string | null; system: boolean } {
  switch (err.kind) {
    case "models_missing":
      return {
        title: "The speech models are not installed",
        fix: "Download them below (or run `tandem models fetch` in a terminal), then press Start again.",
        system: true,
      };
    case "no_audio_device":
      return { title: "No microphone or speaker to talk through", fix: null, system: true };
    case "audio":
      return { title: "The audio device failed", fix: "Check the device in System check, then press Start again.", system: true };
    case "config":
      return {
        title: "Your settings file could not be read",
        fix: "Correct the file, or move it aside to use the defaults, then press Start again.",
        system: false,
      };
    case "engine":
      return { title: "The engine could not run", fix: null, system: true };
    case "already_running":
      return { title: "A conversation is already running", fix: null, system: false };
    case "not_running":
      return { title: "Start a conversation first", fix: null, system: false };
    case "camera":
      return { title: "The camera stays off", fix: null, system: true };
    default:
      return { title: "Something went wrong", fix: null, system: false };
  }
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function ms(value: number | null): string {
  if (value === null) return "—";
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;
}

export class ConversationView {
  private state: ViewState = "offline";
  private transcript: Transcript = createTranscript();
  private rows = new Map<number, HTMLLIElement>();
  private bannerByKey = new Map<string, HTMLElement>();
  private devices = "";
  /** Streams the engine had to reopen since the app started (shown with the devices). */
  private restarts: StreamRestarts = noRestarts();
  private cameraOn = false;
  private generation = 0;
  private readonly timeline: TimelineView;

  constructor(
    private readonly el: ConversationElements,
    /** Opens a tab by its panel id (from a banner's button): `view-system`, `view-settings`. */
    private readonly openPanel: (panel: string) => void,
  ) {
    el.button.addEventListener("click", () => {
      if (this.state === "offline") void this.start();
      else void this.stop();
    });
    el.clear.addEventListener("click", () => this.clearTranscript());
    el.camera.addEventListener("click", () => void this.switchCamera(!this.cameraOn));
    this.timeline = new TimelineView(el.timeline);
    this.render();
  }

  /** Shows what `conversation_status` said at load (a conversation left over from a reload is
   * stopped: its events went to the old page). */
  async resume(status: ConversationStatus): Promise<void> {
    if (status.state !== "idle") await this.stop();
  }

  async start(): Promise<void> {
    if (this.state !== "offline") return;
    const generation = ++this.generation;
    this.clearTranscript();
    this.clearBanners();
    this.setState("starting", "Starting…");
    this.timeline.start();
    const channel = new Channel<Batch>();
    channel.onmessage = (batch) => {
      if (generation === this.generation) this.onBatch(batch);
    };
    try {
      const status = await invoke<ConversationStatus>("start_conversation", { onEvent: channel });
      if (generation !== this.generation) return;
      if (status.state === "running") {
        this.onRunning(status.input_device ?? "", status.output_device ?? "");
      } else {
        this.setState("offline");
      }
    } catch (err) {
      if (generation !== this.generation) return;
      this.showError(asError(err));
      this.setState("offline");
    }
  }

  async stop(): Promise<void> {
    if (this.state === "stopping") return;
    this.setState("stopping", "Stopping…");
    try {
      await invoke<ConversationStatus>("stop_conversation");
    } catch (err) {
      this.showError(asError(err));
    }
    this.generation++;
    this.setState("offline");
  }

  /** Switches the camera of the running conversation; a failure says why in a banner. */
  async switchCamera(on: boolean): Promise<void> {
    this.el.camera.disabled = true;
    try {
      this.onCamera(await invoke<CameraState>("set_camera", { on }));
    } catch (err) {
      this.showError(asError(err));
    } finally {
      this.el.camera.disabled = this.state !== "running";
    }
  }

  private onCamera(c: CameraState): void {
    this.cameraOn = c.on;
    if (c.on) this.dismiss("error-camera");
    this.el.camera.setAttribute("aria-pressed", String(c.on));
    this.el.camera.textContent = c.on ? "Camera on" : "Camera off";
    this.el.camera.classList.toggle("camera-live", c.on);
    this.el.cameraState.textContent = c.on ? `● ${c.device ?? "camera"}` : "";
  }

  private onVisual(present: boolean | null, facing: boolean | null): void {
    if (!this.cameraOn) return;
    const seen = present === null ? "no recent frame" : !present ? "nobody in view" : facing ? "you, facing the screen" : "you, turned away";
    this.el.cameraState.textContent = `● ${seen}`;
  }

  private onBatch(batch: Batch): void {
    for (const m of batch.messages) this.onMessage(m);
    this.el.dropped.textContent = batch.dropped_total > 0 ? `${batch.dropped_total} events dropped (the window fell behind)` : "";
  }

  private onMessage(m: UiMessage): void {
    switch (m.type) {
      case "phase":
        this.onPhase(m.phase);
        break;
      case "device":
        this.onDevice(m.event);
        break;
      case "camera":
        this.onCamera(m.camera);
        if (m.camera.error) this.showError(m.camera.error);
        break;
      case "playback":
        this.timeline.onPlayback(m.t_ms, m.speaking);
        break;
      case "event": {
        this.timeline.onEvent(m.event);
        if (m.event.kind === "visual") this.onVisual(m.event.present, m.event.facing);
        if (m.event.kind === "reasoning_result" && m.event.source === "fallback" && !this.bannerByKey.has("llm")) {
          this.llmBanner("the language model failed to answer, so Tandem answered from its built-in skills; check that its server is running and the endpoint in Settings is right");
        }
        const c = applyEvent(this.transcript, m.event);
        for (const id of c.removed) {
          this.rows.get(id)?.remove();
          this.rows.delete(id);
        }
        for (const id of c.lines) this.drawLine(id);
        if (c.lines.length > 0 || c.removed.length > 0) this.afterLines();
        if (c.floor) this.renderFloor();
        if (c.latency) this.renderLatency();
        if (c.error) {
          const e = this.transcript.errors[this.transcript.errors.length - 1];
          if (e) this.banner(`stage-${e.stage}`, "warn", `The ${e.stage} stage failed once`, richText(sentence(e.message)));
        }
        break;
      }
    }
  }

  private onPhase(phase: Phase): void {
    switch (phase.phase) {
      case "starting":
        if (this.state === "starting") this.el.floorSub.textContent = `${phase.step}…`;
        break;
      case "running":
        this.onRunning(phase.input_device, phase.output_device);
        break;
      case "stopped":
        if (phase.error) this.showError(phase.error);
        this.generation++;
        this.setState("offline");
        break;
    }
  }

  private onRunning(input: string, output: string): void {
    this.devices = `Microphone: ${input} · Speaker: ${output}`;
    if (this.state === "starting") {
      this.setState("running");
      void this.checkLlm();
    }
  }

  /** With the LLM on, says at once when its server cannot be reached (answers then come from
   * the built-in skills), with the fix. */
  private async checkLlm(): Promise<void> {
    try {
      const reach = await invoke<LlmReach>("check_llm");
      if (reach.state === "unreachable") this.llmBanner(reach.message);
      else this.dismiss("llm");
    } catch {
      /* The settings could not be read: the start itself reports that. */
    }
  }

  private llmBanner(message: string): void {
    const button = h("button", { type: "button", class: "button button-small" }, "Open Settings");
    button.addEventListener("click", () => this.openPanel("view-settings"));
    this.banner("llm", "warn", "The language model is unreachable", richText(sentence(message)), [h("p", { class: "banner-actions" }, button)]);
  }

  /** Stream restarts so far in this app session (for the System check). */
  streamRestarts(): StreamRestarts {
    return { ...this.restarts };
  }

  private onDevice(e: DeviceEvent): void {
    if (countRestart(this.restarts, e)) this.renderFloor();
    const what = e.direction === "input" ? "microphone" : "speaker";
    const key = `device-${e.direction}`;
    switch (e.kind) {
      case "lost":
        this.banner(key, "warn", `The ${what} stopped`, richText(`\`${e.device}\` stopped (${LOSS_REASONS[e.reason]}); reconnecting…`));
        break;
      case "retry_failed":
        this.banner(key, "bad", `The ${what} is still unavailable`, richText(`${sentence(e.message)} (attempt ${e.attempt}); check it in System check.`));
        break;
      case "recovered":
        this.dismiss(key);
        if (e.fallback) this.banner(key, "warn", `Using the default ${what}`, [`\`${e.device}\` is in use instead.`]);
        break;
    }
  }

  showError(err: ConversationError): void {
    const d = describeError(err);
    const body = richText(sentence(errorMessage(err)));
    const extra: Child[] = [];
    if (d.fix) extra.push(h("p", { class: "banner-fix" }, h("span", { class: "fix-label" }, "Fix: "), ...richText(d.fix)));
    if (err.kind === "models_missing") extra.push(this.downloadModels());
    if (d.system) {
      const button = h("button", { type: "button", class: "button button-small" }, "Open System check");
      button.addEventListener("click", () => this.openPanel("view-system"));
      extra.push(h("p", { class: "banner-actions" }, button));
    }
    this.banner(`error-${err.kind}`, "bad", d.title, body, extra);
  }

  /** First run: the models are missing; offer the download before anyone presses Start. */
  showModelsMissing(problem: string | null): void {
    const body = richText(sentence(problem ?? "The speech models are not in the model cache yet"));
    this.banner("error-models_missing", "warn", "Tandem needs its speech models (about 500 MB, once)", body, [this.downloadModels()]);
  }

  private downloadModels(): HTMLElement {
    return modelDownload(() => {
      // The banner becomes the confirmation: the problem and the button go, the status stays.
      const done = this.bannerByKey.get("error-models_missing");
      if (done) {
        done.classList.remove("banner-bad", "banner-warn");
        done.classList.add("banner-ok");
        done.setAttribute("role", "status");
        const icon = done.querySelector(".banner-icon");
        if (icon) icon.textContent = "✓";
        const title = done.querySelector(".banner-title");
        if (title) title.textContent = "The speech models are installed: press Start to talk";
        title?.nextElementSibling?.remove();
        done.querySelector('[data-action="fetch-models"]')?.closest("p")?.remove();
      }
      this.el.button.focus();
    });
  }

  private banner(key: string, tone: Tone, title: string, body: Child[], extra: Child[] = []): void {
    this.dismiss(key);
    const close = h("button", { type: "button", class: "banner-close", "aria-label": `Dismiss: ${title}` }, "×");
    const el = h(
      "div",
      { class: `banner banner-${tone}`, role: tone === "ok" ? "status" : "alert" },
      h("span", { class: "banner-icon", "aria-hidden": "true" }, tone === "ok" ? "✓" : "!"),
      h("div", { class: "banner-text" }, h("p", { class: "banner-title" }, title), h("p", {}, body), extra),
      close,
    );
    close.addEventListener("click", () => {
      this.dismiss(key);
      this.el.button.focus();
    });
    this.bannerByKey.set(key, el);
    this.el.banners.appendChild(el);
  }

  private dismiss(key: string): void {
    this.bannerByKey.get(key)?.remove();
    this.bannerByKey.delete(key);
  }

  private clearBanners(): void {
    for (const key of [...this.bannerByKey.keys()]) this.dismiss(key);
  }

  private clearTranscript(): void {
    this.transcript = createTranscript();
    this.rows.clear();
    replaceChildren(this.el.transcript);
    this.renderLatency();
    this.afterLines();
    this.renderFloor();
  }

  private setState(state: ViewState, sub?: string): void {
    this.state = state;
    if (state === "offline") {
      this.devices = "";
      this.timeline.stop();
      // The camera closes with the conversation.
      this.onCamera({ on: false, device: null, error: null });
    }
    this.el.camera.disabled = state !== "running";
    if (sub !== undefined) this.el.floorSub.textContent = sub;
    this.render();
  }

  private render(): void {
    const { button } = this.el;
    button.disabled = this.state === "stopping";
    button.textContent = this.state === "offline" ? "Start" : "Stop";
    button.dataset["action"] = this.state === "offline" ? "start" : "stop";
    button.setAttribute("aria-label", this.state === "offline" ? "Start the conversation" : "Stop the conversation");
    this.renderFloor();
  }

  private renderFloor(): void {
    const { floor, floorLabel: label, floorSub: sub } = this.el;
    if (this.state === "running") {
      const f = shownFloor(this.transcript);
      floor.dataset["state"] = f;
      label.textContent = floorLabel(f);
      const restarts = restartsText(this.restarts);
      sub.textContent = restarts ? `${this.devices} · ${restarts}` : this.devices;
    } else if (this.state === "offline") {
      floor.dataset["state"] = "offline";
      label.textContent = "Not started";
      sub.textContent = IDLE_HINT;
    } else {
      floor.dataset["state"] = "starting";
      label.textContent = this.state === "starting" ? "Starting…" : "Stopping…";
    }
  }

  private renderLatency(): void {
    const s = latencySummary(this.transcript.latencies_ms);
    this.el.latencyLast.textContent = ms(s.last);
    this.el.latencyMedian.textContent = s.count > 0 ? `${ms(s.median)} over ${s.count}` : "—";
  }

  private afterLines(): void {
    this.el.empty.hidden = this.transcript.lines.length > 0;
  }

  private drawLine(id: number): void {
    const line = this.transcript.lines.find((l) => l.id === id);
    if (!line) return;
    const list = this.el.transcript;
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
    const row = renderLine(line);
    const old = this.rows.get(id);
    if (old) old.replaceWith(row);
    else list.appendChild(row);
    this.rows.set(id, row);
    if (stick) list.scrollTop = list.scrollHeight;
  }
}

function stamp(t_ms: number): HTMLElement {
  return h("span", { class: "line-time", "aria-hidden": "true" }, clock(t_ms));
}

/** One transcript row. */
export function renderLine(line: Line): HTMLLIElement {
  switch (line.who) {
    case "user": {
      const rest = line.text.startsWith(line.stable) ? line.text.slice(line.stable.length) : line.text;
      const stable = line.text.startsWith(line.stable) ? line.stable : "";
      return h(
        "li",
        // A partial is busy: screen readers wait for the final before reading it.
        {
          class: `line line-user${line.final ? "" : " line-partial"}`,
          "aria-busy": line.final ? null : "true",
          "data-testid": "line-user",
          "data-state": line.final ? "final" : "partial",
        },
        h("span", { class: "line-who" }, "You"),
        h("p", { class: "line-text" }, stable, rest ? h("span", { class: "line-unstable" }, rest) : null),
        stamp(line.t_ms),
      );
    }
    case "assistant": {
      const { heard, unheard } = splitHeard(line.text, line.heard);
      const tag = SPEECH_TAGS[line.speech];
      return h(
        "li",
        {
          class: `line line-assistant${line.speaking ? " line-speaking" : ""}${line.heard !== null ? " line-cut" : ""}`,
          "data-testid": "line-assistant",
          "data-speech": line.speech,
          // Cut off by the user (`heard` is what they heard), still playing, or said in full.
          "data-state": line.heard !== null ? "cut" : line.speaking ? "speaking" : "done",
        },
        h("span", { class: "line-who" }, "Tandem"),
        h(
          "p",
          { class: "line-text" },
          tag ? h("span", { class: "tag" }, tag) : null,
          heard,
          unheard
            ? h("span", { class: "line-unheard", "data-testid": "unheard" }, h("span", { class: "visually-hidden" }, " (not heard:"), unheard, h("span", { class: "visually-hidden" }, ")"))
            : null,
        ),
        h(
          "span",
          { class: "line-meta" },
          line.latency_ms !== null ? h("span", { class: "line-latency", title: "From the end of your speech to the reply" }, ms(line.latency_ms)) : null,
          stamp(line.t_ms),
        ),
      );
    }
    case "marker": {
      const text =
        line.marker === "barge_in"
          ? [h("span", { class: "marker-icon", "aria-hidden": "true" }, "⤺"), "You cut in"]
          : line.marker === "backchannel"
            ? [h("span", { class: "marker-icon", "aria-hidden": "true" }, "♪"), `Tandem: “${line.text}”`]
            : [h("span", { class: "marker-icon", "aria-hidden": "true" }, "⊘"), `Not for me: “${line.text}”`, line.detail ? ` (${line.detail})` : ""];
      const kind = line.marker.replace(/_/g, "-");
      return h("li", { class: `line-marker marker-${kind}`, "data-testid": `marker-${kind}` }, h("span", { class: "marker-text" }, text), stamp(line.t_ms));
    }
  }
}

function asError(err: unknown): ConversationError {
  if (typeof err === "object" && err !== null && typeof (err as { kind?: unknown }).kind === "string") {
    return err as ConversationError;
  }
  return { kind: "internal", message: err instanceof Error ? err.message : String(err) };
}
