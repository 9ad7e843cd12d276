import "./styles.css";
import "./conversation.css";
import "./panels.css";

import { invoke, isTauri } from "@tauri-apps/api/core";

import type { ConversationStatus, LaunchOptions } from "./conversation/events";
import type { StreamRestarts } from "./conversation/streams";
import { MicControl } from "./conversation/mic-control";
import { ConversationView } from "./conversation/view";
import { h, replaceChildren } from "./dom";
import { HistoryPanel } from "./history";
import { modelsState } from "./models";
import { SettingsPanel } from "./settings";
import { renderError, renderReport } from "./report";
import { isAppError, type AppError, type Report } from "./types";

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
}

function asAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  return { kind: "internal", message: err instanceof Error ? err.message : String(err) };
}

async function runCheck(body: HTMLElement, button: HTMLButtonElement, restarts: () => StreamRestarts): Promise<void> {
  body.setAttribute("aria-busy", "true");
  button.disabled = true;
  replaceChildren(body, h("p", { class: "muted" }, "Checking your system…"));
  try {
    const report = await invoke<Report>("doctor");
    replaceChildren(body, renderReport(report, restarts()));
  } catch (err) {
    replaceChildren(body, renderError(asAppError(err)));
  } finally {
    body.setAttribute("aria-busy", "false");
    button.disabled = false;
  }
}

/** The two views as tabs (WAI-ARIA tabs pattern: arrows, Home and End move between them). */
function setupTabs(onShow: (panel: string) => void): (panel: string) => void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const show = (tab: HTMLButtonElement, focus: boolean): void => {
    for (const t of tabs) {
      const selected = t === tab;
      t.setAttribute("aria-selected", String(selected));
      t.tabIndex = selected ? 0 : -1;
      const panel = document.getElementById(t.getAttribute("aria-controls") ?? "");
      if (panel) panel.hidden = !selected;
    }
    if (focus) tab.focus();
    onShow(tab.getAttribute("aria-controls") ?? "");
  };
  for (const [i, tab] of tabs.entries()) {
    tab.addEventListener("click", () => show(tab, false));
    tab.addEventListener("keydown", (e) => {
      const next =
        e.key === "ArrowRight" ? tabs[(i + 1) % tabs.length]
        : e.key === "ArrowLeft" ? tabs[(i - 1 + tabs.length) % tabs.length]
        : e.key === "Home" ? tabs[0]
        : e.key === "End" ? tabs[tabs.length - 1]
        : undefined;
      if (next) {
        e.preventDefault();
        show(next, true);
      }
    });
  }
  return (panel) => {
    const tab = tabs.find((t) => t.getAttribute("aria-controls") === panel);
    if (tab) show(tab, true);
  };
}

async function start(): Promise<void> {
  const body = element<HTMLElement>("check-body");
  const recheck = element<HTMLButtonElement>("recheck");
  let checked = false;
  // The System check counts the stream restarts the conversation view has seen (the view is
  // created below; the check runs only when its tab is opened).
  const restarts = (): StreamRestarts => view.streamRestarts();
  const settings = new SettingsPanel(asAppError);
  const history = new HistoryPanel(asAppError);
  const showPanel = setupTabs((panel) => {
    if (!isTauri()) return;
    if (panel === "view-system" && !checked) {
      checked = true;
      void runCheck(body, recheck, restarts);
    }
    // Read afresh each time: a conversation adds turns, the file may have been edited.
    if (panel === "view-settings") void settings.load();
    if (panel === "view-history") void history.load();
  });

  const view = new ConversationView(
    {
      floor: element("floor"),
      floorLabel: element("floor-label"),
      floorSub: element("floor-sub"),
      button: element("start-stop"),
      latencyLast: element("latency-last"),
      latencyMedian: element("latency-median"),
      dropped: element("dropped"),
      banners: element("conversation-banners"),
      transcript: element("transcript"),
      empty: element("transcript-empty"),
      clear: element("clear-transcript"),
      camera: element("camera-toggle"),
      cameraState: element("camera-state"),
      timeline: element("timeline"),
    },
    (panel) => showPanel(panel),
  );

  if (!isTauri()) {
    // Opened in a plain browser (`npm run dev`): there is no engine to ask.
    const outside = "This page is running outside the Tandem app, so it cannot reach the engine. Start it with `npm run tauri dev`.";
    element<HTMLButtonElement>("start-stop").disabled = true;
    recheck.disabled = true;
    body.setAttribute("aria-busy", "false");
    replaceChildren(body, renderError({ kind: "internal", message: outside }));
    view.showError({ kind: "internal", message: outside });
    return;
  }

  recheck.addEventListener("click", () => void runCheck(body, recheck, restarts));
  invoke<string>("app_version")
    .then((v) => {
      element("app-version").textContent = `v${v}`;
    })
    .catch(() => {
      /* The version is decoration; the system check reports real failures. */
    });
  const mic = new MicControl(
    { mute: element("mic-mute"), pushToTalk: element("mic-ptt"), hold: element("mic-hold"), state: element("mic-state") },
    (err) => view.showError(asAppError(err)),
  );
  // First run: offer the model download before anyone presses Start.
  const models = await modelsState().catch(() => null);
  if (models && !models.ready) view.showModelsMissing(models.problem);
  const status = await invoke<ConversationStatus>("conversation_status");
  mic.sync(status.mic_live);
  await view.resume(status);
  const launch = await invoke<LaunchOptions>("launch_options");
  if (launch.autostart) await view.start();
}

void start();
