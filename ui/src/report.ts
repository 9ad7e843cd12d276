// Renders the `doctor` report as the "System check" panel.

import { restartsText, type StreamRestarts } from "./conversation/streams";
import { h, type Child } from "./dom";
import { errorMessage, type AppError, type Problem, type ProviderStatus, type Report } from "./types";

type Tone = "ok" | "warn" | "bad";

const PROVIDER_NAMES: Record<string, string> = {
  auto: "Automatic",
  cpu: "CPU",
  cuda: "CUDA",
  tensorrt: "TensorRT",
  directml: "DirectML",
  coreml: "Core ML",
};

function providerName(name: string): string {
  return PROVIDER_NAMES[name.toLowerCase()] ?? name;
}

/** A model's status as a tone and a short label. Unknown wording is never shown as fine. */
export function modelStatus(status: string): { tone: Tone; label: string } {
  const s = status.trim().toLowerCase();
  if (s === "ok") return { tone: "ok", label: "Ready" };
  if (s === "missing") return { tone: "bad", label: "Missing" };
  if (s === "partial") return { tone: "warn", label: "Incomplete" };
  if (s === "corrupt") return { tone: "bad", label: "Damaged" };
  return { tone: "bad", label: "Unreadable" };
}

/** Engine messages mark commands and paths with `backticks`: show those as code. */
export function richText(text: string): Child[] {
  return text.split("`").map((part, i) => (i % 2 === 1 ? h("code", {}, part) : part));
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function badge(tone: Tone, text: string): HTMLElement {
  return h("span", { class: `badge badge-${tone}` }, text);
}

function banner(tone: Tone, title: string, text: Child | Child[], extra: Child = null): HTMLElement {
  return h(
    "div",
    { class: `banner banner-${tone}`, role: tone === "ok" ? "status" : "alert" },
    h("span", { class: "banner-icon", "aria-hidden": "true" }, tone === "ok" ? "✓" : "!"),
    h("div", { class: "banner-text" }, h("p", { class: "banner-title" }, title), h("p", {}, text), extra),
  );
}

function panel(title: string, options: { wide?: boolean; count?: number }, ...body: (Child | Child[])[]): HTMLElement {
  const id = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h(
    "section",
    { class: options.wide ? "panel panel-wide" : "panel", "aria-labelledby": id },
    h(
      "h3",
      { id, class: "panel-title" },
      title,
      options.count === undefined ? null : h("span", { class: "count", "aria-label": `(${options.count})` }, options.count),
    ),
    ...body,
  );
}

function deviceList(names: string[], defaultName: string | null, emptyText: string, emptyTone: Tone): HTMLElement {
  if (names.length === 0) {
    return h("p", { class: `empty empty-${emptyTone}` }, emptyText);
  }
  return h(
    "ul",
    { class: "plain-list" },
    names.map((name) => h("li", {}, h("span", {}, name), name === defaultName ? badge("ok", "Default") : null)),
  );
}

/** Problems the banners already explain, found by what the engine says about them. */
const MIC_PROBLEM = /no microphone/i;
const MODELS_PROBLEM = /model file|models? (are )?missing/i;

function fixLine(fix: string): HTMLElement {
  return h("p", { class: "banner-fix" }, h("span", { class: "fix-label" }, "Fix: "), richText(fix));
}

interface Banners {
  banners: HTMLElement[];
  /** The problems no banner covers. */
  rest: Problem[];
}

function banners(report: Report, modelsNotReady: number): Banners {
  const out: HTMLElement[] = [];
  let rest = report.problems;
  const take = (pattern: RegExp): Problem | undefined => {
    const found = rest.find((p) => pattern.test(p.what));
    if (found) rest = rest.filter((p) => p !== found);
    return found;
  };

  // The engine may list a device it cannot record from (ALSA's null device), so its own
  // verdict counts as much as an empty list.
  const micProblem = take(MIC_PROBLEM);
  if (report.audio_inputs.length === 0 || micProblem) {
    out.push(
      banner(
        "bad",
        "No microphone found",
        "Tandem needs a microphone to hear you. Plug one in or enable it in your sound settings, then check again.",
        micProblem ? fixLine(micProblem.fix) : null,
      ),
    );
  }
  const modelsProblem = take(MODELS_PROBLEM);
  if (modelsNotReady > 0 || modelsProblem) {
    const some = modelsNotReady > 0 && modelsNotReady < report.models.length;
    out.push(
      banner(
        "bad",
        some ? `${modelsNotReady} of ${report.models.length} models missing or damaged` : "Models missing",
        "Tandem's speech models run on this computer and are downloaded once.",
        fixLine(modelsProblem?.fix ?? "run `tandem models fetch`, then check again"),
      ),
    );
  }
  if (out.length === 0 && report.problems.length === 0) {
    out.push(banner("ok", "Ready to talk", "Everything Tandem needs was found on this computer."));
  }
  return { banners: out, rest };
}

function problemsPanel(problems: Problem[]): HTMLElement | null {
  if (problems.length === 0) return null;
  return panel(
    "Problems",
    { wide: true, count: problems.length },
    h(
      "ol",
      { class: "problems" },
      problems.map((p) =>
        h(
          "li",
          {},
          h("p", { class: "problem-what" }, richText(sentence(p.what))),
          h("p", { class: "problem-fix" }, h("span", { class: "fix-label" }, "Fix: "), richText(p.fix)),
        ),
      ),
    ),
  );
}

function machinePanel(report: Report): HTMLElement {
  const fact = (term: string, value: Child): HTMLElement[] => [h("dt", {}, term), h("dd", {}, value)];
  return panel(
    "This computer",
    {},
    h(
      "dl",
      { class: "facts" },
      fact("System", report.os),
      fact("Processor", report.cpu),
      fact("Settings", h("code", { class: "path" }, report.config_path || "unknown")),
      fact("Models", h("code", { class: "path" }, report.models_dir || "unknown")),
      fact("Supply chain", report.supply_chain),
      fact("Language model", report.language_model),
    ),
  );
}

function providerItem(p: ProviderStatus, configured: string): HTMLElement {
  return h(
    "li",
    {},
    h(
      "span",
      { class: "status-name" },
      providerName(p.name),
      p.name.toLowerCase() === configured ? h("span", { class: "tag" }, "selected") : null,
    ),
    badge(p.available ? "ok" : "warn", p.available ? "Available" : "Unavailable"),
    p.note ? h("p", { class: "status-note" }, richText(p.note)) : null,
  );
}

function providersPanel(report: Report): HTMLElement {
  const configured = report.configured_provider.toLowerCase();
  const available = report.execution_providers.filter((p) => p.available);
  const unavailable = report.execution_providers.filter((p) => !p.available);
  const body: Child[] = [];
  if (report.execution_providers.length === 0) {
    body.push(h("p", { class: "empty empty-bad" }, "ONNX Runtime is not loaded, so no model can run yet."));
  } else {
    body.push(h("ul", { class: "status-list" }, available.map((p) => providerItem(p, configured))));
    if (unavailable.length > 0) {
      body.push(
        h(
          "details",
          { class: "more", open: available.length === 0 },
          h("summary", {}, `Not available here (${unavailable.length})`),
          h("ul", { class: "status-list" }, unavailable.map((p) => providerItem(p, configured))),
        ),
      );
    }
  }
  return panel(
    "Execution providers",
    {},
    h("p", { class: "panel-note" }, "Models run on: ", h("strong", {}, providerName(report.configured_provider))),
    body,
  );
}

function audioPanel(report: Report, restarts: StreamRestarts | null): HTMLElement {
  const reopened = restarts ? restartsText(restarts) : null;
  return panel(
    "Audio",
    {},
    report.audio_host ? h("p", { class: "panel-note" }, "Devices from ", h("strong", {}, report.audio_host)) : null,
    restarts
      ? h(
          "p",
          { class: "panel-note", "data-testid": "stream-restarts" },
          reopened
            ? [badge("warn", "Restarts"), ` ${reopened} since Tandem started (a device went away or the sound server stalled).`]
            : [badge("ok", "Steady"), " No microphone or speaker stream has had to restart since Tandem started."],
        )
      : null,
    h("h4", { class: "sub-title" }, "Microphones"),
    deviceList(report.audio_inputs, report.default_input, "None found", "bad"),
    h("h4", { class: "sub-title" }, "Speakers"),
    deviceList(report.audio_outputs, report.default_output, "None found", "bad"),
  );
}

function camerasPanel(report: Report): HTMLElement {
  return panel(
    "Cameras",
    {},
    h("p", { class: "panel-note" }, "Optional: lets Tandem see whether you are looking at it."),
    deviceList(report.cameras, null, "None found", "warn"),
  );
}

function modelsTable(report: Report): HTMLElement {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "models" },
      h("caption", { class: "visually-hidden" }, "Model files and their status"),
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "File"), h("th", { scope: "col" }, "Status")),
      ),
      h(
        "tbody",
        {},
        report.models.map((m) => {
          const { tone, label } = modelStatus(m.status);
          return h(
            "tr",
            {},
            h("td", {}, sentence(m.role)),
            h("td", {}, h("code", {}, m.name)),
            h("td", { title: m.status }, badge(tone, label)),
          );
        }),
      ),
    ),
  );
}

