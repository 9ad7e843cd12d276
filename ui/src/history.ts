// The History tab: past turns from the conversation store, newest first, a page at a time.

import { invoke } from "@tauri-apps/api/core";

import { h, replaceChildren } from "./dom";
import { richText } from "./report";
import { errorMessage, type AppError, type HistoryPage, type TurnRecord } from "./types";

const PAGE = 20;

const STATUS_LABELS: Record<TurnRecord["status"], string> = {
  answered: "",
  cancelled: "cut off",
  failed: "failed",
  pending: "no answer",
};

function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function turn(t: TurnRecord): HTMLElement {
  const status = STATUS_LABELS[t.status];
  const said = t.heard_text !== null && t.heard_text.length < t.assistant_text.length ? t.heard_text : t.assistant_text;
  const unheard = said === t.assistant_text ? "" : t.assistant_text.slice(said.length);
  return h(
    "li",
    { class: "history-turn", "data-testid": "history-turn", "data-status": t.status },
    h("p", { class: "history-when muted" }, h("time", { datetime: new Date(t.started_at_ms).toISOString() }, when(t.started_at_ms)), status ? h("span", { class: "tag" }, status) : null),
    h("p", { class: "history-user" }, h("span", { class: "line-who" }, "You"), t.user_text),
    t.assistant_text
      ? h("p", { class: "history-assistant" }, h("span", { class: "line-who" }, "Tandem"), said, unheard ? h("span", { class: "line-unheard" }, h("span", { class: "visually-hidden" }, " (not heard:"), unheard, h("span", { class: "visually-hidden" }, ")")) : null)
      : null,
  );
}

export class HistoryPanel {
  private next: number | null = null;
  private readonly body: HTMLElement;
  private readonly more: HTMLButtonElement;
  private list: HTMLOListElement | null = null;

  constructor(private readonly asError: (err: unknown) => AppError) {
    this.body = document.getElementById("history-body") as HTMLElement;
    this.more = document.getElementById("history-more") as HTMLButtonElement;
    this.more.addEventListener("click", () => void this.page(this.next));
    document.getElementById("history-refresh")?.addEventListener("click", () => void this.load());
  }

  /** The newest page (when the tab is opened or refreshed). */
  async load(): Promise<void> {
    this.list = null;
    replaceChildren(this.body, h("p", { class: "muted" }, "Reading the history…"));
    await this.page(null);
  }

  private async page(before: number | null): Promise<void> {
    this.body.setAttribute("aria-busy", "true");
    this.more.disabled = true;
    try {
      const p = await invoke<HistoryPage>("history", { before, limit: PAGE });
      if (!this.list) {
        if (p.turns.length === 0) {
          replaceChildren(this.body, h("p", { class: "muted" }, "Nothing yet: what you ask and what Tandem answers is kept here, on this computer."));
        } else {
          this.list = h("ol", { class: "history-list", "aria-label": "Past turns, newest first" });
          replaceChildren(this.body, this.list, h("p", { class: "muted history-path" }, "Kept in ", h("code", {}, p.path)));
        }
      }
      for (const t of p.turns) this.list?.appendChild(turn(t));
      this.next = p.next_before;
      this.more.hidden = p.next_before === null;
    } catch (err) {
      const e = this.asError(err);
      replaceChildren(
        this.body,
        h(
          "div",
          { class: "banner banner-bad", role: "alert" },
          h("span", { class: "banner-icon", "aria-hidden": "true" }, "!"),
          h("div", { class: "banner-text" }, h("p", { class: "banner-title" }, "The history could not be read"), h("p", {}, ...richText(errorMessage(e)))),
        ),
      );
    } finally {
      this.body.setAttribute("aria-busy", "false");
      this.more.disabled = false;
    }
  }
}
