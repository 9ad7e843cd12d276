import "./styles.css";

import { invoke, isTauri } from "@tauri-apps/api/core";

import { h, replaceChildren } from "./dom";
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

async function runCheck(body: HTMLElement, button: HTMLButtonElement): Promise<void> {
  body.setAttribute("aria-busy", "true");
  button.disabled = true;
  replaceChildren(body, h("p", { class: "muted" }, "Checking your system…"));
  try {
    const report = await invoke<Report>("doctor");
    replaceChildren(body, renderReport(report));
  } catch (err) {
    replaceChildren(body, renderError(asAppError(err)));
  } finally {
    body.setAttribute("aria-busy", "false");
    button.disabled = false;
  }
}

async function start(): Promise<void> {
  const body = element<HTMLElement>("check-body");
  const button = element<HTMLButtonElement>("recheck");

  if (!isTauri()) {
    // Opened in a plain browser (`npm run dev`): there is no engine to ask.
    button.disabled = true;
    body.setAttribute("aria-busy", "false");
    replaceChildren(
      body,
      renderError({
        kind: "internal",
        message: "This page is running outside the Tandem app, so it cannot reach the engine. Start it with `npm run tauri dev`.",
      }),
    );
    return;
  }

  button.addEventListener("click", () => void runCheck(body, button));
  invoke<string>("app_version")
    .then((v) => {
      element("app-version").textContent = `v${v}`;
    })
    .catch(() => {
      /* The version is decoration; the system check reports real failures. */
    });
  await runCheck(body, button);
}

void start();
