// Draws the timeline (timeline.ts) on a canvas: the user's lane above the assistant's, the last
// 30 s scrolling right to left, redrawn with requestAnimationFrame at most ~25 times a second and
// only while a conversation runs. Colours come from the theme's CSS variables, so light and dark
// follow the system.

import {
  AudioClock,
  WINDOW_MS,
  closeAll,
  createTimeline,
  layout,
  timelineEvent,
  timelinePlayback,
  trim,
  type Timeline,
} from "./timeline";
import type { EngineEvent } from "./events";

/** Shortest time between two frames: ~25 fps is smooth for a 30 s window and cheap. */
const FRAME_MS = 40;
const LABEL_W = 64;

interface Palette {
  text: string;
  muted: string;
  grid: string;
  user: string;
  assistant: string;
  bargeIn: string;
  backchannel: string;
}

function palette(el: Element): Palette {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v("--text", "#1a1e29"),
    muted: v("--muted", "#5a6375"),
    grid: v("--border", "#e1e4ec"),
    user: v("--user", "#0e7490"),
    assistant: v("--accent", "#4f46e5"),
    bargeIn: v("--bad", "#991b1b"),
    backchannel: v("--think", "#7c3aed"),
  };
}

export class TimelineView {
  private timeline: Timeline = createTimeline();
  private clock = new AudioClock();
  private running = false;
  private frame = 0;
  private lastDraw = 0;
  private frozenAt: number | null = null;
  constructor(private readonly canvas: HTMLCanvasElement) {
    // The theme can change while the app runs: redraw in its colours.
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.draw());
    new ResizeObserver(() => this.draw()).observe(canvas);
    this.draw();
  }

  /** A new conversation: empty lanes, scrolling. */
  start(): void {
    this.timeline = createTimeline();
    this.clock = new AudioClock();
    this.frozenAt = null;
    this.running = true;
    this.publish();
    this.schedule();
  }

  /** The conversation ended: open segments end now, and the picture stops scrolling. */
  stop(): void {
    if (!this.running) return;
    const now = this.now();
    closeAll(this.timeline, now);
    this.frozenAt = now;
    this.running = false;
    cancelAnimationFrame(this.frame);
    this.draw();
  }

  onEvent(e: EngineEvent): void {
    this.clock.observe(e.t_ms, performance.now());
    if (timelineEvent(this.timeline, e)) this.publish();
  }

  onPlayback(t_ms: number, speaking: boolean): void {
    this.clock.observe(t_ms, performance.now());
    if (timelinePlayback(this.timeline, t_ms, speaking)) this.publish();
  }

  private now(): number {
    if (this.frozenAt !== null) return this.frozenAt;
    return Math.max(this.clock.now(performance.now()), this.timeline.latest_ms);
  }

  /** Counts on the element, for tests and for screen readers (the canvas itself is an image). */
  private publish(): void {
    const t = this.timeline;
    const c = this.canvas;
    c.dataset["userSegments"] = String(t.user.length);
    c.dataset["assistantSegments"] = String(t.assistant.length);
    c.dataset["bargeIns"] = String(t.marks.filter((m) => m.kind === "barge_in").length);
    c.dataset["backchannels"] = String(t.marks.filter((m) => m.kind === "backchannel").length);
    const talk = (n: number, who: string): string => `${who} spoke ${n} time${n === 1 ? "" : "s"}`;
    c.setAttribute(
      "aria-label",
      `Voice activity over the last 30 seconds: ${talk(t.user.length, "you")}, ${talk(t.assistant.length, "Tandem")}; ${c.dataset["bargeIns"]} cut-ins, ${c.dataset["backchannels"]} backchannels.`,
    );
  }

  private schedule(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame((t) => {
      if (!this.running) return;
      if (t - this.lastDraw >= FRAME_MS) {
        this.lastDraw = t;
        this.draw();
      }
      this.schedule();
    });
  }

  private draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const hgt = c.clientHeight;
    if (w === 0 || hgt === 0) return;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hgt * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(hgt * dpr);
    }
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hgt);

    const now = this.now();
    const before = this.timeline.user.length + this.timeline.assistant.length + this.timeline.marks.length;
    trim(this.timeline, now);
    if (this.timeline.user.length + this.timeline.assistant.length + this.timeline.marks.length !== before) this.publish();
    const l = layout(this.timeline, now);
    // Read each frame (a handful of properties): the colours always match the theme.
    const col = palette(c);
    const plotW = w - LABEL_W;
    const axisH = 16;
    const laneH = (hgt - axisH) / 2;
    const x = (f: number): number => LABEL_W + f * plotW;

    // Grid: a line every 5 s, labelled in seconds ago.
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.strokeStyle = col.grid;
    ctx.fillStyle = col.muted;
    ctx.lineWidth = 1;
    for (let s = 0; s <= WINDOW_MS / 1000; s += 5) {
      const gx = Math.round(x(1 - (s * 1000) / WINDOW_MS)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(gx, 0);
      ctx.lineTo(gx, hgt - axisH);
      ctx.stroke();
      ctx.textAlign = s === 0 ? "right" : "center";
      ctx.fillText(s === 0 ? "now" : `−${s} s`, gx, hgt - axisH / 2);
    }
    ctx.beginPath();
    ctx.moveTo(LABEL_W, laneH + 0.5);
    ctx.lineTo(w, laneH + 0.5);
    ctx.stroke();

    // Lanes.
    ctx.textAlign = "left";
    ctx.fillStyle = col.text;
    ctx.fillText("You", 6, laneH / 2);
    ctx.fillText("Tandem", 6, laneH + laneH / 2);
    const bar = Math.max(6, laneH * 0.5);
    const drawLane = (spans: typeof l.user, top: number, color: string): void => {
      ctx.fillStyle = color;
      for (const s of spans) {
        const x0 = x(s.from);
        const bw = Math.max(2, x(s.to) - x0);
        ctx.beginPath();
        ctx.roundRect(x0, top + (laneH - bar) / 2, bw, bar, 3);
        ctx.fill();
      }
    };
    drawLane(l.user, 0, col.user);
    drawLane(l.assistant, laneH, col.assistant);

    // Marks: a cut-in is a line across both lanes with a triangle on the user's; a backchannel
    // is a diamond on the assistant's.
    for (const m of l.marks) {
      const mx = x(m.at);
      if (m.kind === "barge_in") {
        ctx.strokeStyle = col.bargeIn;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(mx, 2);
        ctx.lineTo(mx, hgt - axisH - 2);
        ctx.stroke();
        ctx.fillStyle = col.bargeIn;
        ctx.beginPath();
        ctx.moveTo(mx - 5, 2);
        ctx.lineTo(mx + 5, 2);
        ctx.lineTo(mx, 10);
        ctx.closePath();
        ctx.fill();
      } else {
        const my = laneH + laneH / 2;
        ctx.fillStyle = col.backchannel;
        ctx.beginPath();
        ctx.moveTo(mx, my - 7);
        ctx.lineTo(mx + 6, my);
        ctx.lineTo(mx, my + 7);
        ctx.lineTo(mx - 6, my);
        ctx.closePath();
        ctx.fill();
      }
    }
    ctx.lineWidth = 1;
  }
}