function modelsPanel(report: Report, notReady: number): HTMLElement {
  const total = report.models.length;
  if (total === 0) {
    return panel("Models", { wide: true }, h("p", { class: "empty empty-warn" }, "No models are listed."));
  }
  const summary =
    notReady === 0
      ? h("p", { class: "panel-note" }, badge("ok", "Ready"), ` All ${total} model files are on this computer and verified.`)
      : h("p", { class: "panel-note" }, badge("bad", "Not ready"), ` ${notReady} of ${total} model files are missing or damaged.`);
  return panel(
    "Models",
    { wide: true },
    summary,
    h("details", { class: "more", open: notReady > 0 }, h("summary", {}, `Model files (${total})`), modelsTable(report)),
  );
}

/** The report; `restarts`: the audio streams reopened in this app session, when known. */
export function renderReport(report: Report, restarts: StreamRestarts | null = null): HTMLElement {
  const modelsNotReady = report.models.filter((m) => modelStatus(m.status).tone !== "ok").length;
  const top = banners(report, modelsNotReady);
  return h(
    "div",
    { class: "report" },
    h("div", { class: "banners" }, top.banners),
    problemsPanel(top.rest),
    h(
      "div",
      { class: "panels" },
      machinePanel(report),
      audioPanel(report, restarts),
      providersPanel(report),
      camerasPanel(report),
      modelsPanel(report, modelsNotReady),
    ),
  );
}

export function renderError(error: AppError): HTMLElement {
  if (error.kind === "config") {
    return banner(
      "bad",
      "Your settings file could not be read",
      richText(sentence(error.message)),
      h("p", { class: "banner-fix" }, "Correct the file, or move it aside to use the defaults, then check again."),
    );
  }
  return banner("bad", "The system check failed", richText(sentence(errorMessage(error))));
}
