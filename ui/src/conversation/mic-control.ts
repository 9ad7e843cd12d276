// The Mute switch, the Push-to-talk switch and the Hold-to-talk button (or Space), driving the
// engine's microphone gate through `set_microphone`. The state logic is in mic-state.ts.

import { invoke } from "@tauri-apps/api/core";

import { initialMic, micLabel, micLive, type MicState } from "./mic-state";

export interface MicElements {
  mute: HTMLButtonElement;
  pushToTalk: HTMLButtonElement;
  hold: HTMLButtonElement;
  state: HTMLElement;
}

/** Elements where Space types or toggles rather than talks. */
function takesSpace(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export class MicControl {
  private s: MicState = initialMic(true);
  /** The last state the app confirmed, so a failed call can be shown. */
  private applied: boolean | null = null;

  constructor(
    private readonly el: MicElements,
    private readonly onError: (err: unknown) => void,
  ) {
    el.mute.addEventListener("click", () => this.update({ muted: !this.s.muted }));
    el.pushToTalk.addEventListener("click", () => this.update({ pushToTalk: !this.s.pushToTalk, held: false }));
    const down = (e: Event): void => {
      e.preventDefault();
      this.update({ held: true });
    };
    const up = (): void => {
      if (this.s.held) this.update({ held: false });
    };
    el.hold.addEventListener("pointerdown", down);
    el.hold.addEventListener("pointerup", up);
    el.hold.addEventListener("pointerleave", up);
    el.hold.addEventListener("pointercancel", up);
    // Space held anywhere but a text field, in push-to-talk mode.
    window.addEventListener("keydown", (e) => {
      if (e.code !== "Space" || !this.s.pushToTalk || takesSpace(e.target)) return;
      e.preventDefault();
      if (!e.repeat && !this.s.held) this.update({ held: true });
    });
    window.addEventListener("keyup", (e) => {
      if (e.code !== "Space" || !this.s.pushToTalk || takesSpace(e.target)) return;
      e.preventDefault();
      up();
    });
    // Letting go of the window lets go of the key.
    window.addEventListener("blur", up);
    this.render();
  }

  /** Takes over what the app reports at load (a mute set before a reload holds). */
  sync(live: boolean): void {
    this.s = initialMic(live);
    this.applied = live;
    this.render();
  }

  private update(change: Partial<MicState>): void {
    this.s = { ...this.s, ...change };
    this.render();
    const live = micLive(this.s);
    if (live === this.applied) return;
    this.applied = live;
    invoke<boolean>("set_microphone", { live }).catch((err: unknown) => {
      this.applied = null;
      this.onError(err);
    });
  }

  private render(): void {
    const { mute, pushToTalk, hold, state } = this.el;
    mute.setAttribute("aria-pressed", String(this.s.muted));
    mute.textContent = this.s.muted ? "Unmute" : "Mute";
    mute.setAttribute("aria-label", this.s.muted ? "Unmute the microphone" : "Mute the microphone");
    pushToTalk.setAttribute("aria-pressed", String(this.s.pushToTalk));
    hold.hidden = !this.s.pushToTalk;
    hold.setAttribute("aria-pressed", String(this.s.held));
    state.textContent = micLabel(this.s);
    state.dataset["live"] = String(micLive(this.s));
    state.dataset["muted"] = String(this.s.muted);
  }
}
